import CSanitizerHooks
import Synchronization

/// A value reached only under a lock: `Synchronization.Mutex`, with its critical sections announced to
/// ThreadSanitizer.
///
/// On Linux, `Mutex` locks through the standard library's atomics and a futex, which TSan does not instrument: it sees
/// no order between two critical sections of the same `Mutex` and reports every access to the guarded value as a race
/// (found running the personalization line's reader workers under `scripts/tsan.sh`). Every lock of the suite is
/// therefore a `Locked`, which calls TSan's annotations on the lock's address after taking it and before releasing
/// it. In any other build those calls are empty C functions.
public struct Locked<Value>: ~Copyable, Sendable {
    private let mutex: Mutex<Value>

    public init(_ initialValue: consuming sending Value) {
        mutex = Mutex(initialValue)
    }

    /// Runs `body` with the value, holding the lock.
    public borrowing func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        // The mutex's address names the lock for TSan; it is never dereferenced. A ~Copyable value is borrowed in
        // place, so this is the address of the stored mutex, the same for every call.
        let address = withUnsafePointer(to: mutex) { UnsafeRawPointer($0) }
        return try mutex.withLock { (value: inout sending Value) throws(E) -> sending Result in
            epki_sanitizer_acquired(address)
            defer { epki_sanitizer_releasing(address) }
            return try body(&value)
        }
    }
}

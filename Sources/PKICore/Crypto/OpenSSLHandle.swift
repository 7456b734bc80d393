import COpenSSL
import COpenSSLShims

/// Owns one `EVP_PKEY` and frees it when the last reference goes, with the signature contexts made for it.
///
/// OpenSSL 3 allows concurrent signing and verification with one `EVP_PKEY`, each operation in a context of its
/// own. Setting a context up (provider look-ups, PSS parameters) cost 4 to 11 µs, a fifth of a P-256 signature, so
/// contexts are kept per algorithm and reused: a thread takes one from the idle list (or makes one), uses it
/// alone and puts it back. The handle is shared freely between threads.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    /// What a context is set up for.
    struct ContextUse: Hashable {
        let signing: Bool
        let algorithm: SignatureAlgorithm
    }

    /// An `EVP_PKEY_CTX` on the idle list: used by one thread at a time, handed over through the lock.
    private struct IdleContext: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private let idle = Locked<[ContextUse: [IdleContext]]>([:])
    /// Idle contexts kept per use: more than the threads that sign or verify with one key at once is waste.
    private static let idleLimit = 16

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// Runs `body` with a context for `use`; nil when OpenSSL cannot set one up for this key. A context whose
    /// result `reusable` rejects (a failed signature) is freed rather than handed to the next caller.
    func withContext<T>(_ use: ContextUse, reusable: (T) -> Bool = { _ in true }, _ body: (OpaquePointer) throws -> T) rethrows -> T? {
        var context = idle.withLock { $0[use]?.popLast() }?.pointer
        if context == nil {
            let pss = use.algorithm.pssParameters
            context = epki_signature_context_new(pointer, use.signing ? 1 : 0, use.algorithm.hash.openSSLName, pss == nil ? 0 : 1,
                                                 Int32(pss?.saltLength ?? 0), pss?.mgf1Hash.openSSLName)
        }
        guard let context else { return nil }
        let result: T
        do {
            result = try body(context)
        } catch {
            epki_signature_context_free(context)
            throw error
        }
        let kept = reusable(result) && idle.withLock { idle in
            guard idle[use, default: []].count < Self.idleLimit else { return false }
            idle[use, default: []].append(IdleContext(pointer: context))
            return true
        }
        if !kept { epki_signature_context_free(context) }
        return result
    }

    deinit {
        for contexts in idle.withLock({ Array($0.values) }) {
            for context in contexts { epki_signature_context_free(context.pointer) }
        }
        EVP_PKEY_free(pointer)
    }
}

enum OpenSSL {
    /// The most recent OpenSSL error as text (the queue is cleared), for messages that say what OpenSSL refused.
    static func lastError() -> (reason: Int32, text: String) {
        var buffer = [CChar](repeating: 0, count: 256)
        let reason = epki_last_error(&buffer, buffer.count)
        let text = buffer.withUnsafeBufferPointer { pointer in
            String(cString: pointer.baseAddress!)  // the buffer is always NUL-terminated by the shim
        }
        return (reason, text)
    }

    static func failure(_ code: PKIError.Code, _ what: String, file: String = #fileID, line: Int = #line) -> PKIError {
        let error = lastError()
        let detail = error.text.isEmpty ? "" : " (OpenSSL: \(error.text))"
        return PKIError(code, "\(what)\(detail)", file: file, line: line)
    }

    /// Copies an OpenSSL-allocated buffer into Swift and frees it.
    static func takeBuffer(_ pointer: UnsafeMutablePointer<UInt8>?, count: Int) -> [UInt8]? {
        guard let pointer, count > 0 else { return nil }
        defer { epki_free(pointer) }
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    static func randomBytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard epki_random(&bytes, count) == 1 else { throw failure(.cryptoFailure, "random number generator") }
        return bytes
    }
}

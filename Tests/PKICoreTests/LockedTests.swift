import Foundation
import PKICore
import Testing

/// `Locked` keeps a value consistent across threads, and (run under `scripts/tsan.sh LockedTests`) ThreadSanitizer
/// sees its critical sections as ordered. With `Synchronization.Mutex` in its place, the first test gives a TSan
/// report on Linux: when a thread waits, `Mutex` hands the lock over in the standard library's futex code, which TSan
/// does not instrument.
@Suite struct LockedTests {
    /// State outside the lock, reached only inside its critical sections: the pattern of `SessionCipher.Keys` and
    /// `EMRTDChip`, whose `Locked<Void>` guards an OpenSSL context or a chip's state kept beside it.
    final class Guarded: @unchecked Sendable {
        let lock = Locked<Void>(())
        var count = 0
        var history: [Int] = []
    }

    @Test func criticalSectionsOnManyThreadsSeeEachOthersWrites() {
        let guarded = Guarded()
        let threads = 4, rounds = 3_000
        // Threads of their own and critical sections long enough that they wait for each other: the futex path,
        // where TSan lost the order of `Mutex`'s critical sections (1 report with `Mutex` here, 0 with `Locked`).
        let finished = DispatchSemaphore(value: 0)
        for _ in 0..<threads {
            Thread {
                defer { finished.signal() }
                for _ in 0..<rounds {
                    guarded.lock.withLock { _ in
                        guarded.count += 1
                        guarded.history.append(guarded.count)
                        for _ in 0..<50 { _ = guarded.history.count }
                    }
                }
            }.start()
        }
        for _ in 0..<threads { #expect(finished.wait(timeout: .now() + 120) == .success, "every thread ends") }
        #expect(guarded.lock.withLock { _ in guarded.history } == Array(1...(threads * rounds)), "each critical section saw the one before it")
    }

    @Test func theValueInsideIsTheOneChanged() throws {
        let totals = Locked<[String: Int]>([:])
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for _ in 0..<500 { totals.withLock { $0["worker \(worker)", default: 0] += 1 } }
        }
        #expect(totals.withLock { $0 } == ["worker 0": 500, "worker 1": 500, "worker 2": 500, "worker 3": 500])
        struct Refused: Error {}
        #expect(throws: Refused.self) { try totals.withLock { _ throws(Refused) in throw Refused() } }
        #expect(totals.withLock { $0.values.reduce(0, +) } == 2_000, "a body that throws changes nothing by itself")
    }
}

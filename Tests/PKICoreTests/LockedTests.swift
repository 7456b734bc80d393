import Foundation
import PKICore
import Testing

/// `Locked` keeps a value consistent across threads, and (run under `scripts/tsan.sh LockedTests`) ThreadSanitizer
/// sees its critical sections as ordered. With `Synchronization.Mutex` in its place, the same test gave TSan reports
/// on Linux: `Mutex` locks through uninstrumented atomics.
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
        let threads = 8, rounds = 2_000
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            for _ in 0..<rounds {
                guarded.lock.withLock { _ in
                    guarded.count += 1
                    guarded.history.append(guarded.count)
                }
            }
        }
        #expect(guarded.count == threads * rounds)
        #expect(guarded.history == Array(1...(threads * rounds)), "each critical section saw the one before it")
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

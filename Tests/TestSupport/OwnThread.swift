import Foundation

extension TestSupport {
    /// curl's `--max-time` for requests to a service running inside the test process. Its handlers run on Swift's
    /// concurrency pool, which the rest of the suite's tests share: with two cores, under ASan or a loaded machine,
    /// CPU-bound tests elsewhere kept both pool threads for over a minute, and a 60-s limit timed out with 0 bytes
    /// received (the SOD and the border control services, at the same moment). A service in its own process (`epki
    /// … serve`) needs no more than its own limit; production runs its handlers on NIO's event loops.
    public static let inProcessServiceTimeout = "600"

    /// Runs blocking work (a child process and the wait for it, a store compared row by row) on a thread of its own.
    /// Swift's concurrency pool has only as many threads as cores, and a synchronous test body holds one of them for
    /// as long as it runs; servers under test in the same process (the SOD, NPKD and SPOC services) need those threads
    /// to answer. With two cores, two long synchronous tests at once starved a service until its client timed out.
    /// `#expect` belongs in the caller: the thread does not carry the test's task-local context, so an issue recorded
    /// there would not be the test's.
    public static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}

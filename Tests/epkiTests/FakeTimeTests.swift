import Foundation
import Testing
import TestSupport

/// The suite runs a second and third time under libfaketime (`scripts/test.sh`); these keep it able to.
@Suite struct FakeTimeTests {
    /// No test waits with `Task.sleep`: under libfaketime 0.9.10 its Dispatch timer is due decades late (see
    /// `TestSupport.pause`), and a run that waits on one hangs until the runner is killed.
    @Test func noTestSleepsOnADispatchTimer() throws {
        let root = TestSupport.packageRoot.appendingPathComponent("Tests")
        let files = try #require(FileManager.default.enumerator(atPath: root.path))
        var offenders: [String] = []
        for case let file as String in files where file.hasSuffix(".swift") {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.contains("Task.sleep(") && !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") && !line.contains("\"") {
                offenders.append("Tests/\(file):\(number + 1)")
            }
        }
        #expect(offenders.isEmpty, "Task.sleep in \(offenders); use TestSupport.pause")
    }

    /// The replacement returns, not before the time asked for, on the real clock and under libfaketime alike. (How
    /// late depends on when a thread of the cooperative pool is free again, which on a loaded two-core machine
    /// running the whole suite has been 16 s; a Dispatch timer under libfaketime would not return at all.)
    @Test func pauseReturns() async throws {
        let start = ContinuousClock.now
        await TestSupport.pause(milliseconds: 30)
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(25), "\(elapsed)")
    }
}

import Foundation
import PKICore

/// This node's view of each line's quota window: SODs recorded and SODs in flight. A request is refused with 429
/// before it is signed when the two fill the window; the store's count, checked when the batch is recorded, stays
/// the authority, so nodes sharing one store never hand out more than the quota together.
final class QuotaGate: Sendable {
    private struct Usage {
        var window: Int64
        var recorded: Int
        var inFlight: Int
    }

    private let usage = Locked<[String: Usage]>([:])
    private let lines: SigningLines

    init(lines: SigningLines) {
        self.lines = lines
    }

    func reserve(_ line: SigningLine) throws {
        guard let quota = line.quota else { return }
        let window = quota.windowStart(lines.clock.now())
        let known = usage.withLock { $0[line.name].flatMap { $0.window == window ? $0 : nil } }
        if known == nil {
            // First request of the window on this node: the store says how much of it other nodes (or an earlier
            // run) used. A read, outside the lock.
            let recorded = try lines.usage(of: line)
            usage.withLock { table in
                if table[line.name]?.window != window { table[line.name] = Usage(window: window, recorded: recorded, inFlight: 0) }
            }
        }
        try usage.withLock { table in
            guard var entry = table[line.name], entry.window == window else { return }
            guard entry.recorded + entry.inFlight < quota.limit else {
                throw SigningLines.quotaExceeded(line: line.name, quota: quota, window: window)
            }
            entry.inFlight += 1
            table[line.name] = entry
        }
    }

    func release(_ line: SigningLine, recorded: Bool, windowFull: Bool = false) {
        guard let quota = line.quota else { return }
        usage.withLock { table in
            guard var entry = table[line.name] else { return }
            entry.inFlight = max(0, entry.inFlight - 1)
            if recorded { entry.recorded += 1 }
            if windowFull { entry.recorded = max(entry.recorded, quota.limit) }
            table[line.name] = entry
        }
    }
}

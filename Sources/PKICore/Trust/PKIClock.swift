import Foundation

/// "Now", for validity periods, CRL due dates and chip dates. Tests pass a fixed clock so that results do not
/// depend on the day they run. (Named apart from the standard library's `Clock`, which measures durations.)
public protocol PKIClock: Sendable {
    func now() -> Date
}

public struct SystemClock: PKIClock {
    public init() {}
    public func now() -> Date { Date() }
}

public struct FixedClock: PKIClock {
    public let date: Date
    public init(_ date: Date) { self.date = date }
    public func now() -> Date { date }
}

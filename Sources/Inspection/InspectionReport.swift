import Foundation
import PKICore

/// What an inspection found: every step in order with its status, reason and time, the files read, and three
/// verdicts an officer acts on. A step that could not be made is "not checked" with its reason, never hidden.
///
/// ```
/// access          the chip opened with PACE or BAC (or not: nothing else could be read)
/// chip genuine    Chip Authentication, PACE-CAM or Active Authentication proved the chip holds a key the signed
///                 data names; a failure here is a clone ("chip not genuine")
/// data genuine    passive authentication: the data groups are those a CSCA the trust source knows signed; an
///                 unknown CSCA is "data not verified", not "forged"
/// ```
public struct InspectionReport: Sendable, CustomStringConvertible {
    public enum Verdict: String, Sendable, Codable {
        case passed
        case failed
        case notChecked = "not checked"
    }

    public var steps: VerificationReport
    /// Milliseconds per step, by the step's name.
    public var durations: [String: Double] = [:]
    /// The files read: data group number → bytes (0 for EF.COM is not used; EF.SOD and EF.COM are kept apart).
    public var dataGroups: [Int: [UInt8]] = [:]
    public var efCOM: [UInt8]?
    public var efSOD: [UInt8]?
    /// How the chip was opened: "PACE …" or "BAC"; nil when it was not.
    public var access: String?
    public var chipGenuine: Verdict = .notChecked
    public var dataGenuine: Verdict = .notChecked
    /// The rights Terminal Authentication was granted, as the chip's effective CHAT says ("read DG3", …).
    public var biometricAccess: String?

    public init(subject: String = "Inspection") {
        steps = VerificationReport(subject: subject)
    }

    /// A clone: the chip failed to prove the key the signed data names.
    public var isCloneSuspected: Bool { chipGenuine == .failed }

    public var summary: String {
        switch (access, chipGenuine, dataGenuine) {
        case (nil, _, _): return "chip not read"
        case (_, .failed, _): return "chip not genuine"
        case (_, _, .failed): return "data forged or damaged"
        case (_, .passed, .passed): return "genuine"
        case (_, _, .notChecked): return "data not verified"
        default: return "chip genuineness not checked"
        }
    }

    public var description: String {
        var lines = ["\(steps.subject): \(summary)"]
        for check in steps.checks {
            let time = durations[check.name].map { String(format: " (%.1f ms)", $0) } ?? ""
            lines.append("  [\(check.status.rawValue)] \(check.name): \(check.detail)\(time)")
        }
        return lines.joined(separator: "\n")
    }

    public var jsonValue: JSONValue {
        let steps: [JSONValue] = self.steps.checks.map { check in
            var step: [(String, JSONValue)] = [("name", .string(check.name)), ("status", .string(check.status.rawValue)), ("detail", .string(check.detail))]
            if let milliseconds = durations[check.name] { step.append(("milliseconds", .number((milliseconds * 10).rounded() / 10))) }
            return .object(step)
        }
        return .object([
            ("summary", .string(summary)), ("access", access.map { .string($0) } ?? .null),
            ("chipGenuine", .string(chipGenuine.rawValue)), ("dataGenuine", .string(dataGenuine.rawValue)),
            ("biometricAccess", biometricAccess.map { .string($0) } ?? .null),
            ("dataGroupsRead", .array(dataGroups.keys.sorted().map { .integer($0) })), ("steps", .array(steps)),
        ])
    }
}

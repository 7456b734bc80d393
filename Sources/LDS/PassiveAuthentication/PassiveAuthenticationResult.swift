import Foundation
import PKICore

/// What passive authentication found: every check with its status and reason, the objects it identified, and
/// the verdict. `isGenuine` is stricter than `report.isValid`: the CMS signature, the DS certificate's signature
/// by a trusted CSCA, the DS dates and at least one data group hash must each have *passed* — a check that
/// could not be made ("not checked", e.g. no CSCA known) never counts as proof.
public struct PassiveAuthenticationResult: Sendable, CustomStringConvertible {
    public var report: VerificationReport
    /// The security object as read; nil when EF.SOD could not be read at all.
    public let securityObject: EFSOD?
    public let documentSigner: Certificate?
    /// The trusted certificate whose key verified the DS certificate (a CSCA or a link certificate).
    public let issuer: Certificate?

    public init(report: VerificationReport, securityObject: EFSOD?, documentSigner: Certificate?, issuer: Certificate?) {
        self.report = report
        self.securityObject = securityObject
        self.documentSigner = documentSigner
        self.issuer = issuer
    }

    /// The checks that must pass for a document to be genuine.
    public static let requiredChecks = [
        PassiveAuthentication.Check.cmsSignature, PassiveAuthentication.Check.dsIssuedByCSCA, PassiveAuthentication.Check.dsValidity,
    ]

    public var isGenuine: Bool {
        // One pass: asked for every passport at a border lane.
        var required = 0  // one bit per entry of requiredChecks
        var hashPassed = false
        for check in report.checks {
            switch check.status {
            case .failed: return false
            case .passed:
                if let index = Self.requiredChecks.firstIndex(of: check.name) {
                    required |= 1 << index
                } else if !hashPassed, check.name.hasSuffix(PassiveAuthentication.Check.hashSuffix) {
                    hashPassed = true
                }
            case .notChecked, .warning: break
            }
        }
        return hashPassed && required == 1 << Self.requiredChecks.count - 1
    }

    /// The checks that failed, for a one-line reason.
    public var failures: [VerificationReport.Check] { report.checks.filter { $0.status == .failed } }

    public var description: String {
        var lines = ["\(report.subject): \(isGenuine ? "GENUINE" : "NOT GENUINE")"]
        for check in report.checks {
            lines.append("  [\(check.status.rawValue)] \(check.name): \(check.detail)")
        }
        if !isGenuine && failures.isEmpty {
            let missing = Self.requiredChecks.filter { report.check(named: $0)?.status != .passed }
            lines.append("  not genuine: \(missing.isEmpty ? "no data group hash was verified" : "not passed: " + missing.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }

    /// The report as a JSON object with `genuine` and `valid` verdicts and the DS and issuer named.
    public var jsonValue: JSONValue {
        guard case .object(var members) = report.jsonValue else { return report.jsonValue }
        members.append(("genuine", .bool(isGenuine)))
        if let documentSigner {
            members.append(("documentSigner", .object([
                ("subject", .string(documentSigner.subject.description)), ("issuer", .string(documentSigner.issuer.description)),
                ("serialNumber", .string(documentSigner.serialNumberHex)),
            ])))
        }
        if let issuer {
            members.append(("csca", .object([("subject", .string(issuer.subject.description)), ("serialNumber", .string(issuer.serialNumberHex))])))
        }
        if let sod = securityObject {
            members.append(("dataGroups", .array(sod.securityObject.dataGroupNumbers.map { .integer($0) })))
            members.append(("hashAlgorithm", .string(sod.securityObject.hash?.description ?? sod.securityObject.hashAlgorithm.algorithm.description)))
        }
        return .object(members)
    }

    /// Pretty-printed JSON with sorted keys (see `jsonValue`).
    public func jsonString() throws -> String {
        jsonValue.string(pretty: true)
    }
}

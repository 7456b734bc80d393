import CVC
import PKICore

/// A domain's EAC policy: how long each role's certificates are valid and which rights they get when the operator
/// names none. Kept as JSON per domain, changed through `epki cvca policy` and recorded in the audit trail.
///
/// ```
/// cvcaValidity               36m   CVCA certificates (self-signed and link): at most 3 years
/// documentVerifierValidity    3m   DV certificates the CVCA issues: at most 3 months
/// terminalValidity            1m   inspection-system certificates the DVCA issues: at most 1 month
/// documentVerifierRights     "03"  relative authorization without the role bits (id-IS: 01 DG3, 02 DG4)
/// terminalRights             "03"
/// ```
/// The limits are the EU practice of the common certificate policy for EAC (BSI TR-03139); the rights a
/// certificate finally gets are also cut down to what its issuer holds.
public struct CVCAPolicy: Codable, Hashable, Sendable {
    public var cvcaValidity: ValidityPeriod = .months(36)
    public var documentVerifierValidity: ValidityPeriod = .months(3)
    public var terminalValidity: ValidityPeriod = .months(1)
    public var documentVerifierRights: String = "03"
    public var terminalRights: String = "03"

    public static let cvcaLimitMonths = 36
    public static let documentVerifierLimitMonths = 3
    public static let terminalLimitMonths = 1

    public init() {}

    public func validate() throws {
        guard cvcaValidity.isWithin(months: Self.cvcaLimitMonths) else {
            throw CVCAError(.policyViolation, "CVCA certificates are valid at most 3 years (36m), not \(cvcaValidity)")
        }
        guard documentVerifierValidity.isWithin(months: Self.documentVerifierLimitMonths) else {
            throw CVCAError(.policyViolation, "DV certificates are valid at most 3 months (3m), not \(documentVerifierValidity)")
        }
        guard terminalValidity.isWithin(months: Self.terminalLimitMonths) else {
            throw CVCAError(.policyViolation, "inspection-system certificates are valid at most 1 month (1m or 30d), not \(terminalValidity)")
        }
        _ = try Self.rights(documentVerifierRights, "documentVerifierRights")
        _ = try Self.rights(terminalRights, "terminalRights")
    }

    /// The default DV rights as bytes.
    public var documentVerifierRightBytes: [UInt8] { get throws { try Self.rights(documentVerifierRights, "documentVerifierRights") } }
    /// The default inspection-system rights as bytes.
    public var terminalRightBytes: [UInt8] { get throws { try Self.rights(terminalRights, "terminalRights") } }

    static func rights(_ hex: String, _ name: String) throws -> [UInt8] {
        guard let bytes = [UInt8](hex: hex), !bytes.isEmpty, bytes[0] & 0xC0 == 0 else {
            throw CVCAError(.policyViolation, "\(name) '\(hex)' must be hex without the role bits (e.g. 03 for DG3 and DG4)")
        }
        return bytes
    }
}

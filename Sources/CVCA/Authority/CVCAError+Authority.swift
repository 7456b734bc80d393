import CVC
import Foundation

/// The codes the stateful CVCA and DVCA add to the module's error.
///
/// A refused request carries its TR-03129 result code as the error code itself (`failure_outer_signature`, …), so
/// that a SPOC or web service can hand the code back unchanged and the CLI can print it as it is.
extension CVCAError.Code {
    /// The domain has no CVCA (or no DVCA) yet.
    public static let notInitialized = CVCAError.Code(name: "notInitialized")
    /// The domain already has what the operation would create.
    public static let alreadyExists = CVCAError.Code(name: "alreadyExists")
    /// A policy value, or an operation the policy does not allow.
    public static let policyViolation = CVCAError.Code(name: "policyViolation")
    /// A certificate, key or CVCA the operation names is not in the store.
    public static let notFound = CVCAError.Code(name: "notFound")
    /// A certificate offered for import or registration does not verify or does not fit.
    public static let certificateRefused = CVCAError.Code(name: "certificateRefused")

    /// A request refused with a TR-03129 result code.
    public static func refused(_ result: TR03129ResultCode) -> CVCAError.Code {
        CVCAError.Code(name: result.rawValue)
    }
}

extension CVCAError {
    /// The TR-03129 result code of a refused request; nil for every other error.
    public var resultCode: TR03129ResultCode? {
        TR03129ResultCode(rawValue: code.name).flatMap { $0.isSuccess ? nil : $0 }
    }
}

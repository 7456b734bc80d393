/// An error whose reason is written for the operator: it names the field, tag, file or policy at fault.
///
/// Every module's error type adopts it, so the command line reports any of them the same way (one line on
/// stderr, exit status 1) without knowing each type.
public protocol OperatorFacingError: Error {
    var reason: String { get }
}

extension PKIError: OperatorFacingError {}

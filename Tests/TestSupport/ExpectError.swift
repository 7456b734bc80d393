import Testing

/// An error whose `==` compares codes only and whose `reason` names the field, tag, file or value at fault:
/// PKIError, LDSError, StoreError, NPKDError, CVCAError, CSCAError, PKCS11Error. The test targets conform them
/// (`extension LDSError: ReasonedError {}`), so `expectError` can look at the reason as well. No `@retroactive`:
/// the types and the protocol are of one package, where the compiler neither warns nor accepts the attribute.
public protocol ReasonedError: Error, Equatable {
    var reason: String { get }
}

/// Expects `body` to throw an `E` equal to `expected` (same code) whose reason contains `expected.reason`.
///
/// `#expect(throws: LDSError(.invalidValue, ""))` passes for any invalidValue, so it cannot tell which check
/// refused the input; the reason fragment can. Any other outcome is recorded with the error actually thrown.
public func expectError<E: ReasonedError, R>(
    _ expected: E, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R
) {
    let context = comment.map { "\($0): " } ?? ""
    do {
        let result = try body()
        Issue.record("\(context)expected \(expected), but nothing was thrown (returned \(result))", sourceLocation: sourceLocation)
    } catch let error as E {
        if error != expected || !error.reason.contains(expected.reason) {
            Issue.record("\(context)expected \(expected) (reason containing \"\(expected.reason)\"), got \(error)", sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("\(context)expected \(expected), got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
}

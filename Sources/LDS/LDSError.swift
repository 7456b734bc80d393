import PKICore
import SwiftASN1

/// The LDS module's error: a code to match on and a reason naming the file, tag or field at fault.
///
/// Equality and hashing look at the code only, so a test can expect "malformed" without spelling out the message.
/// Errors raised by PKICore (CMS, certificates, keys) pass through unchanged as `PKIError`.
public struct LDSError: CodedError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        /// The bytes cannot be read as the file they claim to be (truncated, wrong tag, bad length).
        public static let malformed = Code(name: "malformed")
        /// The structure was read (or is being built) but a value in it is not allowed.
        public static let invalidValue = Code(name: "invalidValue")
        /// Readable, but a variant epki does not handle (an unknown hash algorithm, a record version).
        public static let unsupported = Code(name: "unsupported")
        /// A security object could not be produced or did not verify again after signing.
        public static let signingFailed = Code(name: "signingFailed")
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }


    /// `<file>: <detail>`, the form every decoding error takes so that the operator sees which file failed.
    static func malformed(_ what: String, _ detail: String) -> LDSError {
        LDSError(.malformed, "\(what): \(detail)")
    }

    static func invalid(_ what: String, _ detail: String) -> LDSError {
        LDSError(.invalidValue, "\(what): \(detail)")
    }

    /// Runs an ASN.1 decoder and turns what swift-asn1 throws into a `malformed` error naming the structure;
    /// LDS and PKICore errors pass through with their own message.
    static func decoding<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as LDSError {
            throw error
        } catch let error as PKIError {
            throw error
        } catch let error as ASN1Error {
            throw LDSError.malformed(what, describe(error))
        } catch {
            throw LDSError.malformed(what, "\(error)")
        }
    }

    /// ASN1Error prints "ASN1Error.<code>: <reason> <file>:<line>"; keep the code and the reason only.
    static func describe(_ error: ASN1Error) -> String {
        var text = String(describing: error)
        if text.hasPrefix("ASN1Error.") { text.removeFirst("ASN1Error.".count) }
        if let space = text.lastIndex(of: " "), text[space...].contains(".swift:") {
            text = String(text[..<space])
        }
        return text.hasSuffix(":") ? String(text.dropLast()) : text
    }
}

extension LDSError: OperatorFacingError {}

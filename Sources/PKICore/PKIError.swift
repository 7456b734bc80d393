import SwiftASN1

/// The one error type of PKICore: a code to match on and a reason that names the field, tag or file at fault.
///
/// Equality and hashing look at the code only, so a test can expect "a wrong passphrase" without spelling
/// out the message.
public struct PKIError: CodedError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }

        /// The bytes cannot be read as the structure they claim to be (truncated, wrong tag, bad length).
        public static let malformedEncoding = Code(name: "malformedEncoding")
        /// The structure was read but a value in it is not allowed.
        public static let invalidValue = Code(name: "invalidValue")
        public static let unsupportedAlgorithm = Code(name: "unsupportedAlgorithm")
        public static let unsupportedCurve = Code(name: "unsupportedCurve")
        public static let wrongPassphrase = Code(name: "wrongPassphrase")
        /// A private key was found unencrypted where only encrypted PKCS#8 is accepted.
        public static let unencryptedKey = Code(name: "unencryptedKey")
        public static let keyMismatch = Code(name: "keyMismatch")
        public static let signingFailed = Code(name: "signingFailed")
        public static let cryptoFailure = Code(name: "cryptoFailure")
        public static let fileError = Code(name: "fileError")
        public static let missingInput = Code(name: "missingInput")
    }

    public let code: Code
    public let reason: String
    private let location: String

    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.location = "\(file):\(line)"
    }


    /// Where the error was raised, for logs and bug reports; not part of the message shown to operators.
    public var sourceLocation: String { location }


    @inline(never)
    public static func malformed(_ what: String, _ detail: String, file: String = #fileID, line: Int = #line) -> PKIError {
        PKIError(.malformedEncoding, "\(what): \(detail)", file: file, line: line)
    }

    @inline(never)
    public static func invalid(_ what: String, _ detail: String, file: String = #fileID, line: Int = #line) -> PKIError {
        PKIError(.invalidValue, "\(what): \(detail)", file: file, line: line)
    }

    /// Runs a decoder and turns whatever ASN.1 error it throws into a `malformedEncoding` naming the structure.
    /// `what` is only built when decoding fails: per-entry decoders of a million-entry CRL call this in a loop.
    public static func decoding<T>(_ what: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PKIError {
            throw error
        } catch let error as ASN1Error {
            throw PKIError.malformed(what(), Self.describe(error))
        } catch {
            throw PKIError.malformed(what(), "\(error)")
        }
    }

    static func describe(_ error: ASN1Error) -> String {
        // ASN1Error prints "ASN1Error.<code>: <reason> <file>:<line>"; keep code and reason.
        var text = String(describing: error)
        if text.hasPrefix("ASN1Error.") { text.removeFirst("ASN1Error.".count) }
        if let space = text.lastIndex(of: " "), text[space...].contains(".swift:") {
            text = String(text[..<space])
        }
        return text.hasSuffix(":") ? String(text.dropLast()) : text
    }
}

/// The tags of TR-03110-3 Table 27 (and the key components of D.3) with the names the standard gives them,
/// so that every decoding error can say which data object it expected and which it found.
///
/// A tag is kept as its octets read as one big-endian number (`0x7F21`, `0x5F29`, `0x42`); the constructed bit
/// is part of the first octet, so `0x53` (discretionary data) and `0x73` (discretionary data template) are
/// different tags here, as they are on the wire.
public struct CVTag: Hashable, Sendable, CustomStringConvertible {
    public let value: UInt32
    public let name: String

    public init(_ value: UInt32, _ name: String) {
        self.value = value
        self.name = name
    }

    public static func == (lhs: CVTag, rhs: CVTag) -> Bool { lhs.value == rhs.value }
    public func hash(into hasher: inout Hasher) { hasher.combine(value) }

    /// `7F4E (Certificate Body)`.
    public var description: String { "\(Self.hex(value)) (\(name))" }

    /// The tag octets, first to last.
    var octets: [UInt8] {
        var result: [UInt8] = []
        var remaining = value
        repeat {
            result.insert(UInt8(remaining & 0xFF), at: 0)
            remaining >>= 8
        } while remaining != 0
        return result
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return digits.count % 2 == 1 ? "0" + digits : digits
    }

    /// The name of a tag that was found, for messages: a known one by name, any other by its octets only.
    static func named(_ value: UInt32) -> String {
        all.first(where: { $0.value == value })?.description ?? hex(value)
    }

    public static let objectIdentifier = CVTag(0x06, "Object Identifier")
    public static let certificationAuthorityReference = CVTag(0x42, "Certification Authority Reference")
    public static let discretionaryData = CVTag(0x53, "Discretionary Data")
    public static let certificateHolderReference = CVTag(0x5F20, "Certificate Holder Reference")
    public static let expirationDate = CVTag(0x5F24, "Certificate Expiration Date")
    public static let effectiveDate = CVTag(0x5F25, "Certificate Effective Date")
    public static let profileIdentifier = CVTag(0x5F29, "Certificate Profile Identifier")
    public static let signature = CVTag(0x5F37, "Signature")
    public static let certificateExtensions = CVTag(0x65, "Certificate Extensions")
    public static let authentication = CVTag(0x67, "Authentication")
    public static let discretionaryDataTemplate = CVTag(0x73, "Discretionary Data Template")
    public static let cvCertificate = CVTag(0x7F21, "CV Certificate")
    public static let publicKey = CVTag(0x7F49, "Public Key")
    public static let certificateHolderAuthorizationTemplate = CVTag(0x7F4C, "Certificate Holder Authorization Template")
    public static let certificateBody = CVTag(0x7F4E, "Certificate Body")

    // Public key components (D.3.1, D.3.3). 0x82 is the exponent of an RSA key but coefficient a of an EC key.
    public static let rsaModulus = CVTag(0x81, "RSA modulus n")
    public static let rsaExponent = CVTag(0x82, "RSA public exponent e")
    public static let ecPrime = CVTag(0x81, "prime modulus p")
    public static let ecCoefficientA = CVTag(0x82, "first coefficient a")
    public static let ecCoefficientB = CVTag(0x83, "second coefficient b")
    public static let ecBasePoint = CVTag(0x84, "base point G")
    public static let ecOrder = CVTag(0x85, "order of the base point r")
    public static let ecPublicPoint = CVTag(0x86, "public point Y")
    public static let ecCofactor = CVTag(0x87, "cofactor f")

    private static let all: [CVTag] = [
        objectIdentifier, certificationAuthorityReference, discretionaryData, certificateHolderReference, expirationDate,
        effectiveDate, profileIdentifier, signature, certificateExtensions, authentication, discretionaryDataTemplate,
        cvCertificate, publicKey, certificateHolderAuthorizationTemplate, certificateBody,
    ]
}

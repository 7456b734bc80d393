import Foundation
import SwiftASN1

/// An X.509 certificate (RFC 5280 §4.1), read leniently and kept with its original bytes.
///
/// ```
/// Certificate ::= SEQUENCE {
///     tbsCertificate       TBSCertificate,
///     signatureAlgorithm   AlgorithmIdentifier,
///     signatureValue       BIT STRING }
/// ```
///
/// Signatures are checked over the TBS bytes exactly as they were received, so certificates that are not
/// strictly DER (there are some in the ICAO master list) still verify; `encodingDeviations` reports them.
public struct Certificate: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable, CustomStringConvertible {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var tbsCertificate: TBSCertificate { storage.tbsCertificate }
    public var signatureAlgorithm: AlgorithmIdentifier { storage.signatureAlgorithm }
    public var signatureValue: ASN1BitString { storage.signatureValue }
    /// The TBSCertificate as it was encoded: the bytes the signature covers.
    public var tbsBytes: ArraySlice<UInt8> { storage.tbsBytes }
    /// The whole certificate as it was encoded.
    public var encoded: ArraySlice<UInt8> { storage.encoded }

    /// The fields, shared by every copy: a certificate is immutable, and a verifier hands the same DS certificate
    /// from the SOD to the chain check to the result; copying a dozen fields (names, extensions, slices) each
    /// time cost more than reading them.
    private let storage: Storage

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        let parts = try BER.sequence(node, identifier: identifier) { nodes in
            guard let tbsNode = nodes.next() else { throw ASN1Error.truncatedASN1Field() }
            return (tbsNode, try TBSCertificate(berEncoded: tbsNode), try AlgorithmIdentifier(berEncoded: &nodes),
                    try ASN1BitString(berEncoded: &nodes))
        }
        storage = Storage(tbsCertificate: parts.1, signatureAlgorithm: parts.2, signatureValue: parts.3,
                          tbsBytes: parts.0.encodedBytes, encoded: node.encodedBytes)
    }

    /// Reads one certificate from DER, BER or PEM.
    public init(bytes: [UInt8]) throws {
        let der = try PEM.decodeIfPEM(bytes, label: "CERTIFICATE")
        do {
            self = try PKIError.decoding("X.509 certificate") { try Certificate(berEncoded: BER.parse(der)) }
        } catch {
            // Text, another kind of file or a truncated copy is said as such, not as the first field the parser missed.
            try OuterSequence.check(der, what: "X.509 certificate")
            throw error
        }
    }

    /// Assembles a signed certificate (used by `CertificateBuilder`).
    init(tbsCertificate: TBSCertificate, signatureAlgorithm: AlgorithmIdentifier, signature: [UInt8]) throws {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(tbsCertificate)
            try coder.serialize(signatureAlgorithm)
            try coder.serialize(ASN1BitString(bytes: signature[...]))
        }
        self = try Certificate(derEncoded: serializer.serializedBytes)
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        // Re-emit the bytes received: re-encoding would change what the signature covers.
        coder.serializeRawBytes(encoded)
    }

    public var derEncoded: [UInt8] { Array(encoded) }

    public var pemEncoded: String { PEM.encode(derEncoded, label: "CERTIFICATE") }

    // MARK: - Fields

    public var serialNumber: ArraySlice<UInt8> { tbsCertificate.serialNumber }
    public var serialNumberHex: String { serialNumber.hexString }
    public var issuer: DistinguishedName { tbsCertificate.issuer }
    public var subject: DistinguishedName { tbsCertificate.subject }
    public var notBefore: Date { tbsCertificate.validity.notBefore.date }
    public var notAfter: Date { tbsCertificate.validity.notAfter.date }
    public var extensions: Extensions { tbsCertificate.extensions }

    public var publicKey: PublicKey {
        get throws {
            if let key = storage.decodedKey { return key }
            let key = try PublicKey(subjectPublicKeyInfo: tbsCertificate.subjectPublicKeyInfo)
            storage.decodedKey = key
            return key
        }
    }

    /// `SEQUENCE { issuer, serialNumber }` (CMS IssuerAndSerialNumber) copied from the encoded TBSCertificate,
    /// which is what verifiers compare against; nil when the TBSCertificate cannot be walked.
    var issuerAndSerialNumberDER: [UInt8]? {
        storage.issuerAndSerialNumberDER {
            // TBSCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer, ... }
            var outer = TLVReader(tbsBytes, what: "TBSCertificate")
            guard let tbs = try? outer.next(), tbs.firstOctet == 0x30 else { return nil }
            var fields = TLVReader(tbs.content, what: "TBSCertificate")
            guard var serial = try? fields.next() else { return nil }
            if serial.firstOctet == 0xA0 {
                guard let next = try? fields.next() else { return nil }
                serial = next
            }
            guard serial.firstOctet == 0x02, (try? fields.next())?.firstOctet == 0x30,
                  let issuer = try? fields.next(), issuer.firstOctet == 0x30 else { return nil }
            return DERLength.wrap(0x30, Array(issuer.encoded) + Array(serial.encoded))
        }
    }

    public var signatureAlgorithmValue: SignatureAlgorithm {
        get throws { try SignatureAlgorithm(algorithmIdentifier: signatureAlgorithm) }
    }

    // The key identifiers and basic constraints are asked of every certificate several times on its way through an
    // import (kind, lint, issuer matching, the stored row): decoded once.
    public var subjectKeyIdentifier: [UInt8]? {
        storage.memo(\.subjectKeyIdentifier) { (try? extensions.value(SubjectKeyIdentifier.self))??.keyIdentifier }
    }
    public var authorityKeyIdentifier: [UInt8]? {
        storage.memo(\.authorityKeyIdentifier) { (try? extensions.value(AuthorityKeyIdentifier.self))??.keyIdentifier }
    }
    public var keyUsage: KeyUsage? { (try? extensions.value(KeyUsage.self)) ?? nil }
    public var basicConstraints: BasicConstraints? { storage.memo(\.basicConstraints) { (try? extensions.value(BasicConstraints.self)) ?? nil } }
    public var privateKeyUsagePeriod: PrivateKeyUsagePeriod? { (try? extensions.value(PrivateKeyUsagePeriod.self)) ?? nil }
    public var extendedKeyUsage: ExtendedKeyUsage? { (try? extensions.value(ExtendedKeyUsage.self)) ?? nil }
    public var documentTypeList: DocumentTypeList? { (try? extensions.value(DocumentTypeList.self)) ?? nil }
    public var subjectAlternativeName: SubjectAlternativeName? { (try? extensions.value(SubjectAlternativeName.self)) ?? nil }

    public var isSelfIssued: Bool { issuer.isEquivalent(to: subject) }

    /// Whether `issuer` can have issued this certificate: the names match and, when both carry them,
    /// the authority key identifier equals the issuer's subject key identifier.
    public func mayBeIssued(by issuer: Certificate) -> Bool {
        if let aki = authorityKeyIdentifier, let ski = issuer.subjectKeyIdentifier, aki != ski { return false }
        return self.issuer.isEquivalent(to: issuer.subject)
    }

    /// Checks the signature with the issuer's public key, whatever its parameter encoding (explicit EC
    /// parameters included). Throws when the algorithm is unsupported or does not fit the key.
    public func isSignatureValid(issuerKey: PublicKey) throws -> Bool {
        let algorithm = try signatureAlgorithmValue
        return try issuerKey.isValidSignature(try signatureBytes(for: algorithm), for: tbsBytes, algorithm: algorithm)
    }

    /// The signature in the form OpenSSL checks; a BIT STRING with unused bits cannot hold one.
    func signatureBytes(for algorithm: SignatureAlgorithm) throws -> ArraySlice<UInt8> {
        guard signatureValue.paddingBits == 0 else {
            throw PKIError.malformed("certificate signature", "BIT STRING has \(signatureValue.paddingBits) unused bits")
        }
        return signatureValue.bytes
    }

    /// Where the encoding departs from strict DER and RFC 5280: reported, not rejected.
    public var encodingDeviations: [String] {
        var found: [String] = []
        var serializer = DER.Serializer()
        if (try? serializer.serialize(tbsCertificate)) == nil || serializer.serializedBytes[...] != tbsBytes {
            found.append("tbsCertificate is not DER-encoded as received (re-encoding differs)")
        }
        if let first = serialNumber.first, first & 0x80 != 0 { found.append("serialNumber is negative") }
        if serialNumber.count > 20 { found.append("serialNumber is longer than 20 octets (\(serialNumber.count))") }
        if serialNumber.allSatisfy({ $0 == 0 }) { found.append("serialNumber is zero") }
        if signatureAlgorithm != tbsCertificate.signature {
            found.append("signatureAlgorithm differs from tbsCertificate.signature")
        }
        if let algorithm = try? signatureAlgorithmValue, algorithm.isECDSA, signatureAlgorithm.parameters != nil {
            found.append("ECDSA AlgorithmIdentifier has parameters (RFC 5758 says absent)")
        }
        if tbsCertificate.version != 2 { found.append("version is not v3") }
        for ext in extensions where ext.encodedDefaultCritical {
            found.append("extension \(ext.oid.displayName) encodes the default critical FALSE")
        }
        return found
    }

    public var description: String {
        "Certificate(subject: \(subject), issuer: \(issuer), serial: \(serialNumberHex))"
    }

    public static func == (lhs: Certificate, rhs: Certificate) -> Bool {
        lhs.storage === rhs.storage || EncodingKey(lhs.encoded) == EncodingKey(rhs.encoded)
    }
    public func hash(into hasher: inout Hasher) { EncodingKey(encoded).hash(into: &hasher) }
}

extension Collection where Element == UInt8 {
    /// Upper-case hex without separators, as serial numbers and key identifiers are shown.
    public var hexString: String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    /// Parses hex, ignoring spaces and colons; nil on any other character.
    public init?(hex: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for character in hex.utf8 {
            let value: UInt8
            switch character {
            case UInt8(ascii: " "), UInt8(ascii: ":"): continue
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = character - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = high { bytes.append(h << 4 | value); high = nil } else { high = value }
        }
        guard high == nil else { return nil }
        self = bytes
    }
}

extension Certificate {
    /// The decoded fields and the public key, decoded on first use: OpenSSL's decode costs as much as a signature
    /// check, and a verifier asks for the same certificate's key again and again.
    final class Storage: @unchecked Sendable {
        let tbsCertificate: TBSCertificate
        let signatureAlgorithm: AlgorithmIdentifier
        let signatureValue: ASN1BitString
        let tbsBytes: ArraySlice<UInt8>
        let encoded: ArraySlice<UInt8>
        private let lock = NSLock()
        private var key: PublicKey?
        private var issuerAndSerialNumber: [UInt8]??
        fileprivate var subjectKeyIdentifier: [UInt8]??
        fileprivate var authorityKeyIdentifier: [UInt8]??
        fileprivate var basicConstraints: BasicConstraints??

        init(tbsCertificate: TBSCertificate, signatureAlgorithm: AlgorithmIdentifier, signatureValue: ASN1BitString,
             tbsBytes: ArraySlice<UInt8>, encoded: ArraySlice<UInt8>) {
            self.tbsCertificate = tbsCertificate
            self.signatureAlgorithm = signatureAlgorithm
            self.signatureValue = signatureValue
            self.tbsBytes = tbsBytes
            self.encoded = encoded
        }

        var decodedKey: PublicKey? {
            get { lock.lock(); defer { lock.unlock() }; return key }
            set { lock.lock(); key = newValue; lock.unlock() }
        }

        /// A field read from the certificate, decoded the first time it is asked for.
        fileprivate func memo<T>(_ field: ReferenceWritableKeyPath<Storage, T??>, _ compute: () -> T?) -> T? {
            if let known = lock.withLock({ self[keyPath: field] }) { return known }
            let computed = compute()
            lock.withLock { self[keyPath: field] = .some(computed) }
            return computed
        }

        /// `compute()` once; every SOD a DS signs names its certificate by these bytes.
        func issuerAndSerialNumberDER(_ compute: () -> [UInt8]?) -> [UInt8]? {
            if let known = lock.withLock({ issuerAndSerialNumber }) { return known }
            let computed = compute()
            lock.withLock { issuerAndSerialNumber = .some(computed) }
            return computed
        }
    }
}

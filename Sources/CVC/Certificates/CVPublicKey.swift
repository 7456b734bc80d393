import PKICore
import SwiftASN1

/// The public key data object of a CV certificate or request (TR-03110-3 D.3).
///
/// ```
/// 7F49 Public Key
///   06 id-TA OID         key type and the signature scheme the key makes
///   RSA (D.3.1):   81 n (modulus), 82 e (public exponent)
///   EC  (D.3.3):   81 p, 82 a, 83 b, 84 G, 85 r, 86 Y, 87 f     -- in this fixed order;
///                  p..r (and optionally f) all present or all absent: only 86 Y, the public point, is required
/// ```
/// Self-signed CVCA certificates and requests carry the domain parameters; DV and terminal certificates must not,
/// and inherit them from the CVCA. The components are unsigned big-endian values, not ASN.1 INTEGERs.
public struct CVPublicKey: Hashable, Sendable {
    public enum Key: Hashable, Sendable {
        case rsa(modulus: [UInt8], exponent: [UInt8])
        /// `publicPoint` is the uncompressed point 04 ‖ x ‖ y.
        case ec(domainParameters: CVDomainParameters?, publicPoint: [UInt8])
    }

    public var algorithm: TerminalAuthenticationAlgorithm
    public var key: Key

    public init(algorithm: TerminalAuthenticationAlgorithm, key: Key) throws {
        switch key {
        case .rsa where algorithm.isECDSA, .ec where !algorithm.isECDSA:
            throw CVCError(.keyMismatch, "\(algorithm) does not fit a key of this type")
        default: break
        }
        self.algorithm = algorithm
        self.key = key
    }

    /// The CV form of a PKICore public key (from a `Signer`), with or without its domain parameters.
    public init(_ publicKey: PublicKey, algorithm: TerminalAuthenticationAlgorithm, includeDomainParameters: Bool) throws {
        let spki = publicKey.subjectPublicKeyInfo
        switch publicKey.kind {
        case .ec:
            guard algorithm.isECDSA else {
                throw CVCError(.keyMismatch, "an EC key cannot make \(algorithm) signatures")
            }
            let point = Array(spki.subjectPublicKey.bytes)
            guard point.first == 0x04 else {
                throw CVCError(.invalidValue, "the EC public point is not in uncompressed form, which CV certificates require")
            }
            var parameters: CVDomainParameters? = nil
            if includeDomainParameters {
                switch spki.ecDomain {
                case .named(let oid):
                    guard let curve = ECCurve(oid: oid) else {
                        throw CVCError(.domainParameters, "the key's named curve \(oid) is not one epki knows")
                    }
                    parameters = try CVDomainParameters(curve: curve)
                case .explicit(let explicit):
                    parameters = CVDomainParameters(explicit)
                case .unreadable, .none:
                    throw CVCError(.domainParameters, "the key's EC domain parameters cannot be read")
                }
            }
            try self.init(algorithm: algorithm, key: .ec(domainParameters: parameters, publicPoint: point))
        case .rsa:
            guard !algorithm.isECDSA else {
                throw CVCError(.keyMismatch, "an RSA key cannot make \(algorithm) signatures")
            }
            let (modulus, exponent) = try Self.rsaComponents(Array(spki.subjectPublicKey.bytes))
            try self.init(algorithm: algorithm, key: .rsa(modulus: modulus, exponent: exponent))
        }
    }

    /// A bare public key data object (7F49), as some tools store keys.
    public init(encoded bytes: [UInt8]) throws {
        try self.init(TLVReader.single(bytes, .publicKey, context: "public key"), context: "public key")
    }

    /// Reads the content of a 7F49 object found at `object.offset`.
    init(_ object: TLVObject, context: String) throws {
        let where_ = "\(context), public key at offset \(object.offset)"
        var reader = try object.children(where_)
        let oidObject = try reader.expect(.objectIdentifier)
        let oid = try oidObject.objectIdentifier(where_)
        guard let algorithm = TerminalAuthenticationAlgorithm(oid: oid) else {
            throw CVCError(
                .unsupportedAlgorithm, "\(where_): \(oid) is not an id-TA signature algorithm (offset \(oidObject.offset))",
                offset: oidObject.offset)
        }
        var components: [TLVObject] = []
        while let component = try reader.next() {
            guard component.tag >= 0x81, component.tag <= 0x87 else {
                throw CVCError(
                    .unexpectedTag, "\(where_): unexpected \(CVTag.named(component.tag)) at offset \(component.offset)",
                    offset: component.offset)
            }
            guard !component.value.isEmpty else {
                throw CVCError(.invalidValue, "\(where_): component \(CVTag.hex(component.tag)) at offset \(component.offset) is empty", offset: component.offset)
            }
            components.append(component)
        }
        let tags = components.map(\.tag)
        let found = tags.map { CVTag.hex($0) }.joined(separator: ", ")
        if algorithm.isECDSA {
            let point: TLVObject
            var parameters: CVDomainParameters? = nil
            switch tags {
            case [0x86]:
                point = components[0]
            case [0x81, 0x82, 0x83, 0x84, 0x85, 0x86], [0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87]:
                point = components[5]
                parameters = CVDomainParameters(
                    prime: Array(components[0].value), a: Array(components[1].value), b: Array(components[2].value),
                    basePoint: Array(components[3].value), order: Array(components[4].value),
                    cofactor: components.count == 7 ? Array(components[6].value) : nil)
                guard components[3].value.first == 0x04 else {
                    throw CVCError(.invalidValue, "\(where_): base point G at offset \(components[3].offset) is not uncompressed", offset: components[3].offset)
                }
            default:
                throw CVCError(
                    .domainParameters,
                    "\(where_): an EC key holds 86 alone or 81, 82, 83, 84, 85, 86 [, 87] in this order; found \(found.isEmpty ? "nothing" : found)",
                    offset: object.offset)
            }
            guard point.value.first == 0x04, point.value.count % 2 == 1 else {
                throw CVCError(.invalidValue, "\(where_): public point Y at offset \(point.offset) is not an uncompressed point", offset: point.offset)
            }
            self.algorithm = algorithm
            self.key = .ec(domainParameters: parameters, publicPoint: Array(point.value))
        } else {
            guard tags == [0x81, 0x82] else {
                throw CVCError(
                    .unexpectedTag, "\(where_): an RSA key holds 81 (n) and 82 (e) in this order; found \(found.isEmpty ? "nothing" : found)",
                    offset: object.offset)
            }
            self.algorithm = algorithm
            self.key = .rsa(modulus: Array(components[0].value), exponent: Array(components[1].value))
        }
    }

    func write(into writer: inout TLVWriter) throws {
        try writer.appendConstructed(.publicKey) { writer in
            try writer.append(algorithm.oid)
            switch key {
            case .rsa(let modulus, let exponent):
                try writer.append(.rsaModulus, modulus)
                try writer.append(.rsaExponent, exponent)
            case .ec(let parameters, let point):
                if let parameters {
                    try writer.append(.ecPrime, parameters.prime)
                    try writer.append(.ecCoefficientA, parameters.a)
                    try writer.append(.ecCoefficientB, parameters.b)
                    try writer.append(.ecBasePoint, parameters.basePoint)
                    try writer.append(.ecOrder, parameters.order)
                }
                try writer.append(.ecPublicPoint, point)
                if let cofactor = parameters?.cofactor { try writer.append(.ecCofactor, cofactor) }
            }
        }
    }

    /// The 7F49 data object.
    public var encoded: [UInt8] {
        get throws {
            var writer = TLVWriter()
            try write(into: &writer)
            return writer.bytes
        }
    }

    public var isEC: Bool {
        if case .ec = key { return true }
        return false
    }

    /// The domain parameters the key carries itself (nil for RSA keys and for EC keys that inherit them).
    public var domainParameters: CVDomainParameters? {
        if case .ec(let parameters, _) = key { return parameters }
        return nil
    }

    public var hasDomainParameters: Bool { domainParameters != nil }

    /// The same key without domain parameters, as DV and terminal certificates carry it.
    public var withoutDomainParameters: CVPublicKey {
        guard case .ec(_, let point) = key else { return self }
        var copy = self
        copy.key = .ec(domainParameters: nil, publicPoint: point)
        return copy
    }

    /// The same key carrying `parameters`.
    public func with(domainParameters parameters: CVDomainParameters) -> CVPublicKey {
        guard case .ec(_, let point) = key else { return self }
        var copy = self
        copy.key = .ec(domainParameters: parameters, publicPoint: point)
        return copy
    }

    /// The key in PKICore's form, for OpenSSL. An EC key without domain parameters takes `inherited` (those of
    /// its CVCA); the key is always given to OpenSSL with explicit parameters, so unnamed curves work too.
    public func publicKey(inheriting inherited: CVDomainParameters? = nil) throws -> PublicKey {
        let spki: SubjectPublicKeyInfo
        switch key {
        case .rsa(let modulus, let exponent):
            var serializer = DER.Serializer()
            serializer.appendConstructedNode(identifier: .sequence) { coder in
                Self.appendUnsigned(modulus, into: &coder)
                Self.appendUnsigned(exponent, into: &coder)
            }
            spki = SubjectPublicKeyInfo(
                algorithm: .withNullParameters(.PublicKeyAlgorithm.rsaEncryption),
                subjectPublicKey: ASN1BitString(bytes: serializer.serializedBytes[...]))
        case .ec(let own, let point):
            guard let parameters = own ?? inherited else {
                throw CVCError(.domainParameters, "the EC key has no domain parameters and none are inherited from a CVCA")
            }
            // A curve OpenSSL knows by name loads several times faster than explicit parameters (which it must
            // check), so the named form is used whenever the parameters are exactly a known curve.
            let domain: ASN1Any = try parameters.curve.map { try ASN1Any(erasing: $0.oid) } ?? ASN1Any(erasing: parameters.ecDomainParameters)
            spki = SubjectPublicKeyInfo(
                algorithm: AlgorithmIdentifier(algorithm: .PublicKeyAlgorithm.ecPublicKey, parameters: domain),
                subjectPublicKey: ASN1BitString(bytes: point[...]))
        }
        do {
            return try PublicKey(subjectPublicKeyInfo: spki)
        } catch let error as PKIError {
            throw CVCError(.keyMismatch, "OpenSSL does not accept the key: \(error.reason)")
        }
    }

    /// What a signature check found.
    public enum SignatureVerdict: Hashable, Sendable {
        case valid
        /// The signature verifies, but not as TR-03110 prescribes (the reason says how); a report shows it as a
        /// warning.
        case validWithDeviation(String)
        case invalid

        public var isValid: Bool { self != .invalid }
    }

    /// Checks a signature made with this key's scheme over `message`. ECDSA signatures are plain r‖s, each half
    /// as long as the curve order. Throws only when the check cannot be made (no domain parameters, a key
    /// OpenSSL refuses).
    ///
    /// RSA-PSS is checked first with the salt TR-03110-3 A.7.3.1 prescribes (as long as the hash). OpenPACE signs
    /// with OpenSSL's default, the longest salt that fits; such a signature is accepted as a deviation.
    public func verifySignature(_ signature: [UInt8], for message: some Collection<UInt8>, inheriting inherited: CVDomainParameters? = nil) throws -> SignatureVerdict {
        try verifySignature(
            signature, for: message, using: publicKey(inheriting: inherited), orderLength: (domainParameters ?? inherited)?.orderLength ?? 0)
    }

    /// The check with this key already given to OpenSSL as `key` (a chain uses each key for the next certificate
    /// and, for the anchor, its own: building it once saves a third of the work besides the arithmetic).
    func verifySignature(_ signature: [UInt8], for message: some Collection<UInt8>, using key: PublicKey, orderLength: Int) throws -> SignatureVerdict {
        let data = Array(message)
        var signatureBytes = signature
        if algorithm.isECDSA {
            guard signature.count == 2 * orderLength, let plain = try? ECDSASignature(plain: signature) else { return .invalid }
            signatureBytes = plain.derEncoded
        }
        do {
            if try key.isValidSignature(signatureBytes, for: data, algorithm: algorithm.signatureAlgorithm) { return .valid }
            if case .rsaPSS(let parameters) = algorithm.signatureAlgorithm {
                // -2 is OpenSSL's RSA_PSS_SALTLEN_AUTO: take the salt length from the signature itself.
                let anySalt = RSASSAPSSParameters(hash: parameters.hash, mgf1Hash: parameters.mgf1Hash, saltLength: -2)
                if try key.isValidSignature(signatureBytes, for: data, algorithm: .rsaPSS(anySalt)) {
                    return .validWithDeviation("the RSA-PSS salt is not \(parameters.saltLength) bytes long (the hash length TR-03110-3 A.7.3.1 prescribes)")
                }
            }
            return .invalid
        } catch let error as PKIError {
            throw CVCError(.cryptoFailure, "cannot check a \(algorithm) signature: \(error.reason)")
        }
    }

    /// Whether the signature verifies (deviations from the profile included; see `verifySignature`).
    public func isValidSignature(_ signature: [UInt8], for message: some Collection<UInt8>, inheriting inherited: CVDomainParameters? = nil) throws -> Bool {
        try verifySignature(signature, for: message, inheriting: inherited).isValid
    }

    /// Same key material, whatever domain parameters either copy carries.
    public func isSameKey(as other: CVPublicKey) -> Bool {
        switch (key, other.key) {
        case (.rsa(let n1, let e1), .rsa(let n2, let e2)):
            return CVDomainParameters.minimal(n1) == CVDomainParameters.minimal(n2) && CVDomainParameters.minimal(e1) == CVDomainParameters.minimal(e2)
        case (.ec(_, let p1), .ec(_, let p2)):
            return p1 == p2
        default:
            return false
        }
    }

    /// For reports: `EC brainpoolP256r1, id-TA-ECDSA-SHA-256` or `RSA 2048, id-TA-RSA-PSS-SHA-256`.
    public func summary(inheriting inherited: CVDomainParameters? = nil) -> String {
        switch key {
        case .rsa(let modulus, _):
            return "RSA \(CVDomainParameters.minimal(modulus).count * 8), \(algorithm)"
        case .ec(let own, _):
            let curve = (own ?? inherited)?.displayName ?? "inherited domain parameters"
            return "EC \(curve)\(own == nil ? "" : " (parameters included)"), \(algorithm)"
        }
    }

    /// n and e from a DER RSAPublicKey (PKCS#1: SEQUENCE { modulus INTEGER, publicExponent INTEGER }).
    static func rsaComponents(_ der: [UInt8]) throws -> ([UInt8], [UInt8]) {
        do {
            let node = try DER.parse(der)
            return try DER.sequence(node, identifier: .sequence) { nodes in
                var values: [[UInt8]] = []
                for _ in 0..<2 {
                    guard let next = nodes.next(), next.identifier == .integer, case .primitive(let bytes) = next.content else {
                        throw CVCError(.invalidValue, "RSAPublicKey does not hold two INTEGERs")
                    }
                    values.append(CVDomainParameters.minimal(Array(bytes)))
                }
                return (values[0], values[1])
            }
        } catch let error as CVCError {
            throw error
        } catch {
            throw CVCError(.invalidValue, "the RSA public key cannot be read: \(error)")
        }
    }

    /// A non-negative INTEGER from an unsigned magnitude: a 00 in front when the top bit is set.
    private static func appendUnsigned(_ magnitude: [UInt8], into coder: inout DER.Serializer) {
        let value = CVDomainParameters.minimal(magnitude)
        coder.appendPrimitiveNode(identifier: .integer) { out in
            if let first = value.first, first & 0x80 != 0 { out.append(0) }
            out.append(contentsOf: value.isEmpty ? [0] : value)
        }
    }
}

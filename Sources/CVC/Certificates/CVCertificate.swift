/// A card-verifiable certificate (TR-03110-3 C.1, Table 23).
///
/// ```
/// 7F21 CV Certificate
///   7F4E Certificate Body     see CertificateBody
///   5F37 Signature            over the encoded 7F4E (tag, length and value), by the key the CAR names:
///                             ECDSA plain r ‖ s (TR-03111), RSA PKCS#1 v1.5 or PSS, per that key's id-TA OID
/// ```
/// Decoding is strict (fixed order, minimal lengths, nothing extra), so a decoded certificate encodes back to
/// the very bytes it came from, and the signature is checked over the body as received.
public struct CVCertificate: Hashable, Sendable, CustomStringConvertible {
    public var body: CertificateBody
    public var signature: [UInt8]

    public init(body: CertificateBody, signature: [UInt8]) {
        self.body = body
        self.signature = signature
    }

    /// Decodes one certificate; the input must hold nothing else.
    public init(encoded bytes: [UInt8]) throws {
        try self.init(TLVReader.single(bytes, .cvCertificate, context: "CV certificate"), context: "CV certificate")
        // Every field is read strictly, so this holds for all accepted input; checking it keeps the promise that
        // the signature is checked over exactly the bytes received.
        guard try encoded == bytes else {
            throw CVCError(.malformedEncoding, "CV certificate: the input is not in the canonical encoding (it does not re-encode to the same bytes)")
        }
    }

    /// Decodes the data of PSO:Verify Certificate (TR-03110-3 B.11.5): the body and the signature as they follow
    /// each other inside 7F21, without that wrapper.
    public init(bodyAndSignature bytes: [UInt8]) throws {
        var writer = TLVWriter()
        try writer.append(.cvCertificate, bytes)
        try self.init(encoded: writer.bytes)
    }

    /// The content of the 7F21 object (7F4E ‖ 5F37): what PSO:Verify Certificate sends.
    public var bodyAndSignature: [UInt8] {
        get throws {
            var writer = TLVWriter()
            try body.write(into: &writer)
            try writer.append(.signature, signature)
            return writer.bytes
        }
    }

    init(_ object: TLVObject, context: String) throws {
        var reader = try object.children(context)
        body = try CertificateBody(reader.expect(.certificateBody), context: context)
        let signatureObject = try reader.expect(.signature)
        guard !signatureObject.value.isEmpty else {
            throw CVCError(.invalidValue, "\(context): the signature at offset \(signatureObject.offset) is empty", offset: signatureObject.offset)
        }
        signature = Array(signatureObject.value)
        try reader.expectEnd()
    }

    func write(into writer: inout TLVWriter) throws {
        try writer.appendConstructed(.cvCertificate) { writer in
            try body.write(into: &writer)
            try writer.append(.signature, signature)
        }
    }

    /// The 7F21 data object.
    public var encoded: [UInt8] {
        get throws {
            var writer = TLVWriter()
            try write(into: &writer)
            return writer.bytes
        }
    }

    public var car: String { body.car }
    public var chr: String { body.chr }
    public var chat: CertificateHolderAuthorizationTemplate { body.chat }
    public var role: CertificateHolderAuthorizationTemplate.Role { body.chat.role }
    public var publicKey: CVPublicKey { body.publicKey }
    public var isSelfSigned: Bool { body.isSelfSigned }

    /// Checks the signature with the issuer's public key. `inherited` gives the issuer key's domain parameters
    /// when its certificate does not carry them (a DV key signing a terminal certificate). Returns false for a
    /// wrong signature; throws when the check cannot be made (no domain parameters, key OpenSSL refuses).
    public func isSignatureValid(issuerKey: CVPublicKey, inheriting inherited: CVDomainParameters? = nil) throws -> Bool {
        try issuerKey.isValidSignature(signature, for: body.encoded, inheriting: inherited)
    }

    /// The signature check with its deviations, for reports.
    public func verifySignature(issuerKey: CVPublicKey, inheriting inherited: CVDomainParameters? = nil) throws -> CVPublicKey.SignatureVerdict {
        try issuerKey.verifySignature(signature, for: body.encoded, inheriting: inherited)
    }

    /// Checks the signature of a self-signed certificate with its own key and parameters.
    public func isSelfSignatureValid() throws -> Bool {
        try isSignatureValid(issuerKey: body.publicKey)
    }

    /// `ZZDVIS00001 (DV (domestic)) issued by ZZCVCA00001`.
    public var description: String {
        "\(chr) (\(role)) issued by \(car)"
    }
}

import PKICore

/// A CV certificate request (TR-03110-3 C.2, Table 24), plain or authenticated.
///
/// ```
/// 67 Authentication                   -- only when there is an outer signature
///   7F21 CV Certificate
///     7F4E Certificate Body           see CertificateRequestBody
///     5F37 Signature                  inner signature: over the encoded 7F4E, by the requested key itself
///   42   CAR                          names the key that made the outer signature
///   5F37 Signature                    outer signature: over encoded 7F21 ‖ encoded 42 (both with tag and length)
/// ```
/// The inner signature is required. The outer one is optional for an initial request (another trusted entity,
/// e.g. the national CVCA, may add it) and required for a successive one, made with a still valid key already
/// registered with the receiving CA.
public struct CVCertificateRequest: Hashable, Sendable, CustomStringConvertible {
    /// The outer part of an authenticated request.
    public struct OuterAuthentication: Hashable, Sendable {
        /// The CHR of the certificate whose key made the outer signature.
        public var car: String
        public var signature: [UInt8]

        public init(car: String, signature: [UInt8]) {
            self.car = car
            self.signature = signature
        }
    }

    public var body: CertificateRequestBody
    public var innerSignature: [UInt8]
    public var outer: OuterAuthentication?

    public init(body: CertificateRequestBody, innerSignature: [UInt8], outer: OuterAuthentication? = nil) {
        self.body = body
        self.innerSignature = innerSignature
        self.outer = outer
    }

    /// Decodes a plain (7F21) or authenticated (67) request; the input must hold nothing else.
    public init(encoded bytes: [UInt8]) throws {
        let context = "CV certificate request"
        let reader = TLVReader(bytes[...], context: context)
        guard let first = try reader.peek() else {
            throw CVCError(.malformedEncoding, "\(context): the input is empty", offset: 0)
        }
        if first.tag == CVTag.authentication.value {
            let authentication = try TLVReader.single(bytes, .authentication, context: context)
            var inner = try authentication.children("\(context), authentication at offset 0")
            (body, innerSignature) = try Self.readInner(inner.expect(.cvCertificate), context: context)
            let car = try ReferenceField.decode(inner.expect(.certificationAuthorityReference), .certificationAuthorityReference, context: "\(context), outer")
            let signature = try inner.expect(.signature)
            guard !signature.value.isEmpty else {
                throw CVCError(.invalidValue, "\(context): the outer signature at offset \(signature.offset) is empty", offset: signature.offset)
            }
            try inner.expectEnd()
            outer = OuterAuthentication(car: car, signature: Array(signature.value))
        } else {
            (body, innerSignature) = try Self.readInner(TLVReader.single(bytes, .cvCertificate, context: context), context: context)
            outer = nil
        }
        guard try encoded == bytes else {
            throw CVCError(.malformedEncoding, "\(context): the input is not in the canonical encoding (it does not re-encode to the same bytes)")
        }
    }

    private static func readInner(_ object: TLVObject, context: String) throws -> (CertificateRequestBody, [UInt8]) {
        var reader = try object.children(context)
        let body = try CertificateRequestBody(reader.expect(.certificateBody), context: context)
        let signature = try reader.expect(.signature)
        guard !signature.value.isEmpty else {
            throw CVCError(.invalidValue, "\(context): the inner signature at offset \(signature.offset) is empty", offset: signature.offset)
        }
        try reader.expectEnd()
        return (body, Array(signature.value))
    }

    /// The inner 7F21 data object.
    public var innerEncoded: [UInt8] {
        get throws {
            var writer = TLVWriter()
            try writer.appendConstructed(.cvCertificate) { writer in
                try body.write(into: &writer)
                try writer.append(.signature, innerSignature)
            }
            return writer.bytes
        }
    }

    /// What the outer signature covers: encoded 7F21 ‖ encoded 42 (outer CAR).
    public func outerSignedBytes(car: String) throws -> [UInt8] {
        var writer = TLVWriter()
        writer.appendEncoded(try innerEncoded)
        try writer.append(.certificationAuthorityReference, ReferenceField.encode(car, .certificationAuthorityReference))
        return writer.bytes
    }

    /// The request as sent: 67 {7F21, 42, 5F37} when authenticated, the 7F21 alone otherwise.
    public var encoded: [UInt8] {
        get throws {
            guard let outer else { return try innerEncoded }
            var writer = TLVWriter()
            try writer.appendConstructed(.authentication) { writer in
                writer.appendEncoded(try outerSignedBytes(car: outer.car))
                try writer.append(.signature, outer.signature)
            }
            return writer.bytes
        }
    }

    public var chr: String { body.chr }
    public var car: String? { body.car }
    public var publicKey: CVPublicKey { body.publicKey }
    public var isAuthenticated: Bool { outer != nil }

    /// Checks the inner signature with the requested key and its own domain parameters (a conforming request
    /// always carries them; `inherited` serves the ones that do not).
    public func isInnerSignatureValid(inheriting inherited: CVDomainParameters? = nil) throws -> Bool {
        try body.publicKey.isValidSignature(innerSignature, for: body.encoded, inheriting: inherited)
    }

    /// Checks the outer signature with the key of the certificate named by `outer.car`. False when the request
    /// has no outer signature or the signature is wrong.
    public func isOuterSignatureValid(key: CVPublicKey, inheriting inherited: CVDomainParameters? = nil) throws -> Bool {
        guard let outer else { return false }
        return try key.isValidSignature(outer.signature, for: outerSignedBytes(car: outer.car), inheriting: inherited)
    }

    /// Creates a plain request for the signer's key, self-signed with `algorithm` (the scheme the new key will
    /// use; it goes into the request's public key). EC domain parameters are always included.
    public static func create(
        chr: CertificationAuthorityReference, car: CertificationAuthorityReference? = nil, signer: any Signer,
        algorithm: TerminalAuthenticationAlgorithm, extensions: CertificateExtensions? = nil
    ) throws -> CVCertificateRequest {
        let key = try CVPublicKey(signer.publicKey, algorithm: algorithm, includeDomainParameters: true)
        let body = CertificateRequestBody(car: car?.description, publicKey: key, chr: chr.description, extensions: extensions)
        let signature = try CVSigning.sign(body.encoded, with: signer, algorithm: algorithm)
        return CVCertificateRequest(body: body, innerSignature: signature)
    }

    /// The same request with an outer signature by `signer`, whose certificate is `car`; `algorithm` is the
    /// id-TA algorithm of that certificate's key. Replaces an outer signature already there.
    public func authenticated(by signer: any Signer, car: String, algorithm: TerminalAuthenticationAlgorithm) throws -> CVCertificateRequest {
        let signature = try CVSigning.sign(outerSignedBytes(car: car), with: signer, algorithm: algorithm)
        var copy = self
        copy.outer = OuterAuthentication(car: car, signature: signature)
        return copy
    }

    /// Authenticated with the key of `certificate` (its CHR becomes the outer CAR, its key's OID the scheme).
    public func authenticated(by signer: any Signer, certificate: CVCertificate) throws -> CVCertificateRequest {
        try CVCertificateBuilder.checkSigner(signer, matches: certificate)
        return try authenticated(by: signer, car: certificate.chr, algorithm: certificate.publicKey.algorithm)
    }

    /// `ZZDVIS00002 (authenticated by ZZDVIS00001)`.
    public var description: String {
        "request \(chr)" + (outer.map { " authenticated by \($0.car)" } ?? "")
    }
}

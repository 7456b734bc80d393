import PKICore

/// Builds and signs CV certificates through a `Signer`, so a software key and an HSM key sign the same bytes.
///
/// The signature scheme always follows the id-TA OID of the *issuer's* key (the key in the certificate named by
/// the CAR); ECDSA signatures are written as plain r‖s, RSA as PKCS#1 v1.5 or PSS. Hierarchy rules of
/// TR-03110-3 are enforced here (a DV is certified by a CVCA, a terminal by a DV; DV and terminal keys carry no
/// domain parameters and must use the CVCA's); policy (validity periods, which rights a DV may get) is the
/// caller's.
public enum CVCertificateBuilder {
    /// Signs a body with the issuer's key. `algorithm` is the id-TA algorithm of that key (for a self-signed
    /// certificate, the body's own). SHA-1 schemes are refused: epki verifies them but never signs with them.
    public static func sign(_ body: CertificateBody, with signer: any Signer, algorithm: TerminalAuthenticationAlgorithm) throws -> CVCertificate {
        guard body.effectiveDate <= body.expirationDate else {
            throw CVCError(.invalidValue, "\(body.chr): expiration date \(body.expirationDate) is before the effective date \(body.effectiveDate)")
        }
        let signature = try CVSigning.sign(body.encoded, with: signer, algorithm: algorithm)
        return CVCertificate(body: body, signature: signature)
    }

    /// A self-signed CVCA certificate: role CVCA, domain parameters included, CAR = CHR. `rights` are the access
    /// rights the CVCA may delegate (for id-IS: DG3 and/or DG4; role bits are set here).
    public static func selfSignedCVCA(
        signer: any Signer, algorithm: TerminalAuthenticationAlgorithm, chr: CertificationAuthorityReference,
        terminalType: CertificateHolderAuthorizationTemplate.TerminalType = .inspectionSystem, rights: [UInt8],
        effectiveDate: CVDate, expirationDate: CVDate, extensions: CertificateExtensions? = nil
    ) throws -> CVCertificate {
        let key = try CVPublicKey(signer.publicKey, algorithm: algorithm, includeDomainParameters: true)
        let chat = try template(terminalType, role: .cvca, rights: rights)
        let body = CertificateBody(
            car: chr.description, publicKey: key, chr: chr.description, chat: chat, effectiveDate: effectiveDate,
            expirationDate: expirationDate, extensions: extensions)
        return try sign(body, with: signer, algorithm: algorithm)
    }

    /// A CVCA link certificate: the new CVCA key certified with the previous one (TR-03110-3 §2.4). Its CAR is
    /// the previous CHR, its role CVCA; the new key may use another algorithm or curve, and then carries its
    /// domain parameters (`includeDomainParameters`, on by default so the chip learns them).
    public static func link(
        newKey: PublicKey, newAlgorithm: TerminalAuthenticationAlgorithm, newCHR: CertificationAuthorityReference,
        rights: [UInt8]? = nil, effectiveDate: CVDate, expirationDate: CVDate, previous: CVCertificate,
        previousSigner: any Signer, previousDomainParameters: CVDomainParameters? = nil, includeDomainParameters: Bool = true,
        extensions: CertificateExtensions? = nil
    ) throws -> CVCertificate {
        guard previous.role == .cvca else {
            throw CVCError(.keyMismatch, "a link certificate is signed by a CVCA key; \(previous.chr) is a \(previous.role)")
        }
        try checkSigner(previousSigner, matches: previous)
        var key = try CVPublicKey(newKey, algorithm: newAlgorithm, includeDomainParameters: true)
        if !includeDomainParameters && key.isEC {
            // Without parameters the new key inherits the previous key's: only possible when the curve stays.
            guard let old = previousDomainParameters ?? previous.publicKey.domainParameters, let own = key.domainParameters,
                own.describesSameCurve(as: old)
            else {
                throw CVCError(.domainParameters, "a link certificate without domain parameters must keep the previous key's curve")
            }
            key = key.withoutDomainParameters
        }
        return try linkBody(key, newCHR, rights, effectiveDate, expirationDate, previous, previousSigner, extensions)
    }

    private static func linkBody(
        _ key: CVPublicKey, _ newCHR: CertificationAuthorityReference, _ rights: [UInt8]?, _ effectiveDate: CVDate,
        _ expirationDate: CVDate, _ previous: CVCertificate, _ previousSigner: any Signer, _ extensions: CertificateExtensions?
    ) throws -> CVCertificate {
        let chat = try rights.map { try template(previous.chat.terminalType, role: .cvca, rights: $0) } ?? previous.chat.with(role: .cvca)
        let body = CertificateBody(
            car: previous.chr, publicKey: key, chr: newCHR.description, chat: chat, effectiveDate: effectiveDate,
            expirationDate: expirationDate, extensions: extensions)
        return try sign(body, with: previousSigner, algorithm: previous.publicKey.algorithm)
    }

    /// A Document Verifier certificate signed by a CVCA key. `publicKey` is the DV's key as requested (its domain
    /// parameters, if any, must be the CVCA's and are left out); `role` is domestic or foreign.
    public static func documentVerifier(
        publicKey: CVPublicKey, chr: CertificationAuthorityReference, role: CertificateHolderAuthorizationTemplate.Role,
        rights: [UInt8], effectiveDate: CVDate, expirationDate: CVDate, issuer: CVCertificate, issuerSigner: any Signer,
        issuerDomainParameters: CVDomainParameters? = nil, extensions: CertificateExtensions? = nil
    ) throws -> CVCertificate {
        guard role.isDocumentVerifier else {
            throw CVCError(.invalidValue, "a DV certificate has the role DV (domestic or foreign), not \(role)")
        }
        guard issuer.role == .cvca else {
            throw CVCError(.keyMismatch, "a DV certificate is signed by a CVCA; \(issuer.chr) is a \(issuer.role)")
        }
        return try subordinate(
            publicKey, chr, template(issuer.chat.terminalType, role: role, rights: rights), effectiveDate, expirationDate,
            issuer, issuerSigner, issuerDomainParameters, extensions)
    }

    /// A terminal (inspection system) certificate signed by a DV key. `issuerDomainParameters` are the CVCA's,
    /// which the DV certificate does not carry; they are used to check a requested key's parameters.
    public static func terminal(
        publicKey: CVPublicKey, chr: CertificationAuthorityReference, rights: [UInt8], effectiveDate: CVDate,
        expirationDate: CVDate, issuer: CVCertificate, issuerSigner: any Signer, issuerDomainParameters: CVDomainParameters? = nil,
        extensions: CertificateExtensions? = nil
    ) throws -> CVCertificate {
        guard issuer.role.isDocumentVerifier else {
            throw CVCError(.keyMismatch, "a terminal certificate is signed by a DV; \(issuer.chr) is a \(issuer.role)")
        }
        return try subordinate(
            publicKey, chr, template(issuer.chat.terminalType, role: .terminal, rights: rights), effectiveDate, expirationDate,
            issuer, issuerSigner, issuerDomainParameters, extensions)
    }

    /// Certifies the key of a request (already checked with `CVRequestValidator`): a DV certificate when the
    /// issuer is a CVCA, a terminal certificate when it is a DV. The CHR is the request's; `role` applies to DVs
    /// (domestic or foreign) and is ignored for terminals.
    public static func certify(
        _ request: CVCertificateRequest, role: CertificateHolderAuthorizationTemplate.Role = .domesticDV, rights: [UInt8],
        effectiveDate: CVDate, expirationDate: CVDate, issuer: CVCertificate, issuerSigner: any Signer,
        issuerDomainParameters: CVDomainParameters? = nil, extensions: CertificateExtensions? = nil
    ) throws -> CVCertificate {
        let chr = try CertificationAuthorityReference(encoded: CharacterString.encode(request.chr, "CHR"))
        if issuer.role == .cvca {
            return try documentVerifier(
                publicKey: request.publicKey, chr: chr, role: role, rights: rights, effectiveDate: effectiveDate,
                expirationDate: expirationDate, issuer: issuer, issuerSigner: issuerSigner, issuerDomainParameters: issuerDomainParameters,
                extensions: extensions ?? request.body.extensions)
        }
        return try terminal(
            publicKey: request.publicKey, chr: chr, rights: rights, effectiveDate: effectiveDate, expirationDate: expirationDate,
            issuer: issuer, issuerSigner: issuerSigner, issuerDomainParameters: issuerDomainParameters,
            extensions: extensions ?? request.body.extensions)
    }

    private static func subordinate(
        _ publicKey: CVPublicKey, _ chr: CertificationAuthorityReference, _ chat: CertificateHolderAuthorizationTemplate,
        _ effectiveDate: CVDate, _ expirationDate: CVDate, _ issuer: CVCertificate, _ issuerSigner: any Signer,
        _ issuerDomainParameters: CVDomainParameters?, _ extensions: CertificateExtensions?
    ) throws -> CVCertificate {
        try checkSigner(issuerSigner, matches: issuer)
        guard publicKey.isEC == issuer.publicKey.isEC else {
            throw CVCError(.domainParameters, "a \(publicKey.isEC ? "EC" : "RSA") key cannot be certified under a \(issuer.publicKey.isEC ? "EC" : "RSA") chain: DV and terminal keys use the CVCA's algorithm and domain parameters")
        }
        if let own = publicKey.domainParameters, let expected = issuerDomainParameters ?? issuer.publicKey.domainParameters,
            !own.describesSameCurve(as: expected)
        {
            throw CVCError(.domainParameters, "the key's domain parameters (\(own.displayName)) are not the CVCA's (\(expected.displayName))")
        }
        let body = CertificateBody(
            car: issuer.chr, publicKey: publicKey.withoutDomainParameters, chr: chr.description, chat: chat,
            effectiveDate: effectiveDate, expirationDate: expirationDate, extensions: extensions)
        return try sign(body, with: issuerSigner, algorithm: issuer.publicKey.algorithm)
    }

    /// The signer must hold the key of the certificate whose CHR becomes the CAR.
    static func checkSigner(_ signer: any Signer, matches certificate: CVCertificate) throws {
        let signerKey = try CVPublicKey(signer.publicKey, algorithm: certificate.publicKey.algorithm, includeDomainParameters: false)
        guard signerKey.isSameKey(as: certificate.publicKey) else {
            throw CVCError(.keyMismatch, "the signing key is not the key of \(certificate.chr)")
        }
    }

    static func template(
        _ type: CertificateHolderAuthorizationTemplate.TerminalType, role: CertificateHolderAuthorizationTemplate.Role, rights: [UInt8]
    ) throws -> CertificateHolderAuthorizationTemplate {
        let length = type.authorizationLength ?? max(rights.count, 1)
        guard rights.count <= length else {
            throw CVCError(.invalidValue, "\(rights.count) bytes of rights do not fit a \(type) CHAT of \(length) byte(s)")
        }
        // Rights are given right-aligned (the low bits); the role goes into the top two bits of the first byte.
        var bytes = [UInt8](repeating: 0, count: length - rights.count) + rights
        guard bytes[0] & 0xC0 == 0 else {
            throw CVCError(.invalidValue, "the rights \(rights.map { CVTag.hex(UInt32($0)) }.joined()) use the role bits; give the rights only")
        }
        bytes[0] |= role.rawValue << 6
        return try CertificateHolderAuthorizationTemplate(terminalType: type, relativeAuthorization: bytes)
    }
}

/// Making CV signatures through a `Signer`.
/// Signatures in the form TR-03110 puts them in certificates, requests and Terminal Authentication: ECDSA as
/// plain r ‖ s (TR-03111), RSA as the id-TA OID says.
public enum CVSigning {
    public static func sign(_ message: [UInt8], with signer: any Signer, algorithm: TerminalAuthenticationAlgorithm) throws -> [UInt8] {
        let scheme = algorithm.signatureAlgorithm
        try signer.checkCanSign(scheme)
        if algorithm.isECDSA {
            // TR-03111 plain form: r ‖ s, each as long as the curve order.
            return try signer.signPlainECDSA(message, hash: algorithm.hash)
        }
        return try signer.sign(message, algorithm: scheme)
    }
}

import Foundation
import PKICore

/// Signs EF.SODs with one Document Signer: hashes the data groups into an LDSSecurityObject (v0, or v1 with
/// LDSVersionInfo), signs it through the `Signer` seam as CMS SignedData (eContentType 2.23.136.1.1.1, the DS
/// certificate embedded, signed attributes contentType, messageDigest and signingTime) and wraps it in tag 77.
///
/// Every SOD is read back and verified before it is returned — signature with the DS certificate and each data
/// group's hash — because a fault in an HSM or a bug in encoding must stop at the personalization line, not at
/// a border (the design SignServer's MRTD SOD signer follows). `verifyAfterSigning` turns that off for callers
/// that verify elsewhere.
public struct SODSigner: Sendable {
    public let signer: any Signer
    public let documentSigner: Certificate
    /// The hash of the data groups in the LDS security object.
    public var hash: HashAlgorithm
    /// The CMS signature; nil takes the signer's default (ECDSA with the curve's hash, RSASSA-PSS SHA-256).
    public var signatureAlgorithm: SignatureAlgorithm?
    /// Present for LDS 1.8 and later (a v1 security object).
    public var ldsVersionInfo: LDSVersionInfo?
    /// issuerAndSerialNumber by default: every inspection system reads it, while some older ones miss SKIs.
    public var identification: SignedDataBuilder.SignerIdentification
    /// Whether to sign a signingTime attribute (from `clock`); verifiers check the DS dates against it.
    public var includeSigningTime: Bool
    public var clock: any PKIClock
    public var verifyAfterSigning: Bool
    /// The DS certificate's key, decoded once: OpenSSL takes longer to decode a key than to verify with it.
    private let documentSignerKey: PublicKey

    /// Checks once, not per document, that the key is the certificate's and can sign the chosen algorithm.
    public init(
        signer: any Signer, documentSigner: Certificate, hash: HashAlgorithm = .sha256, signatureAlgorithm: SignatureAlgorithm? = nil,
        ldsVersionInfo: LDSVersionInfo? = nil, identification: SignedDataBuilder.SignerIdentification = .issuerAndSerialNumber,
        includeSigningTime: Bool = true, clock: any PKIClock = SystemClock(), verifyAfterSigning: Bool = true
    ) throws {
        guard LDSSecurityObject.signingHashes.contains(hash) else {
            throw LDSError(.unsupported, "SOD: \(hash) is not used for new security objects; use SHA-256, SHA-384 or SHA-512")
        }
        let key = try documentSigner.publicKey
        guard key.isSameKey(as: signer.publicKey) else {
            throw LDSError(.signingFailed, "SOD: the signing key is not the key of the DS certificate \(documentSigner.subject)")
        }
        if let signatureAlgorithm { try signer.checkCanSign(signatureAlgorithm) }
        self.signer = signer
        self.documentSigner = documentSigner
        self.hash = hash
        self.signatureAlgorithm = signatureAlgorithm
        self.ldsVersionInfo = ldsVersionInfo
        self.identification = identification
        self.includeSigningTime = includeSigningTime
        self.clock = clock
        self.verifyAfterSigning = verifyAfterSigning
        self.documentSignerKey = key
    }

    /// Signs the security object of one document; `dataGroups` maps each data group number to the file's bytes
    /// exactly as they will be written to the chip.
    public func sign(dataGroups: [Int: [UInt8]]) throws -> EFSOD {
        let securityObject = try LDSSecurityObject(hash: hash, dataGroups: dataGroups, ldsVersionInfo: ldsVersionInfo)
        let sod = try sign(securityObject)
        if verifyAfterSigning { try verify(sod, dataGroups: dataGroups) }
        return sod
    }

    /// Signs the security object of one document from the data groups' hashes (with `hash`), for lines that hash
    /// each file while writing it to the chip. The check after signing compares against these hashes.
    public func sign(dataGroupHashes: [Int: [UInt8]]) throws -> EFSOD {
        let securityObject = try LDSSecurityObject(hash: hash, dataGroupHashes: dataGroupHashes, ldsVersionInfo: ldsVersionInfo)
        let sod = try sign(securityObject)
        if verifyAfterSigning { try verify(sod, dataGroupHashes: dataGroupHashes) }
        return sod
    }

    private func sign(_ securityObject: LDSSecurityObject) throws -> EFSOD {
        let content = try securityObject.encode()
        let builder = SignedDataBuilder(
            eContentType: .ICAO.ldsSecurityObject, content: content, signerCertificate: documentSigner,
            identification: identification, signingTime: includeSigningTime ? clock.now() : nil)
        let signedData = try builder.sign(with: signer, algorithm: signatureAlgorithm)
        // The security object is the one just encoded: no need to read it back from the SignedData.
        return EFSOD(signedData: signedData, securityObject: securityObject)
    }

    /// Reads the encoded SOD back and checks what a verifier will check: the signer named, content type and
    /// message digest attributes, the signature with the DS key, and every data group hash.
    ///
    /// The same checks as `SignedData.verify`, narrowed to the one layout `sign` writes and made with the key
    /// decoded at `init`, so that verifying costs one signature check and not a key decode as well.
    public func verify(_ sod: EFSOD, dataGroups: [Int: [UInt8]]) throws {
        try verify(sod, dataGroupHashes: dataGroups.mapValues { try hash.hash($0) })
    }

    /// As `verify(_:dataGroups:)`, against the data groups' hashes (with `hash`).
    public func verify(_ sod: EFSOD, dataGroupHashes: [Int: [UInt8]]) throws {
        func fail(_ reason: String) -> LDSError { LDSError(.signingFailed, "SOD does not verify after signing: \(reason)") }
        let reread = try EFSOD(bytes: sod.encode())
        guard reread.signedData.signerInfos.count == 1, let info = reread.signerInfo else { throw fail("not exactly one SignerInfo") }
        guard info.sid.matches(documentSigner) else { throw fail("the signer identifier \(info.sid) does not name the DS certificate") }
        guard reread.documentSignerCertificate == documentSigner else { throw fail("the embedded certificate is not the DS certificate") }
        guard let content = reread.signedData.encapContentInfo.eContent, let digest = HashAlgorithm(oid: info.digestAlgorithm.algorithm) else {
            throw fail("no content or an unknown digest algorithm")
        }
        guard info.contentTypeAttribute == .ICAO.ldsSecurityObject else { throw fail("the contentType attribute is not the LDS security object") }
        guard info.messageDigestAttribute?.elementsEqual(try digest.hash(content)) == true else { throw fail("the messageDigest attribute does not match the content") }
        guard info.hasSignedAttributes else { throw fail("no signed attributes") }
        let algorithm = try SignatureAlgorithm(algorithmIdentifier: info.signatureAlgorithm, digestHint: digest)
        guard try info.checkSignedAttributes({ try documentSignerKey.isValidSignature(info.signature, for: $0, algorithm: algorithm) }) else {
            throw fail("the \(algorithm) signature does not verify with the DS key")
        }
        guard reread.securityObject.hash == hash else { throw fail("the security object does not name \(hash)") }
        guard reread.securityObject.dataGroupNumbers.sorted() == dataGroupHashes.keys.sorted() else {
            throw fail("the security object lists data groups \(reread.securityObject.dataGroupNumbers), expected \(dataGroupHashes.keys.sorted())")
        }
        for (number, value) in dataGroupHashes where reread.securityObject.hashValue(for: number) != value {
            throw fail("the DG\(number) hash does not match the data group")
        }
    }
}

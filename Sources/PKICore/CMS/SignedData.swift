import Foundation
import SwiftASN1

/// ```
/// SignedData ::= SEQUENCE {
///     version           CMSVersion,
///     digestAlgorithms  SET OF DigestAlgorithmIdentifier,
///     encapContentInfo  EncapsulatedContentInfo,
///     certificates      [0] IMPLICIT CertificateSet OPTIONAL,
///     crls              [1] IMPLICIT RevocationInfoChoices OPTIONAL,
///     signerInfos       SET OF SignerInfo }
/// ```
/// (RFC 5652 §5.1). Read tolerantly: BER, indefinite lengths, unsorted sets, digest identifiers with or without
/// NULL; embedded certificates that cannot be read are counted rather than failing the whole structure.
public struct SignedData: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var version: Int
    public var digestAlgorithms: [AlgorithmIdentifier]
    public var encapContentInfo: EncapsulatedContentInfo
    public var certificates: [Certificate]
    /// Entries of the certificate set that are not plain X.509 certificates or could not be parsed.
    public var unreadableCertificates: Int = 0
    public var crls: ASN1Node?
    public var signerInfos: [SignerInfo] {
        didSet { signerInfosDER = nil }
    }
    /// The SET OF SignerInfo exactly as `SignedDataBuilder` wrote it, so that writing the SignedData out does not
    /// serialize the signer's name again; any change to `signerInfos` drops it.
    var signerInfosDER: [UInt8]?

    static let certificatesTag = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
    static let crlsTag = ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)

    public init(
        version: Int, digestAlgorithms: [AlgorithmIdentifier], encapContentInfo: EncapsulatedContentInfo,
        certificates: [Certificate], signerInfos: [SignerInfo]
    ) {
        self.version = version
        self.digestAlgorithms = digestAlgorithms
        self.encapContentInfo = encapContentInfo
        self.certificates = certificates
        self.signerInfos = signerInfos
    }

    /// Reads a ContentInfo holding SignedData from DER or BER lying inside a larger buffer (EF.SOD's 77 TLV), without
    /// copying it out.
    public init(contentInfo der: ArraySlice<UInt8>) throws {
        if let read = Self.readDefiniteLength(der) {
            self = read
            return
        }
        self = try Self(contentInfoBytes: Array(der))
    }

    /// Reads a ContentInfo holding SignedData, from DER, BER or PEM (`CMS` / `PKCS7` labels).
    ///
    /// A ContentInfo inside one constructed application-class wrapper is unwrapped: EF.SOD is the ContentInfo
    /// under `[APPLICATION 23]` (tag 0x77, Doc 9303-10 §4.6.2).
    public init(contentInfoBytes input: [UInt8]) throws {
        var der = input
        // PEM only when "-----BEGIN " appears near the start; DER (a SEQUENCE, or EF.SOD's 77) is not looked at.
        if let first = input.first, first != 0x30, first != 0x77, Self.hasPEMHeader(input.prefix(64)) {
            der = try PEM.decodeAll(input).first?.der ?? []
        }
        if let read = Self.readDefiniteLength(der[...]) {
            self = read
            return
        }
        // EF.SOD's application tag 23 wraps the SEQUENCE; anything else is said as text, another kind or truncation.
        if der.first != 0x77 { try OuterSequence.check(der, what: "CMS ContentInfo") }
        self = try PKIError.decoding("CMS ContentInfo") {
            var node = try BER.parse(der)
            if node.identifier.tagClass == .application, case .constructed(let children) = node.content,
               let inner = children.first(where: { _ in true }) {
                node = inner
            }
            let info = try ContentInfo(berEncoded: node)
            guard info.contentType == .CMS.signedData else {
                throw PKIError.invalid("CMS ContentInfo", "content type \(info.contentType.displayName) is not id-signedData")
            }
            return try SignedData(berEncoded: info.content)
        }
    }

    private static func hasPEMHeader(_ head: ArraySlice<UInt8>) -> Bool {
        let marker = Array("-----BEGIN ".utf8)
        guard head.count >= marker.count else { return false }
        return (head.startIndex...(head.endIndex - marker.count)).contains { head[$0..<($0 + marker.count)].elementsEqual(marker) }
    }

    /// The common case read field by field: definite lengths throughout, the embedded certificates looked up in
    /// `CertificateCache` by their bytes and parsed only when new. swift-asn1 would otherwise build the node tree
    /// of every embedded DS certificate (most of an EF.SOD) for each passport, only for the cache to discard it.
    /// Nil for anything else (indefinite lengths, other layouts, errors): the caller reads it the general way,
    /// which also gives the error.
    static func readDefiniteLength(_ bytes: ArraySlice<UInt8>) -> SignedData? {
        do {
            var outer = TLVReader(bytes, what: "CMS ContentInfo")
            guard var contentInfo = try outer.next(), outer.isAtEnd else { return nil }
            if contentInfo.firstOctet & 0xE0 == 0x60 {  // one constructed application-class wrapper (EF.SOD's 77)
                var wrapper = TLVReader(contentInfo.content, what: "CMS ContentInfo")
                guard let inner = try wrapper.next() else { return nil }
                contentInfo = inner
            }
            guard contentInfo.firstOctet == 0x30 else { return nil }
            var fields = TLVReader(contentInfo.content, what: "CMS ContentInfo")
            let type = try fields.expect(0x06, "contentType")
            guard type.encoded.elementsEqual(Self.signedDataOID) else { return nil }
            var explicit = TLVReader(try fields.expect(0xA0, "content").content, what: "CMS ContentInfo")
            var signedData = TLVReader(try explicit.expect(0x30, "SignedData").content, what: "SignedData")

            let versionField = try signedData.expect(0x02, "version")
            guard versionField.content.count == 1, let versionOctet = versionField.content.first, versionOctet < 0x80 else { return nil }
            let version = Int(versionOctet)
            var digestEntries = TLVReader(try signedData.expect(0x31, "digestAlgorithms").content, what: "SignedData digestAlgorithms")
            var digests: [AlgorithmIdentifier] = []
            while let entry = try digestEntries.next() {
                guard entry.firstOctet == 0x30 else { return nil }
                digests.append(try AlgorithmIdentifier.cached(encoded: entry.encoded))
            }
            let encap = try EncapsulatedContentInfo.readDefiniteLength(try signedData.expect(0x30, "encapContentInfo"))
            var result = SignedData(version: version, digestAlgorithms: digests, encapContentInfo: encap, certificates: [], signerInfos: [])
            var sawSignerInfos = false
            while let field = try signedData.next() {
                switch field.firstOctet {
                case 0xA0 where result.certificates.isEmpty && result.unreadableCertificates == 0 && !sawSignerInfos:
                    var entries = TLVReader(field.content, what: "SignedData certificates")
                    while let entry = try entries.next() {
                        if entry.firstOctet == 0x30,
                           let certificate = try? CertificateCache.certificate(for: entry.encoded, parse: { try Certificate(berEncoded: BER.parse(entry.encoded)) }) {
                            result.certificates.append(certificate)
                        } else {
                            result.unreadableCertificates += 1
                        }
                    }
                case 0xA1 where result.crls == nil && !sawSignerInfos:
                    result.crls = try BER.parse(field.encoded)
                case 0x31 where !sawSignerInfos:
                    var entries = TLVReader(field.content, what: "SignedData signerInfos")
                    var infos: [SignerInfo] = []
                    while let entry = try entries.next() {
                        guard let info = SignerInfo.readDefiniteLength(entry.encoded) else { return nil }
                        infos.append(info)
                    }
                    result.signerInfos = infos
                    sawSignerInfos = true
                default:
                    return nil
                }
            }
            return sawSignerInfos && explicit.isAtEnd && fields.isAtEnd ? result : nil
        } catch {
            return nil
        }
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            let version = try Int(berEncoded: &nodes)
            let digests = try BER.set(of: AlgorithmIdentifier.self, identifier: .set, nodes: &nodes)
            let encap = try EncapsulatedContentInfo(berEncoded: &nodes)
            var result = SignedData(version: version, digestAlgorithms: digests, encapContentInfo: encap, certificates: [], signerInfos: [])
            while let field = nodes.next() {
                switch field.identifier {
                case Self.certificatesTag:
                    guard case .constructed(let entries) = field.content else { throw ASN1Error.unexpectedFieldType(field.identifier) }
                    for entry in entries {
                        if entry.identifier == .sequence,
                           let certificate = try? CertificateCache.certificate(for: entry.encodedBytes, parse: { try Certificate(berEncoded: entry) }) {
                            result.certificates.append(certificate)
                        } else {
                            result.unreadableCertificates += 1
                        }
                    }
                case Self.crlsTag:
                    result.crls = field
                case .set:
                    result.signerInfos = try BER.set(of: SignerInfo.self, identifier: .set, rootNode: field)
                default:
                    throw ASN1Error.unexpectedFieldType(field.identifier)
                }
            }
            return result
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        guard identifier == .sequence else {
            throw ASN1Error.invalidASN1Object(reason: "SignedData is written as a SEQUENCE")
        }
        coder.serializeRawBytes(DERLength.wrap(0x30, try contentsDER()))
    }

    /// The SEQUENCE's contents, written into one buffer with every length known before its value: swift-asn1's
    /// serializer shifts a nested node's bytes one at a time when its length needs more than one octet, and the
    /// embedded certificates would be shifted once per enclosing level (SOD signing measured 18 µs of 59 for it).
    /// The content and the certificates are copied once, from the slices held.
    func contentsDER() throws -> [UInt8] {
        let sortedCertificates = certificates.count <= 1 ? certificates.map(\.encoded)
            // A SET OF: DER orders the elements by their encodings.
            : certificates.map(\.encoded).sorted(by: { $0.lexicographicallyPrecedes($1) })
        let certificatesLength = sortedCertificates.reduce(0) { $0 + $1.count }
        var out: [UInt8] = []
        out.reserveCapacity((encapContentInfo.eContent?.count ?? 0) + certificatesLength + (signerInfosDER?.count ?? 1024) + 96)

        if (0..<0x80).contains(version), digestAlgorithms.count == 1, let digest = digestAlgorithms.first {
            let algorithm = try digest.derEncoding
            out += [0x02, 0x01, UInt8(version), 0x31]
            DERLength.append(algorithm.count, to: &out)
            out += algorithm
        } else {
            var head = DER.Serializer()
            try head.serialize(version)
            try head.serializeSetOf(digestAlgorithms)
            out += head.serializedBytes
        }
        if let content = encapContentInfo.eContent {
            // EncapsulatedContentInfo ::= SEQUENCE { eContentType, [0] EXPLICIT OCTET STRING }
            let type = try ObjectIdentifierCache.encoding(of: encapContentInfo.eContentType)
            let octets = DERLength.headerLength(content.count) + content.count
            let explicit = DERLength.headerLength(octets) + octets
            out.append(0x30)
            DERLength.append(type.count + explicit, to: &out)
            out += type
            out.append(0xA0)
            DERLength.append(octets, to: &out)
            out.append(0x04)
            DERLength.append(content.count, to: &out)
            out += content
        } else {
            var encap = DER.Serializer()
            try encap.serialize(encapContentInfo)
            out += encap.serializedBytes
        }
        if !sortedCertificates.isEmpty {
            out.append(0xA0)
            DERLength.append(certificatesLength, to: &out)
            for certificate in sortedCertificates { out += certificate }
        }
        if let crls {
            var tail = DER.Serializer()
            tail.serialize(crls)
            out += tail.serializedBytes
        }
        if let signerInfosDER {
            out += signerInfosDER
        } else {
            var tail = DER.Serializer()
            try tail.serializeSetOf(signerInfos)
            out += tail.serializedBytes
        }
        return out
    }

    static let signedDataOID: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02]

    /// The ContentInfo DER that carries this SignedData; with `outerTag`, inside one more TLV of that tag
    /// (EF.SOD's 77).
    public func contentInfoDER(outerTag: UInt8? = nil) throws -> [UInt8] {
        let contents = try contentsDER()
        let sequence = DERLength.headerLength(contents.count) + contents.count
        let explicit = DERLength.headerLength(sequence) + sequence
        let infoLength = Self.signedDataOID.count + explicit
        let info = DERLength.headerLength(infoLength) + infoLength
        var out: [UInt8] = []
        out.reserveCapacity(info + 6)
        if let outerTag {
            out.append(outerTag)
            DERLength.append(info, to: &out)
        }
        out.append(0x30)
        DERLength.append(infoLength, to: &out)
        out += Self.signedDataOID
        out.append(0xA0)
        DERLength.append(sequence, to: &out)
        out.append(0x30)
        DERLength.append(contents.count, to: &out)
        out += contents
        return out
    }

    /// The certificate among the embedded ones that the first signer names.
    public var embeddedSignerCertificate: Certificate? {
        guard let sid = signerInfos.first?.sid else { return nil }
        return certificates.first(where: { sid.matches($0) })
    }

    /// Verifies the first signer against `signerCertificate` (or the embedded certificate it names).
    ///
    /// Checks, each reported: the signer is the given certificate; contentType and messageDigest attributes
    /// agree with the content; the signature. Path validation of the certificate is the caller's (ICAO chains
    /// are checked by the CSCA and NPKD layers).
    public func verify(signerCertificate given: Certificate? = nil) -> VerificationReport {
        verify(signerCertificate: given, signerKey: nil)
    }

    /// As `verify(signerCertificate:)`, with the signer's public key already decoded (a verifier that sees the
    /// same Document Signer in every SOD keeps its key).
    public func verify(signerCertificate given: Certificate?, signerKey: PublicKey?) -> VerificationReport {
        var report = VerificationReport(subject: "CMS SignedData (\(encapContentInfo.eContentType.displayName))")
        verify(signerCertificate: given, signerKey: signerKey, into: &report, names: .plain)
        return report
    }

    /// The names the CMS checks are reported under, each with a prefix when they join a larger report
    /// (passive authentication reports "CMS signature"). Composed once, not per verification.
    public struct CheckNames: Sendable {
        public let signer, signerCount, signerCertificate, signerIdentifier, digestAlgorithm, content: String
        public let contentTypeAttribute, messageDigest, signingTime, signatureAlgorithm, signature: String

        public init(prefix: String) {
            signer = prefix + "signer"
            signerCount = prefix + "signer count"
            signerCertificate = prefix + "signer certificate"
            signerIdentifier = prefix + "signer identifier"
            digestAlgorithm = prefix + "digest algorithm"
            content = prefix + "content"
            contentTypeAttribute = prefix + "content type attribute"
            messageDigest = prefix + "message digest"
            signingTime = prefix + "signing time"
            signatureAlgorithm = prefix + "signature algorithm"
            signature = prefix + "signature"
        }

        public static let plain = CheckNames(prefix: "")
    }

    /// The checks of `verify(signerCertificate:signerKey:)` added to `report` under `names`.
    public func verify(
        signerCertificate given: Certificate?, signerKey: PublicKey?, into report: inout VerificationReport, names: CheckNames
    ) {
        guard signerInfos.count >= 1, let signerInfo = signerInfos.first else {
            report.add(names.signer, .failed, "SignedData has no SignerInfo")
            return
        }
        if signerInfos.count > 1 {
            report.add(names.signerCount, .warning, "\(signerInfos.count) SignerInfos; only the first is verified")
        }
        guard let certificate = given ?? embeddedSignerCertificate else {
            report.add(names.signerCertificate, .failed, "no certificate given and none embedded matches \(signerInfo.sid)")
            return
        }
        let sid = signerInfo.sid
        let named = sid.matches(certificate)
        report.add(names.signerIdentifier, passed: named,
                   deferred: named ? "\(sid) names \(certificate.subject)" : "\(sid) does not name \(certificate.subject)")

        guard let hash = HashAlgorithm(oid: signerInfo.digestAlgorithm.algorithm) else {
            report.add(names.digestAlgorithm, .failed, "\(signerInfo.digestAlgorithm.algorithm.displayName) is not supported")
            return
        }
        if !signerInfo.digestAlgorithm.hasNullOrAbsentParameters {
            report.add(names.digestAlgorithm, .warning, "parameters other than NULL or absent")
        }
        guard let content = encapContentInfo.eContent else {
            report.add(names.content, .notChecked, "detached content: nothing to digest")
            return
        }
        let digest: [UInt8]
        do {
            digest = try hash.hash(content)
        } catch {
            report.add(names.content, .failed, "\(error)")
            return
        }
        if signerInfo.hasSignedAttributes {
            let eContentType = encapContentInfo.eContentType
            if let type = signerInfo.contentTypeAttribute {
                report.add(names.contentTypeAttribute, passed: type == eContentType,
                           deferred: "attribute \(type.displayName), eContentType \(eContentType.displayName)")
            } else {
                report.add(names.contentTypeAttribute, .failed, "missing (RFC 5652 §11.1 requires it with signed attributes)")
            }
            if let claimed = signerInfo.messageDigestAttribute {
                if claimed.elementsEqual(digest) {
                    report.add(names.messageDigest, .passed, deferred: "\(hash) of the content matches")
                } else {
                    report.add(names.messageDigest, .failed,
                               deferred: "\(hash) of the content is \(digest.hexString), attribute says \(claimed.hexString)")
                }
            } else {
                report.add(names.messageDigest, .failed, "messageDigest attribute missing")
            }
            if let time = signerInfo.signingTime {
                report.add(names.signingTime, .passed, deferred: Time.iso8601(time))
            } else if signerInfo.hasSigningTimeAttribute {
                report.add(names.signingTime, .warning, "signingTime attribute unreadable")
            }
        }
        do {
            let algorithm = try SignatureAlgorithm(algorithmIdentifier: signerInfo.signatureAlgorithm, digestHint: hash)
            if algorithm.hash != hash {
                report.add(names.signatureAlgorithm, .warning, "signs with \(algorithm.hash) while digestAlgorithm is \(hash)")
            }
            let key = try signerKey ?? certificate.publicKey
            let valid = !signerInfo.hasSignedAttributes
                ? try key.isValidSignature(signerInfo.signature, for: content, algorithm: algorithm)
                : try signerInfo.checkSignedAttributes { try key.isValidSignature(signerInfo.signature, for: $0, algorithm: algorithm) }
            report.add(names.signature, passed: valid,
                       deferred: valid ? "\(algorithm) by \(key)" : "\(algorithm) does not verify with the signer's \(key) key")
        } catch {
            report.add(names.signature, .failed, "\(error)")
        }
    }
}

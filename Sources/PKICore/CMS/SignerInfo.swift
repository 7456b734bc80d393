import Foundation
import SwiftASN1

/// ```
/// SignerInfo ::= SEQUENCE {
///     version             CMSVersion,
///     sid                 SignerIdentifier,
///     digestAlgorithm     DigestAlgorithmIdentifier,
///     signedAttrs         [0] IMPLICIT SignedAttributes OPTIONAL,
///     signatureAlgorithm  SignatureAlgorithmIdentifier,
///     signature           SignatureValue,
///     unsignedAttrs       [1] IMPLICIT UnsignedAttributes OPTIONAL }
/// ```
/// The signed attributes are kept as received: the signature covers their encoding with the SET tag 0x31.
public struct SignerInfo: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var version: Int
    public var sid: SignerIdentifier
    public var digestAlgorithm: AlgorithmIdentifier

    /// The signed attributes. Read field by field (`readDefiniteLength`), only the three a verifier asks for
    /// are decoded up front; the list itself is decoded from `signedAttributesEncoded` when asked for.
    public var signedAttributes: [CMSAttribute]? {
        get {
            switch attributes {
            case .absent: nil
            case .decoded(let list): list
            case .deferred:
                // The reader checked every attribute's structure, so swift-asn1 accepts it as well.
                signedAttributesEncoded.flatMap { encoded in
                    try? BER.set(of: CMSAttribute.self, identifier: Self.signedAttributesTag, rootNode: BER.parse(encoded))
                }
            }
        }
        set {
            attributes = newValue.map(Attributes.decoded) ?? .absent
            known = KnownAttributes(newValue ?? [])
        }
    }
    private var attributes: Attributes
    private var known: KnownAttributes

    private enum Attributes: Hashable, Sendable {
        case absent
        case decoded([CMSAttribute])
        case deferred
    }
    /// The `[0]` node as received, tag included.
    public var signedAttributesEncoded: ArraySlice<UInt8>?
    public var signatureAlgorithm: AlgorithmIdentifier
    public var signature: ArraySlice<UInt8>
    public var unsignedAttributes: ASN1Node?

    static let signedAttributesTag = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
    static let unsignedAttributesTag = ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)

    public init(
        version: Int, sid: SignerIdentifier, digestAlgorithm: AlgorithmIdentifier, signedAttributes: [CMSAttribute]?,
        signatureAlgorithm: AlgorithmIdentifier, signature: ArraySlice<UInt8>
    ) {
        self.version = version
        self.sid = sid
        self.digestAlgorithm = digestAlgorithm
        self.attributes = signedAttributes.map(Attributes.decoded) ?? .absent
        self.known = KnownAttributes(signedAttributes ?? [])
        self.signatureAlgorithm = signatureAlgorithm
        self.signature = signature
    }

    /// A SignerInfo whose signed attributes are given as encoded (`[0]` tag included) with the facts read from
    /// them; the list is decoded only when asked for.
    init(
        version: Int, sid: SignerIdentifier, digestAlgorithm: AlgorithmIdentifier, signedAttributesField: ArraySlice<UInt8>,
        known: KnownAttributes, signatureAlgorithm: AlgorithmIdentifier, signature: ArraySlice<UInt8>
    ) {
        self.init(version: version, sid: sid, digestAlgorithm: digestAlgorithm, signedAttributes: nil,
                  signatureAlgorithm: signatureAlgorithm, signature: signature)
        self.attributes = .deferred
        self.known = known
        self.signedAttributesEncoded = signedAttributesField
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            let version = try Int(berEncoded: &nodes)
            guard let sidNode = nodes.next() else { throw ASN1Error.truncatedASN1Field() }
            let sid = try SignerIdentifier.cached(sidNode)
            let digest = try AlgorithmIdentifier(berEncoded: &nodes)
            guard var next = nodes.next() else { throw ASN1Error.truncatedASN1Field() }
            var attributes: [CMSAttribute]?
            var attributesEncoded: ArraySlice<UInt8>?
            if next.identifier == Self.signedAttributesTag {
                attributes = try BER.set(of: CMSAttribute.self, identifier: Self.signedAttributesTag, rootNode: next)
                attributesEncoded = next.encodedBytes
                guard let following = nodes.next() else { throw ASN1Error.truncatedASN1Field() }
                next = following
            }
            let algorithm = try AlgorithmIdentifier(berEncoded: next)
            let signature = try ASN1OctetString(berEncoded: &nodes).bytes
            var result = SignerInfo(
                version: version, sid: sid, digestAlgorithm: digest, signedAttributes: attributes,
                signatureAlgorithm: algorithm, signature: signature)
            result.signedAttributesEncoded = attributesEncoded
            result.unsignedAttributes = nodes.next()
            return result
        }
    }

    /// The common case read field by field with definite lengths, the parts that repeat from one SOD of a
    /// Document Signer to the next (its name, the algorithm identifiers) taken from the recently read ones.
    /// Nil for anything else: the caller reads it the general way, which also gives the error.
    static func readDefiniteLength(_ encoded: ArraySlice<UInt8>) -> SignerInfo? {
        do {
            var outer = TLVReader(encoded, what: "SignerInfo")
            guard let sequence = try outer.next(), sequence.firstOctet == 0x30, outer.isAtEnd else { return nil }
            var fields = TLVReader(sequence.content, what: "SignerInfo")
            let versionField = try fields.expect(0x02, "version")
            guard versionField.content.count == 1, let version = versionField.content.first, version < 0x80,
                  let sidField = try fields.next() else { return nil }
            let sid = try SignerIdentifier.cached(encoded: sidField.encoded)
            let digest = try AlgorithmIdentifier.cached(encoded: try fields.expect(0x30, "digestAlgorithm").encoded)
            guard var next = try fields.next() else { return nil }
            var known: KnownAttributes?
            var attributesEncoded: ArraySlice<UInt8>?
            if next.firstOctet == 0xA0 {
                guard let read = try KnownAttributes.read(next.content) else { return nil }
                known = read
                attributesEncoded = next.encoded
                guard let following = try fields.next() else { return nil }
                next = following
            }
            guard next.firstOctet == 0x30 else { return nil }
            let algorithm = try AlgorithmIdentifier.cached(encoded: next.encoded)
            let signature = try fields.expect(0x04, "signature")
            var result = if let known, let attributesEncoded {
                SignerInfo(version: Int(version), sid: sid, digestAlgorithm: digest, signedAttributesField: attributesEncoded,
                           known: known, signatureAlgorithm: algorithm, signature: signature.content)
            } else {
                SignerInfo(version: Int(version), sid: sid, digestAlgorithm: digest, signedAttributes: nil,
                           signatureAlgorithm: algorithm, signature: signature.content)
            }
            if let unsigned = try fields.next() {
                guard unsigned.firstOctet == 0xA1 else { return nil }
                result.unsignedAttributes = try BER.parse(unsigned.encoded)
            }
            return fields.isAtEnd ? result : nil
        } catch {
            return nil
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(version)
            try coder.serialize(sid)
            try coder.serialize(digestAlgorithm)
            if let signedAttributesEncoded {
                coder.serializeRawBytes(signedAttributesEncoded)
            } else if let signedAttributes {
                try coder.serializeSetOf(signedAttributes, identifier: Self.signedAttributesTag)
            }
            try coder.serialize(signatureAlgorithm)
            try coder.serialize(ASN1OctetString(contentBytes: signature))
            if let unsignedAttributes { coder.serialize(unsignedAttributes) }
        }
    }

    public func attribute(_ type: ASN1ObjectIdentifier) -> CMSAttribute? {
        signedAttributes?.first(where: { $0.attrType == type })
    }

    /// Whether there are signed attributes (then the signature covers them, not the content).
    public var hasSignedAttributes: Bool {
        if case .absent = attributes { return false }
        return true
    }

    public var contentTypeAttribute: ASN1ObjectIdentifier? { known.contentType }

    public var messageDigestAttribute: ArraySlice<UInt8>? { known.messageDigest }

    public var signingTime: Date? { known.signingTime }

    /// Whether a signingTime attribute is present, readable or not.
    public var hasSigningTimeAttribute: Bool { known.hasSigningTime }

    public static func == (lhs: SignerInfo, rhs: SignerInfo) -> Bool {
        lhs.version == rhs.version && lhs.sid == rhs.sid && lhs.digestAlgorithm == rhs.digestAlgorithm
            && lhs.signedAttributes == rhs.signedAttributes && lhs.signatureAlgorithm == rhs.signatureAlgorithm
            && lhs.signature == rhs.signature && lhs.unsignedAttributes == rhs.unsignedAttributes
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(version)
        hasher.combine(sid)
        hasher.combine(signatureAlgorithm)
        hasher.combine(signature)
    }

    /// Whether `check` accepts the bytes the signature covers: the signed attributes with the SET OF tag, in the
    /// encoding received, and only when that fails and the encoding was not DER, re-encoded in DER (some signers
    /// sign one, some the other). Re-encoding costs more than the rest of reading a SignerInfo, so it waits.
    public func checkSignedAttributes(_ check: ([UInt8]) throws -> Bool) rethrows -> Bool {
        var received: [UInt8]?
        if var bytes = signedAttributesEncoded.map(Array.init), !bytes.isEmpty {
            bytes[0] = 0x31
            if try check(bytes) { return true }
            received = bytes
        }
        guard let signedAttributes else { return false }
        var serializer = DER.Serializer()
        guard (try? serializer.serializeSetOf(signedAttributes)) != nil, serializer.serializedBytes != received else { return false }
        return try check(serializer.serializedBytes)
    }
}

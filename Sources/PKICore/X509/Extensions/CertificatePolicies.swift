import SwiftASN1

/// ```
/// certificatePolicies ::= SEQUENCE SIZE (1..MAX) OF PolicyInformation
/// PolicyInformation ::= SEQUENCE {
///     policyIdentifier   CertPolicyId,
///     policyQualifiers   SEQUENCE SIZE (1..MAX) OF PolicyQualifierInfo OPTIONAL }
/// ```
/// Optional everywhere in Doc 9303-12; qualifiers are kept as encoded.
public struct CertificatePolicies: ExtensionValue, DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable {
    public static let oid: ASN1ObjectIdentifier = .X509Extension.certificatePolicies
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public struct PolicyInformation: Hashable, Sendable {
        public var policyIdentifier: ASN1ObjectIdentifier
        public var qualifiers: ASN1Any?

        public init(policyIdentifier: ASN1ObjectIdentifier, qualifiers: ASN1Any? = nil) {
            self.policyIdentifier = policyIdentifier
            self.qualifiers = qualifiers
        }
    }

    public var policies: [PolicyInformation]

    public init(_ policies: [PolicyInformation]) {
        self.policies = policies
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        var policies: [PolicyInformation] = []
        try BER.sequence(node, identifier: identifier) { nodes in
            while let info = nodes.next() {
                policies.append(try BER.sequence(info, identifier: .sequence) { fields in
                    PolicyInformation(policyIdentifier: try ASN1ObjectIdentifier(berEncoded: &fields),
                                      qualifiers: fields.next().map { ASN1Any(berEncoded: $0) })
                })
            }
        }
        self.policies = policies
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            for policy in policies {
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.serialize(policy.policyIdentifier)
                    if let qualifiers = policy.qualifiers { try coder.serialize(qualifiers) }
                }
            }
        }
    }
}

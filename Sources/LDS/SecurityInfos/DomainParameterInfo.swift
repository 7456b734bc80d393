import PKICore
import SwiftASN1

/// Domain parameters a chip announces for PACE or Chip Authentication (TR-03110-3 A.1.1.1 and A.1.1.2).
///
/// ```
/// PACEDomainParameterInfo ::= SEQUENCE {
///     protocol         OBJECT IDENTIFIER (id-PACE-DH-GM | id-PACE-ECDH-GM | id-PACE-DH-IM | id-PACE-ECDH-IM | id-PACE-ECDH-CAM),
///     domainParameter  AlgorithmIdentifier,
///     parameterId      INTEGER OPTIONAL }
/// ChipAuthenticationDomainParameterInfo ::= SEQUENCE {
///     protocol         OBJECT IDENTIFIER (id-CA-DH | id-CA-ECDH),
///     domainParameter  AlgorithmIdentifier,
///     keyId            INTEGER OPTIONAL }
/// ```
/// The two share one layout and differ in the protocol arc, so one type reads both; `kind` says which.
public struct DomainParameterInfo: DERImplicitlyTaggable, BERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public enum Kind: Sendable {
        case pace
        case chipAuthentication
    }

    public var protocolIdentifier: ASN1ObjectIdentifier
    public var domainParameter: AlgorithmIdentifier
    /// parameterId for PACE, keyId for Chip Authentication.
    public var identifier: Int?

    public init(protocolIdentifier: ASN1ObjectIdentifier, domainParameter: AlgorithmIdentifier, identifier: Int? = nil) {
        self.protocolIdentifier = protocolIdentifier
        self.domainParameter = domainParameter
        self.identifier = identifier
    }

    public var kind: Kind { protocolIdentifier.hasPrefix(.EAC.pace) ? .pace : .chipAuthentication }

    /// id-PACE-<mapping> or id-CA-<DH|ECDH> without a cipher arc.
    static func isProtocol(_ oid: ASN1ObjectIdentifier) -> Bool {
        if let arcs = oid.arcs(after: .EAC.pace) { return arcs.count == 1 && [1, 2, 3, 4, 6].contains(arcs[0]) }
        if let arcs = oid.arcs(after: .EAC.ca) { return arcs.count == 1 && (1...2).contains(arcs[0]) }
        return false
    }

    /// The ID of standardized domain parameters (AlgorithmIdentifier 0.4.0.127.0.7.1.2 with an INTEGER), if so.
    public var standardizedParameterId: Int? {
        guard domainParameter.algorithm == .EAC.standardizedDomainParameters, let parameters = domainParameter.parameters else { return nil }
        return try? Int(berASN1Any: parameters)
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try Self(berEncoded: node, withIdentifier: identifier)
    }

    public init(berEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try BER.sequence(node, identifier: identifier) { nodes in
            let oid = try ASN1ObjectIdentifier(berEncoded: &nodes)
            let parameter = try AlgorithmIdentifier(berEncoded: &nodes)
            let id = try nodes.next().map { try Int(berEncoded: $0) }
            return DomainParameterInfo(protocolIdentifier: oid, domainParameter: parameter, identifier: id)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(protocolIdentifier)
            try coder.serialize(domainParameter)
            if let id = self.identifier { try coder.serialize(id) }
        }
    }
}

import PKICore
import SwiftASN1

/// One entry of SecurityInfos (TR-03110-3 A.1.1, Doc 9303-11 §9.2), recognised by its protocol identifier.
///
/// ```
/// SecurityInfo ::= SEQUENCE {
///     protocol      OBJECT IDENTIFIER,
///     requiredData  ANY DEFINED BY protocol,
///     optionalData  ANY DEFINED BY protocol OPTIONAL }
/// ```
/// Entries whose protocol epki does not model (id-RI, id-CI, id-PT, id-eIDSecurity …), or whose content does
/// not match the layout their protocol promises, are kept whole as `unknown`, so DG14 and EF.CardAccess encode
/// back to the bytes their hash covers.
public enum SecurityInfo: DERParseable, BERParseable, DERSerializable, Hashable, Sendable {
    case chipAuthentication(ChipAuthenticationInfo)
    case chipAuthenticationPublicKey(ChipAuthenticationPublicKeyInfo)
    case pace(PACEInfo)
    case domainParameters(DomainParameterInfo)
    case terminalAuthentication(TerminalAuthenticationInfo)
    case activeAuthentication(ActiveAuthenticationInfo)
    case unknown(UnknownSecurityInfo)

    public init(derEncoded node: ASN1Node) throws {
        self = try Self(berEncoded: node)
    }

    public init(berEncoded node: ASN1Node) throws {
        let oid = try BER.sequence(node, identifier: .sequence) { nodes -> ASN1ObjectIdentifier in
            let oid = try ASN1ObjectIdentifier(berEncoded: &nodes)
            while nodes.next() != nil {}  // the rest depends on the protocol
            return oid
        }
        do {
            if ChipAuthenticationInfo.isProtocol(oid) {
                self = .chipAuthentication(try ChipAuthenticationInfo(berEncoded: node))
            } else if ChipAuthenticationPublicKeyInfo.isProtocol(oid) {
                self = .chipAuthenticationPublicKey(try ChipAuthenticationPublicKeyInfo(berEncoded: node))
            } else if PACEInfo.isProtocol(oid) {
                self = .pace(try PACEInfo(berEncoded: node))
            } else if DomainParameterInfo.isProtocol(oid) {
                self = .domainParameters(try DomainParameterInfo(berEncoded: node))
            } else if oid == .EAC.ta {
                self = .terminalAuthentication(try TerminalAuthenticationInfo(berEncoded: node))
            } else if oid == .ICAO.activeAuthentication {
                self = .activeAuthentication(try ActiveAuthenticationInfo(berEncoded: node))
            } else {
                self = .unknown(UnknownSecurityInfo(protocolIdentifier: oid, encoded: Array(node.encodedBytes), note: nil))
            }
        } catch {
            // A known protocol in an unexpected layout: kept, and the note says why it was not read.
            self = .unknown(UnknownSecurityInfo(
                protocolIdentifier: oid, encoded: Array(node.encodedBytes), note: "not read as \(oid.securityProtocolName): \(error)"))
        }
    }

    public func serialize(into coder: inout DER.Serializer) throws {
        switch self {
        case .chipAuthentication(let info): try coder.serialize(info)
        case .chipAuthenticationPublicKey(let info): try coder.serialize(info)
        case .pace(let info): try coder.serialize(info)
        case .domainParameters(let info): try coder.serialize(info)
        case .terminalAuthentication(let info): try coder.serialize(info)
        case .activeAuthentication(let info): try coder.serialize(info)
        case .unknown(let info): coder.serializeRawBytes(info.encoded)
        }
    }

    public var protocolIdentifier: ASN1ObjectIdentifier {
        switch self {
        case .chipAuthentication(let info): info.protocolIdentifier
        case .chipAuthenticationPublicKey(let info): info.protocolIdentifier
        case .pace(let info): info.protocolIdentifier
        case .domainParameters(let info): info.protocolIdentifier
        case .terminalAuthentication(let info): info.protocolIdentifier
        case .activeAuthentication(let info): info.protocolIdentifier
        case .unknown(let info): info.protocolIdentifier
        }
    }

    /// The type name as the standards give it.
    public var typeName: String {
        switch self {
        case .chipAuthentication: "ChipAuthenticationInfo"
        case .chipAuthenticationPublicKey: "ChipAuthenticationPublicKeyInfo"
        case .pace: "PACEInfo"
        case .domainParameters(let info): info.kind == .pace ? "PACEDomainParameterInfo" : "ChipAuthenticationDomainParameterInfo"
        case .terminalAuthentication: "TerminalAuthenticationInfo"
        case .activeAuthentication: "ActiveAuthenticationInfo"
        case .unknown: "SecurityInfo"
        }
    }
}

/// A SecurityInfo kept as its DER bytes.
public struct UnknownSecurityInfo: Hashable, Sendable {
    public var protocolIdentifier: ASN1ObjectIdentifier
    /// The whole SEQUENCE, tag and length included.
    public var encoded: [UInt8]
    /// Why a known protocol was not read, when it was not.
    public var note: String?
}

import PKICore
import SwiftASN1

/// The set of SecurityInfo entries held by DG14, EF.CardAccess and EF.CardSecurity (TR-03110-3 A.1.1).
///
/// ```
/// SecurityInfos ::= SET OF SecurityInfo
/// ```
/// The entries are kept in the order read and written back in that order, not re-sorted as DER would sort a
/// SET OF: the chip's bytes are what the security object hashes, and a reader that re-sorts DG14 breaks
/// passive authentication (JMRTD did, NFCPassportReader#44). `sortedForDER()` gives the DER order for new files.
public struct SecurityInfos: Hashable, Sendable {
    public var infos: [SecurityInfo]

    public init(_ infos: [SecurityInfo]) {
        self.infos = infos
    }

    public init(bytes: some Collection<UInt8>, what: String) throws {
        let bytes = Array(bytes)
        self = try LDSError.decoding(what) {
            let node = try BER.parse(bytes)
            guard node.identifier == .set, case .constructed(let children) = node.content else {
                throw LDSError.malformed(what, "SecurityInfos must be a SET (tag 31), found tag \(node.identifier)")
            }
            return SecurityInfos(try children.map { try SecurityInfo(berEncoded: $0) })
        }
    }

    public func encode() throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .set) { coder in
            for info in infos { try coder.serialize(info) }
        }
        return serializer.serializedBytes
    }

    /// The entries in the order DER gives a SET OF (by their encodings), for files epki builds.
    public func sortedForDER() throws -> SecurityInfos {
        let encoded = try infos.map { info -> ([UInt8], SecurityInfo) in
            var serializer = DER.Serializer()
            try serializer.serialize(info)
            return (serializer.serializedBytes, info)
        }
        return SecurityInfos(encoded.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map(\.1))
    }

    public var chipAuthenticationInfos: [ChipAuthenticationInfo] {
        infos.compactMap { if case .chipAuthentication(let info) = $0 { info } else { nil } }
    }

    public var chipAuthenticationPublicKeyInfos: [ChipAuthenticationPublicKeyInfo] {
        infos.compactMap { if case .chipAuthenticationPublicKey(let info) = $0 { info } else { nil } }
    }

    public var paceInfos: [PACEInfo] {
        infos.compactMap { if case .pace(let info) = $0 { info } else { nil } }
    }

    public var terminalAuthenticationInfos: [TerminalAuthenticationInfo] {
        infos.compactMap { if case .terminalAuthentication(let info) = $0 { info } else { nil } }
    }

    public var activeAuthenticationInfos: [ActiveAuthenticationInfo] {
        infos.compactMap { if case .activeAuthentication(let info) = $0 { info } else { nil } }
    }

    public var unknownInfos: [UnknownSecurityInfo] {
        infos.compactMap { if case .unknown(let info) = $0 { info } else { nil } }
    }
}

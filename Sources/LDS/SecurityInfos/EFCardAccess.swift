/// EF.CardAccess (master file, FID 011C, SFI 1C): the SecurityInfos a terminal reads before any access
/// control, chiefly the PACEInfo entries (Doc 9303-10 §3.11.3, TR-03110-3 A.1.2.1).
///
/// ```
/// 31 L SecurityInfos      DER SET OF SecurityInfo, no wrapping tag
/// ```
public struct EFCardAccess: Hashable, Sendable {
    public var securityInfos: SecurityInfos

    public init(securityInfos: SecurityInfos) {
        self.securityInfos = securityInfos
    }

    public init(bytes: [UInt8]) throws {
        guard bytes.first == 0x31 else {
            throw LDSError.malformed("EF.CardAccess", "must start with a SET (tag 31), found \(bytes.first.map { BERTLV.tagHex(UInt32($0)) } ?? "nothing")")
        }
        securityInfos = try SecurityInfos(bytes: bytes, what: "EF.CardAccess")
    }

    public func encode() throws -> [UInt8] { try securityInfos.encode() }
}

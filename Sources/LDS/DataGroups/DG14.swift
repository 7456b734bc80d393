/// Data Group 14, the security options for secondary biometrics and chip authentication (Doc 9303-10 §4.7.14).
///
/// ```
/// 6E L
///    31 L SecurityInfos          DER SET OF SecurityInfo (ChipAuthenticationInfo,
///                                ChipAuthenticationPublicKeyInfo, TerminalAuthenticationInfo,
///                                ActiveAuthenticationInfo, PACEInfo …)
/// ```
/// (The 9303-10 transcription's inner tag "7F6E" is wrong; real files hold the SET directly.)
public struct DG14: Hashable, Sendable {
    public static let tag: UInt32 = 0x6E

    public var securityInfos: SecurityInfos
    private var lengthOctets: Int?

    public init(securityInfos: SecurityInfos) {
        self.securityInfos = securityInfos
    }

    public init(bytes: [UInt8]) throws {
        let outer = try BERTLV.parseSingle(bytes[...], what: "DG14")
        guard outer.tag == Self.tag else { throw LDSError.malformed("DG14", "starts with tag \(outer.tagHex), expected 6E") }
        securityInfos = try SecurityInfos(bytes: outer.value, what: "DG14 SecurityInfos")
        lengthOctets = outer.lengthOctetCount
    }

    public func encode() throws -> [UInt8] {
        var outer = BERTLV(tag: Self.tag, value: try securityInfos.encode())
        outer.lengthOctetCount = lengthOctets
        return outer.encoded
    }
}

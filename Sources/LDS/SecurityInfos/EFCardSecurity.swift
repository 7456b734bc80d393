import PKICore
import SwiftASN1

/// EF.CardSecurity (master file, FID 011D): the chip's SecurityInfos signed by a Document Signer, for PACE-CAM and
/// Chip Authentication keys that must be authenticated (Doc 9303-10 §3.11.4, TR-03110-3 A.1.2.2).
///
/// ```
/// ContentInfo ::= SEQUENCE {                       no wrapping tag, unlike EF.SOD
///     contentType  id-signedData,
///     content      [0] EXPLICIT SignedData {
///         encapContentInfo { eContentType id-SecurityObject (0.4.0.127.0.7.3.2.1),
///                            eContent     OCTET STRING containing SecurityInfos } … } }
/// ```
public struct EFCardSecurity: Sendable {
    public var signedData: SignedData
    public var securityInfos: SecurityInfos

    public init(bytes: [UInt8]) throws {
        guard bytes.first == 0x30 else {
            throw LDSError.malformed("EF.CardSecurity", "must start with a ContentInfo SEQUENCE (tag 30)")
        }
        do {
            signedData = try SignedData(contentInfoBytes: bytes)
        } catch let error as PKIError {
            throw LDSError.malformed("EF.CardSecurity", "not a CMS SignedData ContentInfo (\(error.reason))")
        }
        guard signedData.encapContentInfo.eContentType == .EAC.securityObject else {
            throw LDSError.malformed(
                "EF.CardSecurity", "eContentType is \(signedData.encapContentInfo.eContentType.securityProtocolName), expected id-SecurityObject")
        }
        guard let content = signedData.encapContentInfo.eContent else {
            throw LDSError.malformed("EF.CardSecurity", "the SignedData has no encapsulated content")
        }
        securityInfos = try SecurityInfos(bytes: content, what: "EF.CardSecurity SecurityInfos")
    }

    /// The ContentInfo DER. The signed content is written as it is held, so the signature stays valid.
    public func encode() throws -> [UInt8] { try signedData.contentInfoDER() }
}

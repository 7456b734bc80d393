import Foundation
import PKICore
import SwiftASN1

/// EF.SOD, the document security object (Doc 9303-10 §4.6.2): the LDS security object signed by a Document
/// Signer as CMS SignedData, inside an application tag.
///
/// ```
/// 77 L                                          [APPLICATION 23]
///    ContentInfo ::= SEQUENCE {
///        contentType  id-signedData,
///        content      [0] EXPLICIT SignedData {
///            version 3, digestAlgorithms, certificates [0] { DS certificate }, signerInfos { SignerInfo },
///            encapContentInfo { eContentType id-icao-mrtd-security-ldsSecurityObject (2.23.136.1.1.1),
///                               eContent     OCTET STRING containing LDSSecurityObject } } }
/// ```
/// Read tolerantly: BER and indefinite lengths inside, either signer identifier, a ContentInfo without the 77
/// wrapper, and the eContentType id-data that some countries use. Those are listed in `deviations` for
/// passive authentication to report; they do not stop reading.
public struct EFSOD: Sendable {
    public static let tag: UInt32 = 0x77

    public var signedData: SignedData
    public var securityObject: LDSSecurityObject
    /// What the file does differently from Doc 9303-10, found while reading.
    public private(set) var deviations: [String] = []

    /// Wraps a SignedData whose content is an LDS security object (as `SODSigner` builds it).
    public init(signedData: SignedData) throws {
        self.signedData = signedData
        guard let content = signedData.encapContentInfo.eContent else {
            throw LDSError.malformed("EF.SOD", "the SignedData has no encapsulated content (a detached signature)")
        }
        securityObject = try LDSSecurityObject(bytes: content)
        switch signedData.encapContentInfo.eContentType {
        case .ICAO.ldsSecurityObject:
            break
        case .CMS.data:
            deviations.append("eContentType is id-data, not id-icao-mrtd-security-ldsSecurityObject (2.23.136.1.1.1)")
        default:
            throw LDSError.malformed(
                "EF.SOD", "eContentType \(signedData.encapContentInfo.eContentType.displayName) is not id-icao-mrtd-security-ldsSecurityObject")
        }
    }

    /// A SignedData just built over `securityObject` with eContentType id-icao-mrtd-security-ldsSecurityObject.
    init(signedData: SignedData, securityObject: LDSSecurityObject) {
        self.signedData = signedData
        self.securityObject = securityObject
    }

    public init(bytes: [UInt8]) throws {
        guard let first = bytes.first else { throw LDSError.malformed("EF.SOD", "the file is empty") }
        var inner = bytes[...]
        var wrapped = true
        if first == 0x30 {
            wrapped = false
        } else {
            let outer = try BERTLV.parseSingle(bytes[...], what: "EF.SOD")
            guard outer.tag == Self.tag else {
                throw LDSError.malformed("EF.SOD", "starts with tag \(outer.tagHex), expected 77 (or a bare ContentInfo, 30)")
            }
            inner = outer.value
        }
        let signedData: SignedData
        do {
            signedData = try SignedData(contentInfo: inner)
        } catch let error as PKIError {
            throw LDSError.malformed("EF.SOD", error.reason)
        }
        try self.init(signedData: signedData)
        if !wrapped { deviations.insert("the ContentInfo is not wrapped in tag 77", at: 0) }
    }

    /// `77 L ContentInfo`, the SignedData re-encoded in DER (signed attributes and certificates as received).
    public func encode() throws -> [UInt8] {
        try signedData.contentInfoDER(outerTag: UInt8(Self.tag))
    }

    /// The DS certificate embedded in the SignedData that the SignerInfo names.
    public var documentSignerCertificate: Certificate? { signedData.embeddedSignerCertificate }

    /// The signingTime signed attribute, when the signer put one.
    public var signingTime: Date? { signedData.signerInfos.first?.signingTime }

    public var signerInfo: SignerInfo? { signedData.signerInfos.first }
}

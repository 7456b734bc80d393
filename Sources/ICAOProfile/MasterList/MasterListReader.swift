import SwiftASN1
import PKICore

/// Reads a signed CSCA master list (the ICAO one or a country's) and says what it found.
///
/// Checks, each in the report: the CMS signature by the embedded signer; the signer's EKU
/// (2.23.136.1.1.3); the signer certificate's issuer among the list's CSCAs (or the extra trust anchors given).
/// Certificates are parsed leniently; those that fail are listed, not fatal.
public struct MasterListReader: Sendable {
    public struct Result: Sendable {
        public var masterList: CscaMasterList
        public var signedData: SignedData
        public var signerCertificate: Certificate?
        public var report: VerificationReport
    }

    public init() {}

    public func read(_ bytes: [UInt8], additionalAnchors: [Certificate] = []) throws -> Result {
        let signedData = try SignedData(contentInfoBytes: bytes)
        var report = VerificationReport(subject: "CSCA master list")
        let type = signedData.encapContentInfo.eContentType
        report.add("content type", passed: type == .ICAO.cscaMasterList, "eContentType \(type.displayName)")
        guard let content = signedData.encapContentInfo.eContent else {
            throw PKIError.malformed("master list", "SignedData carries no content")
        }
        let list = try PKIError.decoding("CscaMasterList") { try CscaMasterList(berEncoded: BER.parse(content)) }

        let signer = signedData.embeddedSignerCertificate
        let cmsReport = signedData.verify(signerCertificate: signer)
        report.checks += cmsReport.checks.map { VerificationReport.Check("CMS \($0.name)", $0.status, $0.detail) }
        if let signer {
            let hasEKU = signer.extendedKeyUsage?.purposes.contains(.ICAO.cscaMasterListSigningKey) ?? false
            report.add("signer EKU", passed: hasEKU, hasEKU ? "id-icao-cscaMasterListSigningKey" : "the signer lacks EKU 2.23.136.1.1.3")
            var pool = CertificatePool(list.certificates)
            for anchor in additionalAnchors { pool.insert(anchor) }
            for embedded in signedData.certificates where embedded != signer && embedded.isSelfIssued { pool.insert(embedded) }
            switch pool.checkIssuer(of: signer) {
            case .verified(let issuer): report.add("signer chain", .passed, "issued by \(issuer.subject)")
            case .issuerNotInPool: report.add("signer chain", .failed, "no CSCA in the list or the anchors issued \(signer.issuer)")
            case .signatureInvalid: report.add("signer chain", .failed, "the signer certificate's signature does not verify")
            case .notCheckable(let why): report.add("signer chain", .notChecked, why)
            }
        }
        if !list.unreadable.isEmpty {
            report.add("certificates", .warning, "\(list.unreadable.count) entries unreadable: \(list.unreadable.joined(separator: "; "))")
        }
        return Result(masterList: list, signedData: signedData, signerCertificate: signer, report: report)
    }
}

import CSCA
import Foundation
import ICAOProfile
import NPKD
import PKICore
import Store
import SwiftASN1
import TestSupport

/// A country's PKI for the NPKD tests, built with the CSCA module's issuer so every certificate follows the profile:
/// a CSCA (P-256 with explicit parameters, for speed), Document Signers, a Master List Signer, CRLs and signed lists.
struct CountryPKI {
    static let day: TimeInterval = 86_400
    /// 2027-09-21: a fixed "now", so results do not depend on the day the tests run.
    static let now = Date(timeIntervalSince1970: 1_821_571_200)

    let country: String
    let cscaSigner: SoftwareSigner
    let csca: Certificate
    let issuer: ICAOCertificateIssuer

    struct Signer {
        let certificate: Certificate
        let key: SoftwareSigner
    }

    init(_ country: String, name: String? = nil, start: Date = CountryPKI.now.addingTimeInterval(-400 * CountryPKI.day)) throws {
        self.country = country
        cscaSigner = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        csca = try ICAOCertificateIssuer.selfSignedCSCA(
            subject: DistinguishedName(parsing: "C=\(country),O=Government of \(country),CN=\(name ?? "CSCA \(country)")"), signer: cscaSigner,
            keyUsageStart: start, crlDistributionPoints: ["https://pkd.example/\(country).crl"], ecParameters: .explicit)
        issuer = try ICAOCertificateIssuer(signer: cscaSigner, cscaCertificate: csca)
    }

    /// A CSCA's PKI after a key rollover: `successor` is signed by the new key, `link` certifies it with the old one.
    static func rollover(from old: CountryPKI) throws -> (successor: CountryPKI, link: Certificate) {
        let successor = try CountryPKI(old.country, name: "CSCA \(old.country) 2", start: CountryPKI.now.addingTimeInterval(-100 * day))
        var extensions = Extensions(successor.csca.extensions.items.filter { $0.oid != AuthorityKeyIdentifier.oid })
        try extensions.append(AuthorityKeyIdentifier(keyIdentifier: old.csca.subjectKeyIdentifier ?? []), critical: false)
        let link = try CertificateBuilder(
            issuer: old.csca.subject, subject: successor.csca.subject, notBefore: successor.csca.notBefore, notAfter: successor.csca.notAfter,
            subjectPublicKeyInfo: successor.csca.tbsCertificate.subjectPublicKeyInfo, extensions: extensions
        ).sign(with: old.cscaSigner)
        return (successor, link)
    }

    func documentSigner(_ index: Int = 1, name: String? = nil, start: Date = CountryPKI.now.addingTimeInterval(-10 * CountryPKI.day)) throws -> Signer {
        let key = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        let subject = try DistinguishedName(attributes: [(.NameAttributes.countryName, country), (.NameAttributes.commonName, name ?? "Document Signer \(index)")])
        let certificate = try issuer.issueDocumentSigner(subject: subject, publicKey: key.publicKey, documentTypes: ["P"], keyUsageStart: start,
                                                         ecParameters: .explicit)
        return Signer(certificate: certificate, key: key)
    }

    /// A DS certificate already expired at `now` (issued directly, since the CSCA issuer refuses nothing of the kind).
    func expiredDocumentSigner() throws -> Signer {
        let key = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        var extensions = Extensions()
        try extensions.append(KeyUsage.digitalSignature, critical: true)
        try extensions.append(AuthorityKeyIdentifier(keyIdentifier: csca.subjectKeyIdentifier ?? []), critical: false)
        try extensions.append(SubjectKeyIdentifier(keyIdentifier: key.publicKey.keyIdentifier), critical: false)
        let certificate = try CertificateBuilder(
            issuer: csca.subject, subject: DistinguishedName(parsing: "C=\(country),CN=Expired Document Signer"),
            notBefore: csca.notBefore, notAfter: CountryPKI.now.addingTimeInterval(-5 * CountryPKI.day),
            subjectPublicKeyInfo: key.publicKey.subjectPublicKeyInfo, extensions: extensions
        ).sign(with: cscaSigner)
        return Signer(certificate: certificate, key: key)
    }

    func listSigner(_ type: ICAOCertificateIssuer.ListSignerType) throws -> Signer {
        let key = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        let certificate = try issuer.issueListSigner(
            type, subject: DistinguishedName(parsing: "C=\(country),CN=\(type == .masterList ? "Master List Signer" : "Deviation List Signer")"),
            publicKey: key.publicKey, notBefore: CountryPKI.now.addingTimeInterval(-20 * CountryPKI.day))
        return Signer(certificate: certificate, key: key)
    }

    func crl(number: UInt64, revoked: [Certificate] = [], thisUpdate: Date = CountryPKI.now.addingTimeInterval(-CountryPKI.day)) throws -> CertificateRevocationList {
        try issuer.issueCRL(number: number, thisUpdate: thisUpdate, nextUpdate: thisUpdate.addingTimeInterval(30 * CountryPKI.day),
                            revoked: try revoked.map { try RevokedCertificate(serialNumber: Array($0.serialNumber), revocationDate: thisUpdate) })
    }

    /// A signed master list of `certificates`, by `signer`, with the CSCA certificate embedded.
    func masterList(_ certificates: [Certificate], signer: Signer) throws -> [UInt8] {
        try SignedDataBuilder(eContentType: .ICAO.cscaMasterList, content: try CscaMasterList(certificates: certificates).derEncoded,
                              signerCertificate: signer.certificate, signingTime: CountryPKI.now.addingTimeInterval(-CountryPKI.day),
                              additionalCertificates: [csca]).sign(with: signer.key).contentInfoDER()
    }
}

/// A fresh data directory with an NPKD on it, removed by `cleanUp`.
struct NPKDFixture {
    let directory: URL
    let store: EPKIStore
    let pkd: NationalPKD

    init(clock: any PKIClock = FixedClock(CountryPKI.now)) throws {
        directory = try TestSupport.temporaryDirectory("epki-npkd")
        store = try EPKIStore(directory: directory, migrations: CountrySigningCA.migrations + NationalPKD.migrations)
        pkd = try NationalPKD(store: store, clock: clock)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try TestSupport.write(bytes, url)
        return url.path
    }

    func importBytes(_ bytes: [UInt8], _ name: String, trustSigners: [Certificate] = []) throws -> ImportSummary {
        try pkd.importFile(atPath: write(bytes, name), options: ImportOptions(trustSigners: trustSigners))
    }

    /// Counts rows of an NPKD table, to prove that a refused file left nothing.
    func count(_ table: String) throws -> Int {
        try store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }

    func auditActions() throws -> [String] {
        try store.auditEntries(domain: pkd.domain).map(\.action)
    }
}

enum ICAOVector {
    static let masterList = "csca-trust-store/ICAO_MasterList_2025-07-23_allowlist.ml"
    /// 2025-08-01, shortly after the master list was signed (2025-07-23), inside its signer's validity.
    static let clock = FixedClock(Date(timeIntervalSince1970: 1_754_006_400))

    static func bytes() throws -> [UInt8] { try TestSupport.vector(masterList) }

    static func signer() throws -> Certificate {
        guard let signer = try MasterListReader().read(bytes()).signerCertificate else { throw TestFailure("the ICAO master list has no signer") }
        return signer
    }
}

import Foundation
import PKICore

/// What inspection systems load: only what the NPKD trusts (trusted or non-conformant but accepted), as a PEM bundle,
/// as ICAO-shaped LDIF, or as a master list signed by the domain's own Master List Signer.
extension NationalPKD {
    public enum ExportContent: String, Sendable, CaseIterable {
        /// CSCA and link certificates.
        case cscas
        /// CSCA and link certificates, Document Signers, and the current CRLs of trusted CSCAs.
        case all
    }

    /// Trusted certificates, each a CERTIFICATE block (CSCAs and links first), then current CRLs as X509 CRL blocks.
    public func exportPEM(_ content: ExportContent = .cscas) throws -> String {
        var text = ""
        for certificate in try trustedCertificates(content) {
            text += PEM.encode(certificate.der, label: "CERTIFICATE")
        }
        if content == .all {
            for der in try trustedCRLs() { text += PEM.encode(der, label: "X509 CRL") }
        }
        return text
    }

    /// Trusted certificates under o=csca (CSCA and link) and o=dsc, CRLs under o=crl, in the PKD's LDIF shape.
    public func exportLDIF(_ content: ExportContent = .all) throws -> String {
        var writer = LDIFWriter()
        for record in try trustedCertificates(content) {
            guard let certificate = try? record.certificate else { continue }
            writer.certificate(certificate, organization: record.kind == "ds" ? "dsc" : "csca", version: 1)
        }
        if content == .all {
            for der in try trustedCRLs() {
                guard let crl = try? CertificateRevocationList(bytes: der) else { continue }
                writer.crl(crl, version: 1)
            }
        }
        return writer.text
    }

    /// The national master list: every trusted CSCA and link certificate (those with the cA basic constraint, as a
    /// master list requires), signed through `signer`. Returns the list and the certificates left out with why.
    public func exportMasterList(signer: any MasterListSigning) throws -> (signed: SignedData, included: Int, skipped: [String]) {
        var certificates: [Certificate] = []
        var skipped: [String] = []
        for record in try trustedCertificates(.cscas) {
            guard let certificate = try? record.certificate else { continue }
            if certificate.basicConstraints?.isCertificateAuthority == true {
                certificates.append(certificate)
            } else {
                skipped.append("\(record.subject) (serial \(record.serial)): no cA basic constraint")
            }
        }
        guard !certificates.isEmpty else {
            throw NPKDError(.notFound, "no trusted CSCA certificate to put in a master list (domain '\(domain)')")
        }
        return (try signer.signMasterList(certificates: certificates), certificates.count, skipped)
    }

    /// Per-country bundles for inspection systems that load files: for each country, `XX.pem` with its trusted CSCA and
    /// link certificates, its trusted Document Signers and the current CRL of each trusted CSCA key; and the whole
    /// trusted set as `all.pem` and as ICAO-shaped `all.ldif`. File name → content, read in one snapshot.
    public func exportBundles() throws -> [String: String] {
        let usable = [TrustState.trusted.rawValue, TrustState.nonConformantAccepted.rawValue]
        let (authorities, signers, crls) = try read { db -> ([NPKDRepository.CertificateRow], [NPKDRepository.CertificateRow], [(String, [UInt8])]) in
            let authorities = try NPKDRepository.certificates(db, domain: domain, kinds: ["csca", "link"], states: usable)
            let signers = try NPKDRepository.certificates(db, domain: domain, kinds: ["ds"], states: usable)
            var crls: [(String, [UInt8])] = []
            for key in Set(authorities.map(\.keyHash)).sorted() {
                if let crl = try NPKDRepository.currentCRL(db, domain: domain, issuerKeyHash: key), let der = try NPKDRepository.crlDER(db, id: crl.id) {
                    crls.append((crl.country.uppercased(), der))
                }
            }
            return (authorities, signers, crls)
        }
        var files: [String: String] = [:]
        var all = ""
        for row in authorities + signers {
            let block = PEM.encode(row.der, label: "CERTIFICATE")
            files["\(Self.bundleCountry(row.country)).pem", default: ""] += block
            all += block
        }
        for (country, der) in crls {
            let block = PEM.encode(der, label: "X509 CRL")
            files["\(Self.bundleCountry(country)).pem", default: ""] += block
            all += block
        }
        files["all.pem"] = all
        files["all.ldif"] = try exportLDIF(.all)
        return files
    }

    /// A file name's country: two letters, else XX (a name from a certificate must not reach the file system as it is).
    static func bundleCountry(_ country: String) -> String {
        let upper = country.uppercased()
        return upper.count == 2 && upper.allSatisfy({ $0.isASCII && $0.isLetter }) ? upper : "XX"
    }

    private func trustedCertificates(_ content: ExportContent) throws -> [NPKDCertificate] {
        let usable: [TrustState] = [.trusted, .nonConformantAccepted]
        let authorities = try certificates(kinds: ["csca", "link"], states: usable)
        guard content == .all else { return authorities }
        return authorities + (try certificates(kinds: ["ds"], states: usable))
    }

    private func trustedCRLs() throws -> [[UInt8]] {
        let trustedKeys = try read { db in
            Set(try NPKDRepository.certificates(db, domain: domain, kinds: ["csca", "link"],
                                                states: [TrustState.trusted.rawValue, TrustState.nonConformantAccepted.rawValue]).map(\.keyHash))
        }
        return try read { db in
            var result: [[UInt8]] = []
            for key in trustedKeys.sorted() {
                if let crl = try NPKDRepository.currentCRL(db, domain: domain, issuerKeyHash: key), let der = try NPKDRepository.crlDER(db, id: crl.id) {
                    result.append(der)
                }
            }
            return result
        }
    }
}

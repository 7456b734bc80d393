import Foundation
import ICAOProfile
import PKICore
import Store

extension CountrySigningCA {
    /// The newest valid, unrevoked list signer of a type whose key epki holds.
    func listSigner(_ kind: String) throws -> (certificate: Certificate, signer: any Signer) {
        let now = clock.now()
        let candidates = try certificates(kind: kind).filter { record in
            record.revokedAt == nil && record.keyReference != nil && record.certificate.notBefore <= now && now <= record.certificate.notAfter
        }
        guard let record = candidates.last, let reference = record.keyReference else {
            throw CSCAError(.notFound, "domain '\(domain)' has no valid \(kind == "mls" ? "Master List Signer" : "Deviation List Signer") with a key epki holds; run `epki csca issue-signer --type \(kind)`")
        }
        return (record.certificate, try keys.signer(for: reference, domain: domain))
    }

    /// Signs a CSCA master list (Doc 9303-12 §9): CMS with eContentType 2.23.136.1.1.2, signingTime, the MLS
    /// certificate and the CSCA certificate embedded, signer named by subjectKeyIdentifier.
    public func signMasterList(certificates: [Certificate]) throws -> SignedData {
        guard !certificates.isEmpty else { throw CSCAError(.policyViolation, "a master list needs at least one CSCA certificate") }
        for certificate in certificates where certificate.basicConstraints?.isCertificateAuthority != true {
            throw CSCAError(.policyViolation, "\(certificate.subject) is not a CSCA certificate (no cA basic constraint)")
        }
        let (mls, signer) = try listSigner("mls")
        let authority = try activeAuthority()
        let list = CscaMasterList(certificates: certificates)
        let signed = try SignedDataBuilder(eContentType: .ICAO.cscaMasterList, content: try list.derEncoded, signerCertificate: mls,
                                           signingTime: clock.now(), additionalCertificates: [authority.certificate]).sign(with: signer)
        try ProfileLinter.requireClean(signed, kind: .masterList)
        try record(signed, kind: "masterlist", details: ["certificates": String(certificates.count), "signer": mls.serialNumberHex])
        return signed
    }

    /// Signs a Deviation List (Doc 9303-12 §10) with the domain's Deviation List Signer.
    public func signDeviationList(_ list: DeviationList) throws -> SignedData {
        let content: [UInt8]
        do {
            content = try list.derEncoded()
        } catch let error as ICAOProfileError {
            // A value the profile does not allow is the operator's input breaking the CSCA's policy.
            throw CSCAError(.policyViolation, error.reason)
        }
        let (dls, signer) = try listSigner("dls")
        let authority = try activeAuthority()
        let signed = try SignedDataBuilder(eContentType: .ICAO.deviationList, content: content, signerCertificate: dls,
                                           signingTime: clock.now(), additionalCertificates: [authority.certificate]).sign(with: signer)
        try ProfileLinter.requireClean(signed, kind: .deviationList)
        try record(signed, kind: "deviationlist", details: ["deviations": String(list.deviations.count), "signer": dls.serialNumberHex])
        return signed
    }

    private func record(_ signed: SignedData, kind: String, details: [String: String]) throws {
        let der = try signed.contentInfoDER()
        try store.write { db in
            let now = clock.now()
            try CSCARepository.insertList(db, domain: domain, kind: kind, der: der, now: now)
            try AuditTrail.append(db, domain: domain, action: "\(kind).sign", subject: domain,
                                  details: details.merging(["sha256": try HashAlgorithm.sha256.hash(der).hexString]) { $1 }, now: now)
        }
    }
}

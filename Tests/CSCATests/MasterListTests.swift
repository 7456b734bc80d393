import CSCA
import Foundation
import ICAOProfile
import PKICore
import SwiftASN1
import Testing
import TestSupport

@Suite struct ICAOMasterListTests {
    static let path = "csca-trust-store/ICAO_MasterList_2025-07-23_allowlist.ml"

    @Test func theSignedListVerifies() throws {
        let result = try MasterListReader().read(TestSupport.vector(Self.path))
        #expect(result.report.isValid, "\(result.report)")
        #expect(result.signerCertificate?.subject.commonName == "ICAO Master List Signer")
        #expect(result.report.check(named: "signer EKU")?.status == .passed)
        #expect(result.report.check(named: "signer chain")?.status == .passed)
        #expect(result.signedData.signerInfos.first?.signingTime.map(Time.iso8601) == "2025-07-23T14:13:21Z")
    }

    /// Every one of the 520 certificates parses; each is checked against its issuer when the issuer is in the list.
    @Test func everyCertificateParsesAndIsCheckedAgainstItsIssuer() throws {
        let result = try MasterListReader().read(TestSupport.vector(Self.path))
        let certificates = result.masterList.certificates
        #expect(result.masterList.unreadable.isEmpty, "\(result.masterList.unreadable)")
        #expect(certificates.count == 520)
        #expect(Set(certificates.compactMap(\.subject.countryName)).count >= 95)

        let pool = CertificatePool(certificates)
        var verified = 0, issuerMissing: [String] = [], invalid: [String] = [], uncheckable: [String] = []
        var deviationKinds: [String: Int] = [:]
        var explicitEC = 0, namedEC = 0, rsa = 0, pss = 0, sha1 = 0, deviating = 0
        for certificate in certificates {
            let key = try certificate.publicKey  // every key is usable by OpenSSL
            switch key.kind {
            case .ec(_, let explicit): if explicit { explicitEC += 1 } else { namedEC += 1 }
            case .rsa: rsa += 1
            }
            let algorithm = try certificate.signatureAlgorithmValue
            if case .rsaPSS = algorithm { pss += 1 }
            if algorithm.hash == .sha1 { sha1 += 1 }
            if !certificate.encodingDeviations.isEmpty { deviating += 1 }
            for deviation in certificate.encodingDeviations { deviationKinds[deviation, default: 0] += 1 }
            switch pool.checkIssuer(of: certificate) {
            case .verified: verified += 1
            case .issuerNotInPool: issuerMissing.append("\(certificate.subject)")
            case .signatureInvalid: invalid.append("\(certificate.subject)")
            case .notCheckable(let why): uncheckable.append("\(certificate.subject): \(why)")
            }
        }
        print("ICAO master list: \(certificates.count) certificates; \(verified) verified by an issuer in the list; "
              + "\(issuerMissing.count) issuer not in the list; \(invalid.count) invalid; \(uncheckable.count) not checkable; "
              + "keys: \(explicitEC) EC explicit, \(namedEC) EC named, \(rsa) RSA; \(pss) RSA-PSS, \(sha1) SHA-1 signatures; "
              + "\(deviating) with encoding deviations")
        for (kind, count) in deviationKinds.sorted(by: { $0.key < $1.key }) { print("  deviation x\(count): \(kind)") }
        // Lenient parsing, strict reporting: real deviations are found and reported, not fatal.
        #expect(deviating > 0)
        for line in issuerMissing { print("  issuer not in list: \(line)") }
        for line in invalid + uncheckable { print("  problem: \(line)") }
        // Facts of the vector (its SOURCES.md): 155 EC keys, all with explicit parameters; 365 RSA;
        // 100 RSA-PSS and 61 SHA-1 signatures (46 RSA, 15 ECDSA).
        #expect(explicitEC == 155 && namedEC == 0 && rsa == 365)
        #expect(pss == 100)
        #expect(sha1 == 61)
        #expect(invalid.isEmpty)
        #expect(uncheckable.isEmpty)
        // Every certificate's issuer (its own key for self-signed CSCAs, the previous CSCA for link certificates)
        // is in the list, and every signature verifies — RSA-PSS, SHA-1 and explicit brainpool included.
        #expect(issuerMissing.isEmpty)
        #expect(verified == 520)
    }
}

import Foundation
import ICAOProfile
import PKICore
import SwiftASN1

/// The keys and certificates the harnesses check signatures against: made once per process, so that a parsed
/// object's signature check runs through OpenSSL with a real key of a real curve.
enum Fixture {
    static let pki: SeedPKI? = try? SeedPKI()
}

/// X.509 certificates, CRLs, CMS SignedData and PKCS#10: what every service reads from other countries and lines.
enum PKICoreTargets {
    static let all: [FuzzTarget] = [x509, crl, cms, pkcs10]

    /// Everything a verifier or the NPKD asks of a certificate it was handed.
    static func exercise(_ certificate: Certificate) {
        _ = certificate.description
        _ = certificate.encodingDeviations
        _ = certificate.subject.description
        _ = certificate.issuer.countryName
        _ = certificate.notBefore
        _ = certificate.serialNumberHex
        _ = certificate.subjectKeyIdentifier
        _ = certificate.authorityKeyIdentifier
        _ = certificate.keyUsage
        _ = certificate.basicConstraints
        _ = certificate.privateKeyUsagePeriod
        _ = certificate.extendedKeyUsage
        _ = certificate.documentTypeList
        _ = certificate.subjectAlternativeName
        _ = try? certificate.extensions.value(CRLDistributionPoints.self)
        _ = try? certificate.extensions.value(CertificatePolicies.self)
        _ = try? certificate.extensions.value(NameChange.self)
        _ = try? certificate.extensions.value(CRLNumber.self)
        _ = SPOCTLSProfile.profiles(of: certificate)
        _ = certificate.mayBeIssued(by: certificate)
        _ = try? certificate.signatureAlgorithmValue
        if let key = try? certificate.publicKey {
            _ = key.description
            _ = try? key.keyIdentifier
            _ = try? certificate.isSignatureValid(issuerKey: key)
        }
        if let csca = Fixture.pki?.csca {
            _ = ProfileLinter.lint(certificate, issuer: csca)
        } else {
            _ = ProfileLinter.lint(certificate)
        }
        var serializer = DER.Serializer()
        _ = try? serializer.serialize(certificate)
    }

    static let x509 = FuzzTarget("x509", "X.509 certificate: Certificate(bytes:) (DER, BER, PEM), its extensions, key, lint", seeds: {
        let pki = try SeedPKI()
        let rsa = try SeedPKI(.rsa(bits: 2048))
        let explicit = try SeedPKI(.ec(.brainpoolP256r1, parameters: .explicit))
        return [("csca-p256.der", pki.csca.derEncoded), ("ds-p256.der", pki.documentSigner.derEncoded),
                ("csca-rsa.der", rsa.csca.derEncoded), ("csca-brainpool-explicit.der", explicit.csca.derEncoded),
                ("csca.pem", Array(pki.csca.pemEncoded.utf8))]
    }) { bytes in
        guard let certificate = try? Certificate(bytes: bytes) else { return }
        exercise(certificate)
    }

    static let crl = FuzzTarget("crl", "CRL: CertificateRevocationList(bytes:), every entry by entries(), entryCount, lint", seeds: {
        let pki = try SeedPKI()
        return [("crl-0.der", try pki.crl(entries: 0).derEncoded), ("crl-3.der", try pki.crl(entries: 3).derEncoded),
                ("crl-40.der", try pki.crl(entries: 40).derEncoded), ("crl.pem", Array(try pki.crl(entries: 2).pemEncoded.utf8))]
    }) { bytes in
        guard let crl = try? CertificateRevocationList(bytes: bytes) else { return }
        _ = crl.crlNumber
        _ = crl.authorityKeyIdentifier
        _ = crl.issuer.description
        _ = crl.thisUpdate.date
        _ = crl.nextUpdate?.date
        _ = try? crl.signatureAlgorithmValue
        _ = try? crl.entryCount()
        var iterator = crl.entries()
        while let entry = try? iterator.next() {
            _ = entry.serialNumber.hexString
            _ = entry.revocationDate.date
            _ = entry.extensions?.items.count
            _ = ProfileLinter.lint(entry: entry)
        }
        try? crl.forEachEntry { _ in }
        if let csca = Fixture.pki?.csca, let key = try? csca.publicKey {
            _ = try? crl.isSignatureValid(issuerKey: key)
            _ = ProfileLinter.lint(crl, issuer: csca)
        }
        // As the NPKD's trust source asks it: the entries read for one serial number.
        if let csca = Fixture.pki?.csca, let ds = Fixture.pki?.documentSigner {
            _ = StaticTrustSource(cscas: [csca], crls: [crl]).revocationStatus(of: ds, issuedBy: csca)
        }
    }

    static let cms = FuzzTarget("cms", "CMS SignedData: SignedData(contentInfoBytes:), verify(), re-encoding, list lint", seeds: {
        let pki = try SeedPKI()
        let sod = try pki.sod(dataGroups: [1: try SeedDocument.dg1(), 2: SeedDocument.dg2()])
        return [("sod-signeddata.der", try sod.signedData.contentInfoDER()), ("masterlist.der", try pki.masterList()),
                ("deviationlist.der", try pki.deviationList().signed)]
    }) { bytes in
        guard let signed = try? SignedData(contentInfoBytes: bytes) else { return }
        _ = signed.verify()
        _ = signed.embeddedSignerCertificate
        _ = signed.encapContentInfo.eContentType.displayName
        for info in signed.signerInfos {
            _ = info.sid.description
            _ = info.signingTime
            _ = info.contentTypeAttribute
            _ = info.messageDigestAttribute
        }
        _ = try? signed.contentInfoDER(outerTag: 0x77)
        _ = ProfileLinter.lint(signed, kind: .masterList)
        _ = ProfileLinter.lint(signed, kind: .deviationList)
        if let ds = Fixture.pki?.documentSigner { _ = signed.verify(signerCertificate: ds) }
    }

    static let pkcs10 = FuzzTarget("pkcs10", "PKCS#10: CertificationRequest(bytes:) (DER, PEM), its key and signature", seeds: {
        let pki = try SeedPKI()
        let request = try pki.certificationRequest()
        let rsa = try CertificationRequest.make(subject: try DistinguishedName(parsing: "C=UT,CN=Line 4"),
                                                signer: SoftwareSigner(key: try PrivateKey.generate(.rsa(bits: 2048))))
        return [("request-brainpool.der", request), ("request-rsa.der", rsa.encoded), ("request.pem", Array(rsa.pemEncoded.utf8))]
    }) { bytes in
        guard let request = try? CertificationRequest(bytes: bytes) else { return }
        _ = request.subject.description
        _ = request.attributes
        if let key = try? request.publicKey { _ = key.description }
        _ = try? request.isSignatureValid()
    }
}

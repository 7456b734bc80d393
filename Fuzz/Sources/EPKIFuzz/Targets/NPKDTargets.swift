import Foundation
import ICAOProfile
import LDS
@testable import NPKD
import PKICore

/// What the NPKD reads from outside: ICAO PKD LDIF downloads (and any file handed to `epki npkd import`), and the
/// JSON body of `POST /v1/pa/verify` from inspection systems.
enum NPKDTargets {
    static let all: [FuzzTarget] = [ldif, paRequest]

    static let ldif = FuzzTarget("ldif", "ICAO LDIF: ImportFormat.detect, LDIFReader record by record, PKDDirectoryEntry, each object parsed", seeds: {
        let pki = try SeedPKI()
        func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
        let text = """
        version: 1

        dn: dc=data,dc=download,dc=pkd,dc=icao,dc=int
        objectClass: top
        objectClass: domain
        dc: data

        dn: cn=CN\\=DS\\,O\\=Utopia\\,C\\=UT+sn=\(pki.documentSigner.serialNumberHex),o=dsc,c=UT,dc=data,dc=download,dc=pkd,dc=icao,dc=int
        pkdVersion: 1150
        userCertificate;binary:: \(base64(pki.documentSigner.derEncoded))

        dn: cn=CN\\=CSCA UT\\,O\\=Utopia\\,C\\=UT,o=crl,c=UT,dc=data,dc=download,dc=pkd,dc=icao,dc=int
        certificateRevocationList;binary:: \(base64(try pki.crl(entries: 2).derEncoded))

        dn: cn=CN\\=MLS,o=ml,c=UT,dc=data,dc=download,dc=pkd,dc=icao,dc=int
        pkdMasterListContent:: \(base64(try pki.masterList()))
        # a comment
         folded into the comment

        dn: cn=CN\\=DS,o=dsc,c=UT,dc=nc-data,dc=download,dc=pkd,dc=icao,dc=int
        pkdConformanceCode: ERR:DSC.KU
        pkdConformanceText: key usage
        userCertificate;binary:: \(base64(pki.documentSigner.derEncoded))

        """
        return [("collection.ldif", Array(text.utf8))]
    }) { bytes in
        _ = try? ImportFormat.detect(bytes)
        var reader = LDIFReader(bytes: bytes)
        var records = 0
        while records < 10_000, let record = try? reader.next() {
            records += 1
            _ = record.location
            _ = record.changeType
            guard let entry = try? PKDDirectoryEntry(record) else { continue }
            _ = (entry.country, entry.organization, entry.collection, entry.pkdVersion, entry.conformanceNote, entry.serialNumber)
            switch entry.content {
            case .certificate(let der, _):
                if let certificate = try? Certificate(bytes: der) { _ = ProfileLinter.lint(certificate) }
            case .crl(let der, _):
                if let crl = try? CertificateRevocationList(bytes: der) { try? crl.forEachEntry { _ in } }
            case .masterList(let der, _):
                _ = try? MasterListReader().read(der)
            case .deviationList(let der, _):
                if let signed = try? SignedData(contentInfoBytes: der), let content = signed.encapContentInfo.eContent {
                    _ = try? DeviationListContent(derEncoded: Array(content))
                }
            case .none:
                break
            }
        }
        _ = (reader.version, reader.endsWithoutNewline, reader.bytesRead)
    }

    /// The NPKD's verifier over a trust source of the fixture's CSCA and CRL.
    static let verifier: PassiveAuthentication = {
        guard let pki = Fixture.pki else { return PassiveAuthentication(trustSource: nil, cacheChainResults: false) }
        let crls = (try? pki.crl(entries: 2)).map { [$0] } ?? []
        return PassiveAuthentication(trustSource: StaticTrustSource(cscas: [pki.csca], crls: crls), cacheChainResults: false)
    }()

    static let paRequest = FuzzTarget("pa-request", "PA request JSON: VerifyRequest(json:) of POST /v1/pa/verify, then passive authentication", seeds: {
        let pki = try SeedPKI()
        let dg1 = try SeedDocument.dg1()
        let dg2 = SeedDocument.dg2()
        let sod = try pki.sod(dataGroups: [1: dg1, 2: dg2]).encode()
        func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
        let full = #"{"sod":"\#(base64(sod))","dataGroups":{"1":"\#(base64(dg1))","DG2":"\#(base64(dg2))"},"#
            + #""efCOM":"\#(base64(try SeedDocument.com()))","documentSigner":"\#(base64(pki.documentSigner.derEncoded))"}"#
        let small = #"{"sod":"d4IBAA==","dataGroups":{"dg1":"YQ=="},"x":[1,-2.5e3,true,false,null,"\u00e9\n"]}"#
        return [("full.json", Array(full.utf8)), ("small.json", Array(small.utf8))]
    }) { bytes in
        _ = try? JSONValue(parsing: bytes)
        guard let request = try? VerifyRequest(json: bytes) else { return }
        let result = verifier.verify(sod: request.sod, dataGroups: request.dataGroups, efCOM: request.efCOM, documentSigner: request.documentSigner)
        _ = result.report.checks.count
    }
}

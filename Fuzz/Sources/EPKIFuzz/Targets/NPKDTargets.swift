import Foundation
import ICAOProfile
import LDS
@testable import NPKD
import PKICore
import Store

/// What the NPKD reads from outside: ICAO PKD LDIF downloads (and any file handed to `epki npkd import`), and the
/// JSON body of `POST /v1/pa/verify` from inspection systems.
enum NPKDTargets {
    static let all: [FuzzTarget] = [ldif, paRequest, npkdImport]

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

    /// The store `npkd-import` writes to: a data directory of this process under the temporary directory, removed
    /// when the process ends normally. One store for `importsPerStore` inputs in a row: what an input leaves (an
    /// accepted certificate, a CRL) is there for the next, as in a directory that imports file after file. Then a
    /// fresh one: every import reads the domain's CA certificates and trust rows, and mutated certificates are new
    /// certificates, so with a single store each input cost more than the one before (15 executions a second after
    /// 2,000 inputs, against 110–170 at the start).
    static let importsPerStore = 1_000
    nonisolated(unsafe) static var importStore: (pkd: NationalPKD, store: EPKIStore, directory: String, imports: Int)?
    nonisolated(unsafe) static var importGeneration = 0

    static func importPKD() -> NationalPKD? {
        if let current = importStore, current.imports < importsPerStore {
            importStore?.imports += 1
            return current.pkd
        }
        if let old = importStore {
            old.store.close()
            try? FileManager.default.removeItem(atPath: old.directory)
            importStore = nil
        }
        importGeneration += 1
        // The stores before this one were removed when they were replaced; this one goes when the process ends.
        if importGeneration == 1 {
            atexit {
                if let directory = NPKDTargets.importStore?.directory { try? FileManager.default.removeItem(atPath: directory) }
            }
        }
        let directory = NSTemporaryDirectory() + "epki-fuzz-npkd-\(getpid())-\(importGeneration)"
        guard let store = try? EPKIStore(directory: URL(fileURLWithPath: directory), migrations: NationalPKD.migrations),
              let pkd = try? NationalPKD(store: store, clock: FixedClock(SeedPKI.now)) else { return nil }
        // The fixture's CSCA is an anchor, so that inputs made from its CRL and certificates get past the signature
        // checks into the entry and trust paths.
        if let pki = Fixture.pki { _ = try? pkd.trust(pki.csca, note: "fuzz fixture") }
        importStore = (pkd, store, directory, 1)
        return pkd
    }

    /// `epki npkd import` without the file: ImportFormat.detect, then the whole import of whatever it is (master
    /// list, deviation list, LDIF with its pipeline, CRL through CRLEntryBuffer into the index, certificate) into a
    /// real store, one transaction per input, small batches so that a CRL of a few entries crosses batch edges.
    static let npkdImport = FuzzTarget("npkd-import", "NationalPKD.importBytes into a store: any file epki npkd import takes (CRL entries into the index, LDIF pipeline, lists)", seeds: {
        let pki = try Fixture.pki ?? SeedPKI()
        let ldif = try NPKDTargets.ldif.seeds()
        return [("crl-3.crl", try pki.crl(entries: 3).derEncoded), ("crl-40.crl", try pki.crl(entries: 40).derEncoded),
                ("ds.cer", pki.documentSigner.derEncoded), ("csca.cer", pki.csca.derEncoded), ("ml.ml", try pki.masterList()),
                ("dl.bin", try pki.deviationList().signed)] + ldif
    }) { bytes in
        guard let pkd = importPKD() else { return }
        _ = try? pkd.importBytes(bytes, source: "fuzz", options: ImportOptions(crlBatchSize: 7))
    }
}

import Foundation
import Inspection
import LDS
import NPKD
import PKICore
import Store
import Testing
import TestSupport
import VirtualChip

/// Passive authentication through the national PKD's store, as a border post runs it: the CSCA confirmed in the NPKD
/// makes the data genuine; its CRL revoking the DS makes it fail, naming the revocation; a CSCA the NPKD does not
/// hold leaves the data "not verified".
@Suite struct InspectionNPKDTests {
    static func npkd() throws -> (NationalPKD, URL) {
        let directory = try TestSupport.temporaryDirectory("epki-inspection-npkd")
        let store = try EPKIStore(directory: directory, migrations: NationalPKD.migrations)
        return (try NationalPKD(store: store, clock: TestDocument.clock), directory)
    }

    static func inspect(_ document: TestDocument, _ pkd: NationalPKD) throws -> InspectionReport {
        let system = InspectionSystem(password: .mrz(document.key),
                                      passiveAuthentication: PassiveAuthentication(trustSource: pkd.trustSource, clock: TestDocument.clock))
        return system.inspect(InProcessTransport(try document.chip()))
    }

    @Test func theNPKDsTrustDecides() throws {
        let document = try TestDocument()
        let (pkd, directory) = try Self.npkd()
        defer { try? FileManager.default.removeItem(at: directory) }

        // Not held: data not verified.
        let unknown = try Self.inspect(document, pkd)
        #expect(unknown.dataGenuine == .notChecked && unknown.summary == "data not verified", "\(unknown)")

        // Confirmed (bilaterally): genuine.
        try pkd.trust(document.csca, note: "received from Utopia's embassy")
        let trusted = try Self.inspect(document, pkd)
        #expect(trusted.summary == "genuine", "\(trusted)")

        // The CSCA's CRL revokes the DS: the data fails, naming the revocation.
        let crl = try CRLBuilder(issuer: document.csca.subject, thisUpdate: TestDocument.now.addingTimeInterval(-TestDocument.day),
                                 nextUpdate: TestDocument.now.addingTimeInterval(30 * TestDocument.day),
                                 authorityKeyIdentifier: document.cscaSigner.publicKey.keyIdentifier, crlNumber: CRLNumber(1))
            .sign(entries: [try RevokedCertificate(serialNumber: Array(document.documentSigner.serialNumber),
                                                   revocationDate: TestDocument.now.addingTimeInterval(-2 * TestDocument.day))],
                  with: document.cscaSigner)
        _ = try pkd.importBytes(crl.derEncoded, source: "CRL of CSCA UT")
        let revoked = try Self.inspect(document, pkd)
        #expect(revoked.dataGenuine == .failed, "\(revoked)")
        #expect(revoked.steps.check(named: "PA DS revocation")?.status == .failed)
        #expect(revoked.summary == "data forged or damaged")
        #expect(revoked.chipGenuine == .passed)
    }
}

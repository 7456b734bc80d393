import CVC
import CVCA
import Foundation
import PKICore
import Store
import TestSupport

/// A data directory with the CVCA's tables, software keys, and a clock the tests set: what the authority tests
/// share. Each test gets its own directory.
struct CVCAAuthorityFixture {
    let directory: URL
    let store: EPKIStore
    let keys: SoftwareKeyProvider
    /// The first day of the test, at noon GMT: the clock of every authority the fixture makes, moved on by `days`.
    let start: Date
    /// The first day of tests of epki's own date arithmetic: 1 November 2026, noon GMT.
    static let fixedStart = Date(timeIntervalSince1970: 1_793_534_400)
    /// The first day of tests whose certificates OpenPACE's cvc-print checks against the machine's clock: noon
    /// GMT two weeks before today, so that a terminal certificate of one month, issued up to twelve days later,
    /// is valid today.
    static var recentStart: Date {
        let noon = (Date().timeIntervalSince1970 / 86_400).rounded(.down) * 86_400 + 43_200
        return Date(timeIntervalSince1970: noon - 14 * 86_400)
    }

    init(start: Date = CVCAAuthorityFixture.fixedStart) throws {
        self.start = start
        directory = try TestSupport.temporaryDirectory("epki-cvca")
        store = try EPKIStore(directory: directory.appendingPathComponent("data"), migrations: CountryVerifyingCA.migrations)
        keys = SoftwareKeyProvider(store: store, passphrase: Passphrase("cvca test passphrase"))
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    func clock(days: Int = 0) -> FixedClock {
        FixedClock(start.addingTimeInterval(Double(days) * 86_400))
    }

    /// The GMT day `days` after the start.
    func day(_ days: Int = 0) throws -> CVDate {
        try CVDate(start.addingTimeInterval(Double(days) * 86_400))
    }

    func cvca(_ domain: String, days: Int = 0) throws -> CountryVerifyingCA {
        try CountryVerifyingCA(store: store, domain: domain, keys: keys, clock: clock(days: days))
    }

    func dvca(_ domain: String, days: Int = 0) throws -> DocumentVerifierCA {
        try DocumentVerifierCA(store: store, domain: domain, keys: keys, clock: clock(days: days))
    }

    static let brainpool256 = KeySpecification.ec(.brainpoolP256r1, parameters: .namedCurve)

    static func reference(_ text: String) throws -> CertificationAuthorityReference {
        try CertificationAuthorityReference(encoded: Array(text.utf8))
    }

    /// An inspection system's key and its plain request, as a terminal would make them.
    static func terminalRequest(_ chr: String, car: String? = nil, curve: KeySpecification = brainpool256) throws -> (SoftwareSigner, CVCertificateRequest) {
        let signer = SoftwareSigner(key: try PrivateKey.generate(curve))
        let request = try CVCertificateRequest.create(chr: reference(chr), car: car.map(reference), signer: signer, algorithm: .ecdsaSHA256)
        return (signer, request)
    }

    /// A domain with a CVCA (brainpoolP256r1) and a DVCA holding one domestic DV certificate.
    func domesticDomain(_ country: String, rights: [UInt8] = [0x03]) throws -> (cvca: CountryVerifyingCA, dvca: DocumentVerifierCA, dv: CVCertificate) {
        let cvca = try cvca(country)
        _ = try cvca.initialize(country: country, key: Self.brainpool256, rights: rights)
        let dvca = try dvca(country)
        _ = try dvca.initialize(country: country, mnemonic: "DVIS")
        let request = try dvca.request()
        let issued = try cvca.signRequest(request.request.encoded)
        _ = try dvca.importCertificate(issued.certificate)
        return (cvca, dvca, issued.certificate)
    }

    /// Writes the certificates into an OpenPACE trust directory (files named by CHR) and asks `cvc-print` about
    /// `certificate`; it exits 0 even when verification fails, so its output decides.
    func cvcPrintVerifies(_ certificate: CVCertificate, trust: [CVCertificate]) throws -> (Bool, String) {
        let work = directory.appendingPathComponent("cvc-print-\(UUID().uuidString.prefix(8))")
        let trustDirectory = work.appendingPathComponent("trust")
        try FileManager.default.createDirectory(at: trustDirectory, withIntermediateDirectories: true)
        for item in trust { try TestSupport.write(item.encoded, trustDirectory.appendingPathComponent(item.chr)) }
        try TestSupport.write(certificate.encoded, work.appendingPathComponent("leaf.cvcert"))
        let result = try OpenPACEInteropTests.tool("cvc-print", ["--cvc=leaf.cvcert", "--cvc-dir=trust"], in: work)
        return (result.stdout.split(separator: "\n").contains { $0 == "certificate verified" }, result.output)
    }
}

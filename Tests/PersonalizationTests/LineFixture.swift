import ChipAccess
import CVC
import Foundation
import Inspection
import LDS
import Personalization
import PKICore
import SmartCard
import Store
import TestSupport
import VirtualChip

/// A small issuing country's line: a CSCA and a DS, a CVCA with a DV and the line's own inspection system, a store
/// with the personalization journal, and orders with distinct document numbers. Our own logic runs on a fixed clock.
struct LineFixture {
    static let now = Date(timeIntervalSince1970: 1_821_571_200)  // 2027-09-21, fixed
    static let day: TimeInterval = 86_400

    let csca: Certificate
    let cscaSigner: SoftwareSigner
    let documentSigner: Certificate
    let dsKey: PrivateKey
    let cvca: CVCertificate
    let terminal: InspectionSystem.TerminalCredentials
    let directory: URL
    let store: EPKIStore
    let clock: any PKIClock

    /// `aroundNow`: certificates valid around the real date, for runs through the CLI (which uses the system clock).
    init(aroundNow: Bool = false) throws {
        let now = aroundNow ? Date() : Self.now
        clock = FixedClock(now)
        let cscaKey = try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve))
        let cscaSigner = SoftwareSigner(key: cscaKey)
        self.cscaSigner = cscaSigner
        let name = try DistinguishedName(parsing: "C=UT,O=Utopia,CN=CSCA UT")
        var cscaExtensions = Extensions()
        try cscaExtensions.append(KeyUsage([.keyCertSign, .cRLSign]), critical: true)
        try cscaExtensions.append(BasicConstraints(isCertificateAuthority: true, pathLengthConstraint: 0), critical: true)
        try cscaExtensions.append(SubjectKeyIdentifier(keyIdentifier: cscaSigner.publicKey.keyIdentifier), critical: false)
        csca = try CertificateBuilder(issuer: name, subject: name, notBefore: now.addingTimeInterval(-100 * Self.day),
                                      notAfter: now.addingTimeInterval(4000 * Self.day),
                                      subjectPublicKeyInfo: cscaSigner.publicKey.subjectPublicKeyInfo, extensions: cscaExtensions).sign(with: cscaSigner)
        dsKey = try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve))
        var dsExtensions = Extensions()
        try dsExtensions.append(KeyUsage.digitalSignature, critical: true)
        try dsExtensions.append(AuthorityKeyIdentifier(keyIdentifier: cscaSigner.publicKey.keyIdentifier), critical: false)
        try dsExtensions.append(SubjectKeyIdentifier(keyIdentifier: dsKey.publicKey.keyIdentifier), critical: false)
        documentSigner = try CertificateBuilder(issuer: name, subject: try DistinguishedName(parsing: "C=UT,O=Utopia,CN=DS line"),
                                                notBefore: now.addingTimeInterval(-2 * Self.day), notAfter: now.addingTimeInterval(3650 * Self.day),
                                                subjectPublicKeyInfo: dsKey.publicKey.subjectPublicKeyInfo, extensions: dsExtensions).sign(with: cscaSigner)

        let specification = KeySpecification.ec(.brainpoolP256r1, parameters: .namedCurve)
        let cvcaSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        let dvSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        let isSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        let start = try CVDate(now.addingTimeInterval(-2 * Self.day))
        cvca = try CVCertificateBuilder.selfSignedCVCA(
            signer: cvcaSigner, algorithm: .ecdsaSHA256, chr: CertificationAuthorityReference(countryCode: "UT", holderMnemonic: "CVCA", sequenceNumber: "00001"),
            rights: [0x03], effectiveDate: start, expirationDate: try start.adding(months: 36))
        let dv = try CVCertificateBuilder.documentVerifier(
            publicKey: CVPublicKey(dvSigner.publicKey, algorithm: .ecdsaSHA256, includeDomainParameters: false),
            chr: CertificationAuthorityReference(countryCode: "UT", holderMnemonic: "DVPL", sequenceNumber: "00001"), role: .domesticDV,
            rights: [0x03], effectiveDate: start, expirationDate: try start.adding(months: 3), issuer: cvca, issuerSigner: cvcaSigner)
        let line = try CVCertificateBuilder.terminal(
            publicKey: CVPublicKey(isSigner.publicKey, algorithm: .ecdsaSHA256, includeDomainParameters: false),
            chr: CertificationAuthorityReference(countryCode: "UT", holderMnemonic: "PLIS", sequenceNumber: "00001"),
            rights: [0x01], effectiveDate: start, expirationDate: try start.adding(months: 1), issuer: dv, issuerSigner: dvSigner,
            issuerDomainParameters: cvca.publicKey.domainParameters)
        terminal = InspectionSystem.TerminalCredentials(chain: [cvca, dv, line], key: isSigner)
        directory = try TestSupport.temporaryDirectory("epki-perso")
        store = try EPKIStore(directory: directory.appendingPathComponent("data"), migrations: PersonalizationJournal.migrations)
    }

    func journal() throws -> PersonalizationJournal { try PersonalizationJournal(store: store, domain: "utopia", clock: clock) }

    func line(profile: ChipProfile = ChipProfile(), terminal withTerminal: Bool = true) throws -> PersonalizationLine {
        let builder = try DocumentBuilder(profile: profile, trustPoints: profile.terminalAuthentication ? [cvca] : [], clock: clock)
        let sodSigner = try SODSigner(signer: SoftwareSigner(key: dsKey), documentSigner: documentSigner, clock: clock)
        return PersonalizationLine(journal: try journal(), builder: builder, sodSigner: sodSigner,
                                   readBack: InspectionReadBack(csca: csca, terminal: withTerminal ? terminal : nil, clock: clock))
    }

    /// A photo with the header of a baseline JPEG (SOF0, 480 × 640): the line reads the size from it; the chip stores it as it is.
    static let photo: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
        0xFF, 0xC0, 0x00, 0x11, 0x08, 0x02, 0x80, 0x01, 0xE0, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01,
        0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x11, 0x03, 0x11, 0x00, 0x3F, 0x00] + (0..<12_000).map { UInt8($0 % 251) } + [0xFF, 0xD9]

    /// A fingerprint with the header of a WSQ image (SOI, SOF: 400 × 500).
    static func fingerprint(_ finger: Int) -> [UInt8] {
        [0xFF, 0xA0, 0xFF, 0xA2, 0x00, 0x11, 0x00, 0xFF, 0x01, 0xF4, 0x01, 0x90] + [UInt8](repeating: 0, count: 11)
            + (0..<6_000).map { UInt8(($0 + finger) % 239) }
    }

    /// An order for document `number` (9 characters), with two fingerprints unless `fingerprints` is false.
    static func order(_ number: String, fingerprints: Bool = true, can: String = "123456") -> DocumentOrder {
        var order = DocumentOrder(mrz: [], can: can, photo: photo,
                                  fingerprints: fingerprints ? [.init(position: 1, image: fingerprint(1)), .init(position: 6, image: fingerprint(6))] : nil)
        order.mrz = nil
        order.fields = MRZFields(
            format: .td3, documentCode: "P", issuingState: "UTO", primaryIdentifier: "ERIKSSON", secondaryIdentifier: "ANNA MARIA",
            documentNumber: number, nationality: "UTO", dateOfBirth: "740812", sex: "F", dateOfExpiry: "320415", optionalData: "ZE184226B")
        order.dg11 = ["fullName": "ERIKSSON<<ANNA<MARIA", "placeOfBirth": "ZENITH"]
        order.dg12 = ["issuingAuthority": "UTOPIA PASSPORT OFFICE", "dateOfIssue": "20270915"]
        return order
    }
}

/// The read-back of the tests: the suite's inspection system, and every data group compared with what was written.
struct InspectionReadBack: ChipReadBack {
    let csca: Certificate
    let terminal: InspectionSystem.TerminalCredentials?
    let clock: any PKIClock

    func verify(_ content: ChipContent, transport: any CardTransport) throws -> ReadBackResult {
        let mrz = content.mrz
        let system = InspectionSystem(
            password: .mrz(try BACKey(documentNumber: mrz.documentNumber, dateOfBirth: mrz.dateOfBirth, dateOfExpiry: mrz.dateOfExpiry)),
            terminal: terminal, passiveAuthentication: PassiveAuthentication(trustSource: StaticTrustSource(cscas: [csca]), clock: clock))
        let report = system.inspect(transport)
        let equal = content.dataGroups.allSatisfy { number, bytes in (number == 3 && terminal == nil) || report.dataGroups[number] == bytes }
        // A chip without Chip or Active Authentication cannot prove itself genuine; its data must.
        let chipProof = content.keys.chipAuthentication == nil && content.keys.activeAuthentication == nil
            ? report.chipGenuine != .failed : report.chipGenuine == .passed
        return ReadBackResult(passed: report.dataGenuine == .passed && chipProof && equal, summary: "\(report.summary); equal: \(equal)",
                              details: report.jsonValue)
    }
}

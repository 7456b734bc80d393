import ChipAccess
import CVC
import Foundation
import Inspection
import LDS
import PKICore
import SmartCard
import SwiftASN1
import Testing
import TestSupport
import VirtualChip

/// The lower tester of BSI TR-03105 Part 5.1 in process: a document of the test country in the plan's default
/// configuration (CFG.DFLT.EAC: BAC, Chip Authentication with DG14, Terminal Authentication for DG3 and DG4), each
/// part of which a test case may replace before the chip is made. Whatever a case changes, EF.SOD is signed anew
/// over the data groups as they are then (the plan: "the hash values … and the signature of the SOD MUST be
/// updated"), unless the case gives EF.SOD itself.
///
/// The plan's own certificates and keys (Annex 8) are used as facts only: keys here are generated, CV chains are
/// made with our CVCertificateBuilder, DS certificates with our CertificateBuilder under the test CSCA.
struct TRLab {
    static let start = try! CVDate(year: 2027, month: 9, day: 1)  // dCVCAeff of the plan; TestDocument's clock is 2027-09-21

    let base: TestDocument
    var dataGroups: [Int: [UInt8]]
    /// EF.COM as written; nil: listing `dataGroups`.
    var com: [UInt8]?
    /// EF.SOD as written; nil: signed over `dataGroups` with `sodHash` and `sodSignature` by `documentSigner`.
    var sod: [UInt8]?
    var sodHash: HashAlgorithm = .sha256
    var sodSignature: SignatureAlgorithm?
    var documentSigner: (certificate: Certificate, signer: any Signer)
    var signerIdentification: SignedDataBuilder.SignerIdentification = .issuerAndSerialNumber
    /// EF.CardAccess: nil for the BAC configuration of CFG.DFLT.EAC.
    var cardAccess: [UInt8]?
    var cardSecurity: [UInt8]
    var atrInfo: [UInt8]?
    var chipAuthenticationKey: [UInt8]
    var chipAuthenticationCurve: ECCurve = .brainpoolP256r1
    var chipAuthenticationGroup: DHGroup?
    /// The chip's trust points (at most two) and its current date; no trust point: no Terminal Authentication.
    var trustPoints: [CVCertificate] = []
    var chipDate = TRLab.start
    /// EF.CVCA as written instead of the one the trust points make.
    var efCVCA: [UInt8]?
    /// Terminal Authentication's challenge, when the case wants another length than 8.
    var challenge: [UInt8]?
    var terminalAuthenticationDocumentNumber: String?

    /// The default EAC document: DG1, DG2, DG3, DG4, DG14, DG15 (DG4 two iris images, made by `Biometrics`).
    init(dg4: Bool = true) throws {
        base = try TestDocument()
        var groups = base.dataGroups
        // DG3 as Biometrics builds it: with the subtype (which finger) in its headers, which LDS_D_13 requires.
        groups[3] = Biometrics.dg3()
        if dg4 { groups[4] = Biometrics.dg4() }
        dataGroups = groups
        cardSecurity = base.cardSecurity
        chipAuthenticationKey = base.chipAuthenticationKey
        documentSigner = try Self.issueDocumentSigner(base)
    }

    // MARK: Document Signers

    /// A DS certificate under the test CSCA; `change` edits the builder (extensions, names, dates) before signing.
    static func issueDocumentSigner(_ base: TestDocument, key: PrivateKey? = nil, algorithm: SignatureAlgorithm? = nil,
                                    change: (inout CertificateBuilder) throws -> Void = { _ in }) throws -> (certificate: Certificate, signer: any Signer) {
        let dsKey = try key ?? PrivateKey.generate(.ec(.p256, parameters: .namedCurve))
        var extensions = Extensions()
        try extensions.append(KeyUsage.digitalSignature, critical: true)
        try extensions.append(AuthorityKeyIdentifier(keyIdentifier: base.cscaSigner.publicKey.keyIdentifier), critical: false)
        try extensions.append(SubjectKeyIdentifier(keyIdentifier: dsKey.publicKey.keyIdentifier), critical: false)
        var builder = try CertificateBuilder(issuer: try DistinguishedName(parsing: "C=UT,O=Utopia,CN=CSCA UT"),
                                         subject: try DistinguishedName(parsing: "C=UT,O=Utopia,CN=DS TR-03105"),
                                         notBefore: TestDocument.now.addingTimeInterval(-30 * TestDocument.day),
                                         notAfter: TestDocument.now.addingTimeInterval(3650 * TestDocument.day),
                                         subjectPublicKeyInfo: dsKey.publicKey.subjectPublicKeyInfo, extensions: extensions)
        try change(&builder)
        return (try builder.sign(with: base.cscaSigner, algorithm: algorithm), SoftwareSigner(key: dsKey))
    }

    // MARK: EF.SOD

    /// The LDS security object over `dataGroups` (or the hashes given), signed as CMS.
    /// Made field by field: LDSSecurityObject's own initializers refuse what a lower tester must be able to
    /// write (SHA-224, a data group that does not start with its tag).
    func signedSOD(hashes: [Int: [UInt8]]? = nil, version: Int? = nil) throws -> [UInt8] {
        let values = try hashes ?? dataGroups.mapValues { try sodHash.hash($0) }
        let object = LDSSecurityObject(version: version ?? 0, hashAlgorithm: AlgorithmIdentifier(algorithm: sodHash.oid),
                                       dataGroupHashValues: values.keys.sorted().map { DataGroupHash(dataGroupNumber: $0, hashValue: values[$0]!) },
                                       ldsVersionInfo: nil)
        return try Self.sod(content: object.encode(), signer: documentSigner, digest: sodHash, algorithm: sodSignature, identification: signerIdentification)
    }

    /// EF.SOD around `content` as the eContent, whatever it holds (wrapped in tag 77 here, not by EFSOD, which
    /// would read the content back).
    static func sod(content: [UInt8], signer: (certificate: Certificate, signer: any Signer), digest: HashAlgorithm = .sha256,
                    algorithm: SignatureAlgorithm? = nil, identification: SignedDataBuilder.SignerIdentification = .issuerAndSerialNumber) throws -> [UInt8] {
        var builder = SignedDataBuilder(eContentType: .ICAO.ldsSecurityObject, content: content, signerCertificate: signer.certificate,
                                        identification: identification, signingTime: TestDocument.now)
        builder.digest = digest
        return Biometrics.tlv([0x77], try builder.sign(with: signer.signer, algorithm: algorithm).contentInfoDER())
    }

    /// EF.SOD's bytes as the chip will hold them.
    func currentSOD() throws -> [UInt8] { try sod ?? signedSOD() }

    /// EF.CardSecurity with `infos`, signed by this lab's DS (as a real chip's is signed by its document's DS).
    func signedCardSecurity(_ infos: SecurityInfos) throws -> [UInt8] {
        try SignedDataBuilder(eContentType: .EAC.securityObject, content: infos.encode(), signerCertificate: documentSigner.certificate,
                              identification: .issuerAndSerialNumber, signingTime: TestDocument.now)
            .sign(with: documentSigner.signer).contentInfoDER()
    }

    // MARK: The chip

    func chip() throws -> EMRTDChip {
        var files = ChipFileSystem()
        if let cardAccess { files.masterFile[ChipFileSystem.efCardAccess] = cardAccess }
        files.masterFile[ChipFileSystem.efCardSecurity] = cardSecurity
        if let atrInfo { files.masterFile[ChipFileSystem.efATRInfo] = atrInfo }
        for (number, bytes) in dataGroups { files.application[ChipFileSystem.dataGroup(number)] = bytes }
        files.application[ChipFileSystem.efSOD] = try currentSOD()
        files.application[ChipFileSystem.efCOM] = try com ?? EFCOM(dataGroups: dataGroups.keys.sorted().compactMap { DataGroupNumber($0) }).encode()
        let terminalAuthentication = trustPoints.isEmpty ? nil : try TerminalAuthenticationChip(trustPoints: trustPoints, currentDate: chipDate)
        terminalAuthentication?.fixedChallenge = challenge
        let chip = EMRTDChip(files: files, bacKey: base.key, can: "123456", chipAuthenticationKey: chipAuthenticationKey,
                             chipAuthenticationCurve: chipAuthenticationCurve, chipAuthenticationGroup: chipAuthenticationGroup,
                             terminalAuthentication: terminalAuthentication)
        chip.activeAuthenticationKey = base.activeAuthenticationKey
        if let efCVCA { chip.fixedEFCVCA = efCVCA }
        chip.terminalAuthenticationDocumentNumber = terminalAuthenticationDocumentNumber
        return chip
    }

    func system(terminals: [InspectionSystem.TerminalCredentials] = [], password: InspectionSystem.Password? = nil) -> InspectionSystem {
        InspectionSystem(password: password ?? .mrz(base.key), terminals: terminals,
                         passiveAuthenticationService: LocalPassiveAuthentication(PassiveAuthentication(
                            trustSource: StaticTrustSource(cscas: [base.csca]), clock: TestDocument.clock)))
    }

    /// Runs the inspection over the chip, through `wrap` when the case injects faults on the wire.
    func inspect(_ terminals: [InspectionSystem.TerminalCredentials] = [], password: InspectionSystem.Password? = nil,
                 wrap: (EMRTDChip) -> any CardTransport = { InProcessTransport($0) }) throws -> InspectionReport {
        system(terminals: terminals, password: password).inspect(wrap(try chip()))
    }

    /// CFG.DFLT.EAC with the IS chain `chain`: the chip trusts the chain's CVCA.
    static func eac(_ chain: TAChain, dg4: Bool = true) throws -> TRLab {
        var lab = try TRLab(dg4: dg4)
        lab.trustPoints = [chain.cvca]
        return lab
    }
}

/// An inspection system's CV chain: CVCA → DV → IS, each of which a case may make differently (algorithm, rights,
/// dates, a broken signature).
struct TAChain {
    var cvca: CVCertificate
    let cvcaSigner: any Signer
    var dv: CVCertificate
    let dvSigner: any Signer
    var terminal: CVCertificate
    let terminalSigner: any Signer
    /// Certificates sent before the CVCA's own (link certificates), CVCA first in `credentials`.
    var links: [CVCertificate] = []

    var credentials: InspectionSystem.TerminalCredentials {
        InspectionSystem.TerminalCredentials(chain: [cvca] + links + [dv, terminal], key: terminalSigner)
    }

    static func key(for algorithm: TerminalAuthenticationAlgorithm) -> KeySpecification {
        switch algorithm {
        case .rsaV1_5SHA1, .rsaV1_5SHA256, .rsaV1_5SHA512, .rsaPSSSHA1, .rsaPSSSHA256, .rsaPSSSHA512: .rsa(bits: 2048)
        default: .ec(.brainpoolP256r1, parameters: .namedCurve)
        }
    }

    /// `rights`: 0x01 read DG3, 0x02 read DG4, for the CVCA, the DV and the IS certificate.
    init(algorithm: TerminalAuthenticationAlgorithm = .ecdsaSHA256, cvcaCHR: String = "UTCVCA00001", cvcaRights: UInt8 = 0x03,
         dvRights: UInt8 = 0x03, isRights: UInt8 = 0x03, start: CVDate = TRLab.start, terminalExpiry: CVDate? = nil,
         cvcaSigner given: (any Signer)? = nil) throws {
        let specification = Self.key(for: algorithm)
        let cvcaSigner = try given ?? SoftwareSigner(key: PrivateKey.generate(specification))
        let dvSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        let isSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        let chr = try Self.reference(cvcaCHR)
        let cvca = try CVCertificateBuilder.selfSignedCVCA(signer: cvcaSigner, algorithm: algorithm, chr: chr, rights: [cvcaRights],
                                                           effectiveDate: start, expirationDate: try start.adding(months: 36))
        try self.init(cvca: cvca, cvcaSigner: cvcaSigner, algorithm: algorithm, dvRights: dvRights, isRights: isRights, start: start,
                      terminalExpiry: terminalExpiry, dvSigner: dvSigner, isSigner: isSigner)
    }

    /// A DV and IS under `cvca` (the CVCA's own or a link certificate's key, `cvcaSigner`).
    init(cvca: CVCertificate, cvcaSigner: any Signer, algorithm: TerminalAuthenticationAlgorithm, dvRights: UInt8 = 0x03, isRights: UInt8 = 0x03,
         start: CVDate = TRLab.start, terminalExpiry: CVDate? = nil, dvSigner: (any Signer)? = nil, isSigner: (any Signer)? = nil) throws {
        let specification = Self.key(for: algorithm)
        let dvSigner = try dvSigner ?? SoftwareSigner(key: PrivateKey.generate(specification))
        let isSigner = try isSigner ?? SoftwareSigner(key: PrivateKey.generate(specification))
        let domain = cvca.publicKey.domainParameters
        let dv = try CVCertificateBuilder.documentVerifier(
            publicKey: CVPublicKey(dvSigner.publicKey, algorithm: algorithm, includeDomainParameters: false),
            chr: CertificationAuthorityReference(countryCode: "UT", holderMnemonic: "DVIS", sequenceNumber: "00001"), role: .domesticDV,
            rights: [dvRights], effectiveDate: start, expirationDate: try start.adding(months: 3), issuer: cvca, issuerSigner: cvcaSigner)
        let terminal = try CVCertificateBuilder.terminal(
            publicKey: CVPublicKey(isSigner.publicKey, algorithm: algorithm, includeDomainParameters: false),
            chr: CertificationAuthorityReference(countryCode: "UT", holderMnemonic: "BCIS", sequenceNumber: "00001"),
            rights: [isRights], effectiveDate: start, expirationDate: try terminalExpiry ?? start.adding(months: 1), issuer: dv, issuerSigner: dvSigner,
            issuerDomainParameters: domain)
        self.cvca = cvca
        self.cvcaSigner = cvcaSigner
        self.dv = dv
        self.dvSigner = dvSigner
        self.terminal = terminal
        self.terminalSigner = isSigner
    }

    static func reference(_ chr: String) throws -> CertificationAuthorityReference {
        let characters = Array(chr)
        return try CertificationAuthorityReference(countryCode: String(characters[0..<2]), holderMnemonic: String(characters[2..<(characters.count - 5)]),
                                                   sequenceNumber: String(characters.suffix(5)))
    }

    /// A certificate with the last byte of its signature changed (the plan's DV_Cert_14 and IS_Cert_11).
    static func withBrokenSignature(_ certificate: CVCertificate) throws -> CVCertificate {
        var bytes = try certificate.bodyAndSignature
        bytes[bytes.count - 1] ^= 0x01
        return try CVCertificate(bodyAndSignature: bytes)
    }
}

/// Checks on the report in the plan's terms.
enum Expect {
    static func status(_ report: InspectionReport, _ name: String) -> VerificationReport.Status? { report.steps.check(named: name)?.status }

    /// "MRTD inspection procedure successful": nothing failed, the chip and the data are genuine.
    static func successful(_ report: InspectionReport, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(report.summary == "genuine", "\(report)", sourceLocation: sourceLocation)
        #expect(report.steps.checks.allSatisfy { $0.status != .failed }, "\(report)", sourceLocation: sourceLocation)
    }

    /// "MRTD inspection procedure failed" for a check the report names as a step: that step failed (the report
    /// says why); the inspection still ended with a report, which is what "does not crash" means in process.
    static func failed(_ report: InspectionReport, step: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(status(report, step) == .failed, "\(step): \(report)", sourceLocation: sourceLocation)
    }

    /// Terminal Authentication failed, and DG3 and DG4 were therefore not read.
    static func terminalAuthenticationFailed(_ report: InspectionReport, sourceLocation: SourceLocation = #_sourceLocation) {
        failed(report, step: "Terminal Authentication", sourceLocation: sourceLocation)
        #expect(report.dataGroups[3] == nil && report.dataGroups[4] == nil, "\(report)", sourceLocation: sourceLocation)
        #expect(report.biometricAccess == nil, sourceLocation: sourceLocation)
    }

    /// Terminal Authentication passed and DG3 and DG4 were read and verified.
    static func terminalAuthenticationPassed(_ report: InspectionReport, lab: TRLab, groups: [Int] = [3, 4], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(status(report, "Terminal Authentication") == .passed, "\(report)", sourceLocation: sourceLocation)
        for number in groups {
            #expect(report.dataGroups[number] == lab.dataGroups[number], "DG\(number): \(report)", sourceLocation: sourceLocation)
            #expect(status(report, "PA DG\(number) hash") == .passed, "DG\(number): \(report)", sourceLocation: sourceLocation)
        }
    }
}

/// Builds biometric data groups (DG2, DG3, DG4) from their parts, so that a case can spoil one part: the outer tag,
/// a length, the number of instances, an element of a biometric header template, a record's format identifier or
/// its data block (ISO/IEC 7816-11 templates as Doc 9303-10 §4.7.2–4.7.4 profile them).
enum Biometrics {
    static func tlv(_ tag: [UInt8], _ value: [UInt8], lengthDelta: Int = 0) -> [UInt8] {
        let length = value.count + lengthDelta
        let encodedLength: [UInt8] = switch length {
        case ..<0x80: [UInt8(length)]
        case ..<0x100: [0x81, UInt8(length)]
        default: [0x82, UInt8(length >> 8), UInt8(length & 0xFF)]
        }
        return tag + encodedLength + value
    }

    /// One instance: its header elements (tag → value, in order) and its record, nil for a missing data block.
    struct Instance {
        var header: [(tag: UInt8, value: [UInt8])]
        var record: [UInt8]?
    }

    /// ISO/IEC 19794-6 (iris) and 19794-4 (finger) records as far as an inspection system looks: the format
    /// identifier, the version, then image data.
    static func record(format: [UInt8], image: [UInt8]) -> [UInt8] {
        format + Array("010".utf8) + [0x00] + image
    }

    static func header(type: UInt8, subtype: UInt8?, formatType: [UInt8]) -> [(tag: UInt8, value: [UInt8])] {
        var elements: [(tag: UInt8, value: [UInt8])] = [(0x80, [0x01, 0x01]), (0x81, [type])]
        if let subtype { elements.append((0x82, [subtype])) }
        elements.append((0x87, [0x01, 0x01]))
        elements.append((0x88, formatType))
        return elements
    }

    static func group(tag: UInt8, instances: [Instance], count: Int? = nil, outerLengthDelta: Int = 0) -> [UInt8] {
        var content: [UInt8] = count == -1 ? [] : tlv([0x02], [UInt8(count ?? instances.count)])
        for instance in instances {
            var bit = tlv([0xA1], instance.header.flatMap { tlv([$0.tag], $0.value) })
            if let record = instance.record { bit += tlv([0x5F, 0x2E], record) }
            content += tlv([0x7F, 0x60], bit)
        }
        return tlv([tag], tlv([0x7F, 0x61], content), lengthDelta: outerLengthDelta)
    }

    /// Two iris images (right and left eye, subtypes 1 and 2), format type 0009 of ISO/IEC JTC1 SC37 (owner 0101).
    static func irisInstances(image: (Int) -> [UInt8] = rawIris) -> [Instance] {
        (1...2).map { eye in
            Instance(header: header(type: 0x10, subtype: UInt8(eye), formatType: [0x00, 0x09]), record: record(format: Array("IIR".utf8) + [0], image: image(eye)))
        }
    }

    static func rawIris(_ eye: Int) -> [UInt8] { (0..<3000).map { UInt8(($0 * 7 + eye) % 251) } }
    static func jpeg2000(_ seed: Int) -> [UInt8] { [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20] + (0..<3000).map { UInt8(($0 + seed) % 253) } }

    static func dg4(_ instances: [Instance] = irisInstances(), count: Int? = nil, tag: UInt8 = 0x76, lengthDelta: Int = 0) -> [UInt8] {
        group(tag: tag, instances: instances, count: count, outerLengthDelta: lengthDelta)
    }

    /// Fingers: right thumb and right index (subtypes 5 and 9), format type 0007; `count` fingers.
    static func fingerInstances(count: Int = 2, image: (Int) -> [UInt8] = { TestDocument.fingers[$0 % 2] }) -> [Instance] {
        let subtypes: [UInt8] = [0x05, 0x09, 0x0D]
        return (0..<count).map { index in
            Instance(header: header(type: 0x08, subtype: subtypes[index], formatType: [0x00, 0x07]),
                     record: record(format: Array("FIR".utf8) + [0], image: image(index)))
        }
    }

    static func dg3(_ instances: [Instance] = fingerInstances(), count: Int? = nil, tag: UInt8 = 0x63, lengthDelta: Int = 0) -> [UInt8] {
        group(tag: tag, instances: instances, count: count, outerLengthDelta: lengthDelta)
    }
}

/// An answer's status word rewritten on the wire before the inspection system sees it, or a command refused.
final class RefusingTransport: CardTransport, @unchecked Sendable {
    let chip: EMRTDChip
    let refuse: ([UInt8]) -> Bool
    init(_ chip: EMRTDChip, refuse: @escaping ([UInt8]) -> Bool) {
        self.chip = chip
        self.refuse = refuse
    }

    func transmit(_ command: [UInt8]) throws -> [UInt8] {
        refuse(command) ? StatusWord.instructionNotSupported.bytes : chip.process(command)
    }
}

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

/// A document of a small test country: a CSCA, a DS, and a chip whose EF.SOD that DS signed over DG1, DG2, DG3,
/// DG14 (the Chip Authentication key of the BSI EAC worked example) and DG15 (an Active Authentication key).
struct TestDocument {
    static let now = Date(timeIntervalSince1970: 1_821_571_200)  // 2027-09-21, fixed
    static let day: TimeInterval = 86_400
    static let clock = FixedClock(now)
    static let mrzLines = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]

    /// A 20 KB "JPEG" face and two 10 KB "WSQ" fingers: the sizes of a real passport's DG2 and DG3.
    static let face: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + (0..<20_000).map { UInt8($0 % 241) } + [0xFF, 0xD9]
    static let fingers: [[UInt8]] = (0..<2).map { finger in [0xFF, 0xA0] + (0..<10_000).map { UInt8(($0 + finger) % 239) } }

    let csca: Certificate
    let cscaSigner: SoftwareSigner
    let documentSigner: Certificate
    let dataGroups: [Int: [UInt8]]
    let sod: [UInt8]
    let com: [UInt8]
    let key: BACKey
    let chipAuthenticationKey: [UInt8]
    let activeAuthenticationKey: PrivateKey
    /// The worked example's SecurityInfos, signed by this document's DS (as a real chip's EF.CardSecurity is).
    let cardSecurity: [UInt8]

    init(activeAuthentication: Bool = true, chipAuthentication: Bool = true) throws {
        let cscaSigner = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        self.cscaSigner = cscaSigner
        let name = try DistinguishedName(parsing: "C=UT,O=Utopia,CN=CSCA UT")
        var cscaExtensions = Extensions()
        try cscaExtensions.append(KeyUsage([.keyCertSign, .cRLSign]), critical: true)
        try cscaExtensions.append(BasicConstraints(isCertificateAuthority: true, pathLengthConstraint: 0), critical: true)
        try cscaExtensions.append(SubjectKeyIdentifier(keyIdentifier: cscaSigner.publicKey.keyIdentifier), critical: false)
        csca = try CertificateBuilder(issuer: name, subject: name, notBefore: Self.now.addingTimeInterval(-1000 * Self.day),
                                      notAfter: Self.now.addingTimeInterval(4000 * Self.day),
                                      subjectPublicKeyInfo: cscaSigner.publicKey.subjectPublicKeyInfo, extensions: cscaExtensions).sign(with: cscaSigner)
        let dsKey = try PrivateKey.generate(.ec(.p256, parameters: .namedCurve))
        var dsExtensions = Extensions()
        try dsExtensions.append(KeyUsage.digitalSignature, critical: true)
        try dsExtensions.append(AuthorityKeyIdentifier(keyIdentifier: cscaSigner.publicKey.keyIdentifier), critical: false)
        try dsExtensions.append(SubjectKeyIdentifier(keyIdentifier: dsKey.publicKey.keyIdentifier), critical: false)
        let ds = try CertificateBuilder(issuer: name, subject: try DistinguishedName(parsing: "C=UT,O=Utopia,CN=DS"),
                                        notBefore: Self.now.addingTimeInterval(-30 * Self.day), notAfter: Self.now.addingTimeInterval(3650 * Self.day),
                                        subjectPublicKeyInfo: dsKey.publicKey.subjectPublicKeyInfo, extensions: dsExtensions).sign(with: cscaSigner)

        documentSigner = ds
        let mrz = try MRZ(lines: Self.mrzLines)
        key = try BACKey(documentNumber: mrz.documentNumber, dateOfBirth: mrz.dateOfBirth, dateOfExpiry: mrz.dateOfExpiry)
        chipAuthenticationKey = try TestSupport.vector("eac-worked-example/npa_key")
        activeAuthenticationKey = try PrivateKey.generate(.ec(.p256, parameters: .namedCurve))
        // DG14: the worked example's Chip Authentication key, as its EF.CardSecurity announces it, with CA by AES-128.
        let workedExample = try EFCardSecurity(bytes: TestSupport.vector("eac-worked-example/EF_CardSecurity.bin"))
        let caInfos = workedExample.securityInfos.infos.filter {
            if case .chipAuthenticationPublicKey = $0 { return true }
            return false
        }
        var infos = [SecurityInfo.chipAuthentication(ChipAuthenticationInfo(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 3, 2, 2], version: 1, keyId: 1))] + caInfos
        if activeAuthentication {
            infos.append(.activeAuthentication(ActiveAuthenticationInfo(signatureAlgorithm: [1, 2, 840, 10045, 4, 3, 2])))
        }
        var groups: [Int: [UInt8]] = [
            1: DG1(mrz: mrz).encode(),
            2: DG2(faces: [FacialRecord(images: [FaceImage(imageData: Self.face, imageDataType: .jpeg, width: 480, height: 640)])]).encode(),
            3: DG3(fingers: [FingerImageRecord(fingers: Self.fingers.enumerated().map { index, image in
                FingerImage(position: UInt8(index + 1), width: 400, height: 500, imageData: image)
            }, compressionAlgorithm: 2)]).encode(),
        ]
        if chipAuthentication { groups[14] = try DG14(securityInfos: SecurityInfos(infos)).encode() }
        if activeAuthentication { groups[15] = try DG15(subjectPublicKeyInfo: activeAuthenticationKey.publicKey.subjectPublicKeyInfo).encode() }
        dataGroups = groups
        cardSecurity = try SignedDataBuilder(eContentType: .EAC.securityObject, content: workedExample.securityInfos.encode(), signerCertificate: ds,
                                             identification: .issuerAndSerialNumber, signingTime: Self.now)
            .sign(with: SoftwareSigner(key: dsKey)).contentInfoDER()
        let signer = try SODSigner(signer: SoftwareSigner(key: dsKey), documentSigner: ds, clock: Self.clock)
        sod = try signer.sign(dataGroups: groups).encode()
        com = try EFCOM(dataGroups: groups.keys.compactMap { DataGroupNumber($0) }).encode()
    }

    /// The chip: `paceCardAccess` nil for a BAC-only chip; `chipKey` another key for a clone.
    func chip(cardAccess: [UInt8]? = PACEVectors.genericMappingCardAccess, chipKey: [UInt8]? = nil, activeKey: PrivateKey? = nil,
              trustPoint: CVCertificate? = nil, dataGroups changed: [Int: [UInt8]] = [:]) throws -> EMRTDChip {
        var files = ChipFileSystem()
        if let cardAccess { files.masterFile[ChipFileSystem.efCardAccess] = cardAccess }
        files.masterFile[ChipFileSystem.efCardSecurity] = cardSecurity
        for (number, bytes) in dataGroups.merging(changed, uniquingKeysWith: { $1 }) { files.application[ChipFileSystem.dataGroup(number)] = bytes }
        files.application[ChipFileSystem.efSOD] = sod
        files.application[ChipFileSystem.efCOM] = com
        let terminalAuthentication = try trustPoint.map { try TerminalAuthenticationChip(trustPoints: [$0], currentDate: CVDate(year: 2027, month: 9, day: 1)) }
        let chip = EMRTDChip(files: files, bacKey: key, can: "123456", chipAuthenticationKey: chipKey ?? chipAuthenticationKey,
                             terminalAuthentication: terminalAuthentication)
        chip.activeAuthenticationKey = activeKey ?? activeAuthenticationKey
        return chip
    }

    func system(trusting: Bool = true, password: InspectionSystem.Password? = nil, terminal: InspectionSystem.TerminalCredentials? = nil) -> InspectionSystem {
        InspectionSystem(password: password ?? .mrz(key), terminal: terminal,
                         passiveAuthentication: PassiveAuthentication(trustSource: trusting ? StaticTrustSource(cscas: [csca]) : nil, clock: Self.clock))
    }
}

/// EF.CardAccess contents of the 9303-11 worked examples (brainpoolP256r1, AES-128).
enum PACEVectors {
    /// id-PACE-ECDH-GM-AES-CBC-CMAC-128, parameter ID 13.
    static let genericMappingCardAccess: [UInt8] = [0x31, 0x14, 0x30, 0x12, 0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02, 0x02,
                                                    0x02, 0x01, 0x02, 0x02, 0x01, 0x0D]
    /// id-PACE-ECDH-IM-AES-CBC-CMAC-128.
    static let integratedMappingCardAccess: [UInt8] = [0x31, 0x14, 0x30, 0x12, 0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x04, 0x02,
                                                       0x02, 0x01, 0x02, 0x02, 0x01, 0x0D]
    /// id-PACE-ECDH-CAM-AES-CBC-CMAC-128.
    static let chipAuthenticationMappingCardAccess: [UInt8] = [0x31, 0x14, 0x30, 0x12, 0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x06, 0x02,
                                                               0x02, 0x01, 0x02, 0x02, 0x01, 0x0D]
}

/// The inspection order against the virtual chip in each profile, with the verdicts an officer reads.
@Suite struct InspectionTests {
    static func status(_ report: InspectionReport, _ name: String) -> VerificationReport.Status? { report.steps.check(named: name)?.status }

    @Test func bacOnlyChipWithoutChipAuthentication() throws {
        let document = try TestDocument(activeAuthentication: false, chipAuthentication: false)
        let chip = EMRTDChip(files: try document.chip(cardAccess: nil).files, bacKey: document.key)
        let report = document.system().inspect(InProcessTransport(chip))
        #expect(report.access == "BAC", "\(report)")
        #expect(Self.status(report, "EF.CardAccess") == .notChecked)
        #expect(Self.status(report, "Chip Authentication") == .notChecked && Self.status(report, "Active Authentication") == .notChecked)
        #expect(report.chipGenuine == .notChecked && report.dataGenuine == .passed)
        #expect(report.summary == "chip genuineness not checked")
        #expect(report.steps.checks.allSatisfy { $0.status != .failed }, "\(report)")
        #expect(Self.status(report, "MRZ") == .passed)
        #expect(report.dataGroups[1] == document.dataGroups[1])
        #expect(report.dataGroups[3] == nil, "DG3 is not read without Terminal Authentication")
    }

    @Test(arguments: ["GM", "IM"])
    func paceChipAndActiveAuthenticationGenuine(_ mapping: String) throws {
        let document = try TestDocument()
        let chip = try document.chip(cardAccess: mapping == "GM" ? PACEVectors.genericMappingCardAccess : PACEVectors.integratedMappingCardAccess)
        for password in [InspectionSystem.Password.mrz(document.key), .can("123456")] {
            let report = document.system(password: password).inspect(InProcessTransport(chip))
            #expect(report.summary == "genuine", "\(report)")
            #expect(report.access?.hasPrefix("PACE") == true)
            #expect(Self.status(report, "Chip Authentication") == .passed, "\(report)")
            #expect(Self.status(report, "Active Authentication") == .passed, "\(report)")
            #expect(report.dataGenuine == .passed && report.chipGenuine == .passed)
            #expect(report.dataGroups[2] == document.dataGroups[2])
            #expect(Self.status(report, "EF.ATR/INFO") == .passed)
            #expect(Self.status(report, "Terminal Authentication") == .notChecked)
        }
    }

    @Test func pacesChipAuthenticationMapping() throws {
        let document = try TestDocument()
        let chip = try document.chip(cardAccess: PACEVectors.chipAuthenticationMappingCardAccess)
        let report = document.system().inspect(InProcessTransport(chip))
        #expect(Self.status(report, "PACE-CAM") == .passed, "\(report)")
        #expect(Self.status(report, "EF.CardSecurity signature") == .passed, "\(report)")
        #expect(report.summary == "genuine", "\(report)")
        #expect(report.steps.check(named: "Chip Authentication") == nil)
    }

    @Test func terminalAuthenticationOpensDG3() throws {
        let document = try TestDocument()
        let chain = try InspectionChain()
        let chip = try document.chip(trustPoint: chain.cvca)
        let report = document.system(terminal: chain.credentials).inspect(InProcessTransport(chip))
        #expect(Self.status(report, "Terminal Authentication") == .passed, "\(report)")
        #expect(report.dataGroups[3] == document.dataGroups[3])
        #expect(report.biometricAccess == "read DG3")
        #expect(report.summary == "genuine")
        #expect(Self.status(report, "PA DG3 hash") == .passed)
        // The officer's images: the face of DG2 and both fingers of DG3, by name.
        let images = BiometricImages.extract(from: report.dataGroups)
        #expect(images.map(\.name) == ["face-1.jpg", "finger-1-right-thumb.wsq", "finger-2-right-index-finger.wsq"])
        #expect(images.map(\.bytes) == [TestDocument.face] + TestDocument.fingers)
    }

    /// An inspection system holds a chain per CVCA; a foreign passport's EF.CVCA picks the foreign one. With only the
    /// domestic chain, Terminal Authentication fails and says why, DG3 stays unread, and the rest stands.
    @Test func theChipsTrustPointPicksTheChain() throws {
        let document = try TestDocument()
        let domestic = try InspectionChain()
        let foreign = try InspectionChain(country: "XX", dvRole: .foreignDV)
        let chip = try document.chip(trustPoint: foreign.cvca)
        let both = InspectionSystem(password: .mrz(document.key), terminals: [domestic.credentials, foreign.credentials],
                                    passiveAuthenticationService: LocalPassiveAuthentication(PassiveAuthentication(trustSource: StaticTrustSource(cscas: [document.csca]), clock: TestDocument.clock)))
        let read = both.inspect(InProcessTransport(chip))
        #expect(Self.status(read, "Terminal Authentication") == .passed, "\(read)")
        #expect(read.steps.check(named: "Terminal Authentication")?.detail.contains("under trust point XXCVCA00001") == true)
        #expect(read.dataGroups[3] == document.dataGroups[3])

        chip.reset()
        let onlyDomestic = document.system(terminal: domestic.credentials).inspect(InProcessTransport(chip))
        #expect(Self.status(onlyDomestic, "Terminal Authentication") == .failed, "\(onlyDomestic)")
        #expect(onlyDomestic.steps.check(named: "Terminal Authentication")?.detail.contains("reaches the chip's trust points (XXCVCA00001)") == true)
        #expect(onlyDomestic.dataGroups[3] == nil && onlyDomestic.summary == "genuine")
    }

    // MARK: - Forgeries

    @Test func aDG2ChangedAfterSigningFailsPassiveAuthentication() throws {
        let document = try TestDocument()
        var forged = try #require(document.dataGroups[2])
        forged[100] ^= 0xFF
        let report = document.system().inspect(InProcessTransport(try document.chip(dataGroups: [2: forged])))
        #expect(report.dataGenuine == .failed)
        #expect(Self.status(report, "PA DG2 hash") == .failed)
        #expect(report.steps.check(named: "passive authentication")?.detail.contains("DG2 hash") == true, "\(report)")
        #expect(report.summary == "data forged or damaged")
    }

    @Test func aClonedChipIsNotGenuine() throws {
        let document = try TestDocument()
        let clone = try document.chip(chipKey: try ECPointArithmetic(.brainpoolP256r1).randomScalar(), activeKey: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        let report = document.system().inspect(InProcessTransport(clone))
        #expect(report.chipGenuine == .failed, "\(report)")
        #expect(report.summary == "chip not genuine")
        // The data itself still verifies: a clone copies signed data.
        #expect(report.dataGenuine == .passed)
    }

    @Test func anActiveAuthenticationKeyThatIsNotDG15sIsCaught() throws {
        let document = try TestDocument()
        let chip = try document.chip(activeKey: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        let report = document.system().inspect(InProcessTransport(chip))
        #expect(Self.status(report, "Active Authentication") == .failed, "\(report)")
        #expect(report.summary == "chip not genuine")
    }

    @Test func anUnknownCSCAIsDataNotVerifiedNotForged() throws {
        let document = try TestDocument()
        let report = document.system(trusting: false).inspect(InProcessTransport(try document.chip()))
        #expect(report.dataGenuine == .notChecked, "\(report)")
        #expect(report.chipGenuine == .passed)
        #expect(report.summary == "data not verified")
    }

    @Test func aWrongMRZOpensNothing() throws {
        let document = try TestDocument()
        let wrong = try BACKey(documentNumber: "X0000000", dateOfBirth: "700101", dateOfExpiry: "300101")
        let report = document.system(password: .mrz(wrong)).inspect(InProcessTransport(try document.chip()))
        #expect(report.access == nil)
        #expect(Self.status(report, "PACE") == .failed && Self.status(report, "BAC") == .failed, "\(report)")
        #expect(report.summary == "chip not read")
    }
}

/// An IS chain for the test country: CVCA → domestic DV → inspection system with DG3.
struct InspectionChain {
    let cvca: CVCertificate
    let credentials: InspectionSystem.TerminalCredentials

    init(country: String = "UT", dvRole: CertificateHolderAuthorizationTemplate.Role = .domesticDV) throws {
        let specification = KeySpecification.ec(.brainpoolP256r1, parameters: .namedCurve)
        let cvcaSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        let dvSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        let isSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        let start = try CVDate(year: 2027, month: 9, day: 1)
        cvca = try CVCertificateBuilder.selfSignedCVCA(
            signer: cvcaSigner, algorithm: .ecdsaSHA256, chr: CertificationAuthorityReference(countryCode: country, holderMnemonic: "CVCA", sequenceNumber: "00001"),
            rights: [0x03], effectiveDate: start, expirationDate: try start.adding(months: 36))
        let dv = try CVCertificateBuilder.documentVerifier(
            publicKey: CVPublicKey(dvSigner.publicKey, algorithm: .ecdsaSHA256, includeDomainParameters: false),
            chr: CertificationAuthorityReference(countryCode: "UT", holderMnemonic: "DVIS", sequenceNumber: country == "UT" ? "00001" : "00002"), role: dvRole,
            rights: [0x03], effectiveDate: start, expirationDate: try start.adding(months: 3), issuer: cvca, issuerSigner: cvcaSigner)
        let terminal = try CVCertificateBuilder.terminal(
            publicKey: CVPublicKey(isSigner.publicKey, algorithm: .ecdsaSHA256, includeDomainParameters: false),
            chr: CertificationAuthorityReference(countryCode: "UT", holderMnemonic: "BCIS", sequenceNumber: country == "UT" ? "00001" : "00002"),
            rights: [0x01], effectiveDate: start, expirationDate: try start.adding(months: 1), issuer: dv, issuerSigner: dvSigner,
            issuerDomainParameters: cvca.publicKey.domainParameters)
        credentials = InspectionSystem.TerminalCredentials(chain: [cvca, dv, terminal], key: isSigner)
    }
}

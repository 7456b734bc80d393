import ChipAccess
import CVC
import Foundation
import LDS
import PKICore
import SmartCard
import SwiftASN1
import Testing
import TestSupport
import VirtualChip

/// Terminal Authentication v1: the BSI EAC worked example's signature checked by the chip side, and the whole
/// protocol between epki's terminal and the virtual chip, with a CVCA → DV → IS chain made by epki's builder:
/// the effective CHAT opens DG3 and DG4, and each refusal of TR-03110 comes back as its status word.
@Suite struct TerminalAuthenticationTests {
    static func vector(_ name: String) throws -> [UInt8] { try TestSupport.vector("eac-worked-example/\(name)") }

    // MARK: - Known answers

    /// The worked example imports DV and terminal certificates under the CVCA and verifies the terminal's signature
    /// over Comp(PACE PK_PICC) ‖ r_PICC ‖ Comp(CA PK_PCD): the chip side accepts it, and refuses a changed bit.
    @Test func theEACWorkedExampleSignatureVerifies() throws {
        let cvca = try CVCertificate(encoded: Self.vector("cvca.cvcert"))
        let dv = try CVCertificate(encoded: Self.vector("dvca.cvcert"))
        let terminal = try CVCertificate(encoded: Self.vector("at.cvcert"))
        let chipIdentifier = try TerminalAuthentication.chipIdentifier(paceChipPublicKey: Self.vector("pace_picc_ephemeral_pub_key.bin"))
        #expect(chipIdentifier.count == 32)
        let ephemeral = try Self.vector("ca_pcd_ephemeral_pub_key.bin")
        let signature = try Self.vector("ta_pcd_signature.bin")

        for tampered in [false, true] {
            let chip = try TerminalAuthenticationChip(trustPoints: [cvca], currentDate: cvca.body.effectiveDate, terminalType: .authenticationTerminal)
            chip.fixedChallenge = try Self.vector("ta_nonce.bin")
            for certificate in [dv, terminal] {
                #expect(chip.setDigitalSignatureTemplate(Self.reference(certificate.car)) == .success)
                #expect(chip.verifyCertificate(try certificate.bodyAndSignature, chained: false) == .success, "\(certificate)")
            }
            #expect(chip.setAuthenticationTemplate(Self.reference(terminal.chr)) == .success)
            #expect(try chip.getChallenge() == (try Self.vector("ta_nonce.bin")))
            var sent = signature
            if tampered { sent[40] ^= 0x01 }
            let status = chip.externalAuthenticate(signature: sent, chipIdentifier: chipIdentifier, terminalEphemeralKey: ephemeral)
            #expect(status == (tampered ? .verificationFailed : .success))
            // The worked example's CVCA has an id-IS CHAT above id-AT DV and terminal CHATs: the signature holds,
            // but no rights combine, so the chip grants none.
            #expect(chip.effectiveAuthorization == nil)
            #expect(chip.grantedRights.isEmpty)
            // The chip's date moved to the DV certificate's effective date (domestic DV: the terminal's as well).
            #expect(chip.currentDate == max(dv.body.effectiveDate, terminal.body.effectiveDate))
        }
    }

    /// epki's terminal side signs with the worked example's terminal key; the chip side verifies it.
    @Test func epkiSignsWithTheWorkedExampleTerminalKey() throws {
        let key = try PrivateKey(encoded: Self.vector("at_key.pkcs8"), passphrase: nil, allowUnencrypted: true)
        let terminal = try CVCertificate(encoded: Self.vector("at.cvcert"))
        let message = try TerminalAuthentication.signedData(
            chipIdentifier: TerminalAuthentication.chipIdentifier(paceChipPublicKey: Self.vector("pace_picc_ephemeral_pub_key.bin")),
            challenge: Self.vector("ta_nonce.bin"), terminalEphemeralKey: Self.vector("ca_pcd_ephemeral_pub_key.bin"))
        let signature = try CVSigning.sign(message, with: SoftwareSigner(key: key), algorithm: terminal.publicKey.algorithm)
        #expect(signature.count == 128)
        let cvca = try CVCertificate(encoded: Self.vector("cvca.cvcert"))
        #expect(try terminal.publicKey.isValidSignature(signature, for: message, inheriting: cvca.publicKey.domainParameters))
        #expect(try terminal.publicKey.isValidSignature(Self.vector("ta_pcd_signature.bin"), for: message, inheriting: cvca.publicKey.domainParameters))
    }

    static func reference(_ name: String) -> [UInt8] { [0x83, UInt8(name.utf8.count)] + Array(name.utf8) }

    // MARK: - A chain and a chip

    struct Chain {
        let cvcaSigner: SoftwareSigner
        let dvSigner: SoftwareSigner
        let cvca: CVCertificate
        let dv: CVCertificate
        let specification: KeySpecification
        let algorithm: TerminalAuthenticationAlgorithm

        static let start = try! CVDate(year: 2026, month: 11, day: 1)

        init(country: String = "ZZ", rights: CertificateHolderAuthorizationTemplate.InspectionSystemRights = [.readDG3, .readDG4],
             effective: CVDate = Chain.start, specification: KeySpecification = .ec(.brainpoolP256r1, parameters: .namedCurve),
             algorithm: TerminalAuthenticationAlgorithm = .ecdsaSHA256) throws {
            self.specification = specification
            self.algorithm = algorithm
            cvcaSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
            dvSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
            cvca = try CVCertificateBuilder.selfSignedCVCA(
                signer: cvcaSigner, algorithm: algorithm,
                chr: CertificationAuthorityReference(countryCode: country, holderMnemonic: "CVCA", sequenceNumber: "00001"),
                rights: [0x03], effectiveDate: effective, expirationDate: try effective.adding(months: 36))
            dv = try CVCertificateBuilder.documentVerifier(
                publicKey: CVPublicKey(dvSigner.publicKey, algorithm: algorithm, includeDomainParameters: false),
                chr: CertificationAuthorityReference(countryCode: country, holderMnemonic: "DVIS", sequenceNumber: "00001"), role: .domesticDV,
                rights: [rights.rawValue], effectiveDate: effective, expirationDate: try effective.adding(months: 3), issuer: cvca, issuerSigner: cvcaSigner)
        }

        /// An inspection system certificate with `rights`, and its key.
        func terminal(_ rights: CertificateHolderAuthorizationTemplate.InspectionSystemRights, sequence: String = "00001",
                      effective: CVDate = Chain.start, months: Int = 1) throws -> (CVCertificate, SoftwareSigner) {
            let signer = SoftwareSigner(key: try PrivateKey.generate(specification))
            let certificate = try CVCertificateBuilder.terminal(
                publicKey: CVPublicKey(signer.publicKey, algorithm: algorithm, includeDomainParameters: false),
                chr: CertificationAuthorityReference(countryCode: "ZZ", holderMnemonic: "IST", sequenceNumber: sequence),
                rights: [rights.rawValue], effectiveDate: effective, expirationDate: try effective.adding(months: months), issuer: dv,
                issuerSigner: dvSigner, issuerDomainParameters: cvca.publicKey.domainParameters)
            return (certificate, signer)
        }
    }

    /// A document with DG3 and DG4, a Chip Authentication key and Terminal Authentication under `trustPoint`.
    static func chip(trustPoint: CVCertificate, currentDate: CVDate = Chain.start) throws -> (EMRTDChip, VirtualChipTests.Document) {
        let document = try VirtualChipTests.Document()
        var files = document.chip.files
        files.application[ChipFileSystem.dataGroup(4)] = dg4
        let chip = EMRTDChip(
            files: files, bacKey: document.key, can: VirtualChipTests.Document.can, chipAuthenticationKey: try vector("npa_key"),
            terminalAuthentication: try TerminalAuthenticationChip(trustPoints: [trustPoint], currentDate: currentDate))
        return (chip, document)
    }

    static let dg4: [UInt8] = [0x76, 0x82, 0x01, 0xF4] + [UInt8](repeating: 0x5A, count: 500)
    static let chipKey = Result { ChipAuthentication.ChipKey(curve: .brainpoolP256r1, publicPoint: try vector("ca_picc_pub_key.bin")) }

    /// SELECT, BAC, Chip Authentication (3DES): the session Terminal Authentication runs in, its ID_PICC and Comp() key.
    static func openSession(_ chip: EMRTDChip, _ document: VirtualChipTests.Document) throws -> (SecureMessagingTransport, [UInt8]) {
        let transport = InProcessTransport(chip)
        _ = try transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
        let secure = try BasicAccessControl.authenticate(over: transport, key: document.key)
        let ephemeral = try ChipAuthentication.authenticate(
            over: secure, chipKey: chipKey.get(), protocolIdentifier: ASN1ObjectIdentifier(dotRepresentation: "0.4.0.127.0.7.2.2.3.2.1"))
        return (secure, ephemeral)
    }

    static func readStatus(_ transport: any CardTransport, _ identifier: UInt16) throws -> StatusWord {
        try transport.send(CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [UInt8(identifier >> 8), UInt8(identifier & 0xFF)])).statusWord
    }

    // MARK: - The protocol

    /// The effective CHAT decides: DG3 only, DG4 only, both. Before Terminal Authentication, both are refused (6982).
    @Test(arguments: [
        CertificateHolderAuthorizationTemplate.InspectionSystemRights.readDG3, .readDG4, [.readDG3, .readDG4],
    ])
    func theEffectiveCHATOpensDG3AndDG4(_ rights: CertificateHolderAuthorizationTemplate.InspectionSystemRights) throws {
        let chain = try Chain()
        let (chip, document) = try Self.chip(trustPoint: chain.cvca)
        let (secure, ephemeral) = try Self.openSession(chip, document)
        #expect(try Self.readStatus(secure, ChipFileSystem.dataGroup(3)) == .securityStatusNotSatisfied)
        #expect(try Self.readStatus(secure, ChipFileSystem.dataGroup(4)) == .securityStatusNotSatisfied)

        let efCVCA = try EFCVCA(encoded: ElementaryFileReader(secure).read(ChipFileSystem.efCVCA, size: EFCVCA.size))
        #expect(efCVCA.references == [chain.cvca.chr])
        let (terminal, key) = try chain.terminal(rights)
        let certificates = try TerminalAuthentication.certificatesToSend([chain.cvca, chain.dv, terminal], trustPoints: efCVCA.references)
        #expect(certificates == [chain.dv, terminal])
        try TerminalAuthentication.authenticate(
            over: secure, certificates: certificates, terminalKey: key, chipIdentifier: TerminalAuthentication.chipIdentifier(document.key),
            terminalEphemeralKey: ephemeral)

        let reader = ElementaryFileReader(secure)
        if rights.contains(.readDG3) {
            #expect(try reader.read(ChipFileSystem.dataGroup(3)) == document.dg3)
        } else {
            #expect(try Self.readStatus(secure, ChipFileSystem.dataGroup(3)) == .securityStatusNotSatisfied)
        }
        if rights.contains(.readDG4) {
            #expect(try reader.read(ChipFileSystem.dataGroup(4)) == Self.dg4)
        } else {
            #expect(try Self.readStatus(secure, ChipFileSystem.dataGroup(4)) == .securityStatusNotSatisfied)
        }
        #expect(try reader.read(ChipFileSystem.dataGroup(1)) == document.dg1)
        #expect(chip.terminalAuthentication?.grantedRights == rights)
    }

    /// A DV whose own CHAT lacks DG4 caps a terminal certificate that claims it: the AND of the three CHATs.
    @Test func theDVCapsTheTerminalsRights() throws {
        let chain = try Chain(rights: .readDG3)
        let (chip, document) = try Self.chip(trustPoint: chain.cvca)
        let (secure, ephemeral) = try Self.openSession(chip, document)
        let (terminal, key) = try chain.terminal([.readDG3, .readDG4])
        try TerminalAuthentication.authenticate(over: secure, certificates: [chain.dv, terminal], terminalKey: key,
                                                chipIdentifier: TerminalAuthentication.chipIdentifier(document.key), terminalEphemeralKey: ephemeral)
        #expect(chip.terminalAuthentication?.grantedRights == .readDG3)
        #expect(try Self.readStatus(secure, ChipFileSystem.dataGroup(4)) == .securityStatusNotSatisfied)
    }

    /// After PACE (CAN) and Chip Authentication with AES, ID_PICC is Comp() of the chip's ephemeral PACE key.
    @Test func afterPACEAndAESChipAuthentication() throws {
        let chain = try Chain()
        let (chip, document) = try Self.chip(trustPoint: chain.cvca)
        let transport = InProcessTransport(chip)
        let outcome = try PACETerminal(parameters: try PACEWorkedExampleTests.parameters, password: .can(VirtualChipTests.Document.can))
            .authenticate(over: transport)
        let secure = outcome.transport
        _ = try secure.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
        let ephemeral = try ChipAuthentication.authenticate(
            over: secure, chipKey: Self.chipKey.get(), protocolIdentifier: ASN1ObjectIdentifier(dotRepresentation: "0.4.0.127.0.7.2.2.3.2.2"))
        let (terminal, key) = try chain.terminal(.readDG3)
        // The BAC binding is the wrong ID_PICC after PACE: the signature fails.
        let wrong = #expect(throws: ChipAccessError.self) {
            try TerminalAuthentication.authenticate(over: secure, certificates: [chain.dv, terminal], terminalKey: key,
                                                    chipIdentifier: TerminalAuthentication.chipIdentifier(document.key), terminalEphemeralKey: ephemeral)
        }
        #expect(wrong?.statusWord == .verificationFailed)
        // A new session (PACE again, CA again) with the right binding.
        let again = try PACETerminal(parameters: try PACEWorkedExampleTests.parameters, password: .can(VirtualChipTests.Document.can))
            .authenticate(over: transport)
        _ = try again.transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
        let ephemeral2 = try ChipAuthentication.authenticate(
            over: again.transport, chipKey: Self.chipKey.get(), protocolIdentifier: ASN1ObjectIdentifier(dotRepresentation: "0.4.0.127.0.7.2.2.3.2.2"))
        try TerminalAuthentication.authenticate(
            over: again.transport, certificates: [chain.dv, terminal], terminalKey: key,
            chipIdentifier: TerminalAuthentication.chipIdentifier(paceChipPublicKey: again.chipPublicKey), terminalEphemeralKey: ephemeral2)
        #expect(try ElementaryFileReader(again.transport).read(ChipFileSystem.dataGroup(3)) == document.dg3)
    }

    // MARK: - Refusals

    /// An IS certificate that expired before the chip's current date: PSO:Verify Certificate answers 6300.
    @Test func anExpiredTerminalCertificateIsRefused() throws {
        let chain = try Chain()
        // The chip has seen a certificate of 2027-01-15; the terminal's ran for one month from 2026-11-01.
        let (chip, document) = try Self.chip(trustPoint: chain.cvca, currentDate: try CVDate(year: 2027, month: 1, day: 15))
        let (secure, ephemeral) = try Self.openSession(chip, document)
        let (terminal, key) = try chain.terminal(.readDG3)
        let caught = #expect(throws: ChipAccessError.self) {
            try TerminalAuthentication.authenticate(over: secure, certificates: [chain.dv, terminal], terminalKey: key,
                                                    chipIdentifier: TerminalAuthentication.chipIdentifier(document.key), terminalEphemeralKey: ephemeral)
        }
        #expect(caught?.statusWord == .verificationFailed)
        #expect(caught?.reason.contains("PSO:Verify Certificate \(terminal.chr)") == true, "\(String(describing: caught))")
        #expect(try Self.readStatus(secure, ChipFileSystem.dataGroup(3)) == .securityStatusNotSatisfied)
        // Secure messaging survives a failed Terminal Authentication.
        #expect(try ElementaryFileReader(secure).read(ChipFileSystem.dataGroup(1)) == document.dg1)
    }

    /// A chain from another CVCA: the terminal side stops before sending; sent anyway, MSE:Set DST answers 6A88.
    @Test func aChainToAnUnknownTrustPointIsRefused() throws {
        let ours = try Chain()
        let theirs = try Chain(country: "UT")
        let (chip, document) = try Self.chip(trustPoint: ours.cvca)
        let (secure, ephemeral) = try Self.openSession(chip, document)
        let (terminal, key) = try theirs.terminal(.readDG3)
        let before = #expect(throws: ChipAccessError.self) {
            _ = try TerminalAuthentication.certificatesToSend([theirs.cvca, theirs.dv, terminal], trustPoints: [ours.cvca.chr])
        }
        #expect(before?.reason.contains("reaches none of the chip's trust points") == true)
        let caught = #expect(throws: ChipAccessError.self) {
            try TerminalAuthentication.authenticate(over: secure, certificates: [theirs.dv, terminal], terminalKey: key,
                                                    chipIdentifier: TerminalAuthentication.chipIdentifier(document.key), terminalEphemeralKey: ephemeral)
        }
        #expect(caught?.statusWord == .referencedDataNotFound)
        #expect(caught?.reason.contains("MSE:Set DST UTCVCA00001") == true, "\(String(describing: caught))")
    }

    /// A terminal without the key of its certificate: EXTERNAL AUTHENTICATE answers 6300, and no second try.
    @Test func aSignatureByAnotherKeyIsRefused() throws {
        let chain = try Chain()
        let (chip, document) = try Self.chip(trustPoint: chain.cvca)
        let (secure, ephemeral) = try Self.openSession(chip, document)
        let (terminal, _) = try chain.terminal(.readDG3)
        let (_, otherKey) = try chain.terminal(.readDG3, sequence: "00002")
        let caught = #expect(throws: ChipAccessError.self) {
            try TerminalAuthentication.authenticate(over: secure, certificates: [chain.dv, terminal], terminalKey: otherKey,
                                                    chipIdentifier: TerminalAuthentication.chipIdentifier(document.key), terminalEphemeralKey: ephemeral)
        }
        #expect(caught?.code == .authenticationFailed)
        #expect(caught?.statusWord == .verificationFailed)
        #expect(try Self.readStatus(secure, ChipFileSystem.dataGroup(3)) == .securityStatusNotSatisfied)
        // One Terminal Authentication per session: the chip refuses to start again (6985).
        #expect(try secure.send(CommandAPDU(ins: 0x22, p1: 0x81, p2: 0xB6, data: Self.reference(chain.cvca.chr))).statusWord == .conditionsOfUseNotSatisfied)
    }

    /// Out of order: Terminal Authentication before Chip Authentication, a certificate without MSE:Set DST,
    /// EXTERNAL AUTHENTICATE without a challenge.
    @Test func commandsOutOfOrderGetStandardStatusWords() throws {
        let chain = try Chain()
        let (chip, document) = try Self.chip(trustPoint: chain.cvca)
        let transport = InProcessTransport(chip)
        _ = try transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
        let secure = try BasicAccessControl.authenticate(over: transport, key: document.key)
        #expect(try secure.send(CommandAPDU(ins: 0x22, p1: 0x81, p2: 0xB6, data: Self.reference(chain.cvca.chr))).statusWord == .conditionsOfUseNotSatisfied)
        let ephemeral = try ChipAuthentication.authenticate(
            over: secure, chipKey: Self.chipKey.get(), protocolIdentifier: ASN1ObjectIdentifier(dotRepresentation: "0.4.0.127.0.7.2.2.3.2.1"))
        _ = ephemeral
        #expect(try secure.send(CommandAPDU(ins: 0x2A, p1: 0x00, p2: 0xBE, data: chain.dv.bodyAndSignature)).statusWord == .conditionsOfUseNotSatisfied)
        #expect(try secure.send(CommandAPDU(ins: 0x22, p1: 0x81, p2: 0xA4, data: Self.reference("ZZIST00001"))).statusWord == .referencedDataNotFound)
        #expect(try secure.send(CommandAPDU(ins: 0x82, p1: 0, p2: 0, data: [UInt8](repeating: 0, count: 64))).statusWord == .conditionsOfUseNotSatisfied)
        // A certificate whose signature does not verify.
        var forged = chain.dv
        forged.signature[5] ^= 0x40
        #expect(try secure.send(CommandAPDU(ins: 0x22, p1: 0x81, p2: 0xB6, data: Self.reference(chain.cvca.chr))).statusWord == .success)
        #expect(try secure.send(CommandAPDU(ins: 0x2A, p1: 0x00, p2: 0xBE, data: forged.bodyAndSignature)).statusWord == .verificationFailed)
        // Plain, outside secure messaging: refused, and the session is over.
        #expect(try transport.send(CommandAPDU(ins: 0x22, p1: 0x81, p2: 0xB6, data: Self.reference(chain.cvca.chr))).statusWord == .securityStatusNotSatisfied)
    }

    // MARK: - The chip's memory

    /// A CVCA link certificate becomes the newest trust point (EF.CVCA follows, the oldest of three goes) and moves
    /// the chip's date; a DV of the new CVCA is then accepted, and the chip keeps it all after a reset.
    @Test func aLinkCertificateUpdatesTrustPointsAndDate() throws {
        let chain = try Chain()
        let (chip, document) = try Self.chip(trustPoint: chain.cvca)
        // The next CVCA key, certified by the current one, effective 2027-02-01.
        let nextEffective = try CVDate(year: 2027, month: 2, day: 1)
        let nextSigner = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
        let link = try CVCertificateBuilder.link(
            newKey: nextSigner.publicKey, newAlgorithm: .ecdsaSHA256,
            newCHR: CertificationAuthorityReference(countryCode: "ZZ", holderMnemonic: "CVCA", sequenceNumber: "00002"),
            effectiveDate: nextEffective, expirationDate: try nextEffective.adding(months: 36), previous: chain.cvca, previousSigner: chain.cvcaSigner)
        let nextCVCA = link
        let dvSigner = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
        let dv = try CVCertificateBuilder.documentVerifier(
            publicKey: CVPublicKey(dvSigner.publicKey, algorithm: .ecdsaSHA256, includeDomainParameters: false),
            chr: CertificationAuthorityReference(countryCode: "ZZ", holderMnemonic: "DVIS", sequenceNumber: "00002"), role: .domesticDV,
            rights: [0x03], effectiveDate: nextEffective, expirationDate: try nextEffective.adding(months: 3), issuer: nextCVCA, issuerSigner: nextSigner)
        let terminalSigner = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
        let terminal = try CVCertificateBuilder.terminal(
            publicKey: CVPublicKey(terminalSigner.publicKey, algorithm: .ecdsaSHA256, includeDomainParameters: false),
            chr: CertificationAuthorityReference(countryCode: "ZZ", holderMnemonic: "IST", sequenceNumber: "00009"),
            rights: [0x01], effectiveDate: nextEffective, expirationDate: try nextEffective.adding(months: 1), issuer: dv,
            issuerSigner: dvSigner, issuerDomainParameters: nextCVCA.publicKey.domainParameters)

        let (secure, ephemeral) = try Self.openSession(chip, document)
        let certificates = try TerminalAuthentication.certificatesToSend([chain.cvca, link, dv, terminal], trustPoints: [chain.cvca.chr])
        #expect(certificates == [link, dv, terminal])
        try TerminalAuthentication.authenticate(over: secure, certificates: certificates, terminalKey: terminalSigner,
                                                chipIdentifier: TerminalAuthentication.chipIdentifier(document.key), terminalEphemeralKey: ephemeral)
        #expect(try ElementaryFileReader(secure).read(ChipFileSystem.dataGroup(3)) == document.dg3)
        let ta = try #require(chip.terminalAuthentication)
        #expect(ta.trustPoints.map(\.chr) == [nextCVCA.chr, chain.cvca.chr])
        #expect(ta.currentDate == nextEffective)
        #expect(try EFCVCA(encoded: ElementaryFileReader(secure).read(ChipFileSystem.efCVCA, size: EFCVCA.size)).references == [nextCVCA.chr, chain.cvca.chr])

        // After a reset the trust points and date stay; the rights do not.
        chip.reset()
        #expect(ta.trustPoints.count == 2 && ta.currentDate == nextEffective)
        let (again, _) = try Self.openSession(chip, document)
        #expect(try Self.readStatus(again, ChipFileSystem.dataGroup(3)) == .securityStatusNotSatisfied)
        // The old chain's terminal expired at the chip's new date.
        let (oldTerminal, oldKey) = try chain.terminal(.readDG3, sequence: "00003")
        let (third, ephemeral3) = try Self.openSession(chip, document)
        _ = again
        let caught = #expect(throws: ChipAccessError.self) {
            try TerminalAuthentication.authenticate(over: third, certificates: [chain.dv, oldTerminal], terminalKey: oldKey,
                                                    chipIdentifier: TerminalAuthentication.chipIdentifier(document.key), terminalEphemeralKey: ephemeral3)
        }
        #expect(caught?.statusWord == .verificationFailed)
    }

    /// A certificate longer than one short command goes as a command chain (CLA 1C … 0C), which the chip joins.
    @Test func longCertificatesAreChained() throws {
        let chain = try Chain(specification: .rsa(bits: 2048), algorithm: .rsaPSSSHA256)
        let (chip, document) = try Self.chip(trustPoint: chain.cvca)
        let (terminal, rsaSigner) = try chain.terminal(.readDG3)
        #expect(try terminal.bodyAndSignature.count > TerminalAuthentication.chainingThreshold)
        let (secure, ephemeral) = try Self.openSession(chip, document)
        try TerminalAuthentication.authenticate(over: secure, certificates: [chain.dv, terminal], terminalKey: rsaSigner,
                                                chipIdentifier: TerminalAuthentication.chipIdentifier(document.key), terminalEphemeralKey: ephemeral)
        #expect(try ElementaryFileReader(secure).read(ChipFileSystem.dataGroup(3)) == document.dg3)
    }
}

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

/// BSI TR-03105 Part 5.1, unit ISO7816_E: Terminal Authentication (EACv1) by the inspection system, against the
/// virtual chip in CFG.DFLT.EAC (BAC, Chip Authentication with DG14, DG3 and DG4 behind Terminal Authentication).
///
/// "MRTD inspection procedure successful" is, in our report: Terminal Authentication passed, DG3/DG4 read and their
/// hashes verified, the document "genuine". "… failed" is: the Terminal Authentication step failed with its reason
/// and DG3/DG4 were not read; the rest of the report (BAC, CA, passive authentication of what was read) stands, so
/// the summary may still say "genuine" for the data read — the failed step is what the officer sees.
///
/// Not here: E_01, E_03, E_05 (id-TA-*-SHA-1, the optional DPRCTD-SHA1 profile: epki makes no SHA-1 signatures by
/// policy), E_20, E_21, E_25 (deleted from the plan). See README.md.
@Suite struct TR03105_ISO7816_E_Tests {
    /// A trust point and chain with `algorithm`, the rest CFG.DFLT.EAC: successful, DG3 and DG4 read.
    static func successfulTerminalAuthentication(_ algorithm: TerminalAuthenticationAlgorithm, cvcaCHR: String) throws {
        let chain = try TAChain(algorithm: algorithm, cvcaCHR: cvcaCHR)
        let lab = try TRLab.eac(chain)
        let report = try lab.inspect([chain.credentials])
        Expect.terminalAuthenticationPassed(report, lab: lab)
        #expect(report.steps.check(named: "Terminal Authentication")?.detail.contains("under trust point \(cvcaCHR)") == true, "\(report)")
        Expect.successful(report)
    }

    @Test("ISO7816_E_02 TA with RSA v1.5 and SHA-256") func iso7816_E_02() throws {
        // The plan's trust point is RSA 1024; ours is RSA 2048, where epki's key policy starts (PrivateKey.rsaSizes).
        try Self.successfulTerminalAuthentication(.rsaV1_5SHA256, cvcaCHR: "UTCVCA00004")
    }

    @Test("ISO7816_E_04 TA with RSA-PSS and SHA-256") func iso7816_E_04() throws {
        try Self.successfulTerminalAuthentication(.rsaPSSSHA256, cvcaCHR: "UTCVCA00006")
    }

    @Test("ISO7816_E_06 TA with ECDSA and SHA-224") func iso7816_E_06() throws {
        try Self.successfulTerminalAuthentication(.ecdsaSHA224, cvcaCHR: "UTCVCA00008")
    }

    @Test("ISO7816_E_07 TA with ECDSA and SHA-256") func iso7816_E_07() throws {
        try Self.successfulTerminalAuthentication(.ecdsaSHA256, cvcaCHR: "UTCVCA00001")
    }

    @Test("ISO7816_E_08 Wrong CAR in EF.CVCA") func iso7816_E_08() throws {
        // EF.CVCA names UTCVCA00002; the chip's trust point and the IS's chain are UTCVCA00001.
        let chain = try TAChain()
        var lab = try TRLab.eac(chain)
        lab.efCVCA = try EFCVCA(references: ["UTCVCA00002"]).encoded
        let report = try lab.inspect([chain.credentials])
        Expect.terminalAuthenticationFailed(report)
        #expect(report.steps.check(named: "Terminal Authentication")?.detail.contains("UTCVCA00002") == true, "\(report)")
    }

    @Test("ISO7816_E_09 Missing CAR in EF.CVCA") func iso7816_E_09() throws {
        let chain = try TAChain()
        var lab = try TRLab.eac(chain)
        lab.efCVCA = [UInt8](repeating: 0, count: EFCVCA.size)
        Expect.terminalAuthenticationFailed(try lab.inspect([chain.credentials]))
    }

    @Test("ISO7816_E_10 Three CARs in EF.CVCA") func iso7816_E_10() throws {
        // Reduced names, so that three fit in the 36 bytes; the trust point is the first. Either outcome is allowed;
        // the IS must stay operational. Ours refuses the file (TR-03110 gives EF.CVCA one or two CARs): Terminal
        // Authentication fails with that reason, DG3/DG4 are not read, the rest of the inspection stands.
        let chain = try TAChain(cvcaCHR: "UTCV00001")
        var lab = try TRLab.eac(chain)
        // Written by hand: EFCVCA refuses more than two CARs.
        let cars: [UInt8] = ["UTCV00001", "UTCV00002", "UTCV00003"].flatMap { [UInt8]([0x42, 0x09]) + Array($0.utf8) }
        lab.efCVCA = cars + [UInt8](repeating: 0, count: EFCVCA.size - cars.count)
        let report = try lab.inspect([chain.credentials])
        if Expect.status(report, "Terminal Authentication") == .passed {
            Expect.terminalAuthenticationPassed(report, lab: lab)
        } else {
            Expect.terminalAuthenticationFailed(report)
            #expect(report.steps.check(named: "Terminal Authentication")?.detail.contains("3 CARs") == true, "\(report)")
        }
        #expect(report.dataGenuine == .passed, "\(report)")
        // Operational: the same system inspects the next document.
        Expect.successful(try TRLab.eac(chain).inspect([chain.credentials]))
    }

    @Test("ISO7816_E_11 EXTERNAL AUTHENTICATE with a wrong document number") func iso7816_E_11() throws {
        // The chip binds Terminal Authentication to another document number than its MRZ's: the IS signs the MRZ's
        // (ID_PICC after BAC), the chip refuses the signature.
        let chain = try TAChain()
        var lab = try TRLab.eac(chain)
        lab.terminalAuthenticationDocumentNumber = "M11T002JM"
        let report = try lab.inspect([chain.credentials])
        Expect.terminalAuthenticationFailed(report)
        #expect(report.steps.check(named: "Terminal Authentication")?.detail.contains("EXTERNAL AUTHENTICATE") == true, "\(report)")
    }

    @Test("ISO7816_E_12 GET CHALLENGE of 7 bytes") func iso7816_E_12() throws {
        let chain = try TAChain()
        var lab = try TRLab.eac(chain)
        lab.challenge = [1, 2, 3, 4, 5, 6, 7]
        let report = try lab.inspect([chain.credentials])
        Expect.terminalAuthenticationFailed(report)
        #expect(report.steps.check(named: "Terminal Authentication")?.detail.contains("7 bytes") == true, "\(report)")
    }

    @Test("ISO7816_E_13 GET CHALLENGE of 9 bytes") func iso7816_E_13() throws {
        let chain = try TAChain()
        var lab = try TRLab.eac(chain)
        lab.challenge = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        let report = try lab.inspect([chain.credentials])
        Expect.terminalAuthenticationFailed(report)
        #expect(report.steps.check(named: "Terminal Authentication")?.detail.contains("9 bytes") == true, "\(report)")
    }

    /// A DV certificate granting `dvRights` only: TA passes, the groups granted are read, the others not — and not
    /// asked for, so no step fails (the plan: "successful, but fingerprints/iris not displayed").
    static func deniedAccess(dvRights: UInt8, read: [Int], withheld: [Int]) throws {
        let chain = try TAChain(dvRights: dvRights)
        let lab = try TRLab.eac(chain)
        let report = try lab.inspect([chain.credentials])
        Expect.terminalAuthenticationPassed(report, lab: lab, groups: read)
        for number in withheld {
            #expect(report.dataGroups[number] == nil, "DG\(number): \(report)")
            #expect(Expect.status(report, "DG\(number) read") == .notChecked, "DG\(number): \(report)")
        }
        Expect.successful(report)
    }

    @Test("ISO7816_E_14 Access to DG3 denied") func iso7816_E_14() throws {
        try Self.deniedAccess(dvRights: 0x02, read: [4], withheld: [3])
    }

    @Test("ISO7816_E_15 Access to DG4 denied") func iso7816_E_15() throws {
        try Self.deniedAccess(dvRights: 0x01, read: [3], withheld: [4])
    }

    @Test("ISO7816_E_16 Access to DG3 and DG4 denied") func iso7816_E_16() throws {
        try Self.deniedAccess(dvRights: 0x00, read: [], withheld: [3, 4])
    }

    @Test("ISO7816_E_17 Wrong signature in the DV certificate") func iso7816_E_17() throws {
        var chain = try TAChain()
        chain.dv = try TAChain.withBrokenSignature(chain.dv)
        let lab = try TRLab.eac(chain)
        let report = try lab.inspect([chain.credentials])
        Expect.terminalAuthenticationFailed(report)
        #expect(report.steps.check(named: "Terminal Authentication")?.detail.contains("PSO:Verify Certificate UTDVIS00001") == true, "\(report)")
    }

    @Test("ISO7816_E_18 Wrong signature in the IS certificate") func iso7816_E_18() throws {
        var chain = try TAChain()
        chain.terminal = try TAChain.withBrokenSignature(chain.terminal)
        let lab = try TRLab.eac(chain)
        let report = try lab.inspect([chain.credentials])
        Expect.terminalAuthenticationFailed(report)
        #expect(report.steps.check(named: "Terminal Authentication")?.detail.contains("PSO:Verify Certificate UTBCIS00001") == true, "\(report)")
    }

    @Test("ISO7816_E_19 Expired certificate chain") func iso7816_E_19() throws {
        // The IS certificate ends 14 days after dCVCAeff; the chip's date is dCVCAeff + 15 days.
        let chain = try TAChain(terminalExpiry: try TRLab.start.adding(days: 14))
        var lab = try TRLab.eac(chain)
        lab.chipDate = try TRLab.start.adding(days: 15)
        Expect.terminalAuthenticationFailed(try lab.inspect([chain.credentials]))
    }

    /// DG14 with a TerminalAuthenticationInfo whose efCVCA is not EF.CVCA's file (011C, short identifier 1C).
    static func terminalAuthenticationInfo(_ file: TerminalAuthenticationInfo.FileID) throws -> InspectionReport {
        let chain = try TAChain()
        var lab = try TRLab.eac(chain)
        var infos = try DG14(bytes: #require(lab.dataGroups[14])).securityInfos.infos
        infos.append(.terminalAuthentication(TerminalAuthenticationInfo(version: 1, efCVCA: file)))
        lab.dataGroups[14] = try DG14(securityInfos: SecurityInfos(infos)).encode()
        return try lab.inspect([chain.credentials])
    }

    @Test("ISO7816_E_22 TerminalAuthenticationInfo: FID other than EF.CVCA's") func iso7816_E_22() throws {
        let report = try Self.terminalAuthenticationInfo(.init(fid: [0x01, 0x1B]))
        Expect.terminalAuthenticationFailed(report)
        #expect(report.steps.check(named: "Terminal Authentication")?.detail.contains("011B") == true, "\(report)")
    }

    @Test("ISO7816_E_23 TerminalAuthenticationInfo: SFID other than EF.CVCA's") func iso7816_E_23() throws {
        let report = try Self.terminalAuthenticationInfo(.init(fid: [0x01, 0x1C], sfid: [0x1B]))
        Expect.terminalAuthenticationFailed(report)
        #expect(report.steps.check(named: "Terminal Authentication")?.detail.contains("1B") == true, "\(report)")
    }

    @Test("ISO7816_E_24 Certificates missing in the inspection system") func iso7816_E_24() throws {
        // Closest observable to "failed": with no chain loaded, our IS cannot try Terminal Authentication; the step
        // is "not checked" with the reason, and DG3/DG4 are not read. Nothing else is claimed about them.
        let chain = try TAChain()
        let report = try TRLab.eac(chain).inspect([])
        #expect(Expect.status(report, "Terminal Authentication") == .notChecked, "\(report)")
        #expect(report.steps.check(named: "Terminal Authentication")?.detail.contains("no inspection-system certificate") == true)
        #expect(report.dataGroups[3] == nil && report.dataGroups[4] == nil)
    }

    @Test("ISO7816_E_26 Additional data groups DG11 and DG12") func iso7816_E_26() throws {
        let chain = try TAChain()
        var lab = try TRLab.eac(chain)
        lab.dataGroups[11] = Biometrics.tlv([0x6B], Biometrics.tlv([0x5C], [0x5F, 0x0E]) + Biometrics.tlv([0x5F, 0x0E], Array("ERIKSSON<<ANNA<MARIA".utf8)))
        lab.dataGroups[12] = Biometrics.tlv([0x6C], Biometrics.tlv([0x5C], [0x5F, 0x19]) + Biometrics.tlv([0x5F, 0x19], Array("UTOPIA".utf8)))
        let report = try lab.inspect([chain.credentials])
        Expect.terminalAuthenticationPassed(report, lab: lab)
        #expect(report.dataGroups[11] == lab.dataGroups[11] && report.dataGroups[12] == lab.dataGroups[12])
        Expect.successful(report)
    }

    @Test("ISO7816_E_27 RSA TA with a DH Chip Authentication key") func iso7816_E_27() throws {
        // The plan: DH 2048 for CA, RSA 1024 for TA. Ours: the DH key of the EAC worked example (RFC 5114 group 0,
        // 1024 bits, id-CA-DH-3DES-CBC-CBC as the plan asks) and RSA 2048 for TA — still different algorithms and
        // sizes in the two protocols.
        let chain = try TAChain(algorithm: .rsaV1_5SHA256, cvcaCHR: "UTCVCA00003")
        var lab = try TRLab.eac(chain)
        let security = try EFCardSecurity(bytes: TestSupport.vector("eac-worked-example-dh/ef_cardsecurity.bin"))
        let keyInfos = security.securityInfos.infos.filter { if case .chipAuthenticationPublicKey = $0 { true } else { false } }
        var infos = keyInfos
        infos.append(.chipAuthentication(ChipAuthenticationInfo(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 3, 1, 1], version: 1)))
        lab.dataGroups[14] = try DG14(securityInfos: SecurityInfos(infos)).encode()
        lab.chipAuthenticationKey = try TestSupport.vector("eac-worked-example-dh/ca_picc_priv_key.bin")
        lab.chipAuthenticationGroup = try #require(DHGroup.standardized(0))
        let report = try lab.inspect([chain.credentials])
        #expect(Expect.status(report, "Chip Authentication") == .passed, "\(report)")
        Expect.terminalAuthenticationPassed(report, lab: lab)
        Expect.successful(report)
    }

    @Test("ISO7816_E_28 EC TA on 256 bits with a 224-bit Chip Authentication key") func iso7816_E_28() throws {
        let chain = try TAChain()
        var lab = try TRLab.eac(chain)
        let arithmetic = ECPointArithmetic(.brainpoolP224r1)
        let secret = try arithmetic.randomScalar()
        let point = try arithmetic.multiply(secret)
        let key = SubjectPublicKeyInfo(algorithm: AlgorithmIdentifier(algorithm: .PublicKeyAlgorithm.ecPublicKey, parameters: try ASN1Any(erasing: ECCurve.brainpoolP224r1.oid)),
                                       subjectPublicKey: ASN1BitString(bytes: ArraySlice(point)))
        let infos: [SecurityInfo] = [
            .chipAuthenticationPublicKey(ChipAuthenticationPublicKeyInfo(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 1, 2], chipAuthenticationPublicKey: key)),
            .chipAuthentication(ChipAuthenticationInfo(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 3, 2, 1], version: 1)),
        ]
        lab.dataGroups[14] = try DG14(securityInfos: SecurityInfos(infos)).encode()
        lab.chipAuthenticationKey = secret
        lab.chipAuthenticationCurve = .brainpoolP224r1
        let report = try lab.inspect([chain.credentials])
        #expect(Expect.status(report, "Chip Authentication") == .passed, "\(report)")
        Expect.terminalAuthenticationPassed(report, lab: lab)
        Expect.successful(report)
    }

    @Test("ISO7816_E_29 DG3 but no DG4") func iso7816_E_29() throws {
        let chain = try TAChain(dvRights: 0x01)
        let lab = try TRLab.eac(chain, dg4: false)
        let report = try lab.inspect([chain.credentials])
        Expect.terminalAuthenticationPassed(report, lab: lab, groups: [3])
        #expect(report.steps.check(named: "DG4 read") == nil)
        Expect.successful(report)
    }

    @Test("ISO7816_E_30 DG4 but no DG3") func iso7816_E_30() throws {
        let chain = try TAChain(dvRights: 0x02)
        var lab = try TRLab.eac(chain)
        lab.dataGroups[3] = nil
        let report = try lab.inspect([chain.credentials])
        Expect.terminalAuthenticationPassed(report, lab: lab, groups: [4])
        #expect(report.steps.check(named: "DG3 read") == nil)
        Expect.successful(report)
    }

    @Test("ISO7816_E_31 TA after PACE: the dynamic binding to PACE's ephemeral key") func iso7816_E_31() throws {
        // CFG.DFLT.EACPACE with BAC deactivated: the chip refuses BAC's GET CHALLENGE, so only PACE opens it. ID_PICC
        // is then Comp() of the chip's ephemeral PACE key: the chip checks the IS's signature over exactly that.
        let chain = try TAChain()
        var lab = try TRLab.eac(chain)
        lab.cardAccess = PACEVectors.genericMappingCardAccess
        let report = try lab.inspect([chain.credentials]) { chip in
            RefusingTransport(chip) { command in command.count >= 2 && command[0] == 0x00 && (command[1] == 0x84 || command[1] == 0x82) }
        }
        #expect(report.access?.hasPrefix("PACE") == true, "\(report)")
        #expect(report.steps.check(named: "BAC") == nil)
        Expect.terminalAuthenticationPassed(report, lab: lab)
        Expect.successful(report)
    }

    /// A CVCA rollover: the chip trusts `UTCVCA00001`; the IS's DV and IS certificates are under the newest key.
    struct Rollover {
        let old: TAChain
        let links: [CVCertificate]
        let newest: TAChain

        init(steps: Int) throws {
            old = try TAChain()
            var signer: any Signer = old.cvcaSigner
            var previous = old.cvca
            var links: [CVCertificate] = []
            var date = TRLab.start
            for step in 1...steps {
                let next = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
                date = try date.adding(days: 1)
                let link = try CVCertificateBuilder.link(newKey: next.publicKey, newAlgorithm: .ecdsaSHA256,
                                                         newCHR: TAChain.reference("UTCVCA0000\(step + 1)"),
                                                         effectiveDate: date, expirationDate: try date.adding(months: 36), previous: previous, previousSigner: signer)
                links.append(link)
                previous = link
                signer = next
            }
            self.links = links
            newest = try TAChain(cvca: previous, cvcaSigner: signer, algorithm: .ecdsaSHA256, start: date)
        }

        var credentials: InspectionSystem.TerminalCredentials {
            InspectionSystem.TerminalCredentials(chain: [old.cvca] + links + [newest.dv, newest.terminal], key: newest.terminalSigner)
        }
    }

    @Test("ISO7816_E_32 TA with a trust-anchor update") func iso7816_E_32() throws {
        let rollover = try Rollover(steps: 1)
        let lab = try TRLab.eac(rollover.old)
        let chip = try lab.chip()
        let report = lab.system(terminals: [rollover.credentials]).inspect(InProcessTransport(chip))
        Expect.terminalAuthenticationPassed(report, lab: lab)
        Expect.successful(report)
        // The chip took the new key as its newest trust point.
        #expect(chip.terminalAuthentication?.trustPoints.map(\.chr) == ["UTCVCA00002", "UTCVCA00001"])
    }

    @Test("ISO7816_E_33 TA with two trust-anchor updates") func iso7816_E_33() throws {
        let rollover = try Rollover(steps: 2)
        let lab = try TRLab.eac(rollover.old)
        let chip = try lab.chip()
        let report = lab.system(terminals: [rollover.credentials]).inspect(InProcessTransport(chip))
        Expect.terminalAuthenticationPassed(report, lab: lab)
        Expect.successful(report)
        #expect(chip.terminalAuthentication?.trustPoints.map(\.chr) == ["UTCVCA00003", "UTCVCA00002"])
    }

    @Test("ISO7816_E_34 TA with a trust-anchor update offered but not needed") func iso7816_E_34() throws {
        // The chip already made the update: its EF.CVCA names the link certificate's CHR (and the previous key's).
        let rollover = try Rollover(steps: 1)
        var lab = try TRLab.eac(rollover.old)
        lab.trustPoints = [rollover.links[0], rollover.old.cvca]
        let report = try lab.inspect([rollover.credentials])
        Expect.terminalAuthenticationPassed(report, lab: lab)
        Expect.successful(report)
        #expect(report.steps.check(named: "Terminal Authentication")?.detail.hasPrefix("UTDVIS00001") == true, "the link certificate is not sent: \(report)")
    }

    @Test("ISO7816_E_35 TA with RSA v1.5 and SHA-512") func iso7816_E_35() throws {
        try Self.successfulTerminalAuthentication(.rsaV1_5SHA512, cvcaCHR: "UTCVCA00009")
    }

    @Test("ISO7816_E_36 TA with RSA-PSS and SHA-512") func iso7816_E_36() throws {
        try Self.successfulTerminalAuthentication(.rsaPSSSHA512, cvcaCHR: "UTCVCA00010")
    }

    @Test("ISO7816_E_37 TA with ECDSA and SHA-384") func iso7816_E_37() throws {
        try Self.successfulTerminalAuthentication(.ecdsaSHA384, cvcaCHR: "UTCVCA00011")
    }

    @Test("ISO7816_E_38 TA with ECDSA and SHA-512") func iso7816_E_38() throws {
        try Self.successfulTerminalAuthentication(.ecdsaSHA512, cvcaCHR: "UTCVCA00012")
    }
}

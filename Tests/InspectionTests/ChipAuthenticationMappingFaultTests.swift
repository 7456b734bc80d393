import ChipAccess
import Foundation
import Inspection
import LDS
import PKICore
import SmartCard
import Testing
import TestSupport
import VirtualChip

/// The PACE-CAM negatives of BSI TR-03105 Part 5.1 (unit ISO7816_G, the CAM cases): the chip's last GENERAL
/// AUTHENTICATE answer is rewritten on the wire, as the standard's lower tester does — Chip Authentication data
/// missing, empty, under tag 8B, or changed — and EF.CardSecurity without the chip's key. Each one must end in
/// "chip not genuine" with the PACE-CAM step failed; 8A sent during the generic mapping is ignored.
@Suite struct ChipAuthenticationMappingFaultTests {
    enum Fault: String, CaseIterable {
        case missing, empty, wrongTag, changed
    }

    /// Rewrites the answer to the last GENERAL AUTHENTICATE of PACE (the one with the chip's token, still in plain).
    final class FaultyTransport: CardTransport, @unchecked Sendable {
        let chip: EMRTDChip
        let rewrite: (inout [(tag: UInt8, value: [UInt8])]) -> Void
        init(_ chip: EMRTDChip, rewrite: @escaping (inout [(tag: UInt8, value: [UInt8])]) -> Void) {
            self.chip = chip
            self.rewrite = rewrite
        }

        func transmit(_ command: [UInt8]) throws -> [UInt8] {
            let answer = chip.process(command)
            guard command.count > 4, command[0] == 0x00, command[1] == 0x86, answer.count > 2,
                  let data = try? DynamicAuthenticationData(bytes: Array(answer.dropLast(2)), "fault"), data[0x86] != nil else {
                return answer
            }
            var objects = data.objects
            rewrite(&objects)
            return DynamicAuthenticationData(objects).encoded + answer.suffix(2)
        }
    }

    static func apply(_ fault: Fault, _ objects: inout [(tag: UInt8, value: [UInt8])]) {
        guard let index = objects.firstIndex(where: { $0.tag == 0x8A }) else { return }
        switch fault {
        case .missing: objects.remove(at: index)
        case .empty: objects[index].value = []
        case .wrongTag: objects[index].tag = 0x8B
        case .changed: objects[index].value[0] ^= 0x01
        }
    }

    @Test(arguments: Fault.allCases)
    func aBrokenChipAuthenticationMappingIsNotGenuine(_ fault: Fault) throws {
        let document = try TestDocument()
        let chip = try document.chip(cardAccess: PACEVectors.chipAuthenticationMappingCardAccess)
        let report = document.system().inspect(FaultyTransport(chip) { Self.apply(fault, &$0) })
        #expect(report.steps.check(named: "PACE-CAM")?.status == .failed, "\(fault): \(report)")
        #expect(report.summary == "chip not genuine", "\(fault): \(report)")
        // The data itself is still what the issuer signed.
        #expect(report.dataGenuine == .passed)
    }

    @Test func efCardSecurityWithoutTheChipsKey() throws {
        let document = try TestDocument()
        var files = try document.chip(cardAccess: PACEVectors.chipAuthenticationMappingCardAccess).files
        // The worked example's EF.CardAccess: SecurityInfos without a ChipAuthenticationPublicKeyInfo, where
        // EF.CardSecurity should be.
        let withoutKey = try TestSupport.vector("eac-worked-example/EF_CardAccess.bin")
        let security = try EFCardSecurity(bytes: TestSupport.vector("eac-worked-example/EF_CardSecurity.bin"))
        #expect(!security.securityInfos.chipAuthenticationPublicKeyInfos.isEmpty)
        files.masterFile[ChipFileSystem.efCardSecurity] = try Self.signedDataWrapping(withoutKey)
        let chip = EMRTDChip(files: files, bacKey: document.key, can: "123456", chipAuthenticationKey: document.chipAuthenticationKey)
        chip.activeAuthenticationKey = document.activeAuthenticationKey
        let report = document.system().inspect(InProcessTransport(chip))
        #expect(report.steps.check(named: "PACE-CAM")?.status == .failed, "\(report)")
        #expect(report.summary == "chip not genuine", "\(report)")
    }

    /// EF.CardSecurity, signed by the document's DS, names another Chip Authentication key than the chip's (the
    /// former TR-03105-5.1 ISO7816_G_39, now ICAO's ISO7816_C_37): the mapping does not verify against it.
    @Test func efCardSecurityWithAnotherChipKey() throws {
        let document = try TestDocument()
        // The chip holds another private key than the one EF.CardSecurity (and DG14) name.
        let chip = try document.chip(cardAccess: PACEVectors.chipAuthenticationMappingCardAccess,
                                     chipKey: try ECPointArithmetic(.brainpoolP256r1).randomScalar())
        let report = document.system().inspect(InProcessTransport(chip))
        #expect(report.steps.check(named: "PACE-CAM")?.status == .failed, "\(report)")
        #expect(report.summary == "chip not genuine", "\(report)")
    }

    /// EF.CardSecurity names the chip's real key but is signed by someone else than the document's DS: the mapping
    /// holds, yet the key is not shown to be the issuer's, so the chip is not proven genuine.
    @Test func efCardSecurityNotSignedByTheDocumentSigner() throws {
        let document = try TestDocument()
        var files = try document.chip(cardAccess: PACEVectors.chipAuthenticationMappingCardAccess).files
        let infos = try EFCardSecurity(bytes: document.cardSecurity).securityInfos.encode()
        files.masterFile[ChipFileSystem.efCardSecurity] = try Self.signedDataWrapping(infos)
        let chip = EMRTDChip(files: files, bacKey: document.key, can: "123456", chipAuthenticationKey: document.chipAuthenticationKey)
        chip.activeAuthenticationKey = document.activeAuthenticationKey
        let report = document.system().inspect(InProcessTransport(chip))
        #expect(report.steps.check(named: "PACE-CAM")?.status == .passed, "\(report)")
        #expect(report.steps.check(named: "EF.CardSecurity signature")?.status == .notChecked, "\(report)")
        #expect(report.summary == "chip genuineness not checked", "\(report)")
    }

    /// EF.CardSecurity with one bit of its signature changed: the chip is not genuine.
    @Test func efCardSecurityWithABrokenSignature() throws {
        let document = try TestDocument()
        var files = try document.chip(cardAccess: PACEVectors.chipAuthenticationMappingCardAccess).files
        var broken = document.cardSecurity
        broken[broken.count - 3] ^= 0x01  // inside the signature value, the last field of the SignerInfo
        files.masterFile[ChipFileSystem.efCardSecurity] = broken
        let chip = EMRTDChip(files: files, bacKey: document.key, can: "123456", chipAuthenticationKey: document.chipAuthenticationKey)
        chip.activeAuthenticationKey = document.activeAuthenticationKey
        let report = document.system().inspect(InProcessTransport(chip))
        #expect(report.steps.check(named: "EF.CardSecurity signature")?.status == .failed, "\(report)")
        #expect(report.summary == "chip not genuine", "\(report)")
        #expect(report.dataGenuine == .passed)
    }

    /// 8A sent under the generic mapping is no proof of anything: ignored, Chip Authentication with DG14 decides.
    @Test func chipAuthenticationDataDuringTheGenericMappingIsIgnored() throws {
        let document = try TestDocument()
        let chip = try document.chip(cardAccess: PACEVectors.genericMappingCardAccess)
        let report = document.system().inspect(FaultyTransport(chip) { $0.append((0x8A, [UInt8](repeating: 0x55, count: 32))) })
        #expect(report.steps.check(named: "PACE-CAM") == nil)
        #expect(report.steps.check(named: "Chip Authentication")?.status == .passed, "\(report)")
        #expect(report.summary == "genuine")
    }

    /// A SignedData around `securityInfos` as EF.CardSecurity, signed by a throwaway key: not the document's DS.
    static func signedDataWrapping(_ securityInfos: [UInt8]) throws -> [UInt8] {
        let key = try PrivateKey.generate(.ec(.p256, parameters: .namedCurve))
        let signer = SoftwareSigner(key: key)
        let name = try DistinguishedName(parsing: "C=UT,CN=Card Security Signer")
        let certificate = try CertificateBuilder(issuer: name, subject: name, notBefore: TestDocument.now.addingTimeInterval(-TestDocument.day),
                                                 notAfter: TestDocument.now.addingTimeInterval(TestDocument.day),
                                                 subjectPublicKeyInfo: key.publicKey.subjectPublicKeyInfo, extensions: Extensions()).sign(with: signer)
        return try SignedDataBuilder(eContentType: [0, 4, 0, 127, 0, 7, 3, 2, 1], content: securityInfos, signerCertificate: certificate,
                                     identification: .issuerAndSerialNumber, signingTime: TestDocument.now)
            .sign(with: signer).contentInfoDER()
    }
}

import ChipAccess
import Foundation
import LDS
import PKICore
import SmartCard
import SwiftASN1
import Testing
import TestSupport
import VirtualChip

/// PACE with the Integrated Mapping against the virtual chip, whose EF.CardAccess announces
/// id-PACE-ECDH-IM-AES-CBC-CMAC-128 on brainpoolP256r1: with the MRZ and with the CAN, DG1 read after, and a wrong
/// CAN refused. The AES-192 and AES-256 variants (two-block nonces, truncated keys) run between the two sides too;
/// no worked example covers them.
@Suite struct VirtualChipPACEIMTests {
    static func chip(cardAccess: [UInt8]) throws -> (EMRTDChip, VirtualChipTests.Document) {
        let document = try VirtualChipTests.Document()
        var files = document.chip.files
        files.masterFile[ChipFileSystem.efCardAccess] = cardAccess
        return (EMRTDChip(files: files, bacKey: document.key, can: VirtualChipTests.Document.can), document)
    }

    static func paceRead(_ transport: any CardTransport, _ parameters: PACEParameters, password: PACEPassword) throws -> (PACETerminal.Outcome, [UInt8]) {
        let outcome = try PACETerminal(parameters: parameters, password: password).authenticate(over: transport)
        _ = try outcome.transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT eMRTD application")
        return (outcome, try ElementaryFileReader(outcome.transport).read(ChipFileSystem.dataGroup(1)))
    }

    @Test func integratedMappingWithTheMRZAndWithTheCAN() throws {
        let (chip, document) = try Self.chip(cardAccess: PACEIMWorkedExampleTests.cardAccess)
        let transport = InProcessTransport(chip)
        // What a terminal does first: read EF.CardAccess in plain and take the protocol it announces.
        let cardAccess = try ElementaryFileReader(transport).read(ChipFileSystem.efCardAccess)
        let info = try #require(try EFCardAccess(bytes: cardAccess).securityInfos.paceInfos.first)
        let parameters = try PACEParameters(info)
        #expect(parameters.mapping == .integrated)
        #expect(chip.pace?.offered == [parameters])
        for password in [PACEPassword.mrz(document.key), .can(VirtualChipTests.Document.can)] {
            let (outcome, dg1) = try Self.paceRead(transport, parameters, password: password)
            #expect(dg1 == document.dg1, "\(password.name)")
            #expect(outcome.chipMappingKey.isEmpty && outcome.sessionKeys.cipher == .aes128)
            #expect(chip.pace?.established?.mapping == .integrated)
            #expect(chip.pace?.established?.chipPublicKey == outcome.chipPublicKey)
            #expect(try ElementaryFileReader(outcome.transport).read(ChipFileSystem.efSOD) == document.sod)
        }
    }

    @Test func aWrongCANIsRefused() throws {
        let (chip, _) = try Self.chip(cardAccess: PACEIMWorkedExampleTests.cardAccess)
        let transport = InProcessTransport(chip)
        let refused = #expect(throws: ChipAccessError.self) {
            try Self.paceRead(transport, try PACEIMWorkedExampleTests.parameters, password: .can("654321"))
        }
        #expect(refused?.code == .authenticationFailed && refused?.statusWord == .verificationFailed, "\(String(describing: refused))")
        #expect(refused?.reason.contains("CAN") == true, "\(String(describing: refused))")
        #expect(chip.pace?.established == nil)
        // Without a session the application's files stay closed.
        _ = try transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
        let closed = #expect(throws: SmartCardError.self) { try ElementaryFileReader(transport).read(ChipFileSystem.dataGroup(1)) }
        #expect(closed?.statusWord == .securityStatusNotSatisfied)
    }

    /// AES-192 on P-256 (a = −3; k_i cut to 24 of 32 bytes) and AES-256 on brainpoolP384r1 (R of 2 × 256 bits):
    /// the chip and the terminal agree, so both read the standard's sizes the same way.
    @Test(arguments: [(3, 12), (4, 16), (4, 17), (2, 18)])
    func longerKeysAndOtherCurves(cipher: UInt, parameterId: Int) throws {
        let info = PACEInfo(protocolIdentifier: try ASN1ObjectIdentifier(elements: PACEParameters.arc + [4, cipher]), parameterId: parameterId)
        let (chip, document) = try Self.chip(cardAccess: try EFCardAccess(securityInfos: SecurityInfos([.pace(info)])).encode())
        let parameters = try PACEParameters(info)
        let (outcome, dg1) = try Self.paceRead(InProcessTransport(chip), parameters, password: .can(VirtualChipTests.Document.can))
        #expect(dg1 == document.dg1, "\(parameters)")
        #expect(outcome.sessionKeys.cipher == parameters.cipher)
        #expect(chip.pace?.established?.mapping == .integrated)
    }
}

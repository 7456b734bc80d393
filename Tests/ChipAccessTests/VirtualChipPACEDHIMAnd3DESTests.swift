import ChipAccess
import Foundation
import LDS
import PKICore
import SmartCard
import SwiftASN1
import Testing
import TestSupport
import VirtualChip

/// PACE DH-IM and PACE with 3DES sessions between the terminal and the virtual chip, whose EF.CardAccess announces the
/// protocol: with the MRZ and with the CAN, DG1 and EF.SOD read under the session PACE sets up, and a wrong password
/// refused with 6300 and a typed error.
@Suite struct VirtualChipPACEDHIMAnd3DESTests {
    static func cardAccess(mapping: UInt, cipher: UInt, parameterId: Int) throws -> [UInt8] {
        let info = PACEInfo(protocolIdentifier: try ASN1ObjectIdentifier(elements: PACEParameters.arc + [mapping, cipher]), parameterId: parameterId)
        return try EFCardAccess(securityInfos: SecurityInfos([.pace(info)])).encode()
    }

    @Test func dhIntegratedMappingWithTheMRZAndWithTheCAN() throws {
        let (chip, document) = try VirtualChipPACEIMTests.chip(cardAccess: PACEDHIMWorkedExampleTests.cardAccess)
        let transport = InProcessTransport(chip)
        // As a terminal does: EF.CardAccess in plain first, and the protocol it announces.
        let cardAccess = try ElementaryFileReader(transport).read(ChipFileSystem.efCardAccess)
        let parameters = try PACEParameters(try #require(try EFCardAccess(bytes: cardAccess).securityInfos.paceInfos.first))
        #expect(parameters.mapping == .integratedDH)
        #expect(chip.pace?.offered == [parameters])
        for password in [PACEPassword.mrz(document.key), .can(VirtualChipTests.Document.can)] {
            let (outcome, dg1) = try VirtualChipPACEIMTests.paceRead(transport, parameters, password: password)
            #expect(dg1 == document.dg1, "\(password.name)")
            #expect(outcome.chipMappingKey.isEmpty && outcome.sessionKeys.cipher == .aes128)
            #expect(outcome.chipPublicKey.count == 128)
            #expect(chip.pace?.established?.mapping == .integratedDH)
            #expect(chip.pace?.established?.chipPublicKey == outcome.chipPublicKey)
            #expect(try ElementaryFileReader(outcome.transport).read(ChipFileSystem.efSOD) == document.sod)
        }
    }

    /// The four mappings 3DES is defined for, each on a curve or group of its kind: ECDH-GM and DH-GM, ECDH-IM and DH-IM.
    @Test(arguments: [(UInt(2), 13), (1, 0), (4, 13), (3, 0), (2, 12), (1, 2)])
    func tripleDESSessions(mapping: UInt, parameterId: Int) throws {
        let (chip, document) = try VirtualChipPACEIMTests.chip(cardAccess: try Self.cardAccess(mapping: mapping, cipher: 1, parameterId: parameterId))
        let transport = InProcessTransport(chip)
        let parameters = try #require(chip.pace?.offered.first)
        #expect(parameters.cipher == .tripleDES && parameters.mapping.rawValue == Int(mapping))
        for password in [PACEPassword.mrz(document.key), .can(VirtualChipTests.Document.can)] {
            let (outcome, dg1) = try VirtualChipPACEIMTests.paceRead(transport, parameters, password: password)
            #expect(dg1 == document.dg1, "\(parameters), \(password.name)")
            #expect(outcome.sessionKeys.cipher == .tripleDES)
            // SELECT and the reads of DG1 have run under 3DES secure messaging: an 8-byte SSC that has moved on.
            #expect(outcome.transport.session.sendSequenceCounter.count == 8)
            #expect(outcome.transport.session.sendSequenceCounter != [UInt8](repeating: 0, count: 8))
            #expect(chip.pace?.established?.mapping == parameters.mapping)
            #expect(try ElementaryFileReader(outcome.transport).read(ChipFileSystem.efCOM) == document.com)
        }
    }

    /// A wrong CAN gives other session keys: the chip refuses the terminal's token with 6300, the terminal throws
    /// `authenticationFailed` naming the password, and the application's files stay closed.
    @Test(arguments: [(UInt(2), UInt(1), 13), (1, 1, 0), (3, 2, 0), (3, 1, 1)])
    func aWrongCANIsRefused(mapping: UInt, cipher: UInt, parameterId: Int) throws {
        let (chip, document) = try VirtualChipPACEIMTests.chip(cardAccess: try Self.cardAccess(mapping: mapping, cipher: cipher, parameterId: parameterId))
        let transport = InProcessTransport(chip)
        let parameters = try #require(chip.pace?.offered.first)
        let refused = #expect(throws: ChipAccessError.self) {
            try VirtualChipPACEIMTests.paceRead(transport, parameters, password: .can("654321"))
        }
        #expect(refused?.code == .authenticationFailed && refused?.statusWord == .verificationFailed, "\(String(describing: refused))")
        #expect(refused?.reason.contains("CAN") == true, "\(String(describing: refused))")
        #expect(chip.pace?.established == nil)
        _ = try transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
        let closed = #expect(throws: SmartCardError.self) { try ElementaryFileReader(transport).read(ChipFileSystem.dataGroup(1)) }
        #expect(closed?.statusWord == .securityStatusNotSatisfied)
        // The right MRZ opens the chip afterwards: a failed attempt leaves nothing behind.
        let (_, dg1) = try VirtualChipPACEIMTests.paceRead(transport, parameters, password: .mrz(document.key))
        #expect(dg1 == document.dg1)
    }

    /// CAM with 3DES is no protocol of Doc 9303-11: PACEParameters refuses it, so a chip announcing it offers no PACE.
    @Test func chipAuthenticationMappingWith3DESIsRefused() throws {
        let refused = #expect(throws: ChipAccessError.self) {
            try PACEParameters(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 6, 1], parameterId: 13)
        }
        #expect(refused?.code == .invalidValue && refused?.reason.contains("AES only") == true, "\(String(describing: refused))")
        let (chip, _) = try VirtualChipPACEIMTests.chip(cardAccess: try Self.cardAccess(mapping: 6, cipher: 1, parameterId: 13))
        #expect(chip.pace == nil)
        let unknown = #expect(throws: ChipAccessError.self) {
            try PACEParameters(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 2, 5], parameterId: 13)
        }
        #expect(unknown?.code == .invalidValue)
    }
}

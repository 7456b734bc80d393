import ChipAccess
import Foundation
import LDS
import PKICore
import SmartCard
import SwiftASN1
import Testing
import TestSupport
import VirtualChip

/// PACE with the generic mapping over Diffie-Hellman (id-PACE-DH-GM-AES-CBC-CMAC-128 on standardized group 0), checked
/// against the DH variant of the BSI EAC worked example value by value, then run between the terminal and the
/// virtual chip with the PIN.
@Suite struct PACEDHWorkedExampleTests {
    static func vector(_ name: String) throws -> [UInt8] {
        let bytes = try TestSupport.vector("eac-worked-example-dh/pace_\(name).bin")
        return bytes.count == 129 && bytes.first == 0 ? Array(bytes.dropFirst()) : bytes
    }

    static var parameters: PACEParameters {
        get throws {
            let access = try EFCardAccess(bytes: TestSupport.vector("eac-worked-example-dh/ef_cardaccess.bin"))
            return try PACEParameters(try #require(access.securityInfos.paceInfos.first))
        }
    }

    @Test func everyValueOfTheDHWorkedExample() throws {
        let parameters = try Self.parameters
        #expect(parameters.mapping == .genericDH && parameters.cipher == .aes128 && parameters.parameterId == 0 && parameters.curve == nil)
        guard case .dh(let group) = parameters.domain else { throw TestFailure("not a DH group: \(parameters.domain)") }

        let password = PACEPassword.pin("123456")
        let passwordKey = try PACE.passwordKey(password, cipher: .aes128)
        #expect(try PACE.encryptNonce(Self.vector("nonce"), passwordKey: passwordKey, cipher: .aes128) == (try Self.vector("nonce_enc")))
        #expect(try PACE.decryptNonce(Self.vector("nonce_enc"), passwordKey: passwordKey, cipher: .aes128) == (try Self.vector("nonce")))

        let domain = parameters.domain
        #expect(try domain.publicKey(Self.vector("map_pcd_priv_key")) == (try Self.vector("map_pcd_pub_key")))
        #expect(try domain.publicKey(Self.vector("map_picc_priv_key")) == (try Self.vector("map_picc_pub_key")))
        let h = try domain.multiply(Self.vector("map_pcd_priv_key"), Self.vector("map_picc_pub_key"))
        #expect(h == (try Self.vector("map_shared_secret_h")))
        #expect(try domain.multiply(Self.vector("map_picc_priv_key"), Self.vector("map_pcd_pub_key")) == h)
        let generator = try PACE.mappedGenerator(nonce: Self.vector("nonce"), shared: h, domain: domain)
        #expect(generator == (try Self.vector("map_generator")))

        #expect(try domain.multiply(Self.vector("pcd_priv_key"), generator) == (try Self.vector("pcd_pub_key")))
        #expect(try domain.multiply(Self.vector("picc_priv_key"), generator) == (try Self.vector("picc_pub_key")))
        let secret = try PACE.agreementSecret(domain.multiply(Self.vector("pcd_priv_key"), Self.vector("picc_pub_key")), domain: domain)
        #expect(secret == (try Self.vector("shared_secret_k")))
        let keys = try PACE.sessionKeys(sharedSecret: secret, cipher: .aes128)
        #expect(keys.encryption == (try Self.vector("k_enc")))
        #expect(keys.mac == (try Self.vector("k_mac")))
        #expect(try PACE.token(keys, parameters, otherPublicPoint: Self.vector("picc_pub_key")) == (try Self.vector("authentication_token_pcd")))
        #expect(try PACE.token(keys, parameters, otherPublicPoint: Self.vector("pcd_pub_key")) == (try Self.vector("authentication_token_picc")))
        #expect(group.p.count == 128)
    }

    /// The terminal and the chip side with the worked example's keys and nonce: the same tokens and session keys.
    @Test func bothSidesWithTheWorkedExamplesKeys() throws {
        let parameters = try Self.parameters
        let chip = PACEChip(offered: [parameters], passwords: [.pin("123456")])
        chip.fixedNonce = try Self.vector("nonce")
        chip.fixedMappingKey = try Self.vector("map_picc_priv_key")
        chip.fixedAgreementKey = try Self.vector("picc_priv_key")
        var terminal = PACETerminal(parameters: parameters, password: .pin("123456"))
        terminal.mappingKey = try Self.vector("map_pcd_priv_key")
        terminal.agreementKey = try Self.vector("pcd_priv_key")
        let outcome = try terminal.authenticate(over: PACEChipTransport(chip))
        #expect(outcome.chipPublicKey == (try Self.vector("picc_pub_key")))
        #expect(outcome.sessionKeys.encryption == (try Self.vector("k_enc")))
        #expect(chip.established?.mapping == .genericDH)
    }

    /// PACE-DH with the PIN against the virtual chip, DG1 read after; a wrong PIN is refused with 6300.
    @Test func againstTheVirtualChipWithThePIN() throws {
        let document = try VirtualChipTests.Document()
        var state = ChipState()
        state.lifecycle = .operational
        state.files = document.chip.files
        state.files.masterFile[ChipFileSystem.efCardAccess] = try TestSupport.vector("eac-worked-example-dh/ef_cardaccess.bin")
        state.mrz = .init(documentNumber: document.key.documentNumber, dateOfBirth: document.key.dateOfBirth, dateOfExpiry: document.key.dateOfExpiry)
        state.pin = "123456"
        let chip = try EMRTDChip(state: state)
        let transport = InProcessTransport(chip)
        let outcome = try PACETerminal(parameters: try Self.parameters, password: .pin("123456")).authenticate(over: transport)
        _ = try outcome.transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
        #expect(try ElementaryFileReader(outcome.transport).read(ChipFileSystem.dataGroup(1)) == document.dg1)
        #expect(try TerminalAuthentication.chipIdentifier(paceChipPublicKey: outcome.chipPublicKey) == (try HashAlgorithm.sha1.hash(outcome.chipPublicKey)))

        let wrong = #expect(throws: ChipAccessError.self) {
            _ = try PACETerminal(parameters: try Self.parameters, password: .pin("654321")).authenticate(over: transport)
        }
        #expect(wrong?.statusWord == .verificationFailed, "\(String(describing: wrong))")
    }
}

/// The chip side of PACE alone as a card: MSE:Set AT and GENERAL AUTHENTICATE, nothing else.
final class PACEChipTransport: CardTransport, @unchecked Sendable {
    let chip: PACEChip
    init(_ chip: PACEChip) { self.chip = chip }

    func transmit(_ command: [UInt8]) throws -> [UInt8] {
        let apdu = try CommandAPDU(bytes: command)
        if apdu.ins == 0x22 { return ResponseAPDU(statusWord: chip.manageSecurityEnvironment(apdu.data)).encoded }
        return chip.generalAuthenticate(apdu).0.encoded
    }
}

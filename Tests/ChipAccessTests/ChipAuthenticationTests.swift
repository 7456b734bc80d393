import ChipAccess
import Foundation
import LDS
import PKICore
import SmartCard
import SwiftASN1
import Testing
import TestSupport
import VirtualChip

/// Chip Authentication v1: the static key of the BSI EAC worked example read from its EF.CardSecurity, and the
/// protocol between the terminal and the virtual chip after BAC (3DES, MSE:Set KAT) and after PACE (AES, MSE:Set AT
/// and GENERAL AUTHENTICATE), the session switching to the new keys.
@Suite struct ChipAuthenticationTests {
    /// The worked example's EF.CardSecurity names the key with standardized domain parameters 13 (brainpoolP256r1);
    /// its point is OpenPACE's tc_ecdh_ca_picc_pub_key and the product of the chip's private key with G.
    @Test func staticKeyOfTheEACWorkedExample() throws {
        let security = try EFCardSecurity(bytes: TestSupport.vector("eac-worked-example/EF_CardSecurity.bin"))
        let info = try #require(security.securityInfos.chipAuthenticationPublicKeyInfos.first)
        let key = try ChipAuthentication.ChipKey(info)
        #expect(key.curve == .brainpoolP256r1)
        #expect(key.publicPoint == (try TestSupport.vector("eac-worked-example/ca_picc_pub_key.bin")))
        #expect(try ECPointArithmetic(.brainpoolP256r1).multiply(TestSupport.vector("eac-worked-example/npa_key")) == key.publicPoint)
    }

    /// The key reference `84` carries DG14's keyId in as few octets as it takes. A negative keyId, which a hostile
    /// DG14 can write (the inspection fuzzer's finding of 8 Dec 2026: a trap converting it to one octet), is a typed
    /// error both where DG14's key is read and where the reference is made.
    @Test func keyIdsBecomeKeyReferencesAndNegativeOnesAreRefused() throws {
        #expect(try ChipAuthentication.keyReference(nil) == [])
        #expect(try ChipAuthentication.keyReference(0) == [0x84, 0x01, 0x00])
        #expect(try ChipAuthentication.keyReference(1) == [0x84, 0x01, 0x01])
        #expect(try ChipAuthentication.keyReference(255) == [0x84, 0x01, 0xFF])
        #expect(try ChipAuthentication.keyReference(256) == [0x84, 0x02, 0x01, 0x00])
        #expect(try ChipAuthentication.keyReference(0x01_0203) == [0x84, 0x03, 0x01, 0x02, 0x03])
        #expect(throws: ChipAccessError.self) { try ChipAuthentication.keyReference(-1) }
        #expect(throws: ChipAccessError.self) { try ChipAuthentication.keyReference(Int.min) }

        let security = try EFCardSecurity(bytes: TestSupport.vector("eac-worked-example/EF_CardSecurity.bin"))
        var info = try #require(security.securityInfos.chipAuthenticationPublicKeyInfos.first)
        info.keyId = -5
        #expect(throws: ChipAccessError.self) { try ChipAuthentication.ChipKey(info) }
        info.keyId = 300
        #expect(try ChipAuthentication.ChipKey(info).keyId == 300)
    }

    static func chip(_ document: VirtualChipTests.Document, staticKey: [UInt8]) -> EMRTDChip {
        EMRTDChip(files: document.chip.files, bacKey: document.key, can: VirtualChipTests.Document.can, chipAuthenticationKey: staticKey)
    }

    @Test(arguments: ["0.4.0.127.0.7.2.2.3.2.1", "0.4.0.127.0.7.2.2.3.2.2", "0.4.0.127.0.7.2.2.3.2.4"])
    func afterBACOrPACETheSessionSwitches(_ protocolIdentifier: String) throws {
        let document = try VirtualChipTests.Document()
        let staticKey = try TestSupport.vector("eac-worked-example/npa_key")
        let chipKey = ChipAuthentication.ChipKey(curve: .brainpoolP256r1, publicPoint: try TestSupport.vector("eac-worked-example/ca_picc_pub_key.bin"))
        let oid = try ASN1ObjectIdentifier(dotRepresentation: protocolIdentifier)
        let transport = InProcessTransport(Self.chip(document, staticKey: staticKey))
        // 3DES after BAC; AES after PACE (CA with AES on a 3DES session works too, but PACE is what AES chips run).
        let secure: SecureMessagingTransport
        if try ChipAuthentication.cipher(of: oid) == .tripleDES {
            _ = try transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
            secure = try BasicAccessControl.authenticate(over: transport, key: document.key)
        } else {
            secure = try PACETerminal(parameters: try PACEWorkedExampleTests.parameters, password: .can(VirtualChipTests.Document.can))
                .authenticate(over: transport).transport
            _ = try secure.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
        }
        let before = secure.session.keys
        try ChipAuthentication.authenticate(over: secure, chipKey: chipKey, protocolIdentifier: oid)
        #expect(secure.session.keys != before)
        #expect(secure.session.keys.cipher == (try ChipAuthentication.cipher(of: oid)))
        #expect(try ElementaryFileReader(secure).read(ChipFileSystem.dataGroup(1)) == document.dg1)
    }

    /// A chip without the private key of DG14's public key cannot answer under the keys the terminal derives.
    @Test func aCloneWithoutTheStaticKeyFails() throws {
        let document = try VirtualChipTests.Document()
        let chipKey = ChipAuthentication.ChipKey(curve: .brainpoolP256r1, publicPoint: try TestSupport.vector("eac-worked-example/ca_picc_pub_key.bin"))
        let clone = Self.chip(document, staticKey: try ECPointArithmetic(.brainpoolP256r1).randomScalar())
        let transport = InProcessTransport(clone)
        _ = try transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
        let secure = try BasicAccessControl.authenticate(over: transport, key: document.key)
        try ChipAuthentication.authenticate(over: secure, chipKey: chipKey, protocolIdentifier: ASN1ObjectIdentifier(dotRepresentation: "0.4.0.127.0.7.2.2.3.2.1"))
        let caught = #expect(throws: ChipAccessError.self) { try ElementaryFileReader(secure).read(ChipFileSystem.dataGroup(1)) }
        #expect(caught?.code == .secureMessaging, "\(String(describing: caught))")
    }
}

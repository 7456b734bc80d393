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

/// Chip Authentication with Diffie-Hellman on the standardized groups: the DH variant of the BSI EAC worked example
/// byte for byte (the chip's key from EF.CardSecurity, the shared secret both ways, the AES session keys), then the
/// protocol between the terminal and the virtual chip, with Terminal Authentication binding to SHA-1 of the key.
@Suite struct ChipAuthenticationDHTests {
    static func vector(_ name: String) throws -> [UInt8] { try TestSupport.vector("eac-worked-example-dh/\(name).bin") }

    @Test func theStandardizedGroupsAreRFC5114s() throws {
        let sizes = try (0...2).map { id -> (Int, Int) in
            let group = try #require(DHGroup.standardized(id))
            return (group.p.count * 8, group.q.count * 8)
        }
        #expect(sizes.map(\.0) == [1024, 2048, 2048] && sizes.map(\.1) == [160, 224, 256])
        // RFC 5114 §2.1 p begins B10B8F96 A080E01D; §2.3 p begins 87A8E61D B4B6663C.
        #expect(DHGroup.standardized(0)?.p.prefix(8).hexString == "B10B8F96A080E01D")
        #expect(DHGroup.standardized(2)?.p.prefix(8).hexString == "87A8E61DB4B6663C")
        #expect(DHGroup.standardized(3) == nil)
    }

    @Test func theDHWorkedExampleByteForByte() throws {
        let security = try EFCardSecurity(bytes: Self.vector("ef_cardsecurity"))
        let info = try #require(security.securityInfos.chipAuthenticationPublicKeyInfos.first)
        let chipKey = try ChipAuthentication.ChipKey(info)
        let group = try #require(DHGroup.standardized(0))
        #expect(chipKey.domain == .dh(group))
        #expect(chipKey.publicPoint == (try Self.vector("ca_picc_pub_key")))
        #expect(try group.publicValue(Self.vector("ca_picc_priv_key")) == chipKey.publicPoint)
        #expect(try group.publicValue(Self.vector("ca_pcd_priv_key")) == (try Self.vector("ca_pcd_pub_key")))

        let domain = KeyAgreementDomain.dh(group)
        let terminalSide = try domain.sharedSecret(Self.vector("ca_pcd_priv_key"), chipKey.publicPoint)
        let chipSide = try domain.sharedSecret(Self.vector("ca_picc_priv_key"), Self.vector("ca_pcd_pub_key"))
        #expect(terminalSide == (try Self.vector("ca_shared_secret_k")))
        #expect(chipSide == terminalSide)
        // The worked example runs version 2, whose keys also take the chip's nonce: KDF(K ‖ r_PICC, c).
        let keys = try SecureMessagingKeys(seed: terminalSide + Self.vector("ca_nonce"), cipher: .aes128)
        #expect(keys.encryption == (try Self.vector("ca_k_enc")))
        #expect(keys.mac == (try Self.vector("ca_k_mac")))

        // A public value outside the subgroup is refused, not used.
        #expect(!group.isValidPublicValue([1]))
        #expect(!group.isValidPublicValue(group.p))
        #expect(throws: ChipAccessError.self) { _ = try domain.sharedSecret(Self.vector("ca_pcd_priv_key"), [UInt8](repeating: 0xFF, count: 128)) }
    }

    /// A chip with the worked example's DH key: CA after BAC (3DES) and after PACE (AES), then Terminal
    /// Authentication whose signature covers SHA-1 of the terminal's DH key; DG3 opens.
    @Test(arguments: ["0.4.0.127.0.7.2.2.3.1.1", "0.4.0.127.0.7.2.2.3.1.2"])
    func chipAndTerminalAuthenticationWithDH(_ protocolIdentifier: String) throws {
        let group = try #require(DHGroup.standardized(0))
        let document = try VirtualChipTests.Document()
        let chain = try TerminalAuthenticationTests.Chain()
        let chip = EMRTDChip(files: document.chip.files, bacKey: document.key, can: VirtualChipTests.Document.can,
                             chipAuthenticationKey: try Self.vector("ca_picc_priv_key"), chipAuthenticationGroup: group,
                             terminalAuthentication: try TerminalAuthenticationChip(trustPoints: [chain.cvca], currentDate: TerminalAuthenticationTests.Chain.start))
        let transport = InProcessTransport(chip)
        let oid = try ASN1ObjectIdentifier(dotRepresentation: protocolIdentifier)
        let secure: SecureMessagingTransport
        let chipIdentifier: [UInt8]
        if try ChipAuthentication.cipher(of: oid) == .tripleDES {
            _ = try transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
            secure = try BasicAccessControl.authenticate(over: transport, key: document.key)
            chipIdentifier = TerminalAuthentication.chipIdentifier(document.key)
        } else {
            let outcome = try PACETerminal(parameters: try PACEWorkedExampleTests.parameters, password: .can(VirtualChipTests.Document.can))
                .authenticate(over: transport)
            secure = outcome.transport
            _ = try secure.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
            chipIdentifier = try TerminalAuthentication.chipIdentifier(paceChipPublicKey: outcome.chipPublicKey)
        }
        let chipKey = ChipAuthentication.ChipKey(domain: .dh(group), publicKey: try Self.vector("ca_picc_pub_key"))
        let before = secure.session.keys
        let ephemeral = try ChipAuthentication.authenticate(over: secure, chipKey: chipKey, protocolIdentifier: oid)
        #expect(ephemeral.count == 128)
        #expect(secure.session.keys != before)
        #expect(try TerminalAuthentication.compressed(ephemeral) == (try HashAlgorithm.sha1.hash(ephemeral)))
        let (terminal, key) = try chain.terminal(.readDG3)
        try TerminalAuthentication.authenticate(over: secure, certificates: [chain.dv, terminal], terminalKey: key,
                                                chipIdentifier: chipIdentifier, terminalEphemeralKey: ephemeral)
        #expect(try ElementaryFileReader(secure).read(ChipFileSystem.dataGroup(3)) == document.dg3)
    }

    /// A clone that holds another exponent cannot answer under the keys the terminal derives from DG14's value.
    @Test func aCloneWithAnotherExponentFails() throws {
        let group = try #require(DHGroup.standardized(0))
        let document = try VirtualChipTests.Document()
        let clone = EMRTDChip(files: document.chip.files, bacKey: document.key, chipAuthenticationKey: try group.randomExponent(), chipAuthenticationGroup: group)
        let transport = InProcessTransport(clone)
        _ = try transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
        let secure = try BasicAccessControl.authenticate(over: transport, key: document.key)
        try ChipAuthentication.authenticate(over: secure, chipKey: .init(domain: .dh(group), publicKey: try Self.vector("ca_picc_pub_key")),
                                            protocolIdentifier: ASN1ObjectIdentifier(dotRepresentation: "0.4.0.127.0.7.2.2.3.1.1"))
        let caught = #expect(throws: ChipAccessError.self) { try ElementaryFileReader(secure).read(ChipFileSystem.dataGroup(1)) }
        #expect(caught?.code == .secureMessaging)
    }
}

import ChipAccess
import Foundation
import PKICore
import SmartCard
import Testing
import TestSupport
import VirtualChip

/// Active Authentication: the pieces of 9303-11 Appendix F, RSA signatures whose ISO/IEC 9796-2 representative
/// OpenSSL recovers independently, and the virtual chip proving it holds DG15's key (RSA and ECDSA).
@Suite struct ActiveAuthenticationTests {
    static var example: [String: Any] {
        get throws { try #require(try WorkedExampleTests.examples["appendixF_ActiveAuthentication_RSA_SHA1_partial"] as? [String: Any]) }
    }

    static func hex(_ key: String) throws -> [UInt8] { try WorkedExampleTests.hex(try example, key) }

    @Test func piecesOfAppendixF() throws {
        #expect(try ActiveAuthentication.internalAuthenticate(Self.hex("rndIFD")).encoded() == Self.hex("internalAuthenticateCommand"))
        #expect(try HashAlgorithm.sha1.hash(Self.hex("M1") + Self.hex("rndIFD")) == Self.hex("H_sha1_M1_concat_rndIFD"))
    }

    /// The chip's RSA signature, recovered by `openssl pkeyutl -verifyrecover` without padding: 6A ‖ M1 ‖ H ‖ trailer.
    @Test(arguments: [HashAlgorithm.sha1, .sha256])
    func rsaRepresentativeAsOpenSSLRecoversIt(_ hash: HashAlgorithm) throws {
        let directory = try TestSupport.temporaryDirectory("epki-aa")
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try PrivateKey.generate(.rsa(bits: 2048))
        let challenge = try Self.hex("rndIFD")
        let nonce = [UInt8](repeating: 0x5A, count: 256)
        let signature = try ActiveAuthentication.sign(challenge, key: key, hash: hash, nonce: nonce)
        try TestSupport.write(signature, directory.appendingPathComponent("sig.bin"))
        try TestSupport.write(PEM.encode(key.publicKey.derEncoded, label: "PUBLIC KEY"), directory.appendingPathComponent("aa.pem"))
        try TestSupport.openssl(["pkeyutl", "-verifyrecover", "-pubin", "-inkey", "aa.pem", "-pkeyopt", "rsa_padding_mode:none",
                                 "-in", "sig.bin", "-out", "representative.bin"], in: directory)
        let representative = try TestSupport.read(directory.appendingPathComponent("representative.bin"))
        let trailer: [UInt8] = hash == .sha1 ? [0xBC] : [0x34, 0xCC]
        let m1 = Array(nonce.prefix(256 - 1 - hash.digestLength - trailer.count))
        #expect(representative == [0x6A] + m1 + (try hash.hash(m1 + challenge)) + trailer)
        #expect(try ActiveAuthentication.verify(signature, challenge: challenge, publicKey: key.publicKey, hash: hash))
        #expect(try !ActiveAuthentication.verify(signature, challenge: [0, 1, 2, 3, 4, 5, 6, 7], publicKey: key.publicKey, hash: hash))
    }

    @Test(arguments: ["rsa", "brainpoolP256r1", "P-256"])
    func theVirtualChipProvesItHoldsTheKey(_ kind: String) throws {
        let specification: KeySpecification = kind == "rsa" ? .rsa(bits: 2048)
            : .ec(kind == "P-256" ? .p256 : .brainpoolP256r1, parameters: .namedCurve)
        let key = try PrivateKey.generate(specification)
        let document = try VirtualChipTests.Document()
        let chip = EMRTDChip(files: document.chip.files, bacKey: document.key)
        chip.activeAuthenticationKey = key
        let transport = InProcessTransport(chip)
        // Not before secure messaging.
        let early = try transport.send(ActiveAuthentication.internalAuthenticate([UInt8](repeating: 1, count: 8)))
        #expect(early.statusWord == .securityStatusNotSatisfied)
        _ = try transport.sendSuccessfully(VirtualChipTests.selectApplication, "SELECT")
        let secure = try BasicAccessControl.authenticate(over: transport, key: document.key)
        try ActiveAuthentication.authenticate(over: secure, publicKey: key.publicKey)

        // A copy of the chip with another key is caught.
        let other = try PrivateKey.generate(specification)
        let caught = #expect(throws: ChipAccessError.self) { try ActiveAuthentication.authenticate(over: secure, publicKey: other.publicKey) }
        #expect(caught?.code == .authenticationFailed, "\(String(describing: caught))")
    }
}

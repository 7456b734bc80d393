import ChipAccess
import PKICore
import SmartCard
import Testing
import TestSupport

/// The session ciphers of secure messaging against straightforward computations of the same functions, and the
/// retail MAC against the values printed in Doc 9303-11 Appendix D.
///
/// The retail MAC (ISO/IEC 9797-1 MAC algorithm 3, padding method 2) runs single DES over the blocks through
/// OpenSSL's low-level DES; the reference here chains block by block in Swift, each step one DES encryption made
/// from EVP's 3DES with K1 ‖ K1 ‖ K1 (encrypt-decrypt-encrypt with equal keys is one encryption).
@Suite struct SecureMessagingCipherTests {
    /// H_i = E(K1, H_{i-1} ⊕ D_i) over every block, then E(K1, D(K2, H_n)).
    static func referenceRetailMAC(key: [UInt8], paddedData: [UInt8]) throws -> [UInt8] {
        let k1 = Array(key[0..<8]), k2 = Array(key[8..<16])
        var chained = [UInt8](repeating: 0, count: 8)
        for start in stride(from: 0, to: paddedData.count, by: 8) {
            let block = zip(chained, paddedData[start..<(start + 8)]).map { $0 ^ $1 }
            chained = try BlockCipher.tripleDES.encryptBlock(block, key: k1 + k1)
        }
        let step = try BlockCipher.tripleDES.decryptBlock(chained, key: k2 + k2)
        return try BlockCipher.tripleDES.encryptBlock(step, key: k1 + k1)
    }

    /// Padding method 2, written out: 0x80, then zeros to a whole number of blocks.
    static func pad(_ data: [UInt8], blockSize: Int) -> [UInt8] {
        var padded = data + [0x80]
        while padded.count % blockSize != 0 { padded.append(0) }
        return padded
    }

    static func bytes(_ count: Int, _ generator: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    static var appendixD: [String: Any] { get throws { try #require(try WorkedExampleTests.examples["appendixD_BAC"] as? [String: Any]) } }

    @Test(arguments: [0, 1, 7, 8, 15, 16, 17, 64, 223, 1000, 4000])
    func retailMACMatchesTheBlockByBlockReference(length: Int) throws {
        var generator = SplitMix64(seed: UInt64(length) &+ 9797)
        for _ in 0..<4 {
            let key = Self.bytes(16, &generator), encryptionKey = Self.bytes(16, &generator)
            let padded = Self.pad(Self.bytes(length, &generator), blockSize: 8)
            let expected = try Self.referenceRetailMAC(key: key, paddedData: padded)
            #expect(try MessageAuthenticationCode.retailMAC(key: key, paddedData: padded) == expected, "\(length) bytes")
            let session = try SessionCipher(.tripleDES, encryptionKey: encryptionKey, macKey: key)
            #expect(try session.mac(padded) == expected, "\(length) bytes")
        }
    }

    /// Appendix D.3: M_IFD over E_IFD and M_IC over E_IC with K_MAC; D.4: the MAC of the protected SELECT EF.COM with
    /// KS_MAC over SSC ‖ pad(0CA4020C) ‖ DO'87'.
    @Test func retailMACReproducesAppendixD() throws {
        let example = try Self.appendixD
        let kMac = try WorkedExampleTests.hex(example, "kMac_parityAdjusted")
        let eIFD = try WorkedExampleTests.hex(example, "eIFD")
        let mIFD = try WorkedExampleTests.hex(example, "mIFD")
        let answer = try WorkedExampleTests.hex(example, "externalAuthenticateResponse_eIC_mIC")
        let cases: [(data: [UInt8], mac: [UInt8])] = [(eIFD, mIFD), (Array(answer[0..<32]), Array(answer[32..<40]))]
        for (data, mac) in cases {
            let padded = Self.pad(data, blockSize: 8)
            #expect(try MessageAuthenticationCode.retailMAC(key: kMac, paddedData: padded) == mac)
            #expect(try Self.referenceRetailMAC(key: kMac, paddedData: padded) == mac)
            #expect(try SessionCipher(.tripleDES, encryptionKey: kMac, macKey: kMac).mac(padded) == mac)
        }

        let ksMac = try WorkedExampleTests.hex(example, "ksMac")
        let ksEnc = try WorkedExampleTests.hex(example, "ksEnc")
        let ssc: [UInt8] = [0x88, 0x70, 0x22, 0x12, 0x0C, 0x06, 0xC2, 0x27]
        let do87: [UInt8] = [0x87, 0x09, 0x01, 0x63, 0x75, 0x43, 0x29, 0x08, 0xC0, 0x44, 0xF6]
        let input = Self.pad(ssc + Self.pad([0x0C, 0xA4, 0x02, 0x0C], blockSize: 8) + do87, blockSize: 8)
        #expect(try SessionCipher(.tripleDES, encryptionKey: ksEnc, macKey: ksMac).mac(input) == [0xBF, 0x8B, 0x92, 0xD6, 0x35, 0xFF, 0x24, 0xF8])
    }

    @Test func macRefusesWhatIsNotWholeBlocks() throws {
        let key = [UInt8](repeating: 0x11, count: 16)
        #expect(throws: PKIError.self) { try MessageAuthenticationCode.retailMAC(key: key, paddedData: []) }
        #expect(throws: PKIError.self) { try MessageAuthenticationCode.retailMAC(key: key, paddedData: [0x80]) }
        let session = try SessionCipher(.tripleDES, encryptionKey: key, macKey: key)
        #expect(throws: PKIError.self) { try session.mac([]) }
        #expect(throws: PKIError.self) { try session.mac([UInt8](repeating: 0, count: 12)) }
        #expect(throws: PKIError.self) { try SessionCipher(.aes128, encryptionKey: key, macKey: [UInt8](repeating: 0, count: 24)) }
    }

    /// CBC both ways and the MAC, for every cipher, against BlockCipher and MessageAuthenticationCode, which set up
    /// OpenSSL anew on each call; one session reused across calls and IVs, as secure messaging uses it.
    @Test(arguments: [BlockCipher.tripleDES, .aes128, .aes192, .aes256])
    func sessionCipherMatchesTheOneShotFunctions(cipher: BlockCipher) throws {
        var generator = SplitMix64(seed: UInt64(cipher.keyLength) &+ 38)
        let encryptionKey = Self.bytes(cipher.keyLength, &generator), macKey = Self.bytes(cipher.keyLength, &generator)
        let session = try SessionCipher(cipher, encryptionKey: encryptionKey, macKey: macKey)
        for blocks in [0, 1, 2, 15, 250] {
            let data = Self.bytes(blocks * cipher.blockSize, &generator)
            let iv = Self.bytes(cipher.blockSize, &generator)
            var encrypted: [UInt8] = [0xAA]
            try session.encrypt(data[...], iv: iv, appendingTo: &encrypted)
            #expect(encrypted == [0xAA] + (try cipher.encrypt(data, key: encryptionKey, iv: iv)), "\(cipher), \(blocks) blocks")
            var decrypted: [UInt8] = []
            try session.decrypt(encrypted[1...], iv: iv, appendingTo: &decrypted)
            #expect(decrypted == data, "\(cipher), \(blocks) blocks")
            let block = Self.bytes(cipher.blockSize, &generator)
            #expect(try session.encryptBlock(block) == (try cipher.encryptBlock(block, key: encryptionKey)))
            guard blocks > 0 else { continue }
            let expected = cipher == .tripleDES ? try Self.referenceRetailMAC(key: macKey, paddedData: data)
                                                : Array(try MessageAuthenticationCode.cmac(key: macKey, data: data).prefix(8))
            #expect(try session.mac(data) == expected, "\(cipher), \(blocks) blocks")
        }
        var ignored: [UInt8] = []
        #expect(throws: PKIError.self) { try session.encrypt(ArraySlice<UInt8>([1, 2, 3]), iv: [UInt8](repeating: 0, count: cipher.blockSize), appendingTo: &ignored) }
        #expect(ignored.isEmpty)
    }

    /// The AES MAC is CMAC computed from one CBC pass with the subkey K1 (the shim's own, since OpenSSL 3.0's CMAC
    /// runs the cipher block by block): NIST SP 800-38B Appendix D's examples for whole-block messages (D.1 is also
    /// RFC 4493 §4), cut to the 8 bytes secure messaging sends.
    @Test(arguments: [
        // (key, message blocks of the examples' common plaintext, CMAC's first 8 bytes)
        ("2b7e151628aed2a6abf7158809cf4f3c", 1, "070a16b46b4d4144"),
        ("2b7e151628aed2a6abf7158809cf4f3c", 4, "51f0bebf7e3b9d92"),
        ("8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", 1, "9e99a7bf31e71090"),
        ("8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", 4, "a1d5df0eed790f79"),
        ("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", 1, "28a7023f452e8f82"),
        ("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", 4, "e1992190549f6ed5"),
    ])
    func cmacReproducesSP800_38B(key: String, blocks: Int, expected: String) throws {
        let plaintext = try #require([UInt8](hex: "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
            + "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710"))
        let key = try #require([UInt8](hex: key))
        let cipher: BlockCipher = key.count == 16 ? .aes128 : key.count == 24 ? .aes192 : .aes256
        let session = try SessionCipher(cipher, encryptionKey: key, macKey: key)
        #expect(try session.mac(Array(plaintext.prefix(blocks * 16))) == (try #require([UInt8](hex: expected))))
    }

    /// Against OpenSSL's CMAC over many keys, so that both ways of deriving K1 (L's top bit clear and set) and
    /// messages longer than the shim's 512-byte chaining buffer are met.
    @Test(arguments: [BlockCipher.aes128, .aes192, .aes256])
    func cmacMatchesOpenSSLsForManyKeys(cipher: BlockCipher) throws {
        var generator = SplitMix64(seed: UInt64(cipher.keyLength) &* 7919)
        for round in 0..<48 {
            let macKey = Self.bytes(cipher.keyLength, &generator)
            let session = try SessionCipher(cipher, encryptionKey: Self.bytes(cipher.keyLength, &generator), macKey: macKey)
            for blocks in [1, 2, 31, 32, 33, 64, 251] where round % 8 == 0 || blocks <= 2 {
                let data = Self.bytes(blocks * 16, &generator)
                #expect(try session.mac(data) == Array(try MessageAuthenticationCode.cmac(key: macKey, data: data).prefix(8)),
                        "\(cipher), key \(macKey.hexString), \(blocks) blocks")
            }
        }
    }

    /// A command that has no encoding is refused before the SSC moves (the transport no longer encodes the plain
    /// command before protecting it).
    @Test func protectRefusesCommandsWithoutAnEncoding() throws {
        let keys = try SecureMessagingKeys(seed: [UInt8](repeating: 0x42, count: 16), cipher: .aes128)
        var session = try SecureMessaging(keys: keys)
        for command in [CommandAPDU(ins: 0xB0, p1: 0, p2: 0, expectedLength: 0),
                        CommandAPDU(ins: 0xB0, p1: 0, p2: 0, expectedLength: 65_537),
                        CommandAPDU(ins: 0xD6, p1: 0, p2: 0, data: [UInt8](repeating: 0, count: 65_536))] {
            #expect(throws: SmartCardError.self) { try session.protect(command) }
        }
        #expect(session.sendSequenceCounter == [UInt8](repeating: 0, count: 16))
        let protected = try session.protect(CommandAPDU(ins: 0xB0, p1: 0, p2: 0, expectedLength: 65_536))
        #expect(Array(protected.data.prefix(4)) == [0x97, 0x02, 0x00, 0x00])
        #expect(session.sendSequenceCounter == [UInt8](repeating: 0, count: 15) + [1])
    }
}

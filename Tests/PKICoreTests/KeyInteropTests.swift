import Foundation
import PKICore
import SwiftASN1
import Testing
import TestSupport

/// Every key type epki generates signs, and OpenSSL's CLI verifies; keys and signatures OpenSSL makes verify here.
@Suite struct KeyInteropTests {
    static let specifications: [KeySpecification] =
        ECCurve.generatable.flatMap { [KeySpecification.ec($0, parameters: .namedCurve), .ec($0, parameters: .explicit)] }
        + [.rsa(bits: 2048), .rsa(bits: 4096)]

    static func algorithms(for specification: KeySpecification) -> [SignatureAlgorithm] {
        switch specification {
        case .ec(let curve, _): [.ecdsa(curve.matchingHash), .ecdsa(.sha224)]
        case .rsa: [.rsaPKCS1v15(.sha256), .rsaPSS(.sha256), .rsaPSS(RSASSAPSSParameters(hash: .sha512, mgf1Hash: .sha256, saltLength: 20))]
        }
    }

    static func opensslVerifyArguments(_ algorithm: SignatureAlgorithm) -> [String] {
        var arguments = ["dgst", "-\(algorithm.hash.rawValue)"]
        if case .rsaPSS(let p) = algorithm {
            arguments += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:\(p.saltLength)",
                          "-sigopt", "rsa_mgf1_md:\(p.mgf1Hash.rawValue)"]
        }
        return arguments
    }

    @Test("epki signs, openssl dgst -verify accepts", arguments: specifications)
    func epkiSignsOpenSSLVerifies(_ specification: KeySpecification) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try PrivateKey.generate(specification)
        let signer = SoftwareSigner(key: key)
        if case .ec(_, let encoding) = specification {
            #expect(key.publicKey.subjectPublicKeyInfo.ecDomain?.isExplicit == (encoding == .explicit))
        }
        let publicKeyFile = directory.appendingPathComponent("pub.pem")
        try TestSupport.write(PEM.encode(key.publicKey.derEncoded, label: "PUBLIC KEY"), publicKeyFile)
        let text = try TestSupport.openssl(["pkey", "-pubin", "-in", publicKeyFile.path, "-noout", "-text"])
        if case .ec(_, .explicit) = specification { #expect(text.stdout.contains("Field Type: prime-field")) }

        let message = Array("ICAO Doc 9303 \(specification)".utf8)
        try TestSupport.write(message, directory.appendingPathComponent("data"))
        for algorithm in Self.algorithms(for: specification) {
            let signature = try signer.sign(message, algorithm: algorithm)
            try TestSupport.write(signature, directory.appendingPathComponent("sig"))
            let result = try TestSupport.run(
                "openssl", Self.opensslVerifyArguments(algorithm) + ["-verify", publicKeyFile.path, "-signature", "sig", "data"],
                currentDirectory: directory)
            #expect(result.stdout.contains("Verified OK"), "\(specification) \(algorithm): \(result.output)")
            #expect(try key.publicKey.isValidSignature(signature, for: message, algorithm: algorithm))
            var tampered = message
            tampered[0] ^= 1
            #expect(try !key.publicKey.isValidSignature(signature, for: tampered, algorithm: algorithm))
        }
    }

    @Test("openssl signs, epki verifies", arguments: [
        ("EC", ["-pkeyopt", "ec_paramgen_curve:brainpoolP256r1", "-pkeyopt", "ec_param_enc:explicit"], SignatureAlgorithm.ecdsa(.sha256)),
        ("EC", ["-pkeyopt", "ec_paramgen_curve:brainpoolP384r1"], .ecdsa(.sha384)),
        ("EC", ["-pkeyopt", "ec_paramgen_curve:P-521", "-pkeyopt", "ec_param_enc:explicit"], .ecdsa(.sha512)),
        ("RSA", ["-pkeyopt", "rsa_keygen_bits:2048"], .rsaPKCS1v15(.sha256)),
        ("RSA", ["-pkeyopt", "rsa_keygen_bits:3072"], .rsaPSS(.sha256)),
    ])
    func opensslSignsEpkiVerifies(_ keyType: String, _ options: [String], _ algorithm: SignatureAlgorithm) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestSupport.openssl(["genpkey", "-algorithm", keyType] + options + ["-out", "key.pem"], in: directory)
        try TestSupport.openssl(["pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"], in: directory)
        try TestSupport.write("signed by OpenSSL", directory.appendingPathComponent("data"))
        var sign = ["dgst", "-\(algorithm.hash.rawValue)", "-sign", "key.pem", "-out", "sig"]
        if case .rsaPSS = algorithm { sign += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"] }
        try TestSupport.openssl(sign + ["data"], in: directory)

        let publicKey = try PublicKey(derEncoded: PEM.decodeIfPEM(TestSupport.read(directory.appendingPathComponent("pub.pem")), label: "PUBLIC KEY"))
        let signature = try TestSupport.read(directory.appendingPathComponent("sig"))
        #expect(try publicKey.isValidSignature(signature, for: Array("signed by OpenSSL".utf8), algorithm: algorithm))
        #expect(try !publicKey.isValidSignature(signature, for: Array("signed by OpenSSl".utf8), algorithm: algorithm))

        // The plaintext OpenSSL key imports (as `epki key import` does), re-encrypts and signs for OpenSSL.
        let imported = try PrivateKey(encoded: TestSupport.read(directory.appendingPathComponent("key.pem")), passphrase: nil, allowUnencrypted: true)
        #expect(imported.publicKey.isSameKey(as: publicKey))
        let encrypted = try imported.encryptedPKCS8(passphrase: Passphrase("correct horse battery"))
        let reloaded = try PrivateKey(encoded: encrypted, passphrase: Passphrase("correct horse battery"))
        let ours = try SoftwareSigner(key: reloaded).sign(Array("signed by epki".utf8), algorithm: algorithm)
        try TestSupport.write(ours, directory.appendingPathComponent("sig2"))
        try TestSupport.write("signed by epki", directory.appendingPathComponent("data2"))
        let result = try TestSupport.run(
            "openssl", Self.opensslVerifyArguments(algorithm) + ["-verify", "pub.pem", "-signature", "sig2", "data2"], currentDirectory: directory)
        #expect(result.stdout.contains("Verified OK"), "\(result.output)")
    }

    @Test func explicitParametersOfOpenSSLAreRecognisedAsTheirCurve() throws {
        for curve in ECCurve.allCases {
            let parameters = try curve.explicitParameters
            #expect(ECCurve(explicit: parameters) == curve)
            #expect(parameters.cofactor == [1], "\(curve) cofactor")
            #expect(parameters.generator.first == 0x04, "\(curve) generator must be uncompressed")
        }
    }
}

@Suite struct PrivateKeyStorageTests {
    /// An EC key on a known curve, named or with explicit parameters, is made from its curve's name and its point. A
    /// point off the curve is still refused with a typed error, and a form that shortcut leaves to OpenSSL's decoder
    /// (a compressed point) still reads and verifies.
    @Test(arguments: [ECParameterEncoding.explicit, .namedCurve])
    func ecKeysAreCheckedAsBefore(_ encoding: ECParameterEncoding) throws {
        let key = try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: encoding))
        let message = Array("passive authentication".utf8)
        let signature = try SoftwareSigner(key: key).sign(message, algorithm: .ecdsa(.sha256))
        let uncompressed = Array(key.publicKey.subjectPublicKeyInfo.subjectPublicKey.bytes)
        #expect(uncompressed.count == 65 && uncompressed.first == 0x04)
        #expect(try PublicKey(derEncoded: key.publicKey.derEncoded).isValidSignature(signature, for: message, algorithm: .ecdsa(.sha256)))

        var spki = key.publicKey.subjectPublicKeyInfo
        var offCurve = uncompressed
        offCurve[64] ^= 0x01
        spki.subjectPublicKey = ASN1BitString(bytes: offCurve[...])
        #expect(throws: PKIError.self) { try PublicKey(subjectPublicKeyInfo: spki) }

        let compressed = [0x02 | ((uncompressed.last ?? 0) & 1)] + uncompressed[1...32]
        spki.subjectPublicKey = ASN1BitString(bytes: compressed[...])
        let read = try PublicKey(subjectPublicKeyInfo: spki)
        #expect(read.kind == .ec(curve: .brainpoolP256r1, explicitParameters: encoding == .explicit))
        #expect(try read.isValidSignature(signature, for: message, algorithm: .ecdsa(.sha256)))
        #expect(try !read.isValidSignature(signature, for: message + [0], algorithm: .ecdsa(.sha256)))
    }

    @Test func encryptedPKCS8RoundTripsInPEMAndDER() throws {
        let key = try PrivateKey.generate(.ec(.brainpoolP384r1, parameters: .explicit))
        for pem in [true, false] {
            let stored = try key.encryptedPKCS8(passphrase: Passphrase("a long enough secret"), pem: pem)
            #expect(PrivateKey.isEncrypted(stored))
            if pem { #expect(String(decoding: stored, as: UTF8.self).hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----")) }
            let loaded = try PrivateKey(encoded: stored, passphrase: Passphrase("a long enough secret"))
            #expect(loaded.publicKey == key.publicKey)
            #expect(loaded.ecParameterEncoding == .explicit)
        }
    }

    @Test func openSSLReadsOurEncryptedKeyWithThePassphrase() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try PrivateKey.generate(.rsa(bits: 2048))
        try TestSupport.write(key.encryptedPKCS8(passphrase: Passphrase("passphrase-for-openssl")), directory.appendingPathComponent("k.pem"))
        let result = try TestSupport.openssl(["pkey", "-in", "k.pem", "-passin", "pass:passphrase-for-openssl", "-pubout"], in: directory)
        #expect(result.stdout.contains("BEGIN PUBLIC KEY"))
        let wrong = try TestSupport.run("openssl", ["pkey", "-in", "k.pem", "-passin", "pass:wrong", "-noout"], currentDirectory: directory)
        #expect(wrong.status != 0)
    }

    @Test func wrongPassphraseIsTypedError() throws {
        let stored = try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)).encryptedPKCS8(passphrase: Passphrase("right passphrase"))
        expectError(PKIError(.wrongPassphrase, "the passphrase does not decrypt the private key")) {
            try PrivateKey(encoded: stored, passphrase: Passphrase("wrong passphrase"))
        }
        expectError(PKIError(.missingInput, "the private key is encrypted; give its passphrase")) { try PrivateKey(encoded: stored, passphrase: nil) }
    }

    @Test func unencryptedKeysAreRefusedAtRest() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestSupport.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "plain.pem"], in: directory)
        let plain = try TestSupport.read(directory.appendingPathComponent("plain.pem"))
        expectError(PKIError(.unencryptedKey, "the private key is not encrypted")) { try PrivateKey(encoded: plain, passphrase: Passphrase("whatever")) }
    }

    @Test func shortPassphraseIsRefusedWhenEncrypting() throws {
        let key = try PrivateKey.generate(.ec(.p256, parameters: .namedCurve))
        expectError(PKIError(.invalidValue, "passphrase: at least 8 characters")) { try key.encryptedPKCS8(passphrase: Passphrase("short")) }
    }

    @Test func passphraseNeverPrints() {
        let secret = Passphrase("do not log me")
        #expect(!"\(secret)".contains("log"))
        #expect(!String(reflecting: secret).contains("log"))
    }

    @Test(arguments: ["ec:secp256k1", "ec:brainpoolP160r1", "rsa:1024", "rsa:8192", "dsa:2048", "ec", "ec:P-224"])
    func unsupportedKeyAlgorithmsAreTypedErrors(_ text: String) {
        #expect(throws: PKIError.self) { try KeySpecification(text) }
    }

    @Test func sha1IsNeverUsedToSign() throws {
        let signer = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        expectError(PKIError(.unsupportedAlgorithm, "ecdsa-sha1: SHA-1 is accepted only to verify legacy data")) { try signer.sign([1, 2, 3], algorithm: .ecdsa(.sha1)) }
        expectError(PKIError(.keyMismatch, "P-256 (named curve) key cannot sign rsa-pss-sha256")) { try signer.sign([1, 2, 3], algorithm: .rsaPSS(.sha256)) }
    }
}

@Suite struct ECDSASignatureTests {
    @Test func plainAndDERRoundTrip() throws {
        let signer = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP512r1, parameters: .explicit)))
        for _ in 0..<20 {
            let der = try signer.sign([0x42], algorithm: .ecdsa(.sha512))
            let plain = try ECDSASignature(derEncoded: der).plain(coordinateLength: 64)
            #expect(plain.count == 128)
            #expect(try ECDSASignature(plain: plain).derEncoded == der)
            #expect(try signer.publicKey.isValidSignature(ECDSASignature(plain: plain).derEncoded, for: [0x42], algorithm: .ecdsa(.sha512)))
        }
        let plain = try signer.signPlainECDSA([1], hash: .sha256)
        #expect(plain.count == 128)
    }

    @Test func malformedSignaturesAreErrors() {
        #expect(throws: PKIError.self) { try ECDSASignature(plain: [1, 2, 3]) }
        #expect(throws: PKIError.self) { try ECDSASignature(derEncoded: [0x30, 0x03, 0x02, 0x01]) }
        #expect(throws: PKIError.self) { try ECDSASignature(r: [1, 2, 3], s: [1]).plain(coordinateLength: 2) }
    }
}

import Foundation
import PKCS11
import PKICore
import Testing
import TestSupport

/// Keys generated inside a private SoftHSM2 token sign through the same Signer seam as software keys, and
/// OpenSSL verifies what they sign.
@Suite(.serialized) struct PKCS11Tests {
    static func uri(_ object: String? = nil, token: String = "epki-test") -> PKCS11URI {
        var uri = PKCS11URI(token: token, object: object)
        uri.modulePath = SoftHSM.modulePath
        return uri
    }

    static func token() throws -> PKCS11Token {
        _ = try SoftHSM.shared.get()
        let token = try PKCS11Token.open(uri())
        try token.login(pin: PIN(SoftHSM.userPIN))
        return token
    }

    /// The words of the `Access:` line OpenSC's pkcs11-tool prints for the private key labelled `label` on the
    /// epki-test token ("sensitive", "always sensitive", "extractable", "never extractable", "local"); nil when
    /// pkcs11-tool does not list that key.
    static func privateKeyAccess(label: String, login: Bool) throws -> Set<String>? {
        let hsm = try SoftHSM.shared.get()
        let arguments = ["--module", SoftHSM.modulePath, "--token-label", "epki-test", "--list-objects", "--type", "privkey"]
            + (login ? ["--login", "--pin", SoftHSM.userPIN] : [])
        let result = try TestSupport.run("pkcs11-tool", arguments, environment: hsm.environment)
        guard result.status == 0 else { throw TestFailure("pkcs11-tool \(arguments.joined(separator: " ")): \(result.output)") }
        var current: String?
        for line in result.stdout.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("Private Key Object") {
                current = nil
            } else if text.hasPrefix("label:") {
                current = text.dropFirst("label:".count).trimmingCharacters(in: .whitespaces)
            } else if text.hasPrefix("Access:"), current == label {
                return Set(text.dropFirst("Access:".count).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            }
        }
        return nil
    }

    static let specifications: [KeySpecification] = [
        .ec(.p256, parameters: .namedCurve), .ec(.p384, parameters: .namedCurve), .ec(.p521, parameters: .namedCurve),
        .ec(.brainpoolP256r1, parameters: .namedCurve), .ec(.brainpoolP384r1, parameters: .namedCurve),
        .ec(.brainpoolP512r1, parameters: .namedCurve), .rsa(bits: 2048), .rsa(bits: 4096),
    ]

    @Test("keys generated in the token sign; openssl verifies", arguments: specifications)
    func generateSignVerify(_ specification: KeySpecification) throws {
        let token = try Self.token()
        let label = "key-\(specification)-\(UUID().uuidString.prefix(8))"
        let signer = try token.generateKeyPair(specification, label: label)
        #expect(signer.publicKey.curve == { if case .ec(let c, _) = specification { return c } else { return nil } }())

        // The private key is sensitive and cannot leave the token: the token says so, for the key generated and
        // for the key found again by its URI.
        let again = try PKCS11Token.signer(for: Self.uri(label), pin: nil)
        #expect(again.publicKey == signer.publicKey)
        for key in [signer, again] {
            let protection = try key.protection()
            #expect(protection.isSensitive, "CKA_SENSITIVE of \(label)")
            #expect(!protection.isExtractable, "CKA_EXTRACTABLE of \(label)")
            #expect(protection.isPrivate, "CKA_PRIVATE of \(label)")
        }
        // SoftHSM2 asked independently, through OpenSC's pkcs11-tool: sensitive, never extractable, and not even
        // listed without a login (CKA_PRIVATE).
        let access = try #require(try Self.privateKeyAccess(label: label, login: true), "pkcs11-tool does not list \(label)")
        #expect(access.contains("sensitive") && access.contains("never extractable") && !access.contains("extractable"), "\(access)")
        #expect(try Self.privateKeyAccess(label: label, login: false) == nil)

        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestSupport.write(PEM.encode(signer.publicKey.derEncoded, label: "PUBLIC KEY"), directory.appendingPathComponent("pub.pem"))
        let message = Array("signed inside the HSM".utf8)
        try TestSupport.write(message, directory.appendingPathComponent("data"))
        let algorithms: [SignatureAlgorithm] = signer.publicKey.isEC
            ? [.ecdsa(.sha256), .ecdsa(.sha384), .ecdsa(.sha512)]
            : [.rsaPKCS1v15(.sha256), .rsaPKCS1v15(.sha512), .rsaPSS(.sha256), .rsaPSS(RSASSAPSSParameters(hash: .sha384, mgf1Hash: .sha384, saltLength: 20))]
        for algorithm in algorithms {
            let signature = try signer.sign(message, algorithm: algorithm)
            try TestSupport.write(signature, directory.appendingPathComponent("sig"))
            var arguments = ["dgst", "-\(algorithm.hash.rawValue)"]
            if case .rsaPSS(let p) = algorithm {
                arguments += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:\(p.saltLength)", "-sigopt", "rsa_mgf1_md:\(p.mgf1Hash.rawValue)"]
            }
            let result = try TestSupport.run("openssl", arguments + ["-verify", "pub.pem", "-signature", "sig", "data"], currentDirectory: directory)
            #expect(result.stdout.contains("Verified OK"), "\(specification) \(algorithm): \(result.output)")
        }
        if !signer.publicKey.isEC {
            // SoftHSM2 accepts PSS only when the MGF1 hash equals the message hash: a clear error, not a crash.
            #expect(throws: PKCS11Error.self) {
                try signer.sign(message, algorithm: .rsaPSS(RSASSAPSSParameters(hash: .sha384, mgf1Hash: .sha256, saltLength: 20)))
            }
        }
        if signer.publicKey.isEC {
            let plain = try signer.signPlainECDSA(message, hash: .sha256)
            #expect(plain.count == 2 * (signer.publicKey.curve?.coordinateLength ?? 0))
        }
    }

    @Test func anHSMKeySignsCertificatesAndCMSThroughTheSamePath() throws {
        let token = try Self.token()
        let signer = try token.generateKeyPair(.ec(.brainpoolP256r1, parameters: .namedCurve), label: "csca-\(UUID().uuidString.prefix(8))")
        let name = try DistinguishedName(parsing: "C=UT,O=Utopia,CN=CSCA in HSM")
        var extensions = Extensions()
        try extensions.append(KeyUsage([.keyCertSign, .cRLSign]), critical: true)
        try extensions.append(BasicConstraints(isCertificateAuthority: true, pathLengthConstraint: 0), critical: true)
        try extensions.append(SubjectKeyIdentifier(keyIdentifier: signer.publicKey.keyIdentifier), critical: false)
        // The certificate states explicit parameters although the token knows only the curve's OID.
        let certificate = try CertificateBuilder(
            issuer: name, subject: name, notBefore: Date(), notAfter: Date().addingTimeInterval(86_400 * 365),
            subjectPublicKeyInfo: try signer.publicKey.encoded(ecParameters: .explicit), extensions: extensions
        ).sign(with: signer)
        #expect(try certificate.isSignatureValid(issuerKey: certificate.publicKey))
        #expect(try certificate.publicKey.subjectPublicKeyInfo.ecDomain?.isExplicit == true)

        let cms = try SignedDataBuilder(eContentType: .ICAO.cscaMasterList, content: [1, 2, 3], signerCertificate: certificate).sign(with: signer)
        #expect(cms.verify(signerCertificate: certificate).isValid)

        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestSupport.write(certificate.pemEncoded, directory.appendingPathComponent("csca.pem"))
        try TestSupport.write(cms.contentInfoDER(), directory.appendingPathComponent("ml.cms"))
        let selfSigned = try TestSupport.run("openssl", ["verify", "-CAfile", "csca.pem", "csca.pem"], currentDirectory: directory)
        #expect(selfSigned.stdout.contains("csca.pem: OK"), "\(selfSigned.output)")
        let verified = try TestSupport.run("openssl", ["cms", "-verify", "-noverify", "-binary", "-inform", "DER", "-in", "ml.cms", "-out", "/dev/null"],
                                           currentDirectory: directory)
        #expect(verified.stderr.contains("Verification successful"), "\(verified.output)")
    }

    @Test func parallelSigningFromTwoThreadsIsSafe() async throws {
        let token = try Self.token()
        let signer = try token.generateKeyPair(.ec(.p256, parameters: .namedCurve), label: "parallel-\(UUID().uuidString.prefix(8))")
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var ok = true
                    for index in 0..<50 {
                        let message = Array("document \(worker)-\(index)".utf8)
                        let signature = try signer.sign(message, algorithm: .ecdsa(.sha256))
                        let valid = try signer.publicKey.isValidSignature(signature, for: message, algorithm: .ecdsa(.sha256))
                        ok = ok && valid
                    }
                    return ok
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == [true, true, true, true])
    }

    @Test func wrongPINAndUnknownNamesAreClearErrors() throws {
        _ = try SoftHSM.shared.get()
        let other = try PKCS11Token.open(Self.uri(token: "epki-wrong-pin"))
        do {
            try other.login(pin: PIN("000000"))
            Issue.record("a wrong PIN logged in")
        } catch let error as PKCS11Error {
            #expect(error.code == .wrongPIN)
            #expect(error.reason.contains("CKR_PIN_INCORRECT"))
            #expect(!error.reason.contains("000000"))
        }
        expectError(PKCS11Error(.tokenNotFound, "no token matching token=no-such-token")) { try PKCS11Token.open(Self.uri(token: "no-such-token")) }
        _ = try Self.token()
        do {
            _ = try PKCS11Token.signer(for: Self.uri("no-such-key"), pin: nil)
            Issue.record("found a key that does not exist")
        } catch let error as PKCS11Error {
            #expect(error.code == .keyNotFound)
            #expect(error.reason.contains("object=no-such-key"))
        }
        expectError(PKCS11Error(.moduleNotLoaded, "no PKCS#11 module at /nonexistent/module.so")) { try PKCS11Module.load(path: "/nonexistent/module.so") }
    }

    @Test func theRegistryFindsSoftHSM() throws {
        _ = try SoftHSM.shared.get()
        let modules = try PKCS11Module.registered()
        #expect(modules.contains { $0.name.contains("softhsm") })
        // Without module-path, the token is found through p11-kit's registry.
        let token = try PKCS11Token.open(PKCS11URI(token: "epki-test"))
        #expect(token.info.label == "epki-test")
        #expect(try token.module.mechanisms(slotID: token.info.slotID).count > 10)
    }
}

@Suite struct PKCS11URITests {
    @Test func parsesRFC7512Examples() throws {
        let uri = try PKCS11URI("pkcs11:token=CSCA-LU;object=csca-2026;id=%01%A2?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin")
        #expect(uri.token == "CSCA-LU")
        #expect(uri.object == "csca-2026")
        #expect(uri.id == [0x01, 0xA2])
        #expect(uri.modulePath == "/usr/lib/softhsm/libsofthsm2.so")
        #expect(uri.pinSource == "file:/run/pin")
        #expect(try PKCS11URI(uri.description) == uri)
        let spaced = try PKCS11URI("pkcs11:token=My%20Token;object=a%3Bb")
        #expect(spaced.token == "My Token" && spaced.object == "a;b")
        #expect(try PKCS11URI(spaced.description) == spaced)
    }

    @Test(arguments: [
        ("pkcs12:token=x", "'pkcs12:token=x' does not start with pkcs11:"), ("pkcs11:token", "attribute 'token' has no value"),
        ("pkcs11:colour=blue", "unknown path attribute 'colour'"), ("pkcs11:id=%G1", "bad percent-encoding in '%G1'"),
        ("pkcs11:token=x?pin-value=1234", "pin-value is not accepted"), ("pkcs11:slot-id=abc", "slot-id 'abc' is not a number"),
    ])
    func rejectsBadURIs(_ text: String, _ fragment: String) {
        expectError(PKCS11Error(.invalidURI, fragment)) { try PKCS11URI(text) }
    }
}

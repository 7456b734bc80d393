import ArgumentParser
import Foundation
import PKCS11
import PKICore

struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Generate, import and inspect keys (encrypted PKCS#8 at rest).",
        subcommands: [Generate.self, Show.self, Import.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Generate a key pair and store it as encrypted PKCS#8.")

        @Option(help: "ec:brainpoolP256r1|ec:brainpoolP384r1|ec:brainpoolP512r1|ec:P-256|ec:P-384|ec:P-521|rsa:2048..4096")
        var algorithm: String

        @Flag(name: .customLong("explicit-params"), help: "Encode EC domain parameters explicitly (Doc 9303-12).")
        var explicitParameters = false

        @Option(help: "Where to write the encrypted private key.")
        var out: String?

        @Option(name: .customLong("pkcs11"), help: "Generate inside this token instead: a PKCS#11 URI with object= (label) and optionally id=.")
        var pkcs11: String?

        @OptionGroup var pin: PINOptions

        @Option(name: .customLong("public-out"), help: "Also write the public key (SubjectPublicKeyInfo, PEM).")
        var publicOut: String?

        @Flag(help: "Write DER instead of PEM.")
        var der = false

        @OptionGroup var passphrase: PassphraseOptions

        func validate() throws {
            guard (out == nil) != (pkcs11 == nil) else {
                throw ValidationError("give exactly one of --out FILE (software key) or --pkcs11 URI (key inside a token)")
            }
        }

        func run() throws {
            let specification = try KeySpecification(algorithm, explicitParameters: explicitParameters)
            let publicKey: PublicKey
            if let pkcs11 {
                let uri = try PKCS11URI(pkcs11)
                guard let label = uri.object else { throw PKCS11Error(.invalidURI, "name the new key with object=LABEL in the URI") }
                let token = try PKCS11Token.open(uri)
                guard let secret = try pin.pin() ?? uri.pinSource.map(PIN.fromSource) else {
                    throw PKCS11Error(.missingPIN, "give the token PIN with --pin-file, --pin-env or pin-source= in the URI")
                }
                try token.login(pin: secret)
                let signer = try token.generateKeyPair(specification, label: label, id: uri.id)
                publicKey = signer.publicKey
                print("generated \(specification) key in token '\(token.info.label)': \(signer.uri)")
            } else if let out {
                let secret = try passphrase.passphrase(required: true)!
                let key = try PrivateKey.generate(specification)
                try IO.write(key.encryptedPKCS8(passphrase: secret, pem: !der), to: out, privateFile: true)
                publicKey = key.publicKey
                print("generated \(specification) key: \(out)")
            } else {
                return
            }
            if let publicOut {
                // The token knows the curve by name; --explicit-params decides how the public key is written.
                let spki = try publicKey.encoded(ecParameters: explicitParameters ? .explicit : .namedCurve)
                try IO.write(PEM.encode(try PublicKey(subjectPublicKeyInfo: spki).derEncoded, label: "PUBLIC KEY"), to: publicOut)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Describe a key file (private, public or certificate).")

        @Argument(help: "Encrypted PKCS#8 key, public key, certificate, or a PKCS#11 URI.")
        var file: String

        @OptionGroup var pin: PINOptions

        @Flag(help: "Print JSON.")
        var json = false

        @Option(name: .customLong("public-out"), help: "Write the public key (SubjectPublicKeyInfo, PEM).")
        var publicOut: String?

        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let publicKey: PublicKey
            var kind = "public key"
            if PKCS11URI.isPKCS11URI(file) {
                let signer = try PKCS11Token.signer(for: PKCS11URI(file), pin: pin.pin())
                publicKey = signer.publicKey
                kind = "private key in token '\(signer.token.info.label)' (\(signer.uri))"
            } else if case let bytes = try IO.read(file, what: "key file"), PrivateKey.isEncrypted(bytes) {
                publicKey = try IO.loadPrivateKey(file, passphrase: passphrase).publicKey
                kind = "encrypted private key (PKCS#8)"
            } else if let certificate = try? IO.decode(file, what: "key file", { bytes in try Certificate(bytes: bytes) }) {
                publicKey = try certificate.publicKey
                kind = "certificate"
            } else {
                publicKey = try PublicKey(derEncoded: PEM.decodeIfPEM(IO.read(file, what: "key file"), label: "PUBLIC KEY"))
            }
            if let publicOut { try IO.write(PEM.encode(publicKey.derEncoded, label: "PUBLIC KEY"), to: publicOut) }
            var object: [String: Any] = ["file": file, "kind": kind, "key": publicKey.description,
                                         "keyIdentifier": try publicKey.keyIdentifier.hexString]
            switch publicKey.kind {
            case .ec(let curve, let explicit):
                object["algorithm"] = "ec"
                object["curve"] = curve?.rawValue ?? "unknown"
                object["parameters"] = explicit ? "explicit" : "named"
            case .rsa(let bits):
                object["algorithm"] = "rsa"
                object["bits"] = bits
            }
            if json { try IO.printJSON(object); return }
            print("\(kind): \(publicKey)")
            print("key identifier (SHA-1 of the key bits): \(try publicKey.keyIdentifier.hexString)")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Encrypt a key made elsewhere (PEM or DER, plain or encrypted) into epki's encrypted PKCS#8.")

        @Option(name: .customLong("in"), help: "The key to import.")
        var input: String

        @Option(help: "Where to write the encrypted key.")
        var out: String

        @Option(name: .customLong("in-passphrase-file"), help: "Passphrase file of the input key, if it is encrypted.")
        var inputPassphrase: String?

        @OptionGroup var passphrase: PassphraseOptions

        func run() throws {
            let bytes = try IO.read(input, what: "key file")
            let inputSecret = try inputPassphrase.map(Passphrase.fromFile)
            let key = try PrivateKey(encoded: bytes, passphrase: inputSecret, allowUnencrypted: true)
            try IO.write(key.encryptedPKCS8(passphrase: passphrase.passphrase(required: true)!), to: out, privateFile: true)
            print("imported \(key.publicKey) key: \(out)")
        }
    }
}

struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Sign a file with a key.")

    @Option(help: "Encrypted PKCS#8 key file, or a PKCS#11 URI (pkcs11:token=...;object=...).")
    var key: String

    @Option(help: "One of: \(SignatureAlgorithm.allNames.filter { !$0.contains("sha1") }.joined(separator: ", "))")
    var algorithm: String

    @Option(name: .customLong("in"), help: "The data to sign.")
    var input: String

    @Option(help: "Where to write the signature.")
    var out: String

    @Flag(name: .customLong("plain-ecdsa"), help: "Write ECDSA as plain r||s (BSI TR-03111) instead of DER.")
    var plainECDSA = false

    @OptionGroup var passphrase: PassphraseOptions

    @OptionGroup var pin: PINOptions

    func run() throws {
        guard let algorithm = SignatureAlgorithm(name: algorithm) else {
            throw PKIError(.unsupportedAlgorithm, "unknown signature algorithm '\(self.algorithm)'")
        }
        let signer = try IO.loadSigner(key, passphrase: passphrase, pin: pin)
        let data = try IO.read(input, what: "input")
        let signature: [UInt8]
        if plainECDSA {
            guard algorithm.isECDSA else { throw PKIError(.invalidValue, "--plain-ecdsa applies to ECDSA only") }
            try signer.checkCanSign(algorithm)
            signature = try signer.signPlainECDSA(data, hash: algorithm.hash)
        } else {
            signature = try signer.sign(data, algorithm: algorithm)
        }
        try IO.write(signature, to: out)
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Verify a signature; exit 0 only when it is valid.")

    @Option(help: "Certificate holding the public key.")
    var cert: String?

    @Option(help: "Public key (SubjectPublicKeyInfo, PEM or DER).")
    var pubkey: String?

    @Option(help: "Signature algorithm, e.g. ecdsa-sha256, rsa-pss-sha256, rsa-sha256.")
    var algorithm: String

    @Option(name: .customLong("in"), help: "The signed data.")
    var input: String

    @Option(help: "The signature file.")
    var sig: String

    @Flag(name: .customLong("plain-ecdsa"), help: "The ECDSA signature is plain r||s.")
    var plainECDSA = false

    func run() throws {
        guard let algorithm = SignatureAlgorithm(name: algorithm) else {
            throw PKIError(.unsupportedAlgorithm, "unknown signature algorithm '\(self.algorithm)'")
        }
        let key = try IO.loadPublicKey(certificate: cert, publicKey: pubkey)
        var signature = try IO.read(sig, what: "signature")
        if plainECDSA { signature = try ECDSASignature(plain: signature).derEncoded }
        guard try key.isValidSignature(signature, for: IO.read(input, what: "input"), algorithm: algorithm) else {
            throw CLIFailure(message: "signature INVALID (\(algorithm), \(key) key)")
        }
        print("signature valid (\(algorithm), \(key) key)")
    }
}

import ArgumentParser
import CVC
import CVCA
import Foundation
import PKICore

/// `epki cvc`: card-verifiable certificates and requests of BSI TR-03110 (the stateless half; the CVCA and DVCA
/// with their store come with `epki cvca` and `epki dvca`).
struct CVCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cvc", abstract: "Show, verify and request card-verifiable certificates (BSI TR-03110).",
        subcommands: [Show.self, VerifyCommand.self, RequestCommand.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a CV certificate or certificate request.")

        @Argument(help: "The CV certificate (7F21) or request (7F21 or 67), binary.")
        var file: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            try CVCLI.reporting {
                let bytes = try IO.read(file, what: "CV certificate or request")
                let object: [String: Any]
                switch try CVCLI.decode(bytes) {
                case .certificate(let certificate): object = CVCLI.describe(certificate)
                case .request(let request): object = CVCLI.describe(request)
                }
                if json {
                    try IO.printJSON(object)
                } else {
                    CVCLI.printText(object)
                }
            }
        }
    }

    struct VerifyCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Verify a CV certificate up to a self-signed CVCA, or a request's signatures; exit 0 only when valid.",
            discussion: """
                The chain files hold the CVCA (self-signed), any link certificates and the DV; issuers are found by \
                CAR = CHR. For an authenticated request, give the certificate of its outer CAR (and what it inherits \
                domain parameters from) with --chain.
                """)

        @Argument(help: "The CV certificate or request to verify.")
        var file: String

        @Option(name: .customLong("chain"), parsing: .upToNextOption, help: "CV certificates of the chain above it.")
        var chain: [String] = []

        @Option(help: "Check validity on this day (YYYY-MM-DD, GMT) instead of today.")
        var at: String?

        @Flag(help: "Print the report as JSON.")
        var json = false

        func run() throws {
            try CVCLI.reporting {
                let bytes = try IO.read(file, what: "CV certificate or request")
                var pool = CVCertificatePool()
                for path in chain {
                    let certificate: CVCertificate
                    do {
                        certificate = try IO.decode(path, what: "chain certificate") { bytes in try CVCertificate(encoded: bytes) }
                    } catch let error as CVCAError {
                        throw CVCAError(error.code, "\(path): \(error.reason)", offset: error.offset)
                    }
                    pool.add(certificate)
                }
                let clock: any PKIClock = try at.map { FixedClock(try CVDate(string: $0).start) } ?? SystemClock()
                let report: VerificationReport
                switch try CVCLI.decode(bytes) {
                case .certificate(let certificate):
                    report = CVChainVerifier(clock: clock).verify(certificate, pool: pool)
                case .request(let request):
                    report = CVCLI.verify(request, pool: pool, clock: clock)
                }
                if json {
                    print(try report.jsonString())
                } else {
                    print(report.description)
                }
                guard report.isValid else { throw CLIFailure(message: "\(report.subject): NOT VALID") }
            }
        }
    }

    struct RequestCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "request",
            abstract: "Create a CV certificate request, plain or authenticated (outer signature).",
            discussion: """
                The inner signature is made with --key, whose public key (with its EC domain parameters) the request \
                carries. --outer-key and --outer-car add the outer signature of a successive request (the applicant's \
                current key) or of a national CVCA vouching for a DV's initial request to a foreign CVCA.
                """)

        @Option(help: "The key to certify: an encrypted PKCS#8 file or a pkcs11: URI.")
        var key: String

        @Option(help: "Certificate Holder Reference of the new key, e.g. ZZDVIS00002.")
        var chr: String

        @Option(help: "Signature scheme of the new key: ecdsa-sha256, rsa-pss-sha256, rsa-sha256 … (or ECDSA_SHA_256).")
        var algorithm: String

        @Option(help: "CAR of the CA key expected to sign the certificate.")
        var car: String?

        @Option(name: .customLong("outer-key"), help: "Key for the outer signature (PKCS#8 file or pkcs11: URI).")
        var outerKey: String?

        @Option(name: .customLong("outer-car"), help: "CHR of the certificate of --outer-key.")
        var outerCAR: String?

        @Option(name: .customLong("outer-algorithm"), help: "Scheme of the outer key's certificate (default: --algorithm).")
        var outerAlgorithm: String?

        @Option(name: .customLong("outer-passphrase-file"), help: "Passphrase file of --outer-key (default: the inner key's).")
        var outerPassphraseFile: String?

        @Option(name: .customLong("outer-passphrase-env"), help: "Environment variable with the passphrase of --outer-key.")
        var outerPassphraseEnv: String?

        @Option(help: "Where to write the request (binary).")
        var out: String

        @OptionGroup var passphrase: PassphraseOptions
        @OptionGroup var pin: PINOptions

        func validate() throws {
            guard (outerKey == nil) == (outerCAR == nil) else {
                throw ValidationError("--outer-key and --outer-car go together")
            }
        }

        func run() throws {
            try CVCLI.reporting {
                let scheme = try CVCLI.algorithm(algorithm)
                let signer = try IO.loadSigner(key, passphrase: passphrase, pin: pin)
                var request = try CVCertificateRequest.create(
                    chr: CertificationAuthorityReference(encoded: Array(chr.utf8)),
                    car: car.map { try CertificationAuthorityReference(encoded: Array($0.utf8)) }, signer: signer, algorithm: scheme)
                if let outerKey, let outerCAR {
                    var outerPassphrase = passphrase
                    if outerPassphraseFile != nil || outerPassphraseEnv != nil {
                        outerPassphrase = PassphraseOptions()
                        outerPassphrase.file = outerPassphraseFile
                        outerPassphrase.environment = outerPassphraseEnv
                    }
                    let outerSigner = try IO.loadSigner(outerKey, passphrase: outerPassphrase, pin: pin)
                    request = try request.authenticated(
                        by: outerSigner, car: outerCAR, algorithm: try outerAlgorithm.map(CVCLI.algorithm) ?? scheme)
                }
                try IO.write(request.encoded, to: out)
                print("\(request.isAuthenticated ? "authenticated request" : "request") for \(request.chr) written to \(out)")
            }
        }
    }
}

/// What the `cvc` commands share: decoding either kind of file, descriptions, error reporting.
enum CVCLI {
    enum Document {
        case certificate(CVCertificate)
        case request(CVCertificateRequest)
    }

    /// A 67 is always a request; a 7F21 is a certificate when its body has a CHAT, a request otherwise (Table 24
    /// has no CHAT). The decoder of the kind found reports what is wrong with the input.
    static func decode(_ bytes: [UInt8]) throws -> Document {
        if bytes.first == 0x67 { return .request(try CVCertificateRequest(encoded: bytes)) }
        do {
            return .certificate(try CVCertificate(encoded: bytes))
        } catch let certificateError as CVCAError {
            do {
                return .request(try CVCertificateRequest(encoded: bytes))
            } catch let requestError as CVCAError {
                // A body without a CHAT was meant as a request: its own decoder says what is wrong with it.
                throw certificateError.reason.contains("expected 7F4C") ? requestError : certificateError
            }
        }
    }

    static func algorithm(_ name: String) throws -> TerminalAuthenticationAlgorithm {
        guard let algorithm = TerminalAuthenticationAlgorithm(name: name) else {
            throw CVCAError(
                .unsupportedAlgorithm,
                "'\(name)' is not a TR-03110 scheme; use one of \(TerminalAuthenticationAlgorithm.allCases.map { $0.signatureAlgorithm.description }.joined(separator: ", "))")
        }
        return algorithm
    }

    /// Runs a command body, turning CVCA errors into the one-line message the CLI prints.
    static func reporting(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as CVCAError {
            throw CLIFailure(message: "error: \(error.reason)")
        }
    }

    static func describe(_ key: CVPublicKey) -> [String: Any] {
        var object: [String: Any] = ["algorithm": key.algorithm.description, "oid": key.algorithm.oid.description]
        switch key.key {
        case .rsa(let modulus, let exponent):
            object["type"] = "RSA"
            object["bits"] = modulus.drop(while: { $0 == 0 }).count * 8
            object["exponent"] = exponent.hexString
        case .ec(let parameters, let point):
            object["type"] = "EC"
            object["domainParameters"] = parameters != nil ? "included" : "inherited"
            if let parameters { object["curve"] = parameters.displayName }
            object["publicPoint"] = point.hexString
        }
        return object
    }

    static func describe(_ certificate: CVCertificate) -> [String: Any] {
        let body = certificate.body
        var object: [String: Any] = [
            "type": "certificate",
            "profileIdentifier": Int(body.profileIdentifier),
            "car": body.car,
            "chr": body.chr,
            "role": certificate.role.description,
            "terminalType": body.chat.terminalType.description,
            "chat": body.chat.authorizationHex,
            "effectiveDate": body.effectiveDate.description,
            "expirationDate": body.expirationDate.description,
            "publicKey": describe(body.publicKey),
            "selfSigned": certificate.isSelfSigned,
            "signatureLength": certificate.signature.count,
        ]
        if let rights = body.chat.inspectionSystemRights { object["rights"] = rights.description }
        if let extensions = body.extensions { object["extensions"] = extensions.extensions.map(\.description) }
        if certificate.isSelfSigned {
            object["selfSignature"] = ((try? certificate.isSelfSignatureValid()) ?? false) ? "valid" : "invalid"
        }
        return object
    }

    static func describe(_ request: CVCertificateRequest) -> [String: Any] {
        var object: [String: Any] = [
            "type": "request",
            "profileIdentifier": Int(request.body.profileIdentifier),
            "chr": request.chr,
            "authenticated": request.isAuthenticated,
            "publicKey": describe(request.publicKey),
            "innerSignature": ((try? request.isInnerSignatureValid()) ?? false) ? "valid" : "invalid",
        ]
        if let car = request.car { object["car"] = car }
        if let outer = request.outer { object["outerCAR"] = outer.car }
        if let extensions = request.body.extensions { object["extensions"] = extensions.extensions.map(\.description) }
        return object
    }

    static func printText(_ object: [String: Any]) {
        let order = [
            "type", "profileIdentifier", "car", "chr", "role", "terminalType", "chat", "rights", "effectiveDate", "expirationDate",
            "publicKey", "extensions", "selfSigned", "selfSignature", "signatureLength", "authenticated", "outerCAR", "innerSignature",
        ]
        for key in order {
            guard let value = object[key] else { continue }
            switch value {
            case let nested as [String: Any]:
                print("\(key):")
                for (name, item) in nested.sorted(by: { $0.key < $1.key }) { print("  \(name): \(item)") }
            case let list as [String]:
                print("\(key): \(list.joined(separator: ", "))")
            default:
                print("\(key): \(value)")
            }
        }
    }

    /// The signature checks of a request, with the outer key found in `pool` by the outer CAR.
    static func verify(_ request: CVCertificateRequest, pool: CVCertificatePool, clock: any PKIClock) -> VerificationReport {
        var report = VerificationReport(subject: "CV certificate request \(request.chr)")
        do {
            let valid = try request.isInnerSignatureValid()
            report.add("inner signature", passed: valid, "\(request.publicKey.algorithm) by the requested key")
        } catch {
            report.add("inner signature", .failed, (error as? CVCAError)?.reason ?? "\(error)")
        }
        report.add(
            "domain parameters", request.publicKey.isEC && !request.publicKey.hasDomainParameters ? .failed : .passed,
            request.publicKey.summary())
        guard let outer = request.outer else {
            report.add("outer signature", .notChecked, "the request is not authenticated")
            return report
        }
        guard let certificate = pool.certificates(holder: outer.car).first else {
            report.add("outer signature", .failed, "no certificate for the outer CAR \(outer.car) among --chain")
            return report
        }
        do {
            let inherited = try pool.domainParameters(for: certificate)
            let valid = try request.isOuterSignatureValid(key: certificate.publicKey, inheriting: inherited)
            report.add("outer signature", passed: valid, "\(certificate.publicKey.algorithm) by \(certificate.chr)")
        } catch {
            report.add("outer signature", .failed, (error as? CVCAError)?.reason ?? "\(error)")
        }
        if let today = try? CVDate(clock.now()) {
            report.add(
                "outer certificate validity", passed: certificate.body.isValid(on: today),
                "\(certificate.chr): \(certificate.body.effectiveDate) to \(certificate.body.expirationDate), checked on \(today)")
        }
        return report
    }
}

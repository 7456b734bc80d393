import ArgumentParser
import CVC
import CVCA
import Foundation
import PKCS11
import PKICore
import SPOC
import Store

/// What every `epki cvca` and `epki dvca` command takes.
struct CVCAOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @OptionGroup var officer: OfficerOptions
    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var pin: PINOptions

    @Flag(help: "Print JSON.")
    var json = false

    private func keys(_ store: EPKIStore, hsm: String?) throws -> CLIKeyProvider {
        CLIKeyProvider(software: SoftwareKeyProvider(store: store, passphrase: try passphrase.passphrase(required: false)),
                         pin: try pin.pin(), hsm: try hsm.map(PKCS11URI.init))
    }

    func cvca(hsm: String? = nil, create: Bool = true) throws -> CountryVerifyingCA {
        let opened = try store.open(create: create)
        return try CountryVerifyingCA(store: opened, domain: store.domain, keys: keys(opened, hsm: hsm))
    }

    func dvca(hsm: String? = nil, create: Bool = true) throws -> DocumentVerifierCA {
        let opened = try store.open(create: create)
        return try DocumentVerifierCA(store: opened, domain: store.domain, keys: keys(opened, hsm: hsm))
    }
}

/// What the `cvca` and `dvca` commands share.
enum CVCACLI {
    /// The CVCA's and DVCA's tables, part of every store the CLI opens.
    static let migrations = CountryVerifyingCA.migrations

    /// `DG3,DG4`, `DG3`, `DG4`, `none`, or hex without the role bits (`03`, `1FFFFF10` for id-AT).
    static func rights(_ text: String) throws -> [UInt8] {
        let names = text.uppercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        if names.allSatisfy({ ["DG3", "DG4", "NONE"].contains($0) }) {
            var value: UInt8 = 0
            if names.contains("DG3") { value |= 0x01 }
            if names.contains("DG4") { value |= 0x02 }
            return [value]
        }
        guard let bytes = [UInt8](hex: text), !bytes.isEmpty, bytes[0] & 0xC0 == 0 else {
            throw ValidationError("rights '\(text)' are neither DG3,DG4 / DG3 / DG4 / none nor hex without the role bits (e.g. 03)")
        }
        return bytes
    }

    static func readCertificate(_ path: String) throws -> CVCertificate {
        do {
            return try IO.decode(path, what: "CV certificate") { bytes in try CVCertificate(encoded: bytes) }
        } catch let error as CVCAError {
            throw CVCAError(error.code, "\(path): \(error.reason)", offset: error.offset)
        }
    }

    static func summary(_ certificate: CVCertificate) -> [String: Any] {
        ["chr": certificate.chr, "car": certificate.car, "role": certificate.role.description, "chat": certificate.chat.authorizationHex,
         "terminalType": certificate.chat.terminalType.description, "effectiveDate": certificate.body.effectiveDate.description,
         "expirationDate": certificate.body.expirationDate.description, "publicKey": certificate.publicKey.summary()]
    }

    static func line(_ certificate: CVCertificate) -> String {
        "\(certificate.chr) (\(certificate.chat)) issued by \(certificate.car), valid \(certificate.body.effectiveDate) to \(certificate.body.expirationDate)"
    }

    /// Writes certificates into a directory, each named by its CHR: the layout of OpenPACE's `--cvc-dir`.
    static func writeChain(_ certificates: [CVCertificate], to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for certificate in certificates {
            try IO.write(certificate.encoded, to: URL(fileURLWithPath: directory).appendingPathComponent(certificate.chr).path)
        }
    }

    /// Runs an issuance; a refusal is shown with its TR-03129 result code (also as JSON) before the error goes up.
    static func issuing(json: Bool, _ body: () throws -> CVIssuance) throws -> CVIssuance {
        do {
            return try body()
        } catch let error as CVCAError {
            if json, let code = error.resultCode {
                try IO.printJSON(["resultCode": code.rawValue, "reason": error.reason])
            }
            throw error
        }
    }

    static func printIssuance(_ issuance: CVIssuance, json: Bool) throws {
        if json {
            var object = summary(issuance.certificate)
            object["resultCode"] = issuance.resultCode.rawValue
            object["chain"] = issuance.chain.map(\.chr)
            object["checks"] = issuance.report.checks.map { ["name": $0.name, "status": $0.status.rawValue, "detail": $0.detail] }
            try IO.printJSON(object)
            return
        }
        print("\(issuance.resultCode): \(line(issuance.certificate))")
        print("chain: \(issuance.chain.map(\.chr).joined(separator: " → "))")
    }

    static func records(_ records: [CVCertificateRecord], requests: [CVRequestRecord], json: Bool) throws {
        if json {
            try IO.printJSON([
                "certificates": records.map { record -> [String: Any] in
                    var object = summary(record.certificate)
                    object["source"] = record.source.rawValue
                    object["kind"] = record.kind.rawValue
                    object["recordedAt"] = Time.iso8601(record.recordedAt)
                    return object
                },
                "requests": requests.map { request -> [String: Any] in
                    ["chr": request.chr ?? NSNull(), "outerCAR": request.outerCAR ?? NSNull(), "resultCode": request.resultCode.rawValue,
                     "detail": request.detail, "receivedAt": Time.iso8601(request.receivedAt)]
                },
            ])
            return
        }
        for record in records {
            print("\(record.source.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(record.kind.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(line(record.certificate))")
        }
        for request in requests {
            print("request  \((request.chr ?? "(unreadable)").padding(toLength: 16, withPad: " ", startingAt: 0)) \(request.resultCode)  \(Time.iso8601(request.receivedAt))  \(request.detail)")
        }
    }
}

struct CVCACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cvca", abstract: "The Country Verifying CA (BSI TR-03110, TR-03129) of a domain, on the store.",
        subcommands: [Init.self, Link.self, SignRequest.self, RegisterForeign.self, EFCVCACommand.self, List.self, Policy.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the domain's CVCA: a key and a self-signed certificate with its domain parameters.")
        @OptionGroup var options: CVCAOptions
        @Option(help: "Country code (two letters), the start of every CHR.") var country: String
        @Option(help: "Holder mnemonic in the CHR.") var mnemonic: String = "CVCA"
        @Option(help: "Key algorithm, e.g. ec:brainpoolP256r1 or rsa:3072.") var algorithm: String = "ec:brainpoolP256r1"
        @Option(name: .customLong("signature-algorithm"), help: "TR-03110 scheme, e.g. ecdsa-sha256, rsa-pss-sha256 (default: matches the key).")
        var signatureAlgorithm: String?
        @Option(help: "Rights the CVCA may delegate: DG3,DG4 / DG3 / DG4 (id-IS).") var rights: String = "DG3,DG4"
        @Option(help: "CVCA certificate validity, e.g. 36m (at most 3 years).") var validity: String = "36m"
        @Option(help: "Generate the key in this PKCS#11 token (URI with object=LABEL) instead of a software key.") var key: String?
        @Option(help: "Write the certificate (binary CV certificate) here.") var out: String?

        func run() throws {
            try Governed.run(options.store, "cvca.init", options.officer) {
                var policy = CVCAPolicy()
                policy.cvcaValidity = try ValidityPeriod(parsing: validity)
                let ca = try options.cvca(hsm: key)
                let certificate = try ca.initialize(
                    country: country, mnemonic: mnemonic, key: KeySpecification(algorithm), algorithm: signatureAlgorithm.map(CVCLI.algorithm),
                    rights: CVCACLI.rights(rights), policy: policy)
                if let out { try IO.write(certificate.encoded, to: out) }
                if options.json { try IO.printJSON(CVCACLI.summary(certificate)); return }
                print("CVCA of domain '\(ca.domain)': \(CVCACLI.line(certificate)), \(certificate.publicKey.summary())")
            }
        }
    }

    struct Link: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Roll the CVCA key over: a new key, its self-signed certificate and the link certificate signed by the previous key.")
        @OptionGroup var options: CVCAOptions
        @Option(help: "Key algorithm of the new key (default: as the current key).") var algorithm: String?
        @Option(name: .customLong("signature-algorithm"), help: "TR-03110 scheme of the new key.") var signatureAlgorithm: String?
        @Option(help: "Generate the new key in this PKCS#11 token.") var key: String?
        @Option(help: "Write the new self-signed certificate here.") var out: String?
        @Option(name: .customLong("link-out"), help: "Write the link certificate here.") var linkOut: String?

        func run() throws {
            try Governed.run(options.store, "cvca.link", options.officer) {
                let ca = try options.cvca(hsm: key)
                let (selfSigned, link) = try ca.link(key: algorithm.map { try KeySpecification($0) }, algorithm: signatureAlgorithm.map(CVCLI.algorithm))
                if let out { try IO.write(selfSigned.encoded, to: out) }
                if let linkOut { try IO.write(link.encoded, to: linkOut) }
                // Every registered SPOC learns of the new key (Doc 9303-12 §8.2: new_cert_available_notification).
                let spoc = try SinglePointOfContact(store: ca.store, domain: ca.domain)
                if !(try spoc.peers().isEmpty) {
                    let announced = try spoc.announce(certificates: [try link.encoded, try selfSigned.encoded])
                    print("announced to the SPOCs of \(announced.map(\.country).joined(separator: ", "))")
                }
                if options.json { try IO.printJSON(["cvca": CVCACLI.summary(selfSigned), "link": CVCACLI.summary(link)]); return }
                print("new CVCA key \(selfSigned.chr), \(selfSigned.publicKey.summary()); link certificate \(link.car) → \(link.chr)")
            }
        }
    }

    struct SignRequest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign-request",
            abstract: "Issue a DV certificate from a request (domestic or foreign); a refusal exits 1 with its TR-03129 result code.")
        @OptionGroup var options: CVCAOptions
        @Argument(help: "The request (7F21, or 67 when authenticated), binary.") var request: String
        @Option(help: "Rights of the DV: DG3,DG4 / DG3 / DG4 / none (default: the policy's), ANDed with the CVCA's.") var rights: String?
        @Option(help: "Write the certificate here.") var out: String?

        func run() throws {
            try Governed.run(options.store, "cvca.sign-request", options.officer) {
                let bytes = try IO.read(request, what: "request")
                let ca = try options.cvca()
                let requested = try rights.map(CVCACLI.rights)
                let issuance = try CVCACLI.issuing(json: options.json) { try ca.signRequest(bytes, rights: requested) }
                if let out { try IO.write(issuance.certificate.encoded, to: out) }
                try CVCACLI.printIssuance(issuance, json: options.json)
            }
        }
    }

    struct RegisterForeign: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "register-foreign-cvca",
            abstract: "Register foreign CVCA certificates (self-signed, or link certificates under one registered before); audited.")
        @OptionGroup var options: CVCAOptions
        @Argument(help: "CV certificates, in order: the self-signed one before its link certificates.") var files: [String]

        func run() throws {
            try Governed.run(options.store, "cvca.register-foreign-cvca", options.officer) {
                let ca = try options.cvca()
                var results: [[String: Any]] = []
                for file in files {
                    let registration = try ca.registerForeignCVCA(CVCACLI.readCertificate(file))
                    var object = CVCACLI.summary(registration.certificate)
                    object["registered"] = registration.isNew
                    results.append(object)
                    if !options.json {
                        print("\(registration.isNew ? "registered" : "already registered"): \(CVCACLI.line(registration.certificate))")
                    }
                }
                if options.json { try IO.printJSON(results) }
            }
        }
    }

    struct EFCVCACommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ef-cvca", abstract: "Write EF.CVCA for personalization: the CARs of the current trust points, newest first.")
        @OptionGroup var options: CVCAOptions
        @Option(help: "Write the 36-byte file here.") var out: String?

        func run() throws {
            let file = try options.cvca().efCVCA()
            if let out { try IO.write(file.encoded, to: out) }
            if options.json { try IO.printJSON(["references": file.references, "hex": try file.encoded.hexString]); return }
            print("EF.CVCA: \(file.references.joined(separator: ", "))")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the domain's CV certificates and the requests its CVCA received.")
        @OptionGroup var options: CVCAOptions
        @Option(help: "Only this source: issued, own, foreign.") var source: String?

        func run() throws {
            let ca = try options.cvca(create: false)
            let chosen = try source.map { name -> CVCertificateRecord.Source in
                guard let value = CVCertificateRecord.Source(rawValue: name) else { throw ValidationError("--source is issued, own or foreign") }
                return value
            }
            try CVCACLI.records(ca.certificates(source: chosen), requests: ca.requests(), json: options.json)
        }
    }

    struct Policy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set the domain's validity and rights per role (changes are audited).",
            discussion: "Validity as months (3m) or days (30d): CVCA at most 36m, DV at most 3m, inspection systems at most 1m.")
        @OptionGroup var options: CVCAOptions
        @Option(name: .customLong("cvca-validity"), help: "CVCA certificates (self-signed and link), e.g. 36m.") var cvcaValidity: String?
        @Option(name: .customLong("dv-validity"), help: "DV certificates the CVCA issues, e.g. 3m.") var dvValidity: String?
        @Option(name: .customLong("terminal-validity"), help: "Inspection-system certificates (the DVCA's policy).") var terminalValidity: String?
        @Option(name: .customLong("dv-rights"), help: "Default DV rights: DG3,DG4 / DG3 / DG4 / none.") var dvRights: String?
        @Option(name: .customLong("terminal-rights"), help: "Default inspection-system rights.") var terminalRights: String?

        func run() throws {
            let changes = [cvcaValidity, dvValidity, terminalValidity, dvRights, terminalRights].contains { $0 != nil }
            try Governed.run(options.store, "cvca.policy", options.officer, when: changes) {
                let ca = try options.cvca()
                var policy = try ca.policy()
                if let cvcaValidity { policy.cvcaValidity = try ValidityPeriod(parsing: cvcaValidity) }
                if let dvValidity { policy.documentVerifierValidity = try ValidityPeriod(parsing: dvValidity) }
                if let terminalValidity { policy.terminalValidity = try ValidityPeriod(parsing: terminalValidity) }
                if let dvRights { policy.documentVerifierRights = try CVCACLI.rights(dvRights).hexString }
                if let terminalRights { policy.terminalRights = try CVCACLI.rights(terminalRights).hexString }
                if changes { try ca.setPolicy(policy) }
                let object: [String: Any] = [
                    "cvcaValidity": policy.cvcaValidity.description, "documentVerifierValidity": policy.documentVerifierValidity.description,
                    "terminalValidity": policy.terminalValidity.description, "documentVerifierRights": policy.documentVerifierRights,
                    "terminalRights": policy.terminalRights,
                ]
                if options.json { try IO.printJSON(object); return }
                for (name, value) in object.sorted(by: { $0.key < $1.key }) { print("\(name): \(value)") }
            }
        }
    }
}

struct DVCACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dvca", abstract: "The Document Verifier CA of a domain: its DV keys and certificates, and inspection systems.",
        subcommands: [Init.self, Request.self, Import.self, IssueTerminal.self, List.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the domain's DVCA (its keys come with `dvca request`).")
        @OptionGroup var options: CVCAOptions
        @Option(help: "Country code (two letters).") var country: String
        @Option(help: "Holder mnemonic in the DV's CHRs.") var mnemonic: String = "DV"

        func run() throws {
            let first = try options.dvca().initialize(country: country, mnemonic: mnemonic)
            if options.json { try IO.printJSON(["holder": country + mnemonic, "firstCHR": first.description]); return }
            print("DVCA \(country + mnemonic) of domain '\(options.store.domain)'; its first key will be \(first)")
        }
    }

    struct Request: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate a DV key and its request to a CVCA: successive (authenticated with the current DV key) when there is one.")
        @OptionGroup var options: CVCAOptions
        @Option(help: "CHR of the CVCA to ask (default: the domain's own CVCA); a foreign one must be registered.") var cvca: String?
        @Option(help: "Key algorithm (default: the CVCA's curve or RSA size).") var algorithm: String?
        @Option(name: .customLong("signature-algorithm"), help: "TR-03110 scheme (default: the CVCA's).") var signatureAlgorithm: String?
        @Flag(help: "An initial request even when a current DV key could authenticate it.") var initial = false
        @Flag(name: .customLong("national-cvca"), help: "Have the domain's own CVCA authenticate an initial request (for a foreign CVCA).")
        var nationalCVCA = false
        @Option(help: "Generate the key in this PKCS#11 token.") var key: String?
        @Option(help: "Write the request here.") var out: String

        func run() throws {
            let made = try options.dvca(hsm: key).request(
                to: cvca, key: algorithm.map { try KeySpecification($0) }, algorithm: signatureAlgorithm.map(CVCLI.algorithm),
                initial: initial, authenticateWithNationalCVCA: nationalCVCA)
            try IO.write(made.request.encoded, to: out)
            if options.json {
                try IO.printJSON(["chr": made.request.chr, "cvca": made.cvca.chr, "outerCAR": made.request.outer.map { $0.car as Any } ?? NSNull(),
                                  "key": made.keyReference, "publicKey": made.request.publicKey.summary()])
                return
            }
            print("request \(made.request.chr) to \(made.cvca.chr)\(made.request.outer.map { ", authenticated by \($0.car)" } ?? ", plain"): \(out)")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import DV certificates returned by our CVCA or a foreign one (verified against that CVCA's chain).")
        @OptionGroup var options: CVCAOptions
        @Argument(help: "DV certificates.") var files: [String]

        func run() throws {
            let ca = try options.dvca()
            var results: [[String: Any]] = []
            for file in files {
                let imported = try ca.importCertificate(CVCACLI.readCertificate(file))
                guard let certificate = imported.path.leaf else { continue }
                var object = CVCACLI.summary(certificate)
                object["chain"] = imported.path.certificates.map(\.chr)
                object["imported"] = imported.isNew
                results.append(object)
                if !options.json {
                    print("\(imported.isNew ? "imported" : "already imported"): \(CVCACLI.line(certificate)); chain \(imported.path.certificates.map(\.chr).joined(separator: " → "))")
                }
            }
            if options.json { try IO.printJSON(results) }
        }
    }

    struct IssueTerminal: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue-terminal",
            abstract: "Issue an inspection-system certificate from its request; a refusal exits 1 with its TR-03129 result code.")
        @OptionGroup var options: CVCAOptions
        @Argument(help: "The inspection system's request, binary.") var request: String
        @Option(help: "Rights: DG3,DG4 / DG3 / DG4 / none (default: the policy's), never more than the DV's.") var rights: String?
        @Option(help: "Issue under this DV certificate (CHR); default: the one the request names, else the domestic one.") var dv: String?
        @Option(help: "Write the certificate here.") var out: String?
        @Option(name: .customLong("chain-dir"), help: "Write the chain above it (CVCA, links, DV) here, one file per CHR.") var chainDirectory: String?

        func run() throws {
            let bytes = try IO.read(request, what: "request")
            let ca = try options.dvca()
            let requested = try rights.map(CVCACLI.rights)
            let issuance = try CVCACLI.issuing(json: options.json) { try ca.issueTerminal(bytes, rights: requested, documentVerifier: dv) }
            if let out { try IO.write(issuance.certificate.encoded, to: out) }
            if let chainDirectory { try CVCACLI.writeChain(Array(issuance.chain.dropLast()), to: chainDirectory) }
            try CVCACLI.printIssuance(issuance, json: options.json)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the DVCA's keys, its chain per CVCA, the inspection-system certificates and requests.")
        @OptionGroup var options: CVCAOptions

        func run() throws {
            let ca = try options.dvca(create: false)
            let keys = try ca.dvKeys()
            let chains = try ca.chains()
            let terminals = try ca.certificates(source: .issued).filter { $0.kind == .terminal }
            let requests = try ca.requests()
            if options.json {
                try IO.printJSON([
                    "keys": keys.map { key -> [String: Any] in
                        ["chr": key.chr, "key": key.keyReference, "cvca": key.cvca ?? NSNull(), "createdAt": Time.iso8601(key.createdAt),
                         "certificate": key.certificate.map(CVCACLI.summary) ?? NSNull()]
                    },
                    "chains": chains.map { $0.certificates.map(\.chr) },
                    "terminals": terminals.map { CVCACLI.summary($0.certificate) },
                    "requests": requests.map { ["chr": $0.chr ?? NSNull(), "resultCode": $0.resultCode.rawValue, "detail": $0.detail] as [String: Any] },
                ])
                return
            }
            for key in keys {
                print("key      \(key.chr) → \(key.cvca ?? "?")  \(key.certificate.map { "certified, valid to \($0.body.expirationDate)" } ?? "requested")  \(key.keyReference)")
            }
            for chain in chains { print("chain    \(chain.certificates.map(\.chr).joined(separator: " → "))") }
            try CVCACLI.records(terminals, requests: requests, json: false)
        }
    }
}

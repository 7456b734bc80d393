import ArgumentParser
import CSCA
import Foundation
import ICAOProfile
import NPKD
import PKCS11
import Personalization
import SODService
import PKICore
import SPOC
import Store
import SwiftASN1

/// Options every store-backed command takes.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (default: $EPKI_HOME, else ./epki-data).")
    var dataDirectory: String?

    @Option(name: .customLong("store"), help: ArgumentHelp(
        "Where the tables are: postgres://USER@HOST:PORT[,HOST:PORT]/DATABASE, shared by several nodes, or sqlite:FILE (default: $EPKI_STORE, else <data-dir>/epki.sqlite).",
        discussion: "A PostgreSQL password goes in $EPKI_STORE or a passfile= file, never on the command line."))
    var store: String?

    var storeLocation: StoreLocation? { get throws { try store.map(StoreLocation.init) } }

    @Option(help: "The domain (tenant) to act in.")
    var domain: String = "default"

    /// Every module's tables: `epki csca`, `epki npkd`, `epki cvca`, `epki dvca`, `epki perso` and `epki sod` open the same database.
    static let migrations = CountrySigningCA.migrations + NationalPKD.migrations + CVCACLI.migrations + PersonalizationJournal.migrations + SigningLines.migrations
        + SinglePointOfContact.migrations

    /// Opens the data directory; `create: false` for commands that only read, which refuse a missing one.
    func open(create: Bool = true) throws -> EPKIStore {
        try EPKIStore(directory: EPKIStore.defaultDirectory(dataDirectory), migrations: Self.migrations, create: create, location: storeLocation)
    }
}

/// Keys for the CA: software keys in the data directory, or keys in a PKCS#11 token when a URI is given.
struct CLIKeyProvider: KeyProvider {
    let software: SoftwareKeyProvider
    let pin: PIN?
    /// Where new keys are generated when it is set: a token URI (object= names the key).
    let hsm: PKCS11URI?

    func generate(_ specification: KeySpecification, name: String, domain: String) throws -> (reference: String, signer: any Signer) {
        guard var uri = hsm else { return try software.generate(specification, name: name, domain: domain) }
        let token = try PKCS11Token.open(uri)
        guard let secret = try pin ?? uri.pinSource.map(PIN.fromSource) else {
            throw PKCS11Error(.missingPIN, "give the token PIN with --pin-file or --pin-env")
        }
        try token.login(pin: secret)
        let label = uri.object ?? "\(domain)-\(name)-\(Int(Date().timeIntervalSince1970))"
        let signer = try token.generateKeyPair(specification, label: label, id: uri.id)
        uri = signer.uri
        uri.pinSource = hsm?.pinSource
        return (uri.description, signer)
    }

    func signer(for reference: String) throws -> any Signer {
        if PKCS11URI.isPKCS11URI(reference) { return try PKCS11Token.signer(for: PKCS11URI(reference), pin: pin) }
        return try software.signer(for: reference)
    }

    func signer(for reference: String, domain: String) throws -> any Signer {
        if PKCS11URI.isPKCS11URI(reference) { return try signer(for: reference) }
        return try software.signer(for: reference, domain: domain)
    }

    func discard(_ reference: String) {
        software.discard(reference)
    }

    func generateProvisional(_ specification: KeySpecification, name: String, domain: String) throws -> (reference: String, signer: any Signer) {
        guard hsm == nil else { return try generate(specification, name: name, domain: domain) }
        return try software.generateProvisional(specification, name: name, domain: domain)
    }

    func settle(_ reference: String) {
        software.settle(reference)
    }

    func removeAbandonedKeys(domain: String, name: String, isClaimed: (String) throws -> Bool) throws -> [String] {
        try software.removeAbandonedKeys(domain: domain, name: name, isClaimed: isClaimed)
    }
}

struct CAOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions
    @OptionGroup var officer: OfficerOptions
    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var pin: PINOptions

    @Flag(help: "Print JSON.")
    var json = false

    func authority(hsm: String? = nil, create: Bool = true) throws -> CountrySigningCA {
        let store = try self.store.open(create: create)
        let keys = CLIKeyProvider(software: SoftwareKeyProvider(store: store, passphrase: try passphrase.passphrase(required: false)),
                                  pin: try pin.pin(), hsm: try hsm.map(PKCS11URI.init))
        return try CountrySigningCA(store: store, domain: self.store.domain, keys: keys)
    }
}

extension Certificate {
    var summary: [String: Any] {
        ["serial": serialNumberHex, "subject": subject.description, "issuer": issuer.description,
         "notBefore": Time.iso8601(notBefore), "notAfter": Time.iso8601(notAfter)]
    }
}

struct CSCACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csca", abstract: "The Country Signing CA (ICAO Doc 9303-12) of a domain, on the store.",
        subcommands: [Init.self, Rollover.self, IssueDS.self, IssueSigner.self, IssueSPOCTLS.self, Revoke.self, CRL.self, MasterList.self,
                      DeviationListCommand.self, List.self, Status.self, Export.self])

    static func write(_ certificate: Certificate, to out: String?) throws {
        if let out { try IO.write(certificate.pemEncoded, to: out) }
    }

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the domain's CSCA: a key and a self-signed certificate.")
        @OptionGroup var options: CAOptions
        @Option(help: "Country code (ICAO, two letters).") var country: String
        @Option(help: "The CSCA's common name.") var name: String
        @Option(help: "Organization.") var organization: String?
        @Option(help: "Key algorithm, e.g. ec:brainpoolP384r1 or rsa:4096.") var algorithm: String = "ec:brainpoolP384r1"
        @Option(name: .customLong("signature-algorithm"), help: "e.g. ecdsa-sha384, rsa-pss-sha256 (default: matches the key).")
        var signatureAlgorithm: String?
        @Option(help: "Generate the key in this PKCS#11 token (URI with object=LABEL) instead of a software key.") var key: String?
        @Option(name: .customLong("crl-url"), help: "CRL distribution point (repeatable).") var crlURLs: [String] = []
        @Option(name: .customLong("key-usage-years"), help: "CSCA private key usage period.") var keyUsageYears: Int = 5
        @Option(help: "Write the certificate (PEM) here.") var out: String?

        func run() throws {
            try Governed.run(options.store, "csca.init", options.officer) {
                var attributes: [(ASN1ObjectIdentifier, String)] = [(.NameAttributes.countryName, country)]
                if let organization { attributes.append((.NameAttributes.organizationName, organization)) }
                attributes.append((.NameAttributes.commonName, name))
                var policy = CSCAPolicy()
                policy.crlDistributionPoints = crlURLs
                policy.cscaKeyUsageYears = keyUsageYears
                let ca = try options.authority(hsm: key)
                let certificate = try ca.initialize(subject: DistinguishedName(attributes: attributes),
                                                    key: KeySpecification(algorithm), policy: policy,
                                                    signatureAlgorithm: try signatureAlgorithm.map(parseAlgorithm))
                try CSCACommand.write(certificate, to: out)
                if options.json { try IO.printJSON(certificate.summary); return }
                print("CSCA of domain '\(ca.domain)': \(certificate.subject), serial \(certificate.serialNumberHex), valid to \(Time.iso8601(certificate.notAfter))")
            }
        }
    }

    struct Rollover: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "New CSCA key: self-signed certificate and link certificate.")
        @OptionGroup var options: CAOptions
        @Option(help: "New common name (a name change adds the NameChange extension).") var name: String?
        @Option(help: "Key algorithm for the new key.") var algorithm: String = "ec:brainpoolP384r1"
        @Option(help: "Generate the new key in this PKCS#11 token.") var key: String?
        @Option(help: "Write the new self-signed certificate here.") var out: String?
        @Option(name: .customLong("link-out"), help: "Write the link certificate here.") var linkOut: String?

        func run() throws {
            try Governed.run(options.store, "csca.rollover", options.officer) {
                let ca = try options.authority(hsm: key)
                var subject: DistinguishedName?
                if let name {
                    let current = try ca.activeAuthority().certificate.subject
                    subject = DistinguishedName(current.rdns.map { rdn in
                        RelativeDistinguishedName(rdn.attributes.map { attribute in
                            attribute.type == .NameAttributes.commonName ? ((try? AttributeTypeAndValue(type: attribute.type, string: name)) ?? attribute) : attribute
                        })
                    })
                }
                let (selfSigned, link) = try ca.rollover(newSubject: subject, key: KeySpecification(algorithm))
                try CSCACommand.write(selfSigned, to: out)
                try CSCACommand.write(link, to: linkOut)
                if options.json { try IO.printJSON(["csca": selfSigned.summary, "link": link.summary]); return }
                print("new CSCA \(selfSigned.subject) serial \(selfSigned.serialNumberHex); link certificate serial \(link.serialNumberHex)")
            }
        }
    }

    struct IssueDS: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue-ds", abstract: "Issue Document Signer certificates (from a PKCS#10 request, or for keys epki generates).")
        @OptionGroup var options: CAOptions
        @Option(help: "PKCS#10 request from a personalization site (its signature is checked).") var csr: String?
        @Option(help: "Subject, e.g. \"C=LU,O=Ministry,CN=DS 1\" (default: the request's).") var subject: String?
        @Option(help: "Generate the DS key: ec:brainpoolP256r1, rsa:3072, ...") var algorithm: String?
        @Option(help: "Generate the DS key in this PKCS#11 token.") var key: String?
        @Option(name: .customLong("document-types"), help: "Comma-separated, e.g. P,ID,AR (default: the domain policy's).") var documentTypes: String?
        @Option(help: "Issue this many (a batch; CN gets a number).") var count: Int = 1
        @Option(help: "Write the certificate (PEM) here; with --count, a directory.") var out: String?

        func validate() throws {
            guard (csr == nil) != (algorithm == nil) else { throw ValidationError("give --csr FILE or --algorithm ALG") }
            guard count >= 1, csr == nil || count == 1 else { throw ValidationError("--count needs --algorithm") }
        }

        func run() throws {
            try Governed.run(options.store, "csca.issue-ds", options.officer) {
                let ca = try options.authority(hsm: key)
                let types = documentTypes?.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
                if count > 1, let out { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
                var results: [[String: Any]] = []
                for index in 1...count {
                    let source: CountrySigningCA.SubjectKey
                    var name = try subject.map(DistinguishedName.init(parsing:))
                    if let csr {
                        source = .request(try IO.decode(csr, what: "PKCS#10 request") { bytes in try CertificationRequest(bytes: bytes) })
                    } else {
                        source = .generate(try KeySpecification(algorithm ?? "", explicitParameters: false))
                        if name == nil {
                            let authority = try ca.activeAuthority().certificate.subject
                            name = try DistinguishedName(attributes: [(.NameAttributes.countryName, authority.countryName ?? ""),
                                                                      (.NameAttributes.commonName, "Document Signer \(index)")])
                        } else if count > 1, let base = name {
                            name = DistinguishedName(base.rdns.map { rdn in
                                RelativeDistinguishedName(rdn.attributes.map { a in
                                    a.type == .NameAttributes.commonName ? ((try? AttributeTypeAndValue(type: a.type, string: "\(a.stringValue ?? "") \(index)")) ?? a) : a
                                })
                            })
                        }
                    }
                    let issued = try ca.issueDocumentSigner(subject: name, key: source, documentTypes: types)
                    if let out { try IO.write(issued.certificate.pemEncoded, to: count > 1 ? "\(out)/ds-\(issued.certificate.serialNumberHex).pem" : out) }
                    var summary = issued.certificate.summary
                    summary["key"] = issued.keyReference ?? "(the requester's)"
                    results.append(summary)
                    if !options.json { print("issued DS \(issued.certificate.subject) serial \(issued.certificate.serialNumberHex)" + (issued.keyReference.map { " key \($0)" } ?? "")) }
                }
                if options.json { try IO.printJSON(results) }
            }
        }
    }

    struct IssueSigner: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue-signer", abstract: "Issue a Master List Signer (mls) or Deviation List Signer (dls) certificate.")
        @OptionGroup var options: CAOptions
        @Option(help: "mls or dls.") var type: String
        @Option(help: "Subject (default: C=<country>,CN=Master List Signer / Deviation List Signer).") var subject: String?
        @Option(help: "Key algorithm (default ec:brainpoolP256r1).") var algorithm: String = "ec:brainpoolP256r1"
        @Option(help: "PKCS#10 request instead of a generated key.") var csr: String?
        @Option(help: "Generate the key in this PKCS#11 token.") var key: String?
        @Option(help: "Write the certificate (PEM) here.") var out: String?

        func run() throws {
            try Governed.run(options.store, "csca.issue-signer", options.officer) {
                guard let kind = ICAOCertificateIssuer.ListSignerType(rawValue: type) else {
                    throw ValidationError("--type must be mls or dls")
                }
                let ca = try options.authority(hsm: key)
                let country = try ca.activeAuthority().certificate.subject.countryName ?? ""
                let name = try subject.map(DistinguishedName.init(parsing:)) ?? DistinguishedName(attributes: [
                    (.NameAttributes.countryName, country), (.NameAttributes.commonName, kind == .masterList ? "Master List Signer" : "Deviation List Signer")])
                let source: CountrySigningCA.SubjectKey = try csr.map { .request(try IO.decode($0, what: "PKCS#10 request") { bytes in try CertificationRequest(bytes: bytes) }) }
                    ?? .generate(KeySpecification(algorithm))
                let issued = try ca.issueListSigner(kind, subject: name, key: source)
                try CSCACommand.write(issued.certificate, to: out)
                if options.json { try IO.printJSON(issued.certificate.summary); return }
                print("issued \(kind == .masterList ? "MLS" : "DLS") \(issued.certificate.subject) serial \(issued.certificate.serialNumberHex)")
            }
        }
    }

    struct IssueSPOCTLS: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue-spoc-tls", abstract: "Issue a SPOC TLS client or server certificate (ICAO Doc 9303-12 §7.2.1, CSN 36 9791).",
            discussion: """
                The subject is C=<the CSCA's country>,CN=<--cn, default "SPOC TLS client" or "SPOC TLS server">. A server \
                certificate needs the host of the SPOC's URL (--dns). Validity is 6 to 18 months from now. The key is \
                generated through the domain's key provider (stored encrypted, or in the token given with --key) unless \
                a PKCS#10 request is given; EC keys use named curves P-256, P-384 or P-521, or RSA.
                """)
        @OptionGroup var options: CAOptions
        @Option(help: "client or server.") var role: String
        @Option(help: "EKU family: icao (2.23.136.1.1.10.x) or csn (CSN 36 9791, 1.2.203.7064.1.1.369791.x); both add id-kp-clientAuth/serverAuth.")
        var family: String
        @Option(help: "The subject's commonName (default \"SPOC TLS client\" / \"SPOC TLS server\").") var cn: String?
        @Option(name: .customLong("dns"), help: "A dNSName for subjectAltName: the host of the SPOC's URL (repeatable; required for a server).")
        var dnsNames: [String] = []
        @Option(help: "Validity in months, 6 to 18.") var months: Int = 12
        @Option(name: .customLong("key-type"), help: "Key to generate: p256, p384, p521, rsa2048, rsa3072, rsa4096 (or ec:P-256, rsa:3072, ...).")
        var keyType: String = "p256"
        @Option(name: [.customLong("csr"), .customLong("request")], help: "PKCS#10 request of a key held elsewhere (its signature is checked).")
        var csr: String?
        @Option(help: "Generate the key in this PKCS#11 token (URI with object=LABEL) instead of a software key.") var key: String?
        @Option(help: "Write the certificate (PEM) here.") var out: String?

        func validate() throws {
            guard SPOCTLSRole(rawValue: role) != nil else { throw ValidationError("--role must be client or server") }
            guard SPOCEKUFamily(rawValue: family) != nil else { throw ValidationError("--family must be icao or csn") }
            guard csr == nil || key == nil else { throw ValidationError("--key generates a key; a request (--csr) brings its own") }
        }

        /// `p256` → `ec:P-256`, `rsa3072` → `rsa:3072`; other forms go to KeySpecification as they are.
        static func keySpecification(_ text: String) throws -> KeySpecification {
            let short = text.lowercased()
            let curves = ["p256": "P-256", "p384": "P-384", "p521": "P-521"]
            if let curve = curves[short] { return try KeySpecification("ec:\(curve)") }
            if short.hasPrefix("rsa"), let bits = Int(short.dropFirst(3)) { return try KeySpecification("rsa:\(bits)") }
            return try KeySpecification(text)
        }

        func run() throws {
            try Governed.run(options.store, "csca.issue-spoc-tls", options.officer) {
                guard let role = SPOCTLSRole(rawValue: role), let family = SPOCEKUFamily(rawValue: family) else { return }
                let ca = try options.authority(hsm: key)
                let authority = try ca.activeAuthority().certificate
                var subject: DistinguishedName?
                if let cn {
                    subject = try DistinguishedName(attributes: [(.NameAttributes.countryName, authority.subject.countryName ?? ""),
                                                                 (.NameAttributes.commonName, cn)])
                }
                let source: CountrySigningCA.SubjectKey = try csr.map { .request(try IO.decode($0, what: "PKCS#10 request") { bytes in try CertificationRequest(bytes: bytes) }) }
                    ?? .generate(Self.keySpecification(keyType))
                let issued = try ca.issueSPOCTLSCertificate(role: role, family: family, subject: subject, dnsNames: dnsNames,
                                                            validityMonths: months, key: source)
                try CSCACommand.write(issued.certificate, to: out)
                for problem in SPOCTLSProfile.issuerProblems(authority) {
                    FileHandle.standardError.write(Data("epki: note: \(problem); TLS peers may not accept this certificate's chain\n".utf8))
                }
                if options.json {
                    var summary = issued.certificate.summary
                    summary["kind"] = "spoc-\(role.rawValue)"
                    summary["family"] = family.rawValue
                    summary["dnsNames"] = dnsNames
                    summary["key"] = issued.keyReference ?? "(the requester's)"
                    try IO.printJSON(summary)
                    return
                }
                print("issued SPOC TLS \(role) certificate (\(family.rawValue) EKU) \(issued.certificate.subject) serial \(issued.certificate.serialNumberHex), valid to \(Time.iso8601(issued.certificate.notAfter))"
                      + (issued.keyReference.map { "; key \($0)" } ?? ""))
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a certificate the domain issued (the next CRL is then due within 48 hours).")
        @OptionGroup var options: CAOptions
        @Option(help: "Serial number in hex.") var serial: String

        func run() throws {
            // A CSCA or link certificate ends every document under its key: that revocation needs a second officer.
            let kind = (try? options.authority(create: false).certificates())?.first { $0.certificate.serialNumberHex.caseInsensitiveCompare(serial) == .orderedSame }?.kind
            let operation = kind == "csca" || kind == "link" ? "csca.revoke-ca" : "csca.revoke"
            try Governed.run(options.store, operation, options.officer) {
                let ca = try options.authority()
                try ca.revoke(serial: serial)
                let status = try ca.status()
                print("revoked \(serial.uppercased()); next CRL due \(Time.iso8601(status.nextCRLDue))")
            }
        }
    }

    struct CRL: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue the domain's CRLs (one per valid CSCA key).")
        @OptionGroup var options: CAOptions
        @Option(help: "Write the active CSCA's CRL (DER) here.") var out: String?

        func run() throws {
            try Governed.run(options.store, "csca.crl", options.officer) {
                let crls = try options.authority().issueCRLs()
                if let out, let last = crls.last { try IO.write(last.derEncoded, to: out) }
                let summaries: [[String: Any]] = try crls.map {
                    ["number": $0.crlNumber?.value ?? 0, "issuer": $0.issuer.description, "entries": try $0.entryCount(),
                     "thisUpdate": $0.thisUpdate.description, "nextUpdate": $0.nextUpdate?.description ?? ""]
                }
                if options.json { try IO.printJSON(summaries); return }
                for s in summaries { print("CRL \(s["number"] ?? "") of \(s["issuer"] ?? ""): \(s["entries"] ?? 0) entries, next update \(s["nextUpdate"] ?? "")") }
            }
        }
    }

    struct MasterList: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "masterlist", abstract: "Sign a CSCA master list with the domain's Master List Signer.")
        @OptionGroup var options: CAOptions
        @Option(help: "CSCA or link certificate files to list (default: the domain's own).") var csca: [String] = []
        @Option(help: "Write the signed master list (DER) here.") var out: String

        func run() throws {
            try Governed.run(options.store, "csca.masterlist", options.officer) {
                let ca = try options.authority()
                let certificates = csca.isEmpty
                    ? try ca.certificates().filter { $0.kind == "csca" || $0.kind == "link" }.map(\.certificate)
                    : try csca.map { try IO.decode($0, what: "certificate") { bytes in try Certificate(bytes: bytes) } }
                let signed = try ca.signMasterList(certificates: certificates)
                try IO.write(signed.contentInfoDER(), to: out)
                print("master list of \(certificates.count) certificate(s) signed: \(out)")
            }
        }
    }

    struct DeviationListCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "deviation-list", abstract: "Sign a Deviation List from a JSON description of the deviations.",
            discussion: """
                The input is a JSON array of deviations, e.g.
                [{"documentType": "P<", "documentSignerKeyIdentifier": "A1B2...", "documentNumbers": ["C01X00T47"],
                  "descriptions": [{"deviationType": "LDS.DGHashWrong", "description": "DG11 hash wrong"}]}]
                Types: \(DeviationList.typeNames.keys.sorted().joined(separator: ", ")) or an OID under 2.23.136.1.1.7.
                """)
        @OptionGroup var options: CAOptions
        @Option(name: .customLong("input"), help: "JSON file describing the deviations.") var input: String
        @Option(help: "Write the signed deviation list (DER) here.") var out: String

        func run() throws {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let deviations: [DeviationList.Deviation]
            do {
                deviations = try decoder.decode([DeviationList.Deviation].self, from: Data(IO.read(input, what: "deviation description")))
            } catch let error as DecodingError {
                throw PKIError(.invalidValue, "deviation description \(input): \(error)")
            }
            let signed = try options.authority().signDeviationList(DeviationList(deviations: deviations))
            try IO.write(signed.contentInfoDER(), to: out)
            print("deviation list of \(deviations.count) deviation(s) signed: \(out)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the certificates the domain issued.")
        @OptionGroup var options: CAOptions
        @Option(help: "Only this kind: csca, link, ds, mls, dls, spoc-client, spoc-server.") var kind: String?

        func run() throws {
            let records = try options.authority(create: false).certificates(kind: kind)
            if options.json {
                try IO.printJSON(records.map { record -> [String: Any] in
                    var summary = record.certificate.summary
                    summary["kind"] = record.kind
                    summary["issuedAt"] = Time.iso8601(record.issuedAt)
                    summary["revokedAt"] = record.revokedAt.map(Time.iso8601) ?? NSNull()
                    summary["key"] = record.keyReference ?? NSNull()
                    summary["der"] = Data(record.certificate.derEncoded).base64EncodedString()
                    return summary
                })
                return
            }
            for record in records {
                print("\(record.kind.padding(toLength: max(5, record.kind.count), withPad: " ", startingAt: 0)) \(record.certificate.serialNumberHex)  \(record.certificate.subject)\(record.revokedAt == nil ? "" : "  REVOKED")")
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The CSCA's state and when the next CRL is due.")
        @OptionGroup var options: CAOptions

        func run() throws {
            let status = try options.authority(create: false).status()
            if options.json {
                try IO.printJSON(["domain": status.domain, "csca": status.csca, "cscaSerial": status.cscaSerial,
                                  "cscaNotAfter": Time.iso8601(status.cscaNotAfter), "certificates": status.certificates,
                                  "revoked": status.revoked, "lastCRLNumber": status.lastCRLNumber ?? NSNull(),
                                  "nextCRLDue": Time.iso8601(status.nextCRLDue), "nextCRLReason": status.nextCRLReason])
                return
            }
            print("domain \(status.domain): CSCA \(status.csca) (serial \(status.cscaSerial), valid to \(Time.iso8601(status.cscaNotAfter)))")
            print("certificates: " + status.certificates.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ") + "; \(status.revoked) revoked")
            print("next CRL due \(Time.iso8601(status.nextCRLDue)) (\(status.nextCRLReason))")
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a certificate the domain issued, or its latest CRL.")
        @OptionGroup var options: CAOptions
        @Option(help: "Serial number (hex) of the certificate; omit for the active CSCA.") var serial: String?
        @Flag(help: "Export the latest CRL instead.") var crl = false
        @Option(help: "Output file.") var out: String

        func run() throws {
            let ca = try options.authority()
            if crl {
                guard let latest = try ca.latestCRL() else { throw CSCAError(.notFound, "domain '\(ca.domain)' has issued no CRL yet") }
                try IO.write(latest.derEncoded, to: out)
                return
            }
            let certificate: Certificate
            if let serial {
                guard let record = try ca.certificates().first(where: { $0.certificate.serialNumberHex == serial.uppercased() }) else {
                    throw CSCAError(.notFound, "domain '\(ca.domain)' issued no certificate with serial \(serial)")
                }
                certificate = record.certificate
            } else {
                certificate = try ca.activeAuthority().certificate
            }
            try IO.write(certificate.pemEncoded, to: out)
        }
    }
}

func parseAlgorithm(_ name: String) throws -> SignatureAlgorithm {
    guard let algorithm = SignatureAlgorithm(name: name) else { throw PKIError(.unsupportedAlgorithm, "unknown signature algorithm '\(name)'") }
    return algorithm
}

struct Lint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a certificate, CRL, master list or deviation list against Doc 9303-12; exit 1 on any error.")
    @Argument var file: String
    @Option(help: "The issuing CSCA's certificate (checks AKI and the signature).") var issuer: String?
    @Option(help: "Lint the certificate as this kind: csca, link, ds, mls, dls, spoc-client, spoc-server (default: guessed).") var kind: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let bytes = try IO.read(file, what: "file")
        let issuerCertificate = try issuer.map { try IO.decode($0, what: "issuer certificate") { bytes in try Certificate(bytes: bytes) } }
        let findings: [ProfileLinter.Finding]
        let what: String
        if let certificate = try? Certificate(bytes: bytes) {
            let kind = try kind.map { value -> ProfileLinter.CertificateKind in
                guard let kind = ProfileLinter.CertificateKind(rawValue: value) else { throw ValidationError("unknown --kind \(value)") }
                return kind
            } ?? ProfileLinter.kind(of: certificate)
            findings = ProfileLinter.lint(certificate, as: kind, issuer: issuerCertificate)
            what = "\(kind.rawValue.uppercased()) certificate \(certificate.subject)"
        } else if let crl = try? CertificateRevocationList(bytes: bytes) {
            findings = ProfileLinter.lint(crl, issuer: issuerCertificate)
            what = "CRL of \(crl.issuer)"
        } else {
            let signed = try SignedData(contentInfoBytes: bytes)
            let kind: ProfileLinter.ListKind = signed.encapContentInfo.eContentType == .ICAO.deviationList ? .deviationList : .masterList
            findings = ProfileLinter.lint(signed, kind: kind)
            what = kind == .masterList ? "master list" : "deviation list"
        }
        if json {
            try IO.printJSON(["object": what, "errors": findings.filter { $0.severity == .error }.count,
                              "findings": findings.map { ["severity": $0.severity.rawValue, "rule": $0.rule, "message": $0.message] }])
        } else {
            print("\(what): \(findings.isEmpty ? "conforms" : "\(findings.count) finding(s)")")
            findings.forEach { print("  \($0)") }
        }
        if findings.contains(where: { $0.severity == .error }) { throw CLIFailure(message: "\(file) does not conform to Doc 9303-12") }
    }
}

import CSCA
import Foundation
import ICAOProfile
import PKICore
import Store
import SwiftASN1
import Testing
import TestSupport

/// SPOC TLS client and server certificates from the CSCA (Doc 9303-12 §7.2.1, CSN 36 9791): the profile, every
/// refusal, and what OpenSSL makes of them, down to a mutually authenticated TLS 1.2 handshake.
@Suite struct SPOCTLSCertificateTests {
    struct Fixture {
        let directory: URL
        let store: EPKIStore
        let ca: CountrySigningCA
        let csca: Certificate

        init(algorithm: String = "ec:brainpoolP256r1", clock: any PKIClock) throws {
            directory = try TestSupport.temporaryDirectory("epki-spoc-tls")
            store = try EPKIStore(directory: directory, migrations: CountrySigningCA.migrations)
            ca = try CountrySigningCA(store: store, domain: "LU", keys: SoftwareKeyProvider(store: store, passphrase: Passphrase(Self.passphrase)),
                                      clock: clock)
            var policy = CSCAPolicy()
            policy.crlDistributionPoints = ["https://pkd.example/LU.crl"]
            csca = try ca.initialize(subject: DistinguishedName(parsing: "C=LU,O=Ministry,CN=CSCA LU"), key: KeySpecification(algorithm), policy: policy)
        }

        static let passphrase = "fixture passphrase"

        /// How many key files the domain holds: a refused request must not have left one behind.
        var keyFiles: Int {
            (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("keys/LU").path).count) ?? 0
        }

        /// The file of a software key reference (`file:keys/LU/...`).
        func keyPath(_ reference: String?) throws -> String {
            guard let reference, reference.hasPrefix("file:") else { throw TestFailure("not a software key reference: \(reference ?? "none")") }
            return directory.appendingPathComponent(String(reference.dropFirst(5))).path
        }

        func cleanUp() { try? FileManager.default.removeItem(at: directory) }
    }

    /// 2030-01-01T00:00:00Z: the profile's logic runs on a fixed clock; only what OpenSSL checks uses the system's.
    static let fixedNow = Date(timeIntervalSince1970: 1_893_456_000)

    static func utcMonths(_ months: Int, after date: Date) throws -> Date {
        var calendar = Calendar(identifier: .gregorian)
        guard let utc = TimeZone(identifier: "UTC") else { throw TestFailure("no UTC time zone") }
        calendar.timeZone = utc
        guard let later = calendar.date(byAdding: .month, value: months, to: date) else { throw TestFailure("cannot add \(months) months") }
        return later
    }

    @Test func eachRoleAndFamilyImpliesItsKeyPurposes() {
        let expected: [(SPOCTLSRole, SPOCEKUFamily, String, String)] = [
            (.client, .icao, "2.23.136.1.1.10.1", "1.3.6.1.5.5.7.3.2"),
            (.server, .icao, "2.23.136.1.1.10.2", "1.3.6.1.5.5.7.3.1"),
            (.client, .csn, "1.2.203.7064.1.1.369791.1", "1.3.6.1.5.5.7.3.2"),
            (.server, .csn, "1.2.203.7064.1.1.369791.2", "1.3.6.1.5.5.7.3.1"),
        ]
        for (role, family, spoc, tls) in expected {
            let profile = SPOCTLSProfile(role: role, family: family)
            #expect(profile.keyPurposes.map(\.description) == [spoc, tls], "\(profile)")
            #expect(profile.defaultCommonName == (role == .client ? "SPOC TLS client" : "SPOC TLS server"))
        }
        #expect(ASN1ObjectIdentifier.CSN369791.tlsServer.displayName == "id-csn-369791-tls-server")
        #expect(ASN1ObjectIdentifier.ICAO.spocClient.displayName == "id-icao-spocClient")
        #expect(ASN1ObjectIdentifier.KeyPurpose.clientAuth.displayName == "clientAuth")
        // Host names: only the host part of a URL, no IP address, no wildcard.
        #expect(SPOCTLSProfile.dnsNameProblem("spoc.lu.example") == nil)
        #expect(SPOCTLSProfile.dnsNameProblem("xn--bcher-kva.example") == nil)
        for bad in ["", "https://spoc.lu.example/", "spoc.lu.example:443", "192.0.2.7", "*.lu.example", "spoc..lu", "-spoc.lu", "spoc_1.lu"] {
            #expect(SPOCTLSProfile.dnsNameProblem(bad) != nil, "\(bad)")
        }
        // Validity: 6 to 18 calendar months.
        let start = Self.fixedNow
        #expect(SPOCTLSProfile.isValidityAllowed(notBefore: start, notAfter: start.addingTimeInterval(183 * 86_400)))
        #expect(SPOCTLSProfile.isValidityAllowed(notBefore: start, notAfter: start.addingTimeInterval(365 * 86_400)))
        #expect(!SPOCTLSProfile.isValidityAllowed(notBefore: start, notAfter: start.addingTimeInterval(150 * 86_400)))
        #expect(!SPOCTLSProfile.isValidityAllowed(notBefore: start, notAfter: start.addingTimeInterval(560 * 86_400)))
    }

    /// Both roles in both families, on a Doc 9303 CSCA (brainpool, explicit parameters): the extensions of the
    /// profile, named curves, the role read back, the release lint, the store row and the audit entry.
    @Test(arguments: SPOCTLSRole.allCases, SPOCEKUFamily.allCases)
    func issuesTheProfile(role: SPOCTLSRole, family: SPOCEKUFamily) throws {
        let fixture = try Fixture(clock: FixedClock(Self.fixedNow))
        defer { fixture.cleanUp() }
        let profile = SPOCTLSProfile(role: role, family: family)
        let hosts = role == .server ? ["spoc.lu.example"] : []
        // A server on RSA, a client on P-256 asked for with explicit parameters (written with the curve's name all the same).
        let key: KeySpecification = role == .server ? .rsa(bits: 2048) : .ec(.p256, parameters: .explicit)
        let issued = try fixture.ca.issueSPOCTLSCertificate(role: role, family: family, dnsNames: hosts, validityMonths: 12, key: .generate(key))
        // Read back from its bytes, as a peer would.
        let certificate = try Certificate(bytes: issued.certificate.derEncoded)

        #expect(certificate.subject.countryName == "LU" && certificate.subject.commonName == profile.defaultCommonName)
        #expect(certificate.issuer == fixture.csca.subject)
        #expect(certificate.notBefore == Self.fixedNow)
        #expect(try certificate.notAfter == Self.utcMonths(12, after: Self.fixedNow))
        #expect(certificate.extendedKeyUsage?.purposes == profile.keyPurposes)
        #expect(certificate.extensions[ExtendedKeyUsage.oid]?.critical == false)
        let expectedUsage: KeyUsage = role == .server ? [.digitalSignature, .keyEncipherment] : .digitalSignature
        #expect(certificate.keyUsage == expectedUsage)
        #expect(certificate.extensions[KeyUsage.oid]?.critical == true)
        #expect(certificate.subjectAlternativeName?.dnsNames == (role == .server ? hosts : nil))
        #expect(try certificate.extensions.value(CRLDistributionPoints.self)?.uris == ["https://pkd.example/LU.crl"])
        #expect(certificate.authorityKeyIdentifier == fixture.csca.subjectKeyIdentifier)
        #expect(certificate.subjectKeyIdentifier != nil)
        #expect(certificate.basicConstraints == nil)
        #expect(certificate.privateKeyUsagePeriod == nil && certificate.documentTypeList == nil)
        if role == .client {
            guard case .named(let curve) = certificate.tbsCertificate.subjectPublicKeyInfo.ecDomain else {
                Issue.record("the client key is not written with its named curve")
                return
            }
            #expect(curve == .Curve.prime256v1)
        }
        #expect(try certificate.isSignatureValid(issuerKey: fixture.csca.publicKey))

        // The role a peer reads, in this family only.
        let roles = SPOCTLSProfile.roles(of: certificate)
        #expect(roles.count == 1 && roles.first?.role == role && roles.first?.family == family)
        #expect(SPOCTLSProfile.carries(certificate, role: role))
        #expect(!SPOCTLSProfile.carries(certificate, role: role == .client ? .server : .client))
        #expect(!SPOCTLSProfile.carries(certificate, role: role, families: [family == .icao ? .csn : .icao]))

        // The linter knows the kind, finds nothing; as the other role it misses the SPOC purpose.
        let kind: ProfileLinter.CertificateKind = role == .client ? .spocClient : .spocServer
        #expect(ProfileLinter.kind(of: certificate) == kind)
        #expect(ProfileLinter.lint(certificate, as: kind, issuer: fixture.csca).isEmpty, "\(ProfileLinter.lint(certificate, as: kind, issuer: fixture.csca))")
        let crossed = ProfileLinter.lint(certificate, as: role == .client ? .spocServer : .spocClient, issuer: fixture.csca)
        #expect(crossed.contains { $0.rule == "9303-12 §7.2.1: ExtendedKeyUsage" })

        // Stored under its kind with its encrypted key; one audit entry naming the family.
        let records = try fixture.ca.certificates(kind: kind.rawValue)
        #expect(records.count == 1 && records.first?.certificate == certificate && records.first?.keyReference == issued.keyReference)
        let keyFile = try String(contentsOfFile: try fixture.keyPath(issued.keyReference), encoding: .utf8)
        #expect(keyFile.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----"))
        let entry = try #require(try fixture.store.auditEntries(domain: "LU").last)
        #expect(entry.action == "\(kind.rawValue).issue" && entry.details["family"] == family.rawValue)
        #expect(entry.details["serial"] == certificate.serialNumberHex && entry.details["dnsNames"] == hosts.joined(separator: ","))
        #expect(try fixture.store.verifyAudit(domain: "LU").isIntact)
        // A brainpool CSCA with explicit parameters is a finding for TLS peers, not a refusal.
        #expect(SPOCTLSProfile.issuerProblems(fixture.csca).count == 2)
    }

    /// Every refusal is recorded in the audit trail, before a key is generated: no certificate, no key file.
    @Test func refusalsLeaveOnlyTheirAuditEntry() throws {
        let clock = MutableClock(Self.fixedNow)
        let fixture = try Fixture(clock: clock)
        defer { fixture.cleanUp() }
        let ca = fixture.ca
        let keysBefore = fixture.keyFiles
        let brainpoolKey = SoftwareSigner(key: try PrivateKey.generate(.ec(.brainpoolP256r1, parameters: .namedCurve)))
        let brainpoolRequest = try CertificationRequest.make(subject: DistinguishedName(parsing: "C=LU,CN=SPOC TLS client"), signer: brainpoolKey)
        let p256 = KeySpecification.ec(.p256, parameters: .namedCurve)

        let cases: [(String, String, () throws -> Void)] = [
            ("another country", "differs from the CSCA's LU", {
                _ = try ca.issueSPOCTLSCertificate(role: .client, family: .icao, subject: try DistinguishedName(parsing: "C=DE,CN=SPOC TLS client"), key: .generate(p256))
            }),
            ("no commonName", "commonName", {
                _ = try ca.issueSPOCTLSCertificate(role: .client, family: .icao, subject: try DistinguishedName(parsing: "C=LU,O=Ministry"), key: .generate(p256))
            }),
            ("5 months", "6 to 18 months", {
                _ = try ca.issueSPOCTLSCertificate(role: .client, family: .csn, validityMonths: 5, key: .generate(p256))
            }),
            ("19 months", "6 to 18 months", {
                _ = try ca.issueSPOCTLSCertificate(role: .server, family: .csn, dnsNames: ["spoc.lu.example"], validityMonths: 19, key: .generate(p256))
            }),
            ("server without dNSName", "dNSName", {
                _ = try ca.issueSPOCTLSCertificate(role: .server, family: .icao, key: .generate(p256))
            }),
            ("a URL for a host", "host part", {
                _ = try ca.issueSPOCTLSCertificate(role: .server, family: .icao, dnsNames: ["https://spoc.lu.example/spoc"], key: .generate(p256))
            }),
            ("brainpool key to generate", "brainpoolP384r1 is not usable for SPOC TLS", {
                _ = try ca.issueSPOCTLSCertificate(role: .server, family: .csn, dnsNames: ["spoc.lu.example"], key: .generate(.ec(.brainpoolP384r1, parameters: .namedCurve)))
            }),
            ("brainpool key in a request", "BoringSSL", {
                _ = try ca.issueSPOCTLSCertificate(role: .client, family: .icao, key: .request(brainpoolRequest))
            }),
        ]
        for (label, reason, attempt) in cases {
            expectError(CSCAError(.requestRefused, reason), Comment(rawValue: label), attempt)
        }

        // Without a CRL distribution point in the policy.
        var policy = try ca.policy()
        let withPoints = policy
        policy.crlDistributionPoints = []
        try ca.setPolicy(policy)
        expectError(CSCAError(.requestRefused, "CRL distribution point"), "no CDP") {
            _ = try ca.issueSPOCTLSCertificate(role: .client, family: .icao, key: .generate(p256))
        }
        try ca.setPolicy(withPoints)

        // Late in the CSCA's life: 12 months would outlast it; 6 still fit.
        let cscaEnd = fixture.csca.notAfter
        clock.advance(cscaEnd.timeIntervalSince(Self.fixedNow) - 300 * 86_400)
        expectError(CSCAError(.requestRefused, "reaches beyond the CSCA certificate"), "beyond the CSCA") {
            _ = try ca.issueSPOCTLSCertificate(role: .client, family: .icao, validityMonths: 12, key: .generate(p256))
        }

        #expect(try ca.certificates().count == 1)  // the CSCA only
        #expect(fixture.keyFiles == keysBefore)
        let refused = try fixture.store.auditEntries(domain: "LU").filter { $0.action.hasSuffix(".refused") }
        #expect(refused.count == cases.count + 2)
        #expect(refused.allSatisfy { ($0.action == "spoc-client.refused" || $0.action == "spoc-server.refused") && $0.details["reason"] != nil })
        #expect(try fixture.store.verifyAudit(domain: "LU").isIntact)

        let accepted = try ca.issueSPOCTLSCertificate(role: .client, family: .icao, validityMonths: 6, key: .generate(p256))
        #expect(accepted.certificate.notAfter <= cscaEnd)
    }

    /// A certificate made by another issuer (OpenSSL here) is read leniently and judged strictly: its dNSName and
    /// CSN server purpose are read, and the linter names what the profile misses.
    @Test func aForeignSPOCCertificateIsReadAndLinted() throws {
        let directory = try TestSupport.temporaryDirectory("epki-spoc-foreign")
        defer { try? FileManager.default.removeItem(at: directory) }
        try TestSupport.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "de.key",
                                 "-subj", "/C=DE/CN=SPOC TLS server", "-days", "30", "-out", "de.pem",
                                 "-addext", "subjectAltName=DNS:spoc.de.example,DNS:spoc2.de.example",
                                 "-addext", "extendedKeyUsage=1.2.203.7064.1.1.369791.2"], in: directory)
        let certificate = try Certificate(bytes: TestSupport.read(directory.appendingPathComponent("de.pem")))
        #expect(certificate.subjectAlternativeName?.dnsNames == ["spoc.de.example", "spoc2.de.example"])
        let roles = SPOCTLSProfile.roles(of: certificate)
        #expect(roles.count == 1 && roles.first?.role == .server && roles.first?.family == .csn)
        #expect(ProfileLinter.kind(of: certificate) == .spocServer)
        let rules = Set(ProfileLinter.lint(certificate).filter { $0.severity == .error }.map(\.rule))
        #expect(rules.isSuperset(of: ["CSN 36 9791: ExtendedKeyUsage", "9303-12 Table 1: validity", "9303-12 §7.2.1: CRLDistributionPoints"]), "\(rules)")
    }

    /// Certificates issued around now (system clock) on an RSA CSCA: `openssl x509 -text` shows the profile,
    /// `openssl verify` accepts each for its TLS purpose only and refuses the client once revoked on the CRL, and
    /// `s_server`/`s_client` complete a mutually authenticated TLS 1.2 handshake with them.
    @Test func openSSLAcceptsThemForTLS() throws {
        let fixture = try Fixture(algorithm: "rsa:2048", clock: SystemClock())
        defer { fixture.cleanUp() }
        let directory = fixture.directory
        let host = "spoc.lu.example"
        #expect(SPOCTLSProfile.issuerProblems(fixture.csca).isEmpty)
        let client = try fixture.ca.issueSPOCTLSCertificate(role: .client, family: .icao, validityMonths: 12, key: .generate(.ec(.p256, parameters: .namedCurve)))
        let server = try fixture.ca.issueSPOCTLSCertificate(role: .server, family: .csn, dnsNames: [host], validityMonths: 18,
                                                            key: .generate(.ec(.p384, parameters: .namedCurve)))
        try TestSupport.write(fixture.csca.pemEncoded, directory.appendingPathComponent("csca.pem"))
        try TestSupport.write(client.certificate.pemEncoded, directory.appendingPathComponent("client.pem"))
        try TestSupport.write(server.certificate.pemEncoded, directory.appendingPathComponent("server.pem"))
        try TestSupport.write(Fixture.passphrase + "\n", directory.appendingPathComponent("pass"))

        let clientText = try TestSupport.openssl(["x509", "-in", "client.pem", "-noout", "-text"], in: directory).stdout
        #expect(clientText.contains("2.23.136.1.1.10.1, TLS Web Client Authentication"), "\(clientText)")
        #expect(clientText.contains("X509v3 Key Usage: critical") && clientText.contains("Digital Signature"))
        #expect(clientText.contains("URI:https://pkd.example/LU.crl"))
        #expect(clientText.contains("ASN1 OID: prime256v1") && !clientText.contains("Basic Constraints"))
        #expect(!clientText.contains("Subject Alternative Name"))
        let serverText = try TestSupport.openssl(["x509", "-in", "server.pem", "-noout", "-text"], in: directory).stdout
        #expect(serverText.contains("1.2.203.7064.1.1.369791.2, TLS Web Server Authentication"), "\(serverText)")
        #expect(serverText.contains("DNS:\(host)") && serverText.contains("URI:https://pkd.example/LU.crl"))
        #expect(serverText.contains("Subject: C = LU, CN = SPOC TLS server"))

        func verify(_ arguments: [String]) throws -> TestSupport.ProcessResult {
            try TestSupport.run("openssl", ["verify", "-CAfile", "csca.pem"] + arguments, currentDirectory: directory)
        }
        let clientOK = try verify(["-purpose", "sslclient", "client.pem"])
        #expect(clientOK.status == 0 && clientOK.stdout.contains("client.pem: OK"), "\(clientOK.output)")
        let serverOK = try verify(["-purpose", "sslserver", "-verify_hostname", host, "server.pem"])
        #expect(serverOK.status == 0 && serverOK.stdout.contains("server.pem: OK"), "\(serverOK.output)")
        // Each only for its own purpose, and the server only for its host.
        #expect(try verify(["-purpose", "sslserver", "client.pem"]).status != 0)
        #expect(try verify(["-purpose", "sslclient", "server.pem"]).status != 0)
        #expect(try verify(["-purpose", "sslserver", "-verify_hostname", "other.lu.example", "server.pem"]).status != 0)

        // Revocation through the CSCA's CRL (the distribution point the certificates name).
        try fixture.ca.revoke(serial: client.certificate.serialNumberHex)
        let crl = try #require(try fixture.ca.issueCRLs().last)
        try TestSupport.write(PEM.encode(crl.derEncoded, label: "X509 CRL"), directory.appendingPathComponent("crl.pem"))
        let revoked = try verify(["-crl_check", "-CRLfile", "crl.pem", "-purpose", "sslclient", "client.pem"])
        #expect(revoked.status != 0 && revoked.output.contains("certificate revoked"), "\(revoked.output)")
        let stillGood = try verify(["-crl_check", "-CRLfile", "crl.pem", "-purpose", "sslserver", "server.pem"])
        #expect(stillGood.status == 0, "\(stillGood.output)")

        // Mutual TLS 1.2 with the keys epki generated (encrypted PKCS#8 in the data directory).
        let serverKey = try fixture.keyPath(server.keyReference)
        let clientKey = try fixture.keyPath(client.keyReference)
        let serverOut = directory.appendingPathComponent("s_server.out").path
        let listener = try Subprocess(
            try TestSupport.locate("openssl"),
            ["s_server", "-accept", "0", "-naccept", "1", "-tls1_2", "-www", "-cert", "server.pem", "-key", serverKey, "-pass", "file:pass",
             "-CAfile", "csca.pem", "-Verify", "1", "-verify_return_error"],
            environment: ProcessInfo.processInfo.environment, currentDirectory: directory.path,
            standardOutput: serverOut, standardError: directory.appendingPathComponent("s_server.err").path)
        defer {
            listener.signal(SIGTERM)
            listener.wait()
        }
        var port: String?
        for _ in 0..<600 where port == nil && listener.isRunning {
            Thread.sleep(forTimeInterval: 0.1)
            let text = (try? String(contentsOfFile: serverOut, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT") }), let colon = line.lastIndex(of: ":") {
                port = String(line[line.index(after: colon)...])
            }
        }
        let listening = try #require(port, "s_server did not start: \((try? String(contentsOfFile: serverOut, encoding: .utf8)) ?? "")")
        try TestSupport.write("GET / HTTP/1.0\r\n\r\n", directory.appendingPathComponent("request.txt"))
        let handshake = try TestSupport.run(
            "/bin/sh", ["-c", "openssl s_client -connect 127.0.0.1:\(listening) -tls1_2 -CAfile csca.pem -verify_hostname \(host) -verify_return_error "
                        + "-cert client.pem -key '\(clientKey)' -pass file:pass -ign_eof < request.txt"],
            currentDirectory: directory)
        #expect(handshake.status == 0, "\(handshake.output)")
        #expect(handshake.stdout.contains("Verify return code: 0 (ok)"), "\(handshake.output)")
        // The server's page shows the client certificate it verified.
        #expect(handshake.stdout.contains("Client certificate") && handshake.stdout.contains("Subject: C=LU, CN=SPOC TLS client"), "\(handshake.stdout)")
    }
}

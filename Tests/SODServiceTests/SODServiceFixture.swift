import Foundation
import LDS
import PKICore
import SODService
import Store
import TestSupport

/// A country's CSCA and Document Signer, the service's TLS certificate, registered and unregistered lines, and the
/// service itself on 127.0.0.1, for one test.
///
/// Dates: the service's logic runs on a fixed clock (`now`, 2027-09-21): the DS, the CSCA and the lines' certificates
/// are valid around it, and `openssl cms -verify` checks the SOD's chain `-attime` then. The TLS server certificate is
/// checked by curl against the machine's clock, so it is made here, valid around the real now.
final class SODServiceFixture: @unchecked Sendable {
    static let day: TimeInterval = 86_400
    static let now = Date(timeIntervalSince1970: 1_821_571_200)

    let directory: URL
    let store: EPKIStore
    let lines: SigningLines
    let csca: Certificate
    let cscaSigner: SoftwareSigner
    let documentSigner: Certificate
    let dsSigner: SoftwareSigner
    let lineCASigner: SoftwareSigner
    let lineCA: Certificate

    init(dsKey specification: KeySpecification = .ec(.p256, parameters: .namedCurve)) throws {
        directory = try TestSupport.temporaryDirectory("epki-sod-service")
        store = try EPKIStore(directory: directory.appendingPathComponent("data"), migrations: SigningLines.migrations)
        lines = SigningLines(store: store, clock: FixedClock(Self.now))
        (csca, cscaSigner, documentSigner, dsSigner) = try Self.countryPKI(around: Self.now, dsKey: specification)
        lineCASigner = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        lineCA = try Self.certificate(subject: "C=UT,O=Utopia,CN=Line CA", issuer: nil, signer: lineCASigner, publicKey: lineCASigner.publicKey,
                                      around: Self.now, isCA: true)
        try TestSupport.write(csca.pemEncoded, directory.appendingPathComponent("csca.pem"))
        try Self.tlsServer(in: directory)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: directory) }

    /// A CSCA and a DS valid around `date`; named curves so that OpenSSL's chain building takes them.
    static func countryPKI(around date: Date, dsKey: KeySpecification = .ec(.p256, parameters: .namedCurve))
        throws -> (csca: Certificate, cscaSigner: SoftwareSigner, ds: Certificate, dsSigner: SoftwareSigner) {
        let cscaSigner = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        let csca = try certificate(subject: "C=UT,O=Utopia,CN=CSCA UT", issuer: nil, signer: cscaSigner, publicKey: cscaSigner.publicKey,
                                   around: date, isCA: true)
        let dsSigner = SoftwareSigner(key: try PrivateKey.generate(dsKey))
        let ds = try certificate(subject: "C=UT,O=Utopia,CN=DS 1", issuer: csca, signer: cscaSigner, publicKey: dsSigner.publicKey, around: date,
                                 isCA: false, documentTypes: ["P"])
        return (csca, cscaSigner, ds, dsSigner)
    }

    static func certificate(subject: String, issuer: Certificate?, signer: SoftwareSigner, publicKey: PublicKey, around date: Date, isCA: Bool,
                            documentTypes: [String]? = nil) throws -> Certificate {
        let name = try DistinguishedName(parsing: subject)
        var extensions = Extensions()
        if isCA {
            try extensions.append(KeyUsage([.keyCertSign, .cRLSign]), critical: true)
            try extensions.append(BasicConstraints(isCertificateAuthority: true, pathLengthConstraint: 0), critical: true)
        } else {
            try extensions.append(KeyUsage.digitalSignature, critical: true)
        }
        try extensions.append(SubjectKeyIdentifier(keyIdentifier: publicKey.keyIdentifier), critical: false)
        if issuer != nil { try extensions.append(AuthorityKeyIdentifier(keyIdentifier: signer.publicKey.keyIdentifier), critical: false) }
        if let documentTypes { try extensions.append(DocumentTypeList(documentTypes: documentTypes), critical: false) }
        return try CertificateBuilder(
            issuer: issuer?.subject ?? name, subject: name, notBefore: date.addingTimeInterval(-30 * day), notAfter: date.addingTimeInterval(365 * day),
            subjectPublicKeyInfo: publicKey.subjectPublicKeyInfo, extensions: extensions
        ).sign(with: signer)
    }

    /// A line's key (made by openssl, for curl) and certificate, valid around the service's fixed date; issued by
    /// the fixture's line CA, or self-signed.
    @discardableResult
    func line(_ name: String, issuedByLineCA: Bool = true) throws -> Certificate {
        try TestSupport.openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "\(name).key"], in: directory)
        let key = try PrivateKey(encoded: try TestSupport.read(directory.appendingPathComponent("\(name).key")), passphrase: nil, allowUnencrypted: true)
        let certificate = issuedByLineCA
            ? try Self.certificate(subject: "C=UT,O=Utopia,CN=\(name)", issuer: lineCA, signer: lineCASigner, publicKey: key.publicKey, around: Self.now, isCA: false)
            : try Self.certificate(subject: "C=UT,O=Utopia,CN=\(name)", issuer: nil, signer: SoftwareSigner(key: key), publicKey: key.publicKey,
                                   around: Self.now, isCA: false)
        try TestSupport.write(certificate.pemEncoded, directory.appendingPathComponent("\(name).pem"))
        return certificate
    }

    /// The service's TLS certificate for 127.0.0.1 from a test CA, both P-256, valid around the real now (curl checks them).
    static func tlsServer(in directory: URL) throws {
        try TestSupport.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tls-ca.key",
                                 "-out", "tls-ca.pem", "-subj", "/CN=SOD service test CA", "-days", "2"], in: directory)
        try TestSupport.openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key",
                                 "-out", "server.csr", "-subj", "/CN=127.0.0.1"], in: directory)
        try TestSupport.write("subjectAltName=IP:127.0.0.1\n", directory.appendingPathComponent("server.ext"))
        try TestSupport.openssl(["x509", "-req", "-in", "server.csr", "-CA", "tls-ca.pem", "-CAkey", "tls-ca.key", "-CAcreateserial",
                                 "-out", "server.pem", "-days", "2", "-extfile", "server.ext"], in: directory)
    }

    var tls: TLSSettings {
        get throws {
            try TLSSettings(certificatePath: directory.appendingPathComponent("server.pem").path, keyPath: directory.appendingPathComponent("server.key").path)
        }
    }

    func service(lineCAs: [Certificate] = [], maximumBatch: Int = 64) throws -> SODSigningService {
        try SODSigningService(lines: lines, documentSigner: DocumentSignerConfiguration(signer: dsSigner, certificate: documentSigner),
                              lineCAs: lineCAs, maximumBatch: maximumBatch)
    }

    /// Runs `body` with the service serving on 127.0.0.1 (a free port), then stops it.
    func serving(_ service: SODSigningService, _ body: (Int) async throws -> Void) async throws {
        let bound = PortBox()
        let tls = try self.tls
        let server = Task { try await service.run(host: "127.0.0.1", port: 0, tls: tls, onServerRunning: { port in bound.set(port) }) }
        do {
            try await body(try await bound.wait(seconds: 60))
        } catch {
            server.cancel()
            _ = await server.result
            throw error
        }
        server.cancel()
        _ = await server.result
    }

    // MARK: - The line's side: curl and openssl

    struct Answer {
        let status: Int
        let body: [UInt8]
        let headers: String
        let curl: TestSupport.ProcessResult

        /// The body as text, or curl's own error when no answer came (a refused handshake, a timeout).
        var text: String { body.isEmpty && status == 0 ? "no answer: curl exit \(curl.status): \(curl.stderr)" : String(decoding: body, as: UTF8.self) }
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
        var error: [String: Any]? { json?["error"] as? [String: Any] }
    }

    /// POSTs `json` to `path` (/v1/sod/sign by default) with curl, as line `line` (its key and certificate files).
    func post(_ json: String, port: Int, line: String, accept: String? = nil, path: String = "/v1/sod/sign") async throws -> Answer {
        let id = UUID().uuidString.prefix(8)
        try TestSupport.write(json, directory.appendingPathComponent("request-\(id).json"))
        var arguments = ["-sS", "--max-time", TestSupport.inProcessServiceTimeout, "--cacert", "tls-ca.pem", "--cert", "\(line).pem", "--key", "\(line).key",
                         "-H", "Content-Type: application/json", "--data-binary", "@request-\(id).json", "-o", "answer-\(id).bin",
                         "-D", "headers-\(id).txt", "-w", "%{http_code}"]
        if let accept { arguments += ["-H", "Accept: \(accept)"] }
        arguments.append("https://127.0.0.1:\(port)\(path)")
        let result = try await Self.curl(arguments, in: directory)
        let body = (try? TestSupport.read(directory.appendingPathComponent("answer-\(id).bin"))) ?? []
        let headers = (try? String(contentsOf: directory.appendingPathComponent("headers-\(id).txt"), encoding: .utf8)) ?? ""
        return Answer(status: Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, body: body, headers: headers, curl: result)
    }

    func get(_ path: String, port: Int, line: String) async throws -> TestSupport.ProcessResult {
        try await Self.curl(["-sS", "--max-time", TestSupport.inProcessServiceTimeout, "--cacert", "tls-ca.pem", "--cert", "\(line).pem", "--key", "\(line).key",
                             "https://127.0.0.1:\(port)\(path)"], in: directory)
    }

    static func curl(_ arguments: [String], in directory: URL) async throws -> TestSupport.ProcessResult {
        try await blocking { try TestSupport.run("curl", arguments, currentDirectory: directory) }
    }

    /// Runs blocking work (a child process and the wait for it) on a thread of its own (`TestSupport.onOwnThread`).
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await TestSupport.onOwnThread(body)
    }

    /// `openssl cms -verify` of an EF.SOD's CMS content (the 77 wrapper taken off) against the CSCA, at `time` (nil:
    /// the machine's now); returns openssl's result and the security object it extracted.
    static func opensslVerify(sod: [UInt8], in directory: URL, at time: Date?) throws -> (result: TestSupport.ProcessResult, content: [UInt8]) {
        let id = UUID().uuidString.prefix(8)
        let contentInfo = Array(try BERTLV.parseSingle(sod[...], what: "EF.SOD").value)
        try TestSupport.write(contentInfo, directory.appendingPathComponent("sod-\(id).cms"))
        var arguments = ["cms", "-verify", "-binary", "-inform", "DER", "-in", "sod-\(id).cms", "-out", "lso-\(id).der", "-CAfile", "csca.pem",
                         "-purpose", "any"]
        if let time { arguments += ["-attime", String(Int(time.timeIntervalSince1970))] }
        let result = try TestSupport.run("openssl", arguments, currentDirectory: directory)
        let content = (try? TestSupport.read(directory.appendingPathComponent("lso-\(id).der"))) ?? []
        return (result, content)
    }

    // MARK: - Requests

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// Distinct hashes for data groups `numbers`, as a line would have computed them over its files.
    static func hashes(_ numbers: [Int], hash: HashAlgorithm = .sha256, seed: String = "") throws -> [Int: [UInt8]] {
        var result: [Int: [UInt8]] = [:]
        for number in numbers { result[number] = try hash.hash(Array("DG\(number) of \(seed)".utf8)) }
        return result
    }

    static func request(documentNumber: String = "L898902C3", ldsVersion: String = "1.7", hash: String = "sha256",
                        hashes: [Int: [UInt8]], extra: String = "") -> String {
        let groups = hashes.keys.sorted().map { "\"\($0)\": \"\(hex(hashes[$0]!))\"" }.joined(separator: ", ")
        return "{\"documentNumber\": \"\(documentNumber)\", \"ldsVersion\": \"\(ldsVersion)\", \"hashAlgorithm\": \"\(hash)\", "
            + "\"dataGroupHashes\": {\(groups)}\(extra)}"
    }
}

/// The port the service bound, handed from its start-up callback to the test.
final class PortBox: Sendable {
    private let value = Locked<Int?>(nil)

    func set(_ port: Int) { value.withLock { $0 = port } }

    func wait(seconds: Int) async throws -> Int {
        for _ in 0..<(seconds * 20) {
            if let port = value.withLock({ $0 }) { return port }
            await TestSupport.pause(milliseconds: 50)
        }
        throw TestFailure("the service did not start within \(seconds) s")
    }
}

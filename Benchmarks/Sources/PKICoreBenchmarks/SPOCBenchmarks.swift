// Section `spoc` (issue 16): RequestCertificate round trips per second between two SPOCs over mutual TLS on
// loopback, with synchronous issuance, against raw CV certificate signing with the same key in the same run.
//
// Setup, all in this process: two countries, A (CZ, the caller) and B (SK, the server), each with its own data
// directory (one store: CVCA and SPOC tables), its own CVCA (brainpoolP256r1, ECDSA-SHA-256, software keys), and its
// own SPOC TLS PKI made here with PKICore (a P-256 root with C = the country; a client and a server certificate with
// the ICAO SPOC EKUs, SAN dNSName localhost, a CRL distribution point). The CRLs are served to `CRLCache` by its
// `fetch:` closure, so no HTTP server is needed for them. Each country runs `SPOCServer.run` on 127.0.0.1 (the server
// that `epki spoc serve` runs, its outbox task included) with `SPOCWiring` as CVCA and DVCA; each registered the
// other (B registered A with mode sync), and B's CVCA registered A's CVCA certificate, so that A's DVs' initial
// requests, countersigned by A's CVCA, are certified at once.
//
// The requests are made before any timing: a fresh brainpoolP256r1 key per request, CHR CZ<lane><sequence>,
// addressed to B's CVCA, self-signed and countersigned by A's CVCA (`CVCertificateRequest.create` +
// `.authenticated(by:certificate:)`). B's CVCA certifies a CHR once and wants a holder's sequence numbers to go up, so
// every client task has a holder mnemonic of its own (its lane) and sends its requests in order.
//
// Each round runs, one after the other:
//   * `openssl speed ecdsabrp256r1` (CPU time, or wall time with --clock wall);
//   * the raw side in this process: `CVCertificateBuilder.certify` of a prepared request with B's CVCA key and
//     certificate (a DV certificate body, and its signature), on one thread, then on as many threads as cores;
//   * for each number of requests in flight (`--spoc-in-flight`, default 1 and 8): that many tasks, each calling
//     A's `SPOCClient.call(.requestCertificate(...), to: "SK")` again and again, every answer checked to be
//     ok_cert_available with the DV and CVCA certificates. The client opens a new mutual-TLS connection for every
//     message (by design), and both sides check the other's certificate against the registry and the CRL.
// The ratios: round trips per second of wall time against raw certifications per second (one thread for 1 in flight,
// all cores for more), and round trips per CPU-second of this process (both SPOCs, the client, the event loops)
// against `openssl speed` signatures per CPU-second: what a round trip costs next to one signature.
//
// Then the parts of a round trip, each timed alone in the same process, and the cost of the CVCA's work as its store
// grows: for each request B's CVCA reads and decodes every DV certificate it ever issued into a `CVCertificatePool`,
// whose `add` is a linear search, so the rounds themselves slow down as they issue. Distinct DV certificates under
// B's CVCA are added to its store (`--spoc-history`) and the CVCA's parts and the round trip timed again.
//
// For `perf record`: `PKICoreBenchmarks --profile spoc SECONDS [--spoc-in-flight N]` sets up the same two SPOCs and
// runs only round trips.

import CVC
import CVCA
import Foundation
import NIOHTTP1
import NIOSSL
import PKICore
import SPOC
import ServiceWiring
import Store
import SwiftASN1

enum SPOCBenchmarks {
    static let domain = "default"
    static let callerCountry = "CZ"
    static let serverCountry = "SK"
    static let curve = KeySpecification.ec(.brainpoolP256r1, parameters: .namedCurve)

    // MARK: - Fixtures

    /// One country's SPOC TLS PKI: a P-256 root (C = the country), a server and a client certificate with the ICAO
    /// SPOC EKUs (and id-kp-serverAuth / clientAuth), and the root's empty CRL.
    struct TLSPKI {
        static let icaoClient: ASN1ObjectIdentifier = [2, 23, 136, 1, 1, 10, 1]
        static let icaoServer: ASN1ObjectIdentifier = [2, 23, 136, 1, 1, 10, 2]
        static let clientAuth: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 3, 2]
        static let serverAuth: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 3, 1]

        let crlURL: String
        let root: Certificate
        let server: (certificate: Certificate, key: PrivateKey)
        let client: (certificate: Certificate, key: PrivateKey)
        let crl: [UInt8]

        init(country: String, now: Date) throws {
            crlURL = "http://crl.spoc-bench.invalid/\(country).crl"
            let rootSigner = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
            let rootName = try DistinguishedName(parsing: "C=\(country),CN=SPOC CA \(country)")
            var extensions = Extensions()
            try extensions.append(KeyUsage([.keyCertSign, .cRLSign]), critical: true)
            try extensions.append(BasicConstraints(isCertificateAuthority: true, pathLengthConstraint: 0), critical: true)
            try extensions.append(SubjectKeyIdentifier(keyIdentifier: try rootSigner.publicKey.keyIdentifier), critical: false)
            let root = try CertificateBuilder(issuer: rootName, subject: rootName, notBefore: now.addingTimeInterval(-86_400),
                                              notAfter: now.addingTimeInterval(365 * 86_400), subjectPublicKeyInfo: rootSigner.publicKey.subjectPublicKeyInfo,
                                              extensions: extensions).sign(with: rootSigner)
            let crlURL = self.crlURL
            func issue(server: Bool) throws -> (certificate: Certificate, key: PrivateKey) {
                let key = try PrivateKey.generate(.ec(.p256, parameters: .namedCurve))
                var extensions = Extensions()
                try extensions.append(KeyUsage.digitalSignature, critical: true)
                try extensions.append(ExtendedKeyUsage(server ? [TLSPKI.icaoServer, TLSPKI.serverAuth] : [TLSPKI.icaoClient, TLSPKI.clientAuth]), critical: false)
                try extensions.append(AuthorityKeyIdentifier(keyIdentifier: try rootSigner.publicKey.keyIdentifier), critical: false)
                if server { try extensions.append(SubjectAlternativeName([.dnsName("localhost")]), critical: false) }
                try extensions.append(CRLDistributionPoints(uris: [crlURL]), critical: false)
                let subject = try DistinguishedName(parsing: "C=\(country),CN=SPOC TLS \(server ? "server" : "client") \(country)")
                let certificate = try CertificateBuilder(issuer: rootName, subject: subject, notBefore: now.addingTimeInterval(-3_600),
                                                         notAfter: now.addingTimeInterval(90 * 86_400),
                                                         subjectPublicKeyInfo: key.publicKey.subjectPublicKeyInfo, extensions: extensions)
                    .sign(with: rootSigner)
                return (certificate, key)
            }
            self.root = root
            server = try issue(server: true)
            client = try issue(server: false)
            crl = try CRLBuilder(issuer: rootName, thisUpdate: now.addingTimeInterval(-3_600), nextUpdate: now.addingTimeInterval(30 * 86_400),
                                 authorityKeyIdentifier: rootSigner.publicKey.keyIdentifier, crlNumber: CRLNumber(1))
                .sign(entries: [], with: rootSigner).encoded
        }
    }

    /// One country: its data directory and store, CVCA, SPOC, TLS material, peer authenticator and server.
    final class Country: @unchecked Sendable {
        let code: String
        let directory: URL
        let store: EPKIStore
        let keys: SoftwareKeyProvider
        let cvca: CountryVerifyingCA
        let wiring: SPOCWiring
        let spoc: SinglePointOfContact
        let pki: TLSPKI
        let material: SPOCTLSMaterial
        let authenticator: SPOCPeerAuthenticator
        let port: Int
        var url: String { "https://localhost:\(port)/spoc" }

        init(_ code: String, pki: TLSPKI, crls: [String: [UInt8]]) throws {
            self.code = code
            self.pki = pki
            directory = try temporaryDirectory("epki-bench-spoc-\(code)")
            store = try EPKIStore(directory: directory.appendingPathComponent("data"),
                                  migrations: CountryVerifyingCA.migrations + SinglePointOfContact.migrations)
            keys = SoftwareKeyProvider(store: store, passphrase: Passphrase("spoc benchmark \(code)"))
            cvca = try CountryVerifyingCA(store: store, domain: SPOCBenchmarks.domain, keys: keys)
            _ = try cvca.initialize(country: code, key: SPOCBenchmarks.curve)
            wiring = try SPOCWiring(store: store, domain: SPOCBenchmarks.domain, keys: keys)
            spoc = try SinglePointOfContact(store: store, domain: SPOCBenchmarks.domain)
            port = try freePort()
            let identity = SPOCIdentity(country: code, url: "https://localhost:\(port)/spoc", serverCertificate: pki.server.certificate.derEncoded,
                                        serverKey: "memory:spoc-server", clientCertificate: pki.client.certificate.derEncoded, clientKey: "memory:spoc-client")
            try spoc.setIdentity(identity)
            material = try SPOCTLSMaterial(identity: identity, serverKeyPKCS8: try pki.server.key.plainPKCS8ForSealing(),
                                           clientKeyPKCS8: try pki.client.key.plainPKCS8ForSealing())
            authenticator = SPOCPeerAuthenticator(clock: SystemClock(), crls: CRLCache(fetch: { url in
                guard let crl = crls[url.absoluteString] else { throw UsageError("no CRL at \(url.absoluteString)") }
                return crl
            }))
        }

        var client: SPOCClient { SPOCClient(spoc: spoc, material: material, authenticator: authenticator) }

        /// Registers `other`'s SPOC here (mode `mode`), as its State would hand it over.
        func register(_ other: Country, mode: SPOCMode) throws {
            try spoc.register(ForeignSPOC(country: other.code, url: other.url, root: other.pki.root.derEncoded, namespace: .icao, ekuFamily: .icao,
                                          mode: mode, registeredAt: Date()))
        }

        /// Runs the SPOC server until `stop`; returns once it listens.
        func start() throws -> Task<Void, any Error> {
            let server = SPOCServer(spoc: spoc, material: material, authenticator: authenticator, authority: wiring, documentVerifier: wiring)
            let listening = SODServiceBenchmarks.PortHolder()
            let port = self.port
            let task = Task { try await server.run(host: "127.0.0.1", port: port) { bound in listening.set(bound) } }
            for _ in 0..<600 where listening.value == nil { Thread.sleep(forTimeInterval: 0.05) }
            guard listening.value == port else {
                task.cancel()
                throw UsageError("the SPOC server of \(code) did not start on port \(port)")
            }
            return task
        }

        /// The DV certificates this country's CVCA issued (rows in its store).
        func issuedDVs() throws -> Int {
            try store.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cvca_certificate WHERE domain = ? AND source = 'issued' AND kind = 'dv'",
                                 arguments: [SPOCBenchmarks.domain]) ?? 0
            }
        }

        func cleanUp(keep: Bool) {
            if keep { log("  kept \(directory.path)") } else { try? FileManager.default.removeItem(at: directory) }
        }
    }

    /// A stream of DV requests of one holder (country A, mnemonic `mnemonic`), in sequence-number order, made ahead
    /// of the timing. One client task (or one timed part) uses a lane at a time.
    final class Lane: @unchecked Sendable {
        let mnemonic: String
        private let lock = NSLock()
        private var nextSequence = 1
        private var prepared: [[UInt8]] = []
        private var taken = 0

        init(_ mnemonic: String) { self.mnemonic = mnemonic }

        var available: Int { lock.withLock { prepared.count - taken } }

        func take() -> [UInt8]? {
            lock.withLock {
                guard taken < prepared.count else { return nil }
                taken += 1
                return prepared[taken - 1]
            }
        }

        /// Makes requests until `count` are waiting.
        func stock(_ count: Int, maker: RequestMaker) throws {
            while available < count {
                let sequence = lock.withLock { () -> Int in
                    nextSequence += 1
                    return nextSequence - 1
                }
                let bytes = try maker.make(mnemonic: mnemonic, sequence: sequence)
                lock.withLock {
                    if taken > 4_096 {
                        prepared.removeFirst(taken)
                        taken = 0
                    }
                    prepared.append(bytes)
                }
            }
        }
    }

    /// Makes A's DV requests to B's CVCA: a new key, self-signed, countersigned by A's CVCA.
    struct RequestMaker: Sendable {
        let caller: String
        let target: CertificationAuthorityReference
        let authenticator: any Signer
        let authenticatorCertificate: CVCertificate

        func make(mnemonic: String, sequence: Int) throws -> [UInt8] {
            let chr = try CertificationAuthorityReference(countryCode: caller, holderMnemonic: mnemonic, sequenceNumber: String(format: "%05d", sequence))
            let key = SoftwareSigner(key: try PrivateKey.generate(SPOCBenchmarks.curve))
            return try CVCertificateRequest.create(chr: chr, car: target, signer: key, algorithm: .ecdsaSHA256)
                .authenticated(by: authenticator, certificate: authenticatorCertificate).encoded
        }
    }

    /// Stocks every lane to at least `count` requests, the lanes on as many threads as there are cores.
    static func stock(_ lanes: [Lane], _ count: Int, maker: RequestMaker) throws {
        let errors = Slots<any Error>(lanes.count)
        DispatchQueue.concurrentPerform(iterations: lanes.count) { index in
            do { try lanes[index].stock(count, maker: maker) } catch { errors.set(index, error) }
        }
        if let error = errors.all.compactMap({ $0 }).first { throw error }
    }

    // MARK: - Timing

    /// Runs `body` on Swift's concurrency pool and waits for it on this thread (not one of the pool's).
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let slot = Slots<Result<T, any Error>>(1)
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            do { slot.set(0, .success(try await body())) } catch { slot.set(0, .failure(error)) }
            done.signal()
        }
        done.wait()
        return try slot.all[0]!.get()  // set before the signal
    }

    /// Calls, wall time and CPU time of a timed loop.
    struct Timing: Sendable {
        var calls = 0
        var wall = 0.0
        var cpu = 0.0
        var wallMicros: Double { wall / Double(max(calls, 1)) * 1e6 }
        var cpuMicros: Double { cpu / Double(max(calls, 1)) * 1e6 }
        var perSecond: Double { Double(calls) / max(wall, 1e-9) }
        var perCPUSecond: Double { Double(calls) / max(cpu, 1e-9) }
    }

    /// Calls `body` on this thread for `seconds` of wall time after `warmup` calls, or until it returns nil (its
    /// prepared inputs ran out). CPU time is this thread's.
    static func timeSync(seconds: Double, warmup: Int = 3, sink: inout Int, _ body: () throws -> Int?) throws -> Timing {
        for _ in 0..<warmup {
            guard let value = try body() else { break }
            sink &+= value
        }
        let clock = ContinuousClock()
        let cpuStart = threadCPUSeconds()
        let start = clock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        var timing = Timing()
        while clock.now < deadline {
            guard let value = try body() else { break }
            sink &+= value
            timing.calls += 1
        }
        timing.wall = durationSeconds(clock.now - start)
        timing.cpu = threadCPUSeconds() - cpuStart
        return timing
    }

    /// Calls `body` in one task for `seconds` of wall time after `warmup` calls. CPU time is the whole process's:
    /// the work spreads over the event loops (TLS) and the concurrency pool.
    static func timeAsync(seconds: Double, warmup: Int = 3, _ body: @escaping @Sendable () async throws -> Int) throws -> Timing {
        try blocking {
            for _ in 0..<warmup { _ = try await body() }
            let clock = ContinuousClock()
            let cpuStart = processCPUSeconds()
            let start = clock.now
            let deadline = start + .milliseconds(Int(seconds * 1000))
            var timing = Timing()
            while clock.now < deadline {
                _ = try await body()
                timing.calls += 1
            }
            timing.wall = durationSeconds(clock.now - start)
            timing.cpu = processCPUSeconds() - cpuStart
            return timing
        }
    }

    /// Round trips with `lanes.count` requests in flight, one client task per lane, for `seconds` of wall time.
    struct Trips: Sendable {
        var timing = Timing()
        /// The sum of the calls' wall times, for the mean latency.
        var latency = 0.0
        /// A lane ran out of prepared requests before the time was up.
        var ranDry = false
        var meanLatencyMillis: Double { latency / Double(max(timing.calls, 1)) * 1000 }
    }

    static func roundTrips(_ client: SPOCClient, lanes: [Lane], seconds: Double) throws -> Trips {
        let caller = callerCountry
        return try blocking {
            let clock = ContinuousClock()
            let cpuStart = processCPUSeconds()
            let start = clock.now
            let deadline = start + .milliseconds(Int(seconds * 1000))
            var trips = try await withThrowingTaskGroup(of: Trips.self) { group in
                for lane in lanes {
                    group.addTask {
                        var trips = Trips()
                        while clock.now < deadline {
                            guard let request = lane.take() else {
                                trips.ranDry = true
                                break
                            }
                            let sent = clock.now
                            let response = try await client.call(.requestCertificate(callerID: caller, messageID: SinglePointOfContact.newMessageID(country: caller),
                                                                                     certificateRequest: request), to: serverCountry)
                            guard response.result == .okCertAvailable, response.certificates.count == 2 else {
                                throw UsageError("RequestCertificate answered \(response.result) with \(response.certificates.count) certificate(s), not ok_cert_available with the DV and CVCA certificates")
                            }
                            trips.latency += durationSeconds(clock.now - sent)
                            trips.timing.calls += 1
                        }
                        return trips
                    }
                }
                var total = Trips()
                for try await lane in group {
                    total.timing.calls += lane.timing.calls
                    total.latency += lane.latency
                    total.ranDry = total.ranDry || lane.ranDry
                }
                return total
            }
            trips.timing.wall = durationSeconds(clock.now - start)
            trips.timing.cpu = processCPUSeconds() - cpuStart
            return trips
        }
    }

    // MARK: - The section

    /// Both countries set up, registered with each other and serving; A's client; the request maker.
    final class Fixture: @unchecked Sendable {
        let a: Country
        let b: Country
        let servers: [Task<Void, any Error>]
        let client: SPOCClient
        let maker: RequestMaker
        let aCVCA: CountryVerifyingCA.Key
        let bCVCA: CountryVerifyingCA.Key
        let keep: Bool

        init(keep: Bool) throws {
            self.keep = keep
            let now = Date()
            log("  setting up CZ (caller) and SK (server): stores, CVCAs, SPOC TLS certificates, registrations")
            let aPKI = try TLSPKI(country: callerCountry, now: now)
            let bPKI = try TLSPKI(country: serverCountry, now: now)
            // Both sides fetch both CRLs from memory.
            let crls = [aPKI.crlURL: aPKI.crl, bPKI.crlURL: bPKI.crl]
            a = try Country(callerCountry, pki: aPKI, crls: crls)
            b = try Country(serverCountry, pki: bPKI, crls: crls)
            try a.register(b, mode: .sync)
            try b.register(a, mode: .sync)
            aCVCA = try a.cvca.currentKey()
            bCVCA = try b.cvca.currentKey()
            _ = try b.cvca.registerForeignCVCA(aCVCA.certificate)
            _ = try a.cvca.registerForeignCVCA(bCVCA.certificate)
            let aServer = try a.start()
            do {
                servers = [aServer, try b.start()]
            } catch {
                aServer.cancel()
                throw error
            }
            client = a.client
            maker = RequestMaker(caller: callerCountry, target: try CertificationAuthorityReference(encoded: Array(bCVCA.chr.utf8)),
                                 authenticator: try a.keys.signer(for: aCVCA.keyReference), authenticatorCertificate: aCVCA.certificate)
        }

        /// One round trip, checked in depth: the DV certificate is for the request, under B's CVCA, and verifies.
        func check(_ lane: Lane) throws {
            try lane.stock(1, maker: maker)
            let request = lane.take()!
            let client = self.client
            let answer = try blocking {
                try await client.call(.requestCertificate(callerID: callerCountry, messageID: SinglePointOfContact.newMessageID(country: callerCountry),
                                                          certificateRequest: request), to: serverCountry)
            }
            guard answer.result == .okCertAvailable, answer.certificates.count == 2 else {
                throw UsageError("the first RequestCertificate answered \(answer.result) with \(answer.certificates.count) certificate(s)")
            }
            let dv = try CVCertificate(encoded: answer.certificates[0])
            let requestCHR = try CVCertificateRequest(encoded: request).chr
            let verification = CVChainVerifier(clock: SystemClock()).verify(dv, pool: CVCertificatePool([bCVCA.certificate, dv]))
            guard dv.chr == requestCHR, dv.car == bCVCA.chr, dv.role == .foreignDV, try CVCertificate(encoded: answer.certificates[1]) == bCVCA.certificate,
                  verification.isValid else {
                throw UsageError("the first answer's DV certificate \(dv.chr) (\(dv.role), under \(dv.car)) is not the one asked for:\n\(verification)")
            }
            log("  check: \(requestCHR) → \(dv.chr) (\(dv.role)) under \(dv.car), chain verifies; answer \(answer.certificates.map(\.count)) bytes")
        }

        func stop() {
            for server in servers { server.cancel() }
            a.cleanUp(keep: keep)
            b.cleanUp(keep: keep)
        }
    }

    static func run(_ options: Options, sink: inout Int) throws -> String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let seconds = Double(options.roundSeconds)
        let fixture = try Fixture(keep: options.keep)
        defer { fixture.stop() }
        let (a, b, client, maker, aCVCA, bCVCA) = (fixture.a, fixture.b, fixture.client, fixture.maker, fixture.aCVCA, fixture.bCVCA)
        let inFlight = options.spocInFlight
        let lanes = (0..<(inFlight.max() ?? 1)).map { Lane("DVL\($0)") }
        try fixture.check(lanes[0])

        // Warm-up, and a first estimate of the rate per lane, for stocking the lanes.
        try stock(lanes, 64, maker: maker)
        let warmup = max(20, try roundTrips(client, lanes: [lanes[0]], seconds: 1).timing.perSecond)
        // Round trips per second and lane, per number in flight: a guess, then the best round so far.
        var perLane = Dictionary(uniqueKeysWithValues: inFlight.map { ($0, $0 == 1 ? warmup : warmup * 2 / Double($0)) })

        // The rounds.
        let opensslTarget = SpeedTarget.ecdsa(bits: 256, label: "brainpoolP256r1")
        let bSigner = try b.keys.signer(for: bCVCA.keyReference)
        let today = try CVDate(Date())
        let expiration = try today.adding(months: 3)
        let rawRequest = try CVCertificateRequest(encoded: try maker.make(mnemonic: "RAW", sequence: 1))
        let certify: @Sendable () throws -> Int = {
            try CVCertificateBuilder.certify(rawRequest, role: .foreignDV, rights: [0x03], effectiveDate: today, expirationDate: expiration,
                                             issuer: bCVCA.certificate, issuerSigner: bSigner).signature.count
        }
        _ = try certify()
        var openssl: [Double] = []
        var rawWall: [Double] = [], rawCPU: [Double] = [], rawAllCores: [Double] = []
        var trips: [Int: [Trips]] = [:]
        var issuedBefore = try b.issuedDVs()
        var issuedRange: [Int] = [issuedBefore]
        for round in 1...options.rounds {
            log("  round \(round)/\(options.rounds): openssl speed ecdsabrp256r1, raw certify on 1 and \(cores) threads, then round trips with \(inFlight.map(String.init).joined(separator: ", ")) in flight")
            openssl.append(try CoreBenchmarks.opensslRates(options, "ecdsabrp256r1", opensslTarget, base: options.clock).sign)
            let one = try measure(seconds: options.roundSeconds, sink: &sink) { try certify() }
            rawWall.append(one.perSecond)
            rawCPU.append(one.perCPUSecond)
            rawAllCores.append(try measureParallel(threads: cores, duration: .seconds(options.roundSeconds), warmup: .milliseconds(100), sink: &sink) { _, _ in
                try certify()
            }.rate)
            for count in inFlight {
                let used = Array(lanes.prefix(count))
                try stock(used, Int(perLane[count, default: warmup] * seconds * 2.5) + 16, maker: maker)
                let result = try roundTrips(client, lanes: used, seconds: seconds)
                if result.ranDry { log("    \(count) in flight: a lane ran out of prepared requests; the rate is over the time used") }
                trips[count, default: []].append(result)
                perLane[count] = max(perLane[count, default: 0], result.timing.perSecond / Double(count))
                sink &+= result.timing.calls
            }
            issuedBefore = try b.issuedDVs()
            issuedRange.append(issuedBefore)
        }

        var rows: [Row] = []
        var notes: [String] = []
        let cpuLabel = options.clock == .cpu ? "CPU" : "wall"
        rows.append(Row(operation: "Raw: `CVCertificateBuilder.certify` with B's CVCA key, 1 thread, per \(cpuLabel)-s, vs. `openssl speed ecdsabrp256r1` sign",
                        epki: options.clock == .cpu ? rawCPU : rawWall, openssl: openssl))
        for count in inFlight {
            let results = trips[count] ?? []
            let wall = results.map(\.timing.perSecond)
            let perCPU = results.map(\.timing.perCPUSecond)
            if count == 1 {
                rows.append(Row(operation: "1 in flight, wall: round trips/s vs. raw certify/s on 1 thread", epki: wall, openssl: rawWall))
            } else {
                rows.append(Row(operation: "\(count) in flight, wall: round trips/s vs. raw certify/s on \(cores) threads", epki: wall, openssl: rawAllCores))
            }
            rows.append(Row(operation: "\(count) in flight, CPU: round trips per process CPU-s vs. `openssl speed` sign per CPU-s",
                            epki: perCPU, openssl: options.clock == .cpu ? openssl : rawCPU))
            let latency = results.map(\.meanLatencyMillis).sorted()[results.count / 2]
            let cpuPerTrip = results.map(\.timing.cpuMicros).sorted()[results.count / 2]
            let calls = results.map(\.timing.calls).reduce(0, +)
            let busy = results.map { $0.timing.cpu / max($0.timing.wall, 1e-9) }.sorted()[results.count / 2]
            notes.append(String(format: "%d in flight: mean latency %.2f ms, process CPU %.0f µs per round trip, %.2f cores busy (process CPU-s per wall-s) (median rounds); %d round trips in all%@; round trips/s by round: %@",
                                count, latency, cpuPerTrip, busy, calls, results.contains(where: \.ranDry) ? "; a lane ran dry in some round" : "",
                                wall.map(format).joined(separator: ", ")))
        }
        notes.append("B's CVCA had issued \(issuedRange.first ?? 0) DV certificates before the first round and \(issuedRange.last ?? 0) after the last (after each round: \(issuedRange.dropFirst().map(String.init).joined(separator: ", "))).")

        // The parts, at the store size the rounds left.
        let parts = try partsOfARoundTrip(a: a, b: b, client: client, maker: maker, bCVCA: bCVCA, aCVCA: aCVCA, bSigner: bSigner,
                                          certify: certify, seconds: max(seconds, 2), sink: &sink)

        // The CVCA's cost as its store grows.
        let history = try storeGrowth(options, fixture: fixture, lane0: lanes[0], seconds: seconds, sink: &sink)

        var lines = [
            "## spoc: RequestCertificate round trips over mutual TLS on loopback, against raw CV certificate signing with the same key",
            "",
            "\(options.rounds) rounds × \(options.roundSeconds) s per side; per round `openssl speed \(options.clock == .wall ? "-elapsed " : "")ecdsabrp256r1`, "
                + "`CVCertificateBuilder.certify` with B's CVCA key (brainpoolP256r1, ECDSA-SHA-256) on 1 and \(cores) threads, then A's `SPOCClient.call(.requestCertificate)` "
                + "to B with \(inFlight.map(String.init).joined(separator: ", ")) request(s) in flight (a new mutual-TLS connection per message; synchronous issuance). "
                + "Ratios are medians of the per-round ratios; the rates shown are the best rounds.",
            "",
            "| Measurement | epki /s | Raw /s | Ratio (median of rounds) | Per-round ratios |",
            "|---|---:|---:|---:|---:|",
        ]
        for row in rows {
            lines.append("| \(row.operation) | \(format(row.bestEPKI)) | \(format(row.bestOpenSSL ?? 0)) | \(String(format: "%.3f", row.medianRatio ?? 0)) | "
                         + "\(row.ratioRange.map { String(format: "%.3f–%.3f", $0.0, $0.1) } ?? "—") |")
        }
        lines += [""] + notes.map { "* " + $0 } + [""] + parts + [""] + history
        return lines.joined(separator: "\n")
    }

    /// For profilers (`perf record`): the fixture, then only round trips, `inFlight` at a time, for `seconds`.
    static func profileLoop(seconds: Double, inFlight: Int) throws {
        let fixture = try Fixture(keep: false)
        defer { fixture.stop() }
        let lanes = (0..<inFlight).map { Lane("PRF\($0)") }
        try fixture.check(lanes[0])
        // About 60 round trips/s at most today; the lanes stop early if they run dry.
        try stock(lanes, Int(seconds * 80 / Double(inFlight)) + 20, maker: fixture.maker)
        log("profile spoc: round trips, \(inFlight) in flight, for \(seconds) s")
        let trips = try roundTrips(fixture.client, lanes: lanes, seconds: seconds)
        log(String(format: "profile spoc: %d round trips in %.1f s: %.1f/s wall, %.0f µs of process CPU each%@", trips.timing.calls, trips.timing.wall,
                   trips.timing.perSecond, trips.timing.cpuMicros, trips.ranDry ? " (a lane ran dry)" : ""))
    }

    // MARK: - Parts

    /// Each part of a round trip timed alone, µs per call (wall and CPU), nested as they nest.
    static func partsOfARoundTrip(
        a: Country, b: Country, client: SPOCClient, maker: RequestMaker, bCVCA: CountryVerifyingCA.Key, aCVCA: CountryVerifyingCA.Key,
        bSigner: any Signer, certify: @escaping @Sendable () throws -> Int, seconds: Double, sink: inout Int
    ) throws -> [String] {
        let issued = try b.issuedDVs()
        log("  parts of a round trip, up to \(Int(seconds)) s each, B's CVCA at \(issued) issued DV certificates")
        var rows: [(String, Timing, String)] = []
        func part(_ name: String, _ timing: Timing, _ clock: String) {
            rows.append((name, timing, clock))
            log(String(format: "    %@: %.1f µs wall, %.1f µs CPU (%d calls)", name, timing.wallMicros, timing.cpuMicros, timing.calls))
        }

        // Requests for the parts that issue: a lane each of `issuing` requests, so that the store grows little while
        // the parts are timed (each such part stops when its lane runs dry, or at its time).
        let issuing = 60
        let signLane = Lane("DVS"), wiringLane = Lane("DVW"), handleLane = Lane("DVH"), tripLane = Lane("DVT")
        try stock([signLane, wiringLane, handleLane, tripLane], issuing, maker: maker)
        func issuingPart(_ name: String, _ body: () throws -> Timing) throws {
            let before = try b.issuedDVs()
            let timing = try body()
            part("\(name) [\(before)–\(try b.issuedDVs()) issued]", timing, "thread")
        }

        // The whole round trip, 1 in flight, for the sum below.
        let tripsBefore = try b.issuedDVs()
        let whole = try roundTrips(client, lanes: [tripLane], seconds: seconds)
        part("The whole round trip, 1 in flight (`SPOCClient.call`) [\(tripsBefore)–\(try b.issuedDVs()) issued]", whole.timing, "process")

        // The XML, both ends.
        let sample = try maker.make(mnemonic: "XML", sequence: 1)
        let requestMessage = SPOCRequest.requestCertificate(callerID: callerCountry, messageID: SinglePointOfContact.newMessageID(country: callerCountry),
                                                            certificateRequest: sample)
        let requestXML = SPOCMessageCodec.encode(requestMessage, namespace: .icao)
        guard try SPOCMessageCodec.decodeRequest(requestXML).syntaxProblems.isEmpty else { throw UsageError("the sample request does not read back") }
        let dvBytes = b.wiring.certify(try maker.make(mnemonic: "XMLDV", sequence: 1), callerID: callerCountry).certificates
        guard dvBytes.count == 2 else { throw UsageError("the parts' sample DV certificate was not issued") }
        let response = SPOCResponse(.requestCertificate, result: .okCertAvailable, certificates: dvBytes)
        let responseXML = SPOCMessageCodec.encode(response, namespace: .icao, version: .soap11)
        part("A: `SPOCMessageCodec.encode` of the request (\(requestXML.count) B)", try timeSync(seconds: seconds, sink: &sink) {
            SPOCMessageCodec.encode(requestMessage, namespace: .icao).count
        }, "thread")

        // The connection: TLS both ends, HTTP, Hummingbird's routing, nothing of the SPOC's checks.
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        tlsConfiguration.certificateChain = [.certificate(try NIOSSLCertificate(bytes: a.pki.client.certificate.derEncoded, format: .der))]
        tlsConfiguration.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: try a.pki.client.key.plainPKCS8ForSealing(), format: .der))
        tlsConfiguration.minimumTLSVersion = .tlsv12
        tlsConfiguration.certificateVerification = .noHostnameVerification
        let bare = HTTPExchange.TLS(configuration: tlsConfiguration) { _ in nil }
        for host in ["localhost", "127.0.0.1"] {
            let url = URL(string: "https://\(host):\(b.port)/health")!
            part("A ⇄ B: new mutual-TLS connection, GET /health, close (`HTTPExchange.send` to \(host), no certificate checks)", try timeAsync(seconds: seconds) {
                let answer = try await HTTPExchange.send(.GET, url: url, tls: bare)
                guard answer.status == 200 else { throw UsageError("GET /health answered \(answer.status)") }
                return answer.body.count
            }, "process")
        }
        part("… of which `NIOSSLContext(configuration:)`: `HTTPExchange.send` makes one for every message, loading the system's trust roots", try timeSync(seconds: seconds, sink: &sink) {
            _ = try NIOSSLContext(configuration: tlsConfiguration)
            return 1
        }, "thread")
        // The same connection with an empty trust store: the SPOC decides on the peer's chain in its own callback, so
        // BoringSSL's roots are never consulted. Not what the SPOC does today; what it could do.
        var emptyRoots = tlsConfiguration
        emptyRoots.trustRoots = .certificates([])
        let bareEmpty = HTTPExchange.TLS(configuration: emptyRoots) { _ in nil }
        let localhost = URL(string: "https://localhost:\(b.port)/health")!
        part("… the same connection with `trustRoots = .certificates([])` (not what `SPOCTLSMaterial` sets)", try timeAsync(seconds: seconds) {
            let answer = try await HTTPExchange.send(.GET, url: localhost, tls: bareEmpty)
            guard answer.status == 200 else { throw UsageError("GET /health answered \(answer.status)") }
            return answer.body.count
        }, "process")

        // The certificate checks: the client's of B's server certificate, once per connection; the server's of A's
        // client certificate, once per message (with the registry read that goes with it).
        let aAuthenticator = a.authenticator, bAuthenticator = b.authenticator
        let serverLeaf = b.pki.server.certificate.derEncoded, clientLeaf = a.pki.client.certificate.derEncoded
        let bAtA = try a.spoc.peer(serverCountry), aAtB = try b.spoc.peer(callerCountry)
        part("A: `SPOCPeerAuthenticator.authenticate` of B's server certificate (chain, EKU, SAN, cached CRL)", try timeAsync(seconds: seconds) {
            try await aAuthenticator.authenticate(serverLeaf, as: .server, country: serverCountry, peer: bAtA, host: "localhost")
            return 1
        }, "process")
        part("B: `SinglePointOfContact.peer` (a store read; per message A's client makes one, B's server two)", try timeSync(seconds: seconds, sink: &sink) {
            try b.spoc.peer(callerCountry)?.root.count ?? 0
        }, "thread")
        part("B: `SPOCPeerAuthenticator.authenticate` of A's client certificate", try timeAsync(seconds: seconds) {
            try await bAuthenticator.authenticate(clientLeaf, as: .client, country: callerCountry, peer: aAtB)
            return 1
        }, "process")
        part("B: `SPOCMessageCodec.decodeRequest`", try timeSync(seconds: seconds, sink: &sink) {
            try SPOCMessageCodec.decodeRequest(requestXML).request.messageID?.count ?? 0
        }, "thread")

        // B's SPOC and CVCA, outermost first; each consumes fresh requests.
        let handleRequests = try decodedRequests(handleLane)
        var handled = 0
        try issuingPart("B: `SinglePointOfContact.handle` (+ the inbound record and the log entry: two store transactions)") {
            try timeSync(seconds: seconds, sink: &sink) {
                guard handled < handleRequests.count else { return nil }
                handled += 1
                let answer = try b.spoc.handle(handleRequests[handled - 1], authority: b.wiring, documentVerifier: b.wiring)
                guard answer.result == .okCertAvailable else { throw UsageError("handle answered \(answer.result)") }
                return answer.certificates.count
            }
        }
        try issuingPart("… `SPOCWiring.certify` (+ the answer: every issued certificate read and decoded for the CVCA path)") {
            try timeSync(seconds: seconds, sink: &sink) {
                guard let bytes = wiringLane.take() else { return nil }
                let decision = b.wiring.certify(bytes, callerID: callerCountry)
                guard decision.result == .okCertAvailable else { throw UsageError("certify answered \(decision.result): \(decision.detail)") }
                return decision.certificates.count
            }
        }
        try issuingPart("… … `CountryVerifyingCA.signRequest` (the CVCA's checks, the issuance's store transaction)") {
            try timeSync(seconds: seconds, sink: &sink) {
                guard let bytes = signLane.take() else { return nil }
                return try b.cvca.signRequest(bytes).certificate.signature.count
            }
        }

        // The pieces of signRequest.
        let store = b.store
        try store.write { db in try db.execute(sql: "CREATE TABLE IF NOT EXISTS bench_probe (id INTEGER PRIMARY KEY, at REAL NOT NULL, note TEXT NOT NULL)") }
        // What signRequest reads before it checks anything, written out here with the same queries: the domain's CVCA
        // certificates, then every DV certificate it issued, each decoded and added to a CVCertificatePool.
        func issuedDVCertificates() throws -> [CVCertificate] {
            try store.read { db in
                try Store.Row.fetchAll(db, sql: "SELECT der FROM cvca_certificate WHERE domain = ? AND source = 'issued' AND kind = 'dv' ORDER BY id",
                                      arguments: [domain]).map { row in
                    let der: Data = row["der"]
                    return try CVCertificate(encoded: Array(der))
                }
            }
        }
        let known = [bCVCA.certificate, aCVCA.certificate]
        try issuingPart("… … … its reads, written out here: every DV certificate it issued, read, decoded, and added to a `CVCertificatePool` one `add` at a time") {
            try timeSync(seconds: seconds, sink: &sink) {
                var pool = CVCertificatePool(known)
                for certificate in try issuedDVCertificates() { pool.add(certificate) }
                return pool.certificates.count
            }
        }
        let issuedNow = try issuedDVCertificates()
        try issuingPart("… … … … of which the `add`s alone (each one a linear `contains` over the pool)") {
            try timeSync(seconds: seconds, sink: &sink) {
                var pool = CVCertificatePool(known)
                for certificate in issuedNow { pool.add(certificate) }
                return pool.certificates.count
            }
        }
        let requestSample = try CVCertificateRequest(encoded: sample)
        let aKey = aCVCA.certificate.publicKey
        let parameters = aCVCA.certificate.publicKey.domainParameters
        part("… … … the request's inner and outer signatures verified", try timeSync(seconds: seconds, sink: &sink) {
            guard try requestSample.isInnerSignatureValid(), try requestSample.isOuterSignatureValid(key: aKey, inheriting: parameters) else {
                throw UsageError("the sample request's signatures do not verify")
            }
            return 2
        }, "thread")
        part("… … … `CVCertificateBuilder.certify` with B's CVCA key (the raw CV certificate signing)", try timeSync(seconds: seconds, sink: &sink) {
            try certify()
        }, "thread")
        let body = try CVCertificate(encoded: dvBytes[0]).body.encoded
        part("… … … … one `CVSigning.sign` (brainpoolP256r1 ECDSA-SHA-256, plain r‖s)", try timeSync(seconds: seconds, sink: &sink) {
            try CVSigning.sign(body, with: bSigner, algorithm: .ecdsaSHA256).count
        }, "thread")
        part("… … … one store transaction (an INSERT and COMMIT: WAL, synchronous = FULL)", try timeSync(seconds: seconds, sink: &sink) {
            try store.write { db in
                try db.execute(sql: "INSERT INTO bench_probe (at, note) VALUES (?, ?)", arguments: [Date().timeIntervalSince1970, "spoc benchmark probe"])
                return 1
            }
        }, "thread")
        try issuingPart("… … the answer's read: `CountryVerifyingCA.certificates(source: .issued)` (every issued certificate decoded, to keep the CVCA ones)") {
            try timeSync(seconds: seconds, sink: &sink) { try b.cvca.certificates(source: .issued).count }
        }
        part("B: `SPOCMessageCodec.encode` of the answer (\(responseXML.count) B)", try timeSync(seconds: seconds, sink: &sink) {
            SPOCMessageCodec.encode(response, namespace: .icao, version: .soap11).count
        }, "thread")
        part("A: `SPOCMessageCodec.decodeResponse`", try timeSync(seconds: seconds, sink: &sink) {
            try SPOCMessageCodec.decodeResponse(responseXML, operation: .requestCertificate).certificates.count
        }, "thread")

        // The sum of the top-level parts of one round trip against the round trip itself.
        func micros(_ prefix: String) -> (Double, Double) {
            let match = rows.first { $0.0.hasPrefix(prefix) }
            return (match?.1.wallMicros ?? 0, match?.1.cpuMicros ?? 0)
        }
        let pieces: [(String, Double)] = [
            ("A: `SPOCMessageCodec.encode`", 1), ("A ⇄ B: new mutual-TLS connection, GET /health, close (`HTTPExchange.send` to localhost", 1),
            ("A: `SPOCPeerAuthenticator", 1), ("B: `SinglePointOfContact.peer`", 3), ("B: `SPOCPeerAuthenticator", 1),
            ("B: `SPOCMessageCodec.decodeRequest`", 1), ("B: `SinglePointOfContact.handle`", 1), ("B: `SPOCMessageCodec.encode`", 1),
            ("A: `SPOCMessageCodec.decodeResponse`", 1), ("… … … one store transaction", 1),
        ]
        var sumWall = 0.0, sumCPU = 0.0
        for (prefix, times) in pieces {
            let (wall, cpu) = micros(prefix)
            sumWall += wall * times
            sumCPU += cpu * times
        }

        var lines = [
            "Parts of a round trip, each timed alone for up to \(Int(seconds)) s from \(issued) DV certificates issued by B's CVCA (the parts that issue "
                + "certificates run through \(issuing) prepared requests each, and say how many DV certificates B's CVCA had issued before and after them). "
                + "µs per call; CPU: the measuring thread's, or the whole process's for the parts that run on the event loops:",
            "",
            "| Part | wall µs | CPU µs | CPU of |",
            "|---|---:|---:|---|",
        ]
        for (name, timing, clock) in rows {
            lines.append(String(format: "| %@ | %.1f | %.1f | %@ |", name, timing.wallMicros, timing.cpuMicros, clock))
        }
        lines.append(String(format: "| Sum of the round trip's parts (the encodings, the connection to localhost, both certificate checks, three registry reads, `handle`, "
                                + "and one more store transaction for A's log entry) | %.1f | %.1f | |", sumWall, sumCPU))
        lines.append(String(format: "| The round trip less that sum (the request and answer on the wire, the client's pipeline, scheduling) | %.1f | %.1f | |",
                            whole.timing.wallMicros - sumWall, whole.timing.cpuMicros - sumCPU))
        return lines
    }

    // MARK: - Store growth

    /// The CVCA's parts and the round trip again after DV certificates are added to B's store as if B's CVCA had
    /// issued them before: distinct certificates (CHR CZHIST<n>, one requested key, signed with B's CVCA key), inserted
    /// as `signRequest` inserts its own, so that every structure the CVCA builds from them is as large as it would be.
    static func storeGrowth(_ options: Options, fixture: Fixture, lane0: Lane, seconds: Double, sink: inout Int) throws -> [String] {
        guard !options.spocHistory.isEmpty else { return [] }
        let b = fixture.b, maker = fixture.maker, bCVCA = fixture.bCVCA
        var client = fixture.client
        client.timeout = 3_600  // a round trip outlasts the default 30 s once the store is large enough
        let bSigner = try b.keys.signer(for: bCVCA.keyReference)
        let dvKey = try CVCertificateRequest(encoded: try maker.make(mnemonic: "HISTKEY", sequence: 1)).publicKey
        let today = try CVDate(Date())
        let expiration = try today.adding(months: 3)
        var lines = [
            "B's CVCA as its store grows: distinct DV certificates under B's CVCA added to its store as issued ones (CHR CZHIST…, signed with its key), "
                + "then each call timed again, 1 in flight (µs per call, wall; CPU in brackets):",
            "",
            "| DV certificates issued by B's CVCA | `signRequest` µs | `SPOCWiring.certify` µs | `SinglePointOfContact.handle` µs | round trip µs | round trips/s |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        var levels = [try b.issuedDVs()] + options.spocHistory
        levels = levels.enumerated().filter { $0.offset == 0 || $0.element > levels[0] }.map(\.element)
        var added = 0
        for (index, level) in levels.enumerated() {
            if index > 0 {
                let missing = max(0, level - (try b.issuedDVs()))
                guard added + missing < 100_000 else { throw UsageError("--spoc-history: at most 99,999 certificates added") }
                log("  making \(missing) DV certificates under B's CVCA and adding them to its store (to \(level))")
                let cores = ProcessInfo.processInfo.activeProcessorCount
                let made = Slots<Result<[(String, [UInt8])], any Error>>(cores)
                let first = added + 1
                DispatchQueue.concurrentPerform(iterations: cores) { part in
                    made.set(part, Result {
                        try stride(from: first + part, to: first + missing, by: cores).map { number in
                            let chr = try CertificationAuthorityReference(countryCode: callerCountry, holderMnemonic: "HIST",
                                                                          sequenceNumber: String(format: "%05d", number))
                            let certificate = try CVCertificateBuilder.documentVerifier(
                                publicKey: dvKey, chr: chr, role: .foreignDV, rights: [0x03], effectiveDate: today, expirationDate: expiration,
                                issuer: bCVCA.certificate, issuerSigner: bSigner)
                            return (certificate.chr, try certificate.encoded)
                        }
                    })
                }
                let certificates = try made.all.flatMap { try $0!.get() }  // every part sets its slot
                added += missing
                try b.store.write { db in
                    guard let template = try Int64.fetchOne(db, sql: "SELECT id FROM cvca_certificate WHERE domain = ? AND source = 'issued' AND kind = 'dv' ORDER BY id LIMIT 1",
                                                            arguments: [domain]) else {
                        throw UsageError("B's store has no issued DV certificate to take the columns from")
                    }
                    let statement = try db.makeStatement(sql: """
                        INSERT INTO cvca_certificate (domain, source, issuer, kind, chr, car, role, chat, effective, expiration, der, request_id, recorded_at)
                        SELECT domain, source, issuer, kind, ?, car, role, chat, effective, expiration, ?, NULL, recorded_at FROM cvca_certificate WHERE id = ?
                        """)
                    for (chr, der) in certificates {
                        try statement.execute(arguments: [chr, Data(der), template])
                    }
                }
            }
            let actual = try b.issuedDVs()
            let s = Lane("GS\(index)"), w = Lane("GW\(index)"), h = Lane("GH\(index)")
            try stock([s, w, h], 40, maker: maker)
            try stock([lane0], 40, maker: maker)
            log("  B's CVCA at \(actual) issued DV certificates: signRequest, certify, handle, round trips")
            let sign = try timeSync(seconds: seconds, warmup: 0, sink: &sink) {
                guard let bytes = s.take() else { return nil }
                return try b.cvca.signRequest(bytes).certificate.signature.count
            }
            let certify = try timeSync(seconds: seconds, warmup: 0, sink: &sink) {
                guard let bytes = w.take() else { return nil }
                let decision = b.wiring.certify(bytes, callerID: callerCountry)
                guard decision.result == .okCertAvailable else { throw UsageError("certify answered \(decision.result): \(decision.detail)") }
                return decision.certificates.count
            }
            let requests = try decodedRequests(h)
            var handled = 0
            let handle = try timeSync(seconds: seconds, warmup: 0, sink: &sink) {
                guard handled < requests.count else { return nil }
                handled += 1
                let answer = try b.spoc.handle(requests[handled - 1], authority: b.wiring, documentVerifier: b.wiring)
                guard answer.result == .okCertAvailable else { throw UsageError("handle answered \(answer.result)") }
                return answer.certificates.count
            }
            let trips = try roundTrips(client, lanes: [lane0], seconds: seconds)
            func cell(_ timing: Timing) -> String { String(format: "%.0f (%.0f)", timing.wallMicros, timing.cpuMicros) }
            lines.append("| \(actual) | \(cell(sign)) | \(cell(certify)) | \(cell(handle)) | \(cell(trips.timing)) | \(format(trips.timing.perSecond)) |")
            log(String(format: "    signRequest %.0f µs, certify %.0f µs, handle %.0f µs, round trip %.0f µs (%d calls)", sign.wallMicros, certify.wallMicros,
                       handle.wallMicros, trips.timing.wallMicros, trips.timing.calls))
        }
        return lines
    }

    // MARK: - Helpers

    /// The lane's prepared requests as B's server reads them, decoded before any timing (new messageIDs).
    static func decodedRequests(_ lane: Lane) throws -> [SPOCMessageCodec.DecodedRequest] {
        var requests: [SPOCMessageCodec.DecodedRequest] = []
        while let bytes = lane.take() {
            requests.append(try SPOCMessageCodec.decodeRequest(SPOCMessageCodec.encode(
                .requestCertificate(callerID: callerCountry, messageID: SinglePointOfContact.newMessageID(country: callerCountry), certificateRequest: bytes),
                namespace: .icao)))
        }
        return requests
    }

    /// A free TCP port on 127.0.0.1 (bound, read, released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw UsageError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw UsageError("bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        guard named == 0 else { throw UsageError("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

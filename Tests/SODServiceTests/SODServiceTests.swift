import Foundation
import LDS
import PKICore
import SODService
import Store
import Testing
import TestSupport

/// The SOD signing service in process on 127.0.0.1, with curl and openssl on the line's side: tools that share no
/// code with epki.
@Suite(.serialized) struct SODServiceTests {
    /// A certificate nobody registered is refused during the TLS handshake: curl gets no HTTP answer at all, and
    /// `openssl s_client` sees the handshake end in an alert. A registered one is answered.
    @Test func anUnregisteredClientCertificateIsRefusedAtTheHandshake() async throws {
        let fixture = try SODServiceFixture()
        defer { fixture.cleanUp() }
        try fixture.lines.add(name: "line-1", certificate: try fixture.line("line-1"), quota: nil)
        try fixture.line("stranger")
        let service = try fixture.service()
        try await fixture.serving(service) { port in
            let refused = try await fixture.post(SODServiceFixture.request(hashes: try SODServiceFixture.hashes([1, 2])), port: port, line: "stranger")
            #expect(refused.curl.status != 0 && refused.status == 0, "an unregistered line was answered: \(refused.status) \(refused.curl.output)")
            #expect(refused.body.isEmpty)

            // TLS 1.2 decides on the client certificate before the server's Finished; s_client reports the alert.
            let handshake = try await SODServiceFixture.blocking {
                try TestSupport.run("openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_2", "-CAfile", "tls-ca.pem",
                                                "-cert", "stranger.pem", "-key", "stranger.key", "-verify_return_error"],
                                    currentDirectory: fixture.directory)
            }
            #expect(handshake.status != 0, "\(handshake.output)")
            // Alert 46 (certificate_unknown) is what the service's verification callback answers with.
            #expect(handshake.stderr.contains("alert certificate unknown"), "\(handshake.output)")

            // No certificate at all is refused as well; the registered line gets its answer.
            let anonymous = try await SODServiceFixture.curl(["-sS", "--max-time", "60", "--cacert", "tls-ca.pem", "https://127.0.0.1:\(port)/health"],
                                                             in: fixture.directory)
            #expect(anonymous.status != 0, "\(anonymous.output)")
            let health = try await fixture.get("/health", port: port, line: "line-1")
            #expect(health.stdout.contains("\"status\":\"ok\""), "\(health.output)")
            let metrics = try await fixture.get("/metrics", port: port, line: "line-1")
            #expect(metrics.stdout.contains("sod_refusals_total{code=\"handshakeRefused\"}"), "\(metrics.stdout)")
        }
    }

    /// A registered line gets EF.SOD that `openssl cms -verify` accepts against the CSCA, whose security object holds
    /// exactly the hashes sent, as DER and as JSON; every signature has its audit entry.
    @Test(arguments: [("1.7", "sha256"), ("1.8", "sha384"), ("1.7", "sha512")])
    func aRegisteredLineGetsAnSODThatOpenSSLVerifies(_ ldsVersion: String, _ hashName: String) async throws {
        let fixture = try SODServiceFixture()
        defer { fixture.cleanUp() }
        try fixture.lines.add(name: "line-1", certificate: try fixture.line("line-1"), quota: nil)
        let service = try fixture.service()
        let hash = try #require(HashAlgorithm(rawValue: hashName))
        let sent = try SODServiceFixture.hashes([1, 2, 3, 14, 15], hash: hash, seed: ldsVersion)
        try await fixture.serving(service) { port in
            let answer = try await fixture.post(SODServiceFixture.request(ldsVersion: ldsVersion, hash: hashName, hashes: sent), port: port, line: "line-1")
            #expect(answer.status == 200, "\(answer.text) \(answer.curl.output)")
            #expect(answer.headers.lowercased().contains("content-type: application/octet-stream"), "\(answer.headers)")
            #expect(answer.body.first == 0x77)

            let body = answer.body
            let (verified, content) = try await SODServiceFixture.blocking {
                try SODServiceFixture.opensslVerify(sod: body, in: fixture.directory, at: SODServiceFixture.now)
            }
            #expect(verified.stderr.contains("Verification successful"), "\(verified.output)")
            let object = try LDSSecurityObject(bytes: content)
            #expect(object.hash == hash)
            #expect(object.dataGroupNumbers.sorted() == sent.keys.sorted())
            for (number, value) in sent { #expect(object.hashValue(for: number) == value, "DG\(number)") }
            #expect(object.version == (ldsVersion == "1.8" ? 1 : 0))
            #expect(object.ldsVersionInfo?.ldsVersion == (ldsVersion == "1.8" ? "0108" : nil))
            let sod = try EFSOD(bytes: answer.body)
            #expect(sod.documentSignerCertificate == fixture.documentSigner)
            #expect(sod.signingTime == SODServiceFixture.now)

            // The same request with Accept: application/json: the SOD in base64 and its record.
            let json = try await fixture.post(SODServiceFixture.request(documentNumber: "X00000017", ldsVersion: ldsVersion, hash: hashName, hashes: sent),
                                              port: port, line: "line-1", accept: "application/json")
            #expect(json.status == 200, "\(json.text)")
            let object2 = try #require(json.json)
            let bytes = try #require((object2["sod"] as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init))
            #expect(object2["documentNumber"] as? String == "X00000017")
            #expect(object2["sodSHA256"] as? String == SODServiceFixture.hex(try HashAlgorithm.sha256.hash(bytes)))
            #expect(try EFSOD(bytes: bytes).securityObject.dataGroupNumbers.sorted() == sent.keys.sorted())

            // The audit trail: one sod.sign per SOD handed out, naming line, document number, DS and SOD digest.
            let entries = try fixture.store.auditEntries(domain: SigningLines.defaultDomain).filter { $0.action == "sod.sign" }
            #expect(entries.map(\.subject) == ["L898902C3", "X00000017"])
            #expect(entries.allSatisfy { $0.actor == "line:line-1" && $0.details["line"] == "line-1" })
            #expect(entries[0].details["sodSHA256"] == SODServiceFixture.hex(try HashAlgorithm.sha256.hash(answer.body)))
            #expect(entries[0].details["documentSigner"] == SODServiceFixture.hex(try HashAlgorithm.sha256.hash(fixture.documentSigner.derEncoded)))
            #expect(entries[0].details["dataGroups"] == "1,2,3,14,15")
            #expect(answer.headers.contains("X-Audit-Sequence: \(entries[0].sequence)") || answer.headers.lowercased().contains("x-audit-sequence: \(entries[0].sequence)"),
                    "\(answer.headers)")
            #expect(try fixture.store.verifyAudit(domain: SigningLines.defaultDomain).isIntact)
        }
    }

    /// Bad requests are 400 with a typed error naming the field; nothing is signed or recorded for them.
    @Test func badRequestsNameTheirField() async throws {
        let fixture = try SODServiceFixture()
        defer { fixture.cleanUp() }
        try fixture.lines.add(name: "line-1", certificate: try fixture.line("line-1"), quota: nil)
        let service = try fixture.service()
        let good = try SODServiceFixture.hashes([1, 2])
        var short = good
        short[2] = Array(good[2]!.dropLast())
        let cases: [(String, String)] = [
            (SODServiceFixture.request(hashes: short), "dataGroupHashes.2"),
            (SODServiceFixture.request(hash: "sha384", hashes: good), "dataGroupHashes.1"),
            (SODServiceFixture.request(hashes: good.merging([17: good[1]!]) { $1 }), "dataGroupHashes.17"),
            (SODServiceFixture.request(hashes: good.merging([0: good[1]!]) { $1 }), "dataGroupHashes.0"),
            (SODServiceFixture.request(hashes: [1: good[1]!]), "dataGroupHashes.2"),
            (SODServiceFixture.request(documentNumber: "l898902c3", hashes: good), "documentNumber"),
            (SODServiceFixture.request(documentNumber: "L898<902C3", hashes: good), "documentNumber"),
            (SODServiceFixture.request(documentNumber: "", hashes: good), "documentNumber"),
            (SODServiceFixture.request(documentNumber: String(repeating: "A", count: 23), hashes: good), "documentNumber"),
            (SODServiceFixture.request(ldsVersion: "1.9", hashes: good), "ldsVersion"),
            (SODServiceFixture.request(hash: "sha1", hashes: good), "hashAlgorithm"),
            (SODServiceFixture.request(hashes: good, extra: ", \"unicodeVersion\": \"4.0.0\""), "unicodeVersion"),
            (SODServiceFixture.request(hashes: good, extra: ", \"holder\": \"Anna\""), "holder"),
            (SODServiceFixture.request(hashes: good, extra: ", \"hashEncoding\": \"base32\""), "hashEncoding"),
            ("{\"documentNumber\": \"L898902C3\", \"ldsVersion\": \"1.7\", \"hashAlgorithm\": \"sha256\", \"dataGroupHashes\": {\"1\": \"zz\", \"2\": \"00\"}}",
             "dataGroupHashes.1"),
            ("{\"ldsVersion\": \"1.7\", \"hashAlgorithm\": \"sha256\", \"dataGroupHashes\": {}}", "documentNumber"),
        ]
        try await fixture.serving(service) { port in
            for (body, field) in cases {
                let answer = try await fixture.post(body, port: port, line: "line-1")
                #expect(answer.status == 400, "\(field): \(answer.status) \(answer.text)")
                #expect(answer.error?["code"] as? String == "badRequest", "\(answer.text)")
                #expect(answer.error?["field"] as? String == field, "\(body) → \(answer.text)")
                #expect((answer.error?["message"] as? String)?.hasPrefix(field) == true, "\(answer.text)")
            }
            let notJSON = try await fixture.post("documentNumber=L898902C3", port: port, line: "line-1")
            #expect(notJSON.status == 400 && notJSON.error?["code"] as? String == "badRequest", "\(notJSON.text)")
            // Base64, when the request says so, is taken.
            let base64 = "{\"documentNumber\": \"L898902C3\", \"ldsVersion\": \"1.7\", \"hashAlgorithm\": \"sha256\", \"hashEncoding\": \"base64\", "
                + "\"dataGroupHashes\": {\"DG1\": \"\(Data(good[1]!).base64EncodedString())\", \"DG2\": \"\(Data(good[2]!).base64EncodedString())\"}}"
            let taken = try await fixture.post(base64, port: port, line: "line-1")
            #expect(taken.status == 200, "\(taken.text)")
            #expect(try EFSOD(bytes: taken.body).securityObject.hashValue(for: 2) == good[2])
        }
        #expect(try fixture.store.auditEntries(domain: SigningLines.defaultDomain).filter { $0.action == "sod.sign" }.count == 1)
    }

    /// A line over its quota gets 429 with Retry-After; other lines are not affected; the trail holds only the SODs
    /// handed out.
    @Test func aLineOverItsQuotaGets429() async throws {
        let fixture = try SODServiceFixture()
        defer { fixture.cleanUp() }
        try fixture.lines.add(name: "line-1", certificate: try fixture.line("line-1"), quota: try LineQuota(parsing: "2/minute"))
        try fixture.lines.add(name: "line-2", certificate: try fixture.line("line-2"), quota: try LineQuota(parsing: "100/day"))
        let service = try fixture.service()
        try await fixture.serving(service) { port in
            for number in 1...2 {
                let answer = try await fixture.post(SODServiceFixture.request(documentNumber: "Q\(number)", hashes: try SODServiceFixture.hashes([1, 2])),
                                                    port: port, line: "line-1")
                #expect(answer.status == 200, "\(answer.text)")
            }
            let over = try await fixture.post(SODServiceFixture.request(documentNumber: "Q3", hashes: try SODServiceFixture.hashes([1, 2])),
                                              port: port, line: "line-1")
            #expect(over.status == 429, "\(over.text)")
            #expect(over.error?["code"] as? String == "quotaExceeded")
            #expect(over.headers.lowercased().contains("retry-after:"), "\(over.headers)")
            let other = try await fixture.post(SODServiceFixture.request(documentNumber: "Q4", hashes: try SODServiceFixture.hashes([1, 2])),
                                               port: port, line: "line-2")
            #expect(other.status == 200, "\(other.text)")
        }
        let signed = try fixture.store.auditEntries(domain: SigningLines.defaultDomain).filter { $0.action == "sod.sign" }
        #expect(signed.map(\.subject) == ["Q1", "Q2", "Q4"])
        let lines = try fixture.lines.lines()
        #expect(try lines.map { try fixture.lines.usage(of: $0) } == [2, 1])
    }

    /// The store's count is the authority: a second service on the same store (another node) that has not seen the
    /// first one's signatures still refuses past the quota, when it records the batch.
    @Test func theQuotaHoldsAcrossNodesSharingTheStore() async throws {
        let fixture = try SODServiceFixture()
        defer { fixture.cleanUp() }
        try fixture.lines.add(name: "line-1", certificate: try fixture.line("line-1"), quota: try LineQuota(parsing: "3/day"))
        let first = try fixture.service()
        let second = try fixture.service()
        try await fixture.serving(second) { secondPort in
            // The second node learns the window's count (0) before the first signs anything.
            let early = try await fixture.post(SODServiceFixture.request(documentNumber: "N1", hashes: try SODServiceFixture.hashes([1, 2])),
                                               port: secondPort, line: "line-1")
            #expect(early.status == 200, "\(early.text)")
            try await fixture.serving(first) { firstPort in
                for number in 2...3 {
                    let answer = try await fixture.post(SODServiceFixture.request(documentNumber: "N\(number)", hashes: try SODServiceFixture.hashes([1, 2])),
                                                        port: firstPort, line: "line-1")
                    #expect(answer.status == 200, "\(answer.text)")
                }
            }
            let late = try await fixture.post(SODServiceFixture.request(documentNumber: "N4", hashes: try SODServiceFixture.hashes([1, 2])),
                                              port: secondPort, line: "line-1")
            #expect(late.status == 429, "\(late.text)")
        }
        #expect(try fixture.store.auditEntries(domain: SigningLines.defaultDomain).filter { $0.action == "sod.sign" }.map(\.subject) == ["N1", "N2", "N3"])
    }

    /// With line CAs named, a registered certificate from another issuer is refused at the handshake too; removing a
    /// line refuses its next connection.
    @Test func lineCAsAndRemovedLines() async throws {
        let fixture = try SODServiceFixture()
        defer { fixture.cleanUp() }
        try fixture.lines.add(name: "line-1", certificate: try fixture.line("line-1"), quota: nil)
        try fixture.lines.add(name: "self-made", certificate: try fixture.line("self-made", issuedByLineCA: false), quota: nil)
        let service = try fixture.service(lineCAs: [fixture.lineCA])
        try await fixture.serving(service) { port in
            let request = SODServiceFixture.request(hashes: try SODServiceFixture.hashes([1, 2]))
            #expect(try await fixture.post(request, port: port, line: "line-1").status == 200)
            let selfMade = try await fixture.post(request, port: port, line: "self-made")
            #expect(selfMade.status == 0 && selfMade.curl.status != 0, "\(selfMade.status) \(selfMade.text)")
            try fixture.lines.remove(name: "line-1")
            let removed = try await fixture.post(request, port: port, line: "line-1")
            #expect(removed.status == 0 && removed.curl.status != 0, "\(removed.status) \(removed.text)")
        }
        let actions = try fixture.store.auditEntries(domain: SigningLines.defaultDomain).map(\.action)
        #expect(actions == ["sod.line-add", "sod.line-add", "sod.sign", "sod.line-remove"])
    }

    /// A line removed while one of its connections stays open: the connection's next request, once its line was
    /// looked up longer ago than the verifier's cache lifetime (2 s), is refused with 403; the request before the
    /// removal got its SOD. openssl s_client keeps the one connection and sends both requests over it.
    @Test func aLineRemovedWhileConnectedIsRefusedOnItsOpenConnection() async throws {
        let fixture = try SODServiceFixture()
        defer { fixture.cleanUp() }
        try fixture.lines.add(name: "line-1", certificate: try fixture.line("line-1"), quota: nil)
        let service = try fixture.service()
        try await fixture.serving(service) { port in
            let body = SODServiceFixture.request(hashes: try SODServiceFixture.hashes([1, 2]))
            let request = "POST /v1/sod/sign HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
            try TestSupport.write(request, fixture.directory.appendingPathComponent("request.http"))
            let script = "(cat request.http; sleep 4; cat request.http; sleep 3) | openssl s_client -connect 127.0.0.1:\(port) -CAfile tls-ca.pem "
                + "-cert line-1.pem -key line-1.key -no_ign_eof"
            async let exchange = SODServiceFixture.blocking { try TestSupport.run("/bin/sh", ["-c", script], currentDirectory: fixture.directory) }
            await TestSupport.pause(milliseconds: 1_500)
            try fixture.lines.remove(name: "line-1")
            let output = try await exchange.stdout
            let ok = try #require(output.range(of: "HTTP/1.1 200"), "\(output)")
            let refused = try #require(output.range(of: "HTTP/1.1 403"), "\(output)")
            #expect(ok.lowerBound < refused.lowerBound)
            #expect(output[refused.lowerBound...].contains("\"code\":\"unknownLine\""), "\(output)")
        }
        let actions = try fixture.store.auditEntries(domain: SigningLines.defaultDomain).map(\.action)
        #expect(actions == ["sod.line-add", "sod.sign", "sod.line-remove"])
    }

    /// Many requests at once from several lines: every one gets its own SOD with its own hashes, the batch signer
    /// signed them in batches, and each has its audit entry.
    @Test func concurrentRequestsAreBatched() async throws {
        let fixture = try SODServiceFixture()
        defer { fixture.cleanUp() }
        for index in 1...2 { try fixture.lines.add(name: "line-\(index)", certificate: try fixture.line("line-\(index)"), quota: nil) }
        let service = try fixture.service()
        let count = 24
        try await fixture.serving(service) { port in
            try await withThrowingTaskGroup(of: (String, [Int: [UInt8]], SODServiceFixture.Answer).self) { group in
                for index in 0..<count {
                    group.addTask {
                        let number = "C\(index)"
                        let hashes = try SODServiceFixture.hashes([1, 2, 11], seed: number)
                        let answer = try await fixture.post(SODServiceFixture.request(documentNumber: number, hashes: hashes), port: port,
                                                            line: "line-\(index % 2 + 1)")
                        return (number, hashes, answer)
                    }
                }
                for try await (number, hashes, answer) in group {
                    #expect(answer.status == 200, "\(number): \(answer.text)")
                    let object = try EFSOD(bytes: answer.body).securityObject
                    for (dataGroup, value) in hashes { #expect(object.hashValue(for: dataGroup) == value, "\(number) DG\(dataGroup)") }
                }
            }
        }
        let batches = service.metrics.batches
        #expect(batches.documents == count)
        #expect(service.metrics.signatures == count)
        let entries = try fixture.store.auditEntries(domain: SigningLines.defaultDomain).filter { $0.action == "sod.sign" }
        #expect(Set(entries.map(\.subject)) == Set((0..<count).map { "C\($0)" }))
        #expect(try fixture.store.verifyAudit(domain: SigningLines.defaultDomain).isIntact)
    }

    /// The OpenAPI document describes exactly the routes the router serves.
    @Test func theOpenAPIDocumentMatchesTheRoutes() async throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        #expect(document["openapi"] as? String == "3.0.3")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented: Set<String> = []
        for (path, operations) in paths {
            for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
        }
        #expect(documented == Set(SODSigningService.routes.map { "\($0.method) \($0.path)" }))
    }

    /// Registration refuses a second line with the same certificate or name, and an expired certificate; quotas parse.
    @Test func registrationRefusals() throws {
        let fixture = try SODServiceFixture()
        defer { fixture.cleanUp() }
        let certificate = try fixture.line("line-1")
        try fixture.lines.add(name: "line-1", certificate: certificate, quota: nil)
        expectError(SODServiceError(.lineExists, "is already registered as line 'line-1'")) { try fixture.lines.add(name: "line-2", certificate: certificate, quota: nil) }
        expectError(SODServiceError(.lineExists, "a line named 'line-1' is already registered")) { try fixture.lines.add(name: "line-1", certificate: try fixture.line("line-1b"), quota: nil) }
        expectError(SODServiceError(.invalidInput, "line name 'line 3'")) { try fixture.lines.add(name: "line 3", certificate: try fixture.line("line-3"), quota: nil) }
        let later = SigningLines(store: fixture.store, clock: FixedClock(SODServiceFixture.now.addingTimeInterval(400 * SODServiceFixture.day)))
        expectError(SODServiceError(.invalidInput, "expired on")) { try later.add(name: "line-4", certificate: try fixture.line("line-4"), quota: nil) }
        expectError(SODServiceError(.notFound, "no line named 'nobody'")) { try fixture.lines.remove(name: "nobody") }
        #expect(try LineQuota(parsing: "5000/day") == LineQuota(limit: 5000, period: .day))
        #expect(try LineQuota(parsing: "60/min") == LineQuota(limit: 60, period: .minute))
        for bad in ["5000", "5/week", "x/day"] {
            expectError(SODServiceError(.invalidInput, "quota '\(bad)' is not N/minute, N/hour or N/day")) { try LineQuota(parsing: bad) }
        }
        for bad in ["0/day", "-1/day"] {
            expectError(SODServiceError(.invalidInput, "at least one SOD per day")) { try LineQuota(parsing: bad) }
        }
        let quota = try LineQuota(limit: 1, period: .day)
        #expect(quota.windowStart(SODServiceFixture.now.addingTimeInterval(3_600)) == Int64(SODServiceFixture.now.timeIntervalSince1970))
        #expect(try fixture.store.auditEntries(domain: SigningLines.defaultDomain).map(\.action) == ["sod.line-add"])
    }
}

import Foundation
import LDS
import PKICore
import SODService
import Store
import Testing
import TestSupport

/// `POST /v1/sod/sign-batch`: several documents in one request, each checked, counted, signed and recorded as a
/// request of its own; curl sends them and openssl verifies what comes back.
@Suite(.serialized) struct SODBatchTests {
    struct Sent {
        let documentNumber: String
        let ldsVersion: String
        let hash: HashAlgorithm
        let hashes: [Int: [UInt8]]
        /// The JSON object of the document, as it goes into `documents`.
        let json: String
    }

    static func document(_ number: String, ldsVersion: String = "1.7", hash: HashAlgorithm = .sha256, groups: [Int] = [1, 2, 14]) throws -> Sent {
        let hashes = try SODServiceFixture.hashes(groups, hash: hash, seed: number)
        return Sent(documentNumber: number, ldsVersion: ldsVersion, hash: hash, hashes: hashes,
                    json: SODServiceFixture.request(documentNumber: number, ldsVersion: ldsVersion, hash: hash.rawValue, hashes: hashes))
    }

    static func body(_ documents: [String]) -> String { "{\"documents\": [\(documents.joined(separator: ", "))]}" }

    static func results(_ answer: SODServiceFixture.Answer) throws -> [[String: Any]] {
        try #require(answer.json?["results"] as? [[String: Any]], "\(answer.status) \(answer.text)")
    }

    static func sod(_ result: [String: Any]) throws -> [UInt8] {
        try #require((result["sod"] as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init), "\(result)")
    }

    /// A batch of documents, with different LDS versions and hashes, and one bad document in the middle: the bad one
    /// is refused alone with its field named, the others get SODs that `openssl cms -verify` accepts, whose security
    /// objects hold exactly the hashes sent, in the order sent; each SOD handed out has its audit entry, as a single
    /// request's.
    @Test func aBatchIsSignedInOrderWithABadDocumentRefusedAlone() async throws {
        let fixture = try SODServiceFixture()
        defer { fixture.cleanUp() }
        try fixture.lines.add(name: "line-1", certificate: try fixture.line("line-1"), quota: nil)
        let service = try fixture.service()
        let good = [try Self.document("B0001"), try Self.document("B0002", ldsVersion: "1.8", hash: .sha384, groups: [1, 2, 3, 15]),
                     try Self.document("B0004", groups: [1, 2]), try Self.document("B0005", hash: .sha512, groups: [1, 2, 11, 12, 14])]
        var short = try SODServiceFixture.hashes([1, 2], seed: "B0003")
        short[2] = Array(short[2]!.dropLast())
        let bad = SODServiceFixture.request(documentNumber: "B0003", hashes: short)
        let body = Self.body([good[0].json, good[1].json, bad, good[2].json, good[3].json])
        try await fixture.serving(service) { port in
            let answer = try await fixture.post(body, port: port, line: "line-1", path: "/v1/sod/sign-batch")
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.headers.lowercased().contains("content-type: application/json"), "\(answer.headers)")
            let results = try Self.results(answer)
            try #require(results.count == 5)
            #expect(results.map { $0["documentNumber"] as? String } == ["B0001", "B0002", "B0003", "B0004", "B0005"])

            let refused = try #require(results[2]["error"] as? [String: Any], "\(results[2])")
            #expect(results[2]["sod"] == nil)
            #expect(refused["code"] as? String == "badRequest")
            #expect(refused["field"] as? String == "dataGroupHashes.2")
            #expect(refused["status"] as? Int == 400)
            #expect((refused["message"] as? String)?.hasPrefix("dataGroupHashes.2") == true, "\(refused)")

            let entries = try fixture.store.auditEntries(domain: SigningLines.defaultDomain).filter { $0.action == "sod.sign" }
            #expect(entries.map(\.subject) == ["B0001", "B0002", "B0004", "B0005"])
            for (sent, result) in zip(good, [results[0], results[1], results[3], results[4]]) {
                #expect(result["error"] == nil, "\(result)")
                let sod = try Self.sod(result)
                let (verified, content) = try await SODServiceFixture.blocking {
                    try SODServiceFixture.opensslVerify(sod: sod, in: fixture.directory, at: SODServiceFixture.now)
                }
                #expect(verified.stderr.contains("Verification successful"), "\(sent.documentNumber): \(verified.output)")
                let object = try LDSSecurityObject(bytes: content)
                #expect(object.hash == sent.hash)
                #expect(object.dataGroupNumbers.sorted() == sent.hashes.keys.sorted())
                for (number, value) in sent.hashes { #expect(object.hashValue(for: number) == value, "\(sent.documentNumber) DG\(number)") }
                #expect(object.version == (sent.ldsVersion == "1.8" ? 1 : 0))
                #expect(try EFSOD(bytes: sod).documentSignerCertificate == fixture.documentSigner)

                let digest = SODServiceFixture.hex(try HashAlgorithm.sha256.hash(sod))
                #expect(result["sodSHA256"] as? String == digest)
                let entry = try #require(entries.first { $0.subject == sent.documentNumber })
                #expect(result["auditSequence"] as? Int == Int(entry.sequence))
                #expect(entry.actor == "line:line-1" && entry.details["line"] == "line-1")
                #expect(entry.details["sodSHA256"] == digest)
                #expect(entry.details["hashAlgorithm"] == sent.hash.rawValue)
                #expect(entry.details["dataGroups"] == sent.hashes.keys.sorted().map(String.init).joined(separator: ","))
            }
            let facts = try #require(answer.json?["documentSigner"] as? [String: Any])
            #expect(facts["fingerprint"] as? String == SODServiceFixture.hex(try HashAlgorithm.sha256.hash(fixture.documentSigner.derEncoded)))
        }
        #expect(service.metrics.signatures == 4)
        #expect(try fixture.store.verifyAudit(domain: SigningLines.defaultDomain).isIntact)
    }

    /// More documents than one signing batch holds (the service's maximumBatch at 16): they are signed in several
    /// batches, and every result still holds its own document's hashes, in request order.
    @Test func aLongBatchIsSignedInSeveralSigningBatchesInOrder() async throws {
        let fixture = try SODServiceFixture()
        defer { fixture.cleanUp() }
        try fixture.lines.add(name: "line-1", certificate: try fixture.line("line-1"), quota: nil)
        let service = try fixture.service(maximumBatch: 16)
        let sent = try (0..<70).map { try Self.document("L\(1000 + $0)") }
        try await fixture.serving(service) { port in
            let answer = try await fixture.post(Self.body(sent.map(\.json)), port: port, line: "line-1", path: "/v1/sod/sign-batch")
            #expect(answer.status == 200, "\(answer.text)")
            let results = try Self.results(answer)
            try #require(results.count == sent.count)
            for (document, result) in zip(sent, results) {
                #expect(result["documentNumber"] as? String == document.documentNumber)
                let object = try EFSOD(bytes: try Self.sod(result)).securityObject
                #expect(object.dataGroupNumbers.sorted() == document.hashes.keys.sorted())
                for (number, value) in document.hashes { #expect(object.hashValue(for: number) == value, "\(document.documentNumber) DG\(number)") }
            }
            let sequences = results.compactMap { $0["auditSequence"] as? Int }
            #expect(Set(sequences).count == sent.count)
        }
        #expect(service.metrics.batches.count >= 5)
        #expect(service.metrics.batches.documents == sent.count)
        let entries = try fixture.store.auditEntries(domain: SigningLines.defaultDomain).filter { $0.action == "sod.sign" }
        #expect(entries.map(\.subject) == sent.map(\.documentNumber))
        #expect(try fixture.store.verifyAudit(domain: SigningLines.defaultDomain).isIntact)
    }

    /// A body that cannot be read as a batch is refused whole with 400, naming the field: nothing is signed or
    /// recorded.
    @Test func aMalformedBatchIsRefusedWhole() async throws {
        let fixture = try SODServiceFixture()
        defer { fixture.cleanUp() }
        try fixture.lines.add(name: "line-1", certificate: try fixture.line("line-1"), quota: nil)
        let service = try fixture.service()
        let one = try Self.document("M0001").json
        let cases: [(String, String?)] = [
            ("{\"documents\": []}", "documents"),
            (Self.body(Array(repeating: one, count: SignBatchRequest.maximumDocuments + 1)), "documents"),
            ("{}", "documents"),
            ("{\"documents\": \(one)}", "documents"),
            ("{\"documents\": [\(one)], \"line\": \"line-1\"}", "line"),
            ("{\"documents\": [\(one), 7]}", "documents[1]"),
            ("{\"documents\": [\(one), null]}", "documents[1]"),
            ("[\(one)]", nil),
            ("documents=\(one)", nil),
        ]
        try await fixture.serving(service) { port in
            for (body, field) in cases {
                let answer = try await fixture.post(body, port: port, line: "line-1", path: "/v1/sod/sign-batch")
                #expect(answer.status == 400, "\(body.prefix(80)): \(answer.status) \(answer.text)")
                #expect(answer.error?["code"] as? String == "badRequest", "\(answer.text)")
                #expect(answer.error?["field"] as? String == field, "\(body.prefix(80)) → \(answer.text)")
            }
            // The longest batch allowed is taken.
            let full = try (0..<SignBatchRequest.maximumDocuments).map { try Self.document("F\(1000 + $0)").json }
            let answer = try await fixture.post(Self.body(full), port: port, line: "line-1", path: "/v1/sod/sign-batch")
            #expect(answer.status == 200, "\(answer.text.prefix(300))")
            #expect(try Self.results(answer).filter { $0["sod"] != nil }.count == SignBatchRequest.maximumDocuments)
        }
        let signed = try fixture.store.auditEntries(domain: SigningLines.defaultDomain).filter { $0.action == "sod.sign" }
        #expect(signed.count == SignBatchRequest.maximumDocuments)
        #expect(signed.allSatisfy { $0.subject.hasPrefix("F") })
    }

    /// A batch counts as its number of documents against the line's quota: the documents past the window are refused
    /// alone (quotaExceeded, status 429 in their result), the ones before are signed; the next single request gets
    /// 429, and the store counts exactly the SODs handed out.
    @Test func aBatchPastTheQuotaHasItsLastDocumentsRefused() async throws {
        let fixture = try SODServiceFixture()
        defer { fixture.cleanUp() }
        try fixture.lines.add(name: "line-1", certificate: try fixture.line("line-1"), quota: try LineQuota(parsing: "4/minute"))
        let service = try fixture.service()
        try await fixture.serving(service) { port in
            let first = try await fixture.post(SODServiceFixture.request(documentNumber: "Q0", hashes: try SODServiceFixture.hashes([1, 2])),
                                               port: port, line: "line-1")
            #expect(first.status == 200, "\(first.text)")
            let sent = try (1...5).map { try Self.document("Q\($0)").json }
            let answer = try await fixture.post(Self.body(sent), port: port, line: "line-1", path: "/v1/sod/sign-batch")
            #expect(answer.status == 200, "\(answer.text)")
            let results = try Self.results(answer)
            try #require(results.count == 5)
            #expect(results.prefix(3).allSatisfy { $0["sod"] != nil }, "\(results)")
            for result in results.suffix(2) {
                let error = try #require(result["error"] as? [String: Any], "\(result)")
                #expect(error["code"] as? String == "quotaExceeded")
                #expect(error["status"] as? Int == 429)
            }
            #expect(results.suffix(2).map { $0["documentNumber"] as? String } == ["Q4", "Q5"])
            let over = try await fixture.post(Self.body([try Self.document("Q6").json]), port: port, line: "line-1", path: "/v1/sod/sign-batch")
            #expect(over.status == 200)
            #expect((try Self.results(over).first?["error"] as? [String: Any])?["code"] as? String == "quotaExceeded", "\(over.text)")
            let single = try await fixture.post(SODServiceFixture.request(documentNumber: "Q7", hashes: try SODServiceFixture.hashes([1, 2])),
                                                port: port, line: "line-1")
            #expect(single.status == 429, "\(single.text)")
            let metrics = try await fixture.get("/metrics", port: port, line: "line-1")
            #expect(metrics.stdout.contains("sod_refusals_total{code=\"quotaExceeded\"} 4"), "\(metrics.stdout)")
            #expect(metrics.stdout.contains("route=\"/v1/sod/sign-batch\",status=\"200\""), "\(metrics.stdout)")
        }
        let signed = try fixture.store.auditEntries(domain: SigningLines.defaultDomain).filter { $0.action == "sod.sign" }
        #expect(signed.map(\.subject) == ["Q0", "Q1", "Q2", "Q3"])
        #expect(try fixture.lines.lines().map { try fixture.lines.usage(of: $0) } == [4])
    }

    /// The OpenAPI document's limits are the server's.
    @Test func theOpenAPIDocumentStatesTheBatchLimits() throws {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let batch = try #require(schemas["SignBatchRequest"] as? [String: Any])
        let documents = try #require((batch["properties"] as? [String: Any])?["documents"] as? [String: Any])
        #expect(documents["minItems"] as? Int == 1)
        #expect(documents["maxItems"] as? Int == SignBatchRequest.maximumDocuments)
        #expect(batch["required"] as? [String] == ["documents"])
        #expect(SODSigningService.maximumBatchBody >= SignBatchRequest.maximumDocuments * 2_400)
    }
}

import Foundation
import PKICore
@testable import SODService
import Store
import Testing
import TestSupport

/// The service's fast paths against the code they stand in for: the batch recorder against `AuditTrail.append`, and
/// the request reader's one-pass hex and data-group keys against what it accepted and refused before.
@Suite struct RecordingTests {
    /// A batch recorded by `SigningLines.record` leaves exactly the audit rows that `AuditTrail.append`, called once
    /// per signature with the same fields, leaves in a second store: same details text, same hashes, same chain.
    @Test func aBatchIsRecordedAsAuditTrailAppendRecordsIt() throws {
        let fixture = try SODServiceFixture()
        defer { fixture.cleanUp() }
        let reference = try EPKIStore(directory: fixture.directory.appendingPathComponent("reference"), migrations: SigningLines.migrations)
        // A time with a fraction, so that the formatted time in the hash input is not a round number.
        let clock = FixedClock(SODServiceFixture.now.addingTimeInterval(0.123_457))
        let recorded = SigningLines(store: fixture.store, clock: clock)
        let appended = SigningLines(store: reference, clock: clock)
        let certificate = try fixture.line("line-1")
        try recorded.add(name: "line-1", certificate: certificate, quota: try LineQuota(limit: 100, period: .day))
        try appended.add(name: "line-1", certificate: certificate, quota: try LineQuota(limit: 100, period: .day))
        let fingerprint = try SigningLines.fingerprint(certificate.derEncoded)

        // Plain facts (the direct path), then facts JSONEncoder escapes ('/', a quote, non-ASCII: the fallback).
        let batches: [(SigningLines.SignerFacts, [SigningLines.Signature])] = [
            (SigningLines.SignerFacts(fingerprint: String(repeating: "ab", count: 32), serial: "5A3C01", subject: "C=UT,CN=DS 1"),
             [SigningLines.Signature(lineFingerprint: fingerprint, documentNumber: "L898902C3", sodDigest: String(repeating: "0f", count: 32),
                                     hash: .sha256, dataGroups: [1, 2, 14]),
              SigningLines.Signature(lineFingerprint: fingerprint, documentNumber: "UT1234567", sodDigest: String(repeating: "e1", count: 32),
                                     hash: .sha384, dataGroups: [1, 2, 3, 11, 15])]),
            (SigningLines.SignerFacts(fingerprint: "a/b\"c", serial: "Zürich\u{1}", subject: "C=UT,CN=DS 2"),
             [SigningLines.Signature(lineFingerprint: fingerprint, documentNumber: "X1", sodDigest: "00", hash: .sha512, dataGroups: [1, 2])]),
        ]
        for (facts, signatures) in batches {
            let results = try recorded.record(signatures, signer: facts)
            #expect(results.allSatisfy { (try? $0.get()) != nil }, "\(results)")
            try reference.write { db in
                for signature in signatures {
                    // The details exactly as SigningLines.record wrote them through AuditTrail.append before.
                    try AuditTrail.append(
                        db, domain: SigningLines.defaultDomain, actor: "line:line-1", action: "sod.sign", subject: signature.documentNumber,
                        details: ["line": "line-1", "documentSigner": facts.fingerprint, "documentSignerSerial": facts.serial,
                                  "sodSHA256": signature.sodDigest, "hashAlgorithm": signature.hash.rawValue,
                                  "dataGroups": signature.dataGroups.map(String.init).joined(separator: ",")],
                        now: clock.now())
                }
            }
        }
        let sql = "SELECT domain, sequence, time, actor, action, subject, details, previous_hash, hash FROM audit_entry ORDER BY domain, sequence"
        let ours = try fixture.store.read { db in try Row.fetchAll(db, sql: sql) }
        let theirs = try reference.read { db in try Row.fetchAll(db, sql: sql) }
        #expect(ours.count == 4)
        #expect(ours == theirs)
        #expect(try fixture.store.verifyAudit(domain: SigningLines.defaultDomain).isIntact)
        #expect(try recorded.usage(of: try #require(try recorded.line(fingerprint: fingerprint))) == 3)
    }

    /// The details writer's direct path and its JSONEncoder fallback give JSONEncoder's text, in any key order.
    @Test func detailsAreWrittenAsJSONEncoderWritesThem() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let cases: [[(String, String)]] = [
            [("dataGroups", "1,2,14"), ("documentSigner", "ab12"), ("documentSignerSerial", "5A"), ("hashAlgorithm", "sha256"), ("line", "line-1"),
             ("sodSHA256", "00ff")],
            [("sodSHA256", "00ff"), ("line", "line-4"), ("dataGroups", "1,2")],
            [("line", "a/b"), ("documentSigner", "say \"hi\"")],
            [("line", "Zürich"), ("dataGroups", "tab\there"), ("documentSigner", "\u{7F}")],
            [],
        ]
        for details in cases {
            let expected = String(decoding: try encoder.encode(Dictionary(details, uniquingKeysWith: { $1 })), as: UTF8.self)
            #expect(AuditBatch.detailsJSON(details) == expected)
        }
        for seconds in [1_821_571_200.0, 1_821_571_200.123_457, 1_821_571_200.999_999_5, 0.000_000_4, 4_102_444_800.5] {
            #expect(AuditBatch.timeText(Date(timeIntervalSince1970: seconds)) == String(format: "%.6f", seconds))
        }
        #expect(Hex.lowercase([0x00, 0x0F, 0xA5, 0xFF]) == "000fa5ff")
    }

    /// Hashes in hex of either case and data groups named "1" or "DG1" in any case are read; anything else is refused
    /// with the field named, as before the one-pass reader (which also refuses a sign before the number, "+5", that
    /// `Int("+5")` let through).
    @Test func requestsReadAsBefore() throws {
        let dg1 = [UInt8](repeating: 0xAB, count: 32), dg2 = [UInt8](repeating: 0x0C, count: 32)
        func body(_ groups: String) -> [UInt8] {
            Array("{\"documentNumber\": \"L898902C3\", \"ldsVersion\": \"1.7\", \"hashAlgorithm\": \"sha256\", \"dataGroupHashes\": {\(groups)}}".utf8)
        }
        let upper = String(repeating: "AB", count: 32), lower = String(repeating: "0c", count: 32)
        for groups in ["\"1\": \"\(upper)\", \"2\": \"\(lower)\"", "\"DG1\": \"\(upper.lowercased())\", \"dg02\": \"\(lower.uppercased())\"",
                       "\"01\": \"\(upper)\", \"Dg2\": \"\(lower)\""] {
            let request = try SignRequest(json: body(groups))
            #expect(request.dataGroupHashes == [1: dg1, 2: dg2], "\(groups)")
        }
        // Colons between the bytes were read before, as long as the text's length was even; they still are.
        let colons = (0..<32).map { _ in "ab" }.joined(separator: ":") + ":"
        #expect(try SignRequest(json: body("\"1\": \"\(colons)\", \"2\": \"\(lower)\"")).dataGroupHashes[1] == dg1)
        let refusals: [(String, String)] = [
            ("\"17\": \"\(upper)\", \"1\": \"\(upper)\", \"2\": \"\(lower)\"", "dataGroupHashes.17"),
            ("\"DG\": \"\(upper)\", \"1\": \"\(upper)\", \"2\": \"\(lower)\"", "dataGroupHashes.DG"),
            ("\"+5\": \"\(upper)\", \"1\": \"\(upper)\", \"2\": \"\(lower)\"", "dataGroupHashes.+5"),
            ("\"1\": \"\(upper)\", \"DG1\": \"\(upper)\", \"2\": \"\(lower)\"", "dataGroupHashes.DG1"),
            ("\"1\": \"\(upper.dropLast())\", \"2\": \"\(lower)\"", "dataGroupHashes.1"),
            ("\"1\": \"\(upper.dropLast(2))xy\", \"2\": \"\(lower)\"", "dataGroupHashes.1"),
            ("\"1\": \"\(upper.dropLast(2))\", \"2\": \"\(lower)\"", "dataGroupHashes.1"),
            ("\"1\": \"\(upper)\"", "dataGroupHashes.2"),
        ]
        for (groups, field) in refusals {
            #expect(throws: SODServiceError.self, "\(groups)") { try SignRequest(json: body(groups)) }
            do {
                _ = try SignRequest(json: body(groups))
            } catch let error as SODServiceError {
                #expect(error.field == field, "\(groups): \(error.reason)")
            }
        }
    }
}

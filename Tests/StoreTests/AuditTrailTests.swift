import Foundation
import PKICore
import Store
import Testing
import TestSupport

@Suite struct AuditTrailTests {
    @Test func chainVerifiesAndNamesTheFirstBrokenEntry() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try EPKIStore(directory: directory)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        try store.write { db in
            try EPKIStore.ensureDomain(db, name: "LU", now: start)
            try EPKIStore.ensureDomain(db, name: "UT", now: start)
            for index in 1...10 {
                try AuditTrail.append(db, domain: "LU", actor: "tester", action: "ds.issue", subject: "CN=DS \(index)",
                                      details: ["serial": String(index)], now: start.addingTimeInterval(Double(index)))
            }
            try AuditTrail.append(db, domain: "UT", actor: "tester", action: "csca.init", subject: "CN=CSCA UT", now: start)
        }
        #expect(try store.verifyAudit(domain: "LU").isIntact)
        #expect(try store.verifyAudit(domain: "LU").entries == 10)
        #expect(try store.verifyAudit(domain: "UT").entries == 1)
        let entries = try store.auditEntries(domain: "LU")
        #expect(entries[3].previousHash == entries[2].hash)
        #expect(entries[0].details == ["serial": "1"])

        // Someone edits entry 4 directly in the database.
        try store.write { db in
            try db.execute(sql: "UPDATE audit_entry SET subject = 'CN=forged' WHERE domain = 'LU' AND sequence = 4")
        }
        let altered = try store.verifyAudit(domain: "LU")
        #expect(!altered.isIntact)
        #expect(altered.firstBroken?.sequence == 4)
        #expect(altered.firstBroken?.reason.contains("altered") == true)
        #expect(try store.verifyAudit(domain: "UT").isIntact, "each domain has its own chain")

        // Removing an entry is found as a gap.
        try store.write { db in
            try db.execute(sql: "UPDATE audit_entry SET subject = 'CN=DS 4' WHERE domain = 'LU' AND sequence = 4")
            try db.execute(sql: "DELETE FROM audit_entry WHERE domain = 'LU' AND sequence = 7")
        }
        let gap = try store.verifyAudit(domain: "LU")
        #expect(gap.firstBroken?.sequence == 7)
        #expect(gap.firstBroken?.reason.contains("missing") == true)
    }

    @Test func aFailedOperationLeavesNoAuditEntry() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try EPKIStore(directory: directory)
        _ = try store.write { db in try EPKIStore.ensureDomain(db, name: "LU", now: Date()) }
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try store.write { db in
                try AuditTrail.append(db, domain: "LU", action: "ds.issue", subject: "CN=x", now: Date())
                throw Boom()
            }
        }
        #expect(try store.auditEntries(domain: "LU").isEmpty)
    }

    @Test func domainsAreValidatedAndUnknownOnesNamed() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try EPKIStore(directory: directory)
        expectError(StoreError(.invalidName, "domain name '../etc' must be")) { try Domain.validate("../etc") }
        expectError(StoreError(.invalidName, "domain name '' must be")) { try Domain.validate("") }
        _ = try store.write { db in try EPKIStore.ensureDomain(db, name: "LU-passports", now: Date()) }
        do {
            _ = try store.verifyAudit(domain: "XX")
            Issue.record("an unknown domain was accepted")
        } catch let error as StoreError {
            #expect(error.code == .unknownDomain)
            #expect(error.reason.contains("LU-passports"))
        }
        // The database is in WAL mode.
        if store.engineKind == .sqlite {
            let mode = try store.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
        }
    }
}

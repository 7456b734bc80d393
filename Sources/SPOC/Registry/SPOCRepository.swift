import Foundation
import PKICore
import Store

/// The SPOC's tables, and the only place that knows their SQL.
///
/// ```
/// spoc_identity    our country, TLS certificates and key references, the URL we tell peers
/// spoc_peer        registered foreign SPOCs
/// spoc_inbound     (country, operation, messageID) of every request received: a replayed messageID is refused
/// spoc_queue       foreign DV requests waiting for an operator, and what was decided
/// spoc_outbox      SendCertificates to push: attempts, next attempt, a lease so that one node delivers
/// spoc_outbound    our requests to foreign SPOCs by messageID, to match asynchronous answers
/// spoc_message     GeneralMessages both ways
/// spoc_log         the transaction log: every message both ways, with its result
/// ```
enum SPOCRepository {
    static let migrations: [EPKIStore.Migration] = [
        .init("spoc-v1") { db in
            try db.create(table: "spoc_identity") { t in
                t.primaryKey("domain", .text).references("domain")
                t.column("country", .text).notNull()
                t.column("url", .text).notNull()
                t.column("server_certificate", .blob).notNull()
                t.column("server_key", .text).notNull()
                t.column("client_certificate", .blob).notNull()
                t.column("client_key", .text).notNull()
                t.column("chain", .blob)  // CA certificates sent after ours, concatenated DER
                t.column("updated_at", .double).notNull()
            }
            try db.create(table: "spoc_peer") { t in
                t.column("domain", .text).notNull().references("domain")
                t.column("country", .text).notNull()
                t.column("url", .text).notNull()
                t.column("root", .blob).notNull()
                t.column("root_sha256", .text).notNull()
                t.column("intermediates", .blob)
                t.column("namespace", .text).notNull()
                t.column("eku_family", .text).notNull()
                t.column("mode", .text).notNull()
                t.column("registered_at", .double).notNull()
                t.primaryKey(["domain", "country"])
            }
            try db.create(table: "spoc_inbound") { t in
                t.column("domain", .text).notNull().references("domain")
                t.column("country", .text).notNull()
                t.column("operation", .text).notNull()
                t.column("message_id", .text).notNull()
                t.column("received_at", .double).notNull()
                t.primaryKey(["domain", "country", "operation", "message_id"])
            }
            try db.create(table: "spoc_queue") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("domain", .text).notNull().references("domain")
                t.column("country", .text).notNull()
                t.column("message_id", .text).notNull()
                t.column("chr", .text)
                t.column("request", .blob).notNull()
                t.column("state", .text).notNull()  // queued | approved | refused
                t.column("result", .text)
                t.column("detail", .text)
                t.column("received_at", .double).notNull()
                t.column("decided_at", .double)
                t.column("decided_by", .text)
            }
            try db.create(table: "spoc_outbox") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("domain", .text).notNull().references("domain")
                t.column("country", .text).notNull()
                t.column("message_id", .text)
                t.column("status_info", .text).notNull()
                t.column("certificates", .blob).notNull()
                t.column("state", .text).notNull()  // pending | delivered | rejected
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("next_attempt_at", .double).notNull()
                t.column("lease_until", .double)
                t.column("last_error", .text)
                t.column("result", .text)
                t.column("created_at", .double).notNull()
                t.column("delivered_at", .double)
            }
            try db.create(table: "spoc_outbound") { t in
                t.column("domain", .text).notNull().references("domain")
                t.column("message_id", .text).notNull()
                t.column("country", .text).notNull()
                t.column("operation", .text).notNull()
                t.column("chr", .text)
                t.column("request", .blob)
                t.column("state", .text).notNull()  // sent | acknowledged | answered | refused | failed
                t.column("result", .text)
                t.column("detail", .text)
                t.column("sent_at", .double).notNull()
                t.column("answered_at", .double)
                t.primaryKey(["domain", "message_id"])
            }
            try db.create(table: "spoc_message") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("domain", .text).notNull().references("domain")
                t.column("direction", .text).notNull()  // in | out
                t.column("country", .text).notNull()
                t.column("message_id", .text).notNull()
                t.column("subject", .text).notNull()
                t.column("body", .text).notNull()
                t.column("at", .double).notNull()
            }
            try db.create(table: "spoc_log") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("domain", .text).notNull().references("domain")
                t.column("at", .double).notNull()
                t.column("direction", .text).notNull()
                t.column("country", .text).notNull()
                t.column("operation", .text).notNull()
                t.column("message_id", .text)
                t.column("result", .text).notNull()
                t.column("detail", .text).notNull()
            }
        },
        .init("spoc-v2-national-dv") { db in
            // TR-03129: DV operators that run apart from the CVCA, and answers from abroad forwarded to them.
            try db.create(table: "spoc_national_dv") { t in
                t.column("domain", .text).notNull().references("domain")
                t.column("holder", .text).notNull()
                t.column("certificate_sha256", .text).notNull()
                t.column("root", .blob).notNull()
                t.column("callback_url", .text)
                t.column("registered_at", .double).notNull()
                t.primaryKey(["domain", "holder"])
            }
            try db.alter(table: "spoc_outbound") { t in
                t.add(column: "forward_to", .text)
                t.add(column: "forward_message_id", .text)
            }
            try db.alter(table: "spoc_outbox") { t in
                t.add(column: "target", .text).notNull().defaults(to: "spoc")
            }
        },
    ]

    // MARK: identity

    static func identity(_ db: Database, domain: String) throws -> SPOCIdentity? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM spoc_identity WHERE domain = ?", arguments: [domain]) else { return nil }
        let chain: Data? = row["chain"]
        return SPOCIdentity(country: row["country"], url: row["url"], serverCertificate: Array(row["server_certificate"] as Data),
                            serverKey: row["server_key"], clientCertificate: Array(row["client_certificate"] as Data), clientKey: row["client_key"],
                            chain: chain.map { DERSequenceSplitter.split(Array($0)) } ?? [])
    }

    static func setIdentity(_ db: Database, domain: String, _ identity: SPOCIdentity, now: Date) throws {
        try db.execute(sql: """
            INSERT INTO spoc_identity (domain, country, url, server_certificate, server_key, client_certificate, client_key, chain, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(domain) DO UPDATE SET country = excluded.country, url = excluded.url, server_certificate = excluded.server_certificate,
              server_key = excluded.server_key, client_certificate = excluded.client_certificate, client_key = excluded.client_key,
              chain = excluded.chain, updated_at = excluded.updated_at
            """, arguments: [domain, identity.country, identity.url, Data(identity.serverCertificate), identity.serverKey,
                             Data(identity.clientCertificate), identity.clientKey, Data(identity.chain.flatMap { $0 }), now.timeIntervalSince1970])
    }

    // MARK: peers

    static func peer(_ row: Row) -> ForeignSPOC {
        let intermediates: Data? = row["intermediates"]
        return ForeignSPOC(country: row["country"], url: row["url"], root: Array(row["root"] as Data),
                           intermediates: intermediates.map { DERSequenceSplitter.split(Array($0)) } ?? [],
                           namespace: SPOCNamespace(rawValue: row["namespace"]) ?? .icao, ekuFamily: SPOCEKUFamily(rawValue: row["eku_family"]) ?? .icao,
                           mode: SPOCMode(rawValue: row["mode"]) ?? .async, registeredAt: Date(timeIntervalSince1970: row["registered_at"]))
    }

    static func peers(_ db: Database, domain: String) throws -> [ForeignSPOC] {
        try Row.fetchAll(db, sql: "SELECT * FROM spoc_peer WHERE domain = ? ORDER BY country", arguments: [domain]).map(peer)
    }

    static func peer(_ db: Database, domain: String, country: String) throws -> ForeignSPOC? {
        try Row.fetchOne(db, sql: "SELECT * FROM spoc_peer WHERE domain = ? AND country = ?", arguments: [domain, country]).map(peer)
    }

    static func upsertPeer(_ db: Database, domain: String, _ peer: ForeignSPOC) throws {
        try db.execute(sql: """
            INSERT INTO spoc_peer (domain, country, url, root, root_sha256, intermediates, namespace, eku_family, mode, registered_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(domain, country) DO UPDATE SET url = excluded.url, root = excluded.root, root_sha256 = excluded.root_sha256,
              intermediates = excluded.intermediates, namespace = excluded.namespace, eku_family = excluded.eku_family, mode = excluded.mode,
              registered_at = excluded.registered_at
            """, arguments: [domain, peer.country, peer.url, Data(peer.root), peer.rootFingerprint, Data(peer.intermediates.flatMap { $0 }),
                             peer.namespace.rawValue, peer.ekuFamily.rawValue, peer.mode.rawValue, peer.registeredAt.timeIntervalSince1970])
    }

    static func deletePeer(_ db: Database, domain: String, country: String) throws -> Bool {
        try db.execute(sql: "DELETE FROM spoc_peer WHERE domain = ? AND country = ?", arguments: [domain, country])
        return db.changesCount > 0
    }

    // MARK: inbound, queue

    /// Records a request's messageID; false when the same caller sent the same operation with it before.
    static func recordInbound(_ db: Database, domain: String, country: String, operation: SPOCOperation, messageID: String, now: Date) throws -> Bool {
        try db.execute(sql: "INSERT INTO spoc_inbound (domain, country, operation, message_id, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       arguments: [domain, country, operation.rawValue, messageID, now.timeIntervalSince1970])
        return db.changesCount > 0
    }

    static func queueEntry(_ row: Row) -> SPOCQueueEntry {
        let decided: Double? = row["decided_at"]
        return SPOCQueueEntry(id: row["id"], country: row["country"], messageID: row["message_id"], chr: row["chr"],
                              request: Array(row["request"] as Data), state: SPOCQueueEntry.State(rawValue: row["state"]) ?? .queued,
                              result: (row["result"] as String?).map(SPOCResultCode.init(rawValue:)), detail: row["detail"],
                              receivedAt: Date(timeIntervalSince1970: row["received_at"]), decidedAt: decided.map(Date.init(timeIntervalSince1970:)),
                              decidedBy: row["decided_by"])
    }

    static func enqueue(_ db: Database, domain: String, country: String, messageID: String, chr: String?, request: [UInt8], now: Date) throws -> Int64 {
        try db.execute(sql: "INSERT INTO spoc_queue (domain, country, message_id, chr, request, state, received_at) VALUES (?, ?, ?, ?, ?, 'queued', ?)",
                       arguments: [domain, country, messageID, chr, Data(request), now.timeIntervalSince1970])
        return try db.lastInsertedRowID
    }

    static func queue(_ db: Database, domain: String, state: SPOCQueueEntry.State? = nil) throws -> [SPOCQueueEntry] {
        if let state {
            return try Row.fetchAll(db, sql: "SELECT * FROM spoc_queue WHERE domain = ? AND state = ? ORDER BY id", arguments: [domain, state.rawValue]).map(queueEntry)
        }
        return try Row.fetchAll(db, sql: "SELECT * FROM spoc_queue WHERE domain = ? ORDER BY id", arguments: [domain]).map(queueEntry)
    }

    static func queueEntry(_ db: Database, domain: String, id: Int64) throws -> SPOCQueueEntry? {
        try Row.fetchOne(db, sql: "SELECT * FROM spoc_queue WHERE domain = ? AND id = ?", arguments: [domain, id]).map(queueEntry)
    }

    static func decide(_ db: Database, domain: String, id: Int64, state: SPOCQueueEntry.State, result: SPOCResultCode, detail: String, by actor: String,
                       now: Date) throws -> Bool {
        try db.execute(sql: """
            UPDATE spoc_queue SET state = ?, result = ?, detail = ?, decided_at = ?, decided_by = ? WHERE domain = ? AND id = ? AND state = 'queued'
            """, arguments: [state.rawValue, result.rawValue, detail, now.timeIntervalSince1970, actor, domain, id])
        return db.changesCount > 0
    }

    // MARK: outbox

    static func outboxEntry(_ row: Row) -> SPOCOutboxEntry {
        let delivered: Double? = row["delivered_at"]
        return SPOCOutboxEntry(id: row["id"], country: row["country"], messageID: row["message_id"],
                               statusInfo: SPOCResultCode(rawValue: row["status_info"]),
                               certificates: DERSequenceSplitter.split(Array(row["certificates"] as Data)),
                               state: SPOCOutboxEntry.State(rawValue: row["state"]) ?? .pending, attempts: row["attempts"],
                               nextAttemptAt: Date(timeIntervalSince1970: row["next_attempt_at"]), lastError: row["last_error"],
                               result: (row["result"] as String?).map(SPOCResultCode.init(rawValue:)),
                               createdAt: Date(timeIntervalSince1970: row["created_at"]), deliveredAt: delivered.map(Date.init(timeIntervalSince1970:)),
                               target: SPOCOutboxEntry.Target(rawValue: row["target"] ?? "spoc") ?? .spoc)
    }

    static func addToOutbox(_ db: Database, domain: String, country: String, messageID: String?, statusInfo: SPOCResultCode, certificates: [[UInt8]],
                            now: Date, target: SPOCOutboxEntry.Target = .spoc) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO spoc_outbox (domain, country, message_id, status_info, certificates, state, attempts, next_attempt_at, created_at, target)
            VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
            """, arguments: [domain, country, messageID, statusInfo.rawValue, Data(certificates.flatMap { $0 }), now.timeIntervalSince1970,
                             now.timeIntervalSince1970, target.rawValue])
        return try db.lastInsertedRowID
    }

    static func outbox(_ db: Database, domain: String) throws -> [SPOCOutboxEntry] {
        try Row.fetchAll(db, sql: "SELECT * FROM spoc_outbox WHERE domain = ? ORDER BY id", arguments: [domain]).map(outboxEntry)
    }

    /// Takes the due entries for `lease` seconds: another node (or a restarted process) takes them again only
    /// after the lease ran out, so one entry is in flight at one place at a time.
    static func leaseDue(_ db: Database, domain: String, now: Date, lease: TimeInterval, limit: Int) throws -> [SPOCOutboxEntry] {
        let due = try Row.fetchAll(db, sql: """
            SELECT * FROM spoc_outbox WHERE domain = ? AND state = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
            ORDER BY id LIMIT ?
            """, arguments: [domain, now.timeIntervalSince1970, now.timeIntervalSince1970, limit]).map(outboxEntry)
        for entry in due {
            try db.execute(sql: "UPDATE spoc_outbox SET lease_until = ? WHERE id = ?", arguments: [now.timeIntervalSince1970 + lease, entry.id])
        }
        return due
    }

    static func finishDelivery(_ db: Database, id: Int64, state: SPOCOutboxEntry.State, result: SPOCResultCode?, error: String?, nextAttempt: Date?,
                               now: Date) throws {
        try db.execute(sql: """
            UPDATE spoc_outbox SET state = ?, result = ?, last_error = ?, attempts = attempts + 1, lease_until = NULL,
              next_attempt_at = COALESCE(?, next_attempt_at), delivered_at = CASE WHEN ? = 'pending' THEN NULL ELSE ? END WHERE id = ?
            """, arguments: [state.rawValue, result?.rawValue, error, nextAttempt?.timeIntervalSince1970, state.rawValue, now.timeIntervalSince1970, id])
    }

    // MARK: outbound

    static func outbound(_ row: Row) -> SPOCOutboundRequest {
        let answered: Double? = row["answered_at"]
        let request: Data? = row["request"]
        return SPOCOutboundRequest(messageID: row["message_id"], country: row["country"], operation: SPOCOperation(rawValue: row["operation"]) ?? .requestCertificate,
                                   chr: row["chr"], request: request.map(Array.init), state: SPOCOutboundRequest.State(rawValue: row["state"]) ?? .sent,
                                   result: (row["result"] as String?).map(SPOCResultCode.init(rawValue:)), detail: row["detail"],
                                   sentAt: Date(timeIntervalSince1970: row["sent_at"]), answeredAt: answered.map(Date.init(timeIntervalSince1970:)),
                                   forwardTo: row["forward_to"], forwardMessageID: row["forward_message_id"])
    }

    static func insertOutbound(_ db: Database, domain: String, _ request: SPOCOutboundRequest) throws {
        try db.execute(sql: """
            INSERT INTO spoc_outbound (domain, message_id, country, operation, chr, request, state, result, detail, sent_at, forward_to, forward_message_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [domain, request.messageID, request.country, request.operation.rawValue, request.chr, request.request.map { Data($0) },
                             request.state.rawValue, request.result?.rawValue, request.detail, request.sentAt.timeIntervalSince1970,
                             request.forwardTo, request.forwardMessageID])
    }

    static func outbound(_ db: Database, domain: String, messageID: String) throws -> SPOCOutboundRequest? {
        try Row.fetchOne(db, sql: "SELECT * FROM spoc_outbound WHERE domain = ? AND message_id = ?", arguments: [domain, messageID]).map(outbound)
    }

    static func outbound(_ db: Database, domain: String) throws -> [SPOCOutboundRequest] {
        try Row.fetchAll(db, sql: "SELECT * FROM spoc_outbound WHERE domain = ? ORDER BY sent_at", arguments: [domain]).map(outbound)
    }

    static func updateOutbound(_ db: Database, domain: String, messageID: String, state: SPOCOutboundRequest.State, result: SPOCResultCode?, detail: String?,
                               answeredAt: Date?) throws {
        try db.execute(sql: "UPDATE spoc_outbound SET state = ?, result = ?, detail = ?, answered_at = ? WHERE domain = ? AND message_id = ?",
                       arguments: [state.rawValue, result?.rawValue, detail, answeredAt?.timeIntervalSince1970, domain, messageID])
    }

    // MARK: national DVs

    static func nationalDV(_ row: Row) -> NationalDV {
        NationalDV(holder: row["holder"], certificateFingerprint: row["certificate_sha256"], root: Array(row["root"] as Data), callbackURL: row["callback_url"],
                   registeredAt: Date(timeIntervalSince1970: row["registered_at"]))
    }

    static func nationalDVs(_ db: Database, domain: String) throws -> [NationalDV] {
        try Row.fetchAll(db, sql: "SELECT * FROM spoc_national_dv WHERE domain = ? ORDER BY holder", arguments: [domain]).map(nationalDV)
    }

    static func upsertNationalDV(_ db: Database, domain: String, _ dv: NationalDV) throws {
        try db.execute(sql: """
            INSERT INTO spoc_national_dv (domain, holder, certificate_sha256, root, callback_url, registered_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(domain, holder) DO UPDATE SET certificate_sha256 = excluded.certificate_sha256, root = excluded.root,
              callback_url = excluded.callback_url, registered_at = excluded.registered_at
            """, arguments: [domain, dv.holder, dv.certificateFingerprint, Data(dv.root), dv.callbackURL, dv.registeredAt.timeIntervalSince1970])
    }

    // MARK: messages, log

    static func insertMessage(_ db: Database, domain: String, direction: String, country: String, messageID: String, subject: String, body: String,
                              now: Date) throws {
        try db.execute(sql: "INSERT INTO spoc_message (domain, direction, country, message_id, subject, body, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       arguments: [domain, direction, country, messageID, subject, body, now.timeIntervalSince1970])
    }

    static func messages(_ db: Database, domain: String) throws -> [SPOCGeneralMessage] {
        try Row.fetchAll(db, sql: "SELECT * FROM spoc_message WHERE domain = ? ORDER BY id", arguments: [domain]).map {
            SPOCGeneralMessage(direction: $0["direction"], country: $0["country"], messageID: $0["message_id"], subject: $0["subject"], body: $0["body"],
                               at: Date(timeIntervalSince1970: $0["at"]))
        }
    }

    static func log(_ db: Database, domain: String, _ entry: SPOCLogEntry) throws {
        try db.execute(sql: "INSERT INTO spoc_log (domain, at, direction, country, operation, message_id, result, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       arguments: [domain, entry.at.timeIntervalSince1970, entry.direction.rawValue, entry.country, entry.operation, entry.messageID,
                                   entry.result, entry.detail])
    }

    static func log(_ db: Database, domain: String) throws -> [SPOCLogEntry] {
        try Row.fetchAll(db, sql: "SELECT * FROM spoc_log WHERE domain = ? ORDER BY id", arguments: [domain]).map {
            SPOCLogEntry(at: Date(timeIntervalSince1970: $0["at"]), direction: SPOCLogEntry.Direction(rawValue: $0["direction"]) ?? .inbound,
                         country: $0["country"], operation: $0["operation"], messageID: $0["message_id"], result: $0["result"], detail: $0["detail"])
        }
    }
}

/// Splits concatenated DER objects (certificates kept in one column): each carries its own length.
enum DERSequenceSplitter {
    static func split(_ bytes: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var index = 0
        while index + 2 <= bytes.count {
            var length = Int(bytes[index + 1])
            var header = 2
            if length & 0x80 != 0 {
                let count = length & 0x7F
                guard count >= 1, count <= 4, index + 2 + count <= bytes.count else { break }
                length = bytes[(index + 2)..<(index + 2 + count)].reduce(0) { $0 << 8 | Int($1) }
                header += count
            }
            // CV certificates start with a two-byte tag (7F21).
            if bytes[index] & 0x1F == 0x1F {
                guard index + 3 <= bytes.count else { break }
                length = Int(bytes[index + 2])
                header = 3
                if length & 0x80 != 0 {
                    let count = length & 0x7F
                    guard count >= 1, count <= 4, index + 3 + count <= bytes.count else { break }
                    length = bytes[(index + 3)..<(index + 3 + count)].reduce(0) { $0 << 8 | Int($1) }
                    header += count
                }
            }
            let end = index + header + length
            guard end <= bytes.count else { break }
            out.append(Array(bytes[index..<end]))
            index = end
        }
        return out
    }
}

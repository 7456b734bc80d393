import Foundation
import PKICore
import Store

/// Where a document is on the line. Each step is one store transaction with its audit entry.
///
/// ```
/// received → keysMade → signed → written → locked → verified
///     └──────────┴─────────┴─────────┴────────┴──→ failed (the step, the reason; its EF.SOD and keys void)
/// ```
public enum PersonalizationState: String, Sendable, Codable, CaseIterable {
    case received
    case keysMade
    case signed
    case written
    case locked
    case verified
    case failed
}

/// One attempt at one document, as the journal keeps it.
public struct PersonalizationAttempt: Sendable, Hashable {
    public let id: Int64
    public let domain: String
    public let documentNumber: String
    public let attempt: Int
    public let state: PersonalizationState
    /// The step in progress when it failed: probe, keys, sign, write, lock, verify, or interrupted.
    public let failedStep: String?
    public let reason: String?
    public let reader: String
    public let worker: String
    public let orderDigest: String
    public let sodDigest: String?
    public let keyDigests: [String: String]
    public let void: Bool
    public let statistics: ChipWriter.Statistics?
    public let createdAt: Date
    public let updatedAt: Date

    public var jsonValue: JSONValue {
        let time = ISO8601DateFormatter()
        var object: [(String, JSONValue)] = [
            ("documentNumber", .string(documentNumber)), ("attempt", .integer(attempt)), ("state", .string(state.rawValue)),
        ]
        if let failedStep { object.append(("failedStep", .string(failedStep))) }
        if let reason { object.append(("reason", .string(reason))) }
        object += [("reader", .string(reader)), ("worker", .string(worker)), ("orderDigest", .string(orderDigest)), ("void", .bool(void))]
        if let sodDigest { object.append(("sodDigest", .string(sodDigest))) }
        if !keyDigests.isEmpty { object.append(("keyDigests", .object(keyDigests.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }))) }
        if let statistics {
            object += [("commands", .integer(statistics.commands)), ("bytesSent", .integer(statistics.bytesSent)),
                       ("bytesReceived", .integer(statistics.bytesReceived))]
        }
        object += [("createdAt", .string(time.string(from: createdAt))), ("updatedAt", .string(time.string(from: updatedAt)))]
        return .object(object)
    }
}

/// The personalization journal of one domain on the store: every document's attempts and their steps.
public struct PersonalizationJournal: Sendable {
    public static let migrations = PersonalizationRepository.migrations

    public let store: EPKIStore
    public let domain: String
    public let clock: any PKIClock
    /// host:pid of this process: an attempt left unfinished by a process that is gone is ended on restart.
    public let worker: String

    public init(store: EPKIStore, domain: String, clock: any PKIClock = SystemClock()) throws {
        try Domain.validate(domain)
        self.store = store
        self.domain = domain
        self.clock = clock
        worker = Self.currentWorker
    }

    public static var currentWorker: String { "\(ProcessInfo.processInfo.hostName):\(getpid())" }

    /// The domain's chip profile (the default when none was set).
    public func profile() throws -> ChipProfile {
        try store.read { db in try PersonalizationRepository.profile(db, domain: domain) } ?? ChipProfile()
    }

    /// Sets the domain's chip profile, validated, with its audit entry; creates the domain if it is new.
    public func setProfile(_ profile: ChipProfile) throws {
        try profile.validate()
        let json = String(decoding: try JSONEncoder.sorted.encode(profile), as: UTF8.self)
        try store.write { db in
            try EPKIStore.ensureDomain(db, name: domain, now: clock.now())
            try PersonalizationRepository.setProfile(db, domain: domain, json: json)
            try AuditTrail.append(db, domain: domain, action: "perso.profile.set", subject: domain, details: ["profile": json], now: clock.now())
        }
    }

    /// Opens an attempt for a document: refused when the document is personalized or being personalized.
    public func begin(documentNumber: String, orderDigest: String, reader: String) throws -> PersonalizationAttempt {
        try store.write { db in
            try EPKIStore.ensureDomain(db, name: domain, now: clock.now())
            if let live = try PersonalizationRepository.live(db, domain: domain, documentNumber: documentNumber) {
                if live.state == .verified {
                    throw PersonalizationError(.alreadyPersonalized, "document \(documentNumber) was personalized already (attempt \(live.attempt), reader \(live.reader), \(ISO8601DateFormatter().string(from: live.updatedAt)))")
                }
                throw PersonalizationError(.alreadyPersonalized, "document \(documentNumber) is being personalized by \(live.worker) on \(live.reader) (attempt \(live.attempt), \(live.state.rawValue))")
            }
            let number = try PersonalizationRepository.nextAttemptNumber(db, domain: domain, documentNumber: documentNumber)
            let id = try PersonalizationRepository.insert(db, domain: domain, documentNumber: documentNumber, attempt: number, reader: reader,
                                                          worker: worker, orderDigest: orderDigest, now: clock.now())
            try AuditTrail.append(db, domain: domain, action: "perso.received", subject: documentNumber,
                                  details: ["attempt": String(number), "reader": reader, "order": orderDigest, "worker": worker], now: clock.now())
            return try PersonalizationRepository.attempts(db, domain: domain, documentNumber: documentNumber).first { $0.id == id }
                ?? { throw PersonalizationError(.journal, "the new attempt of \(documentNumber) is not in the store") }()
        }
    }

    /// Records that an attempt reached `state`, with what the step produced.
    public func advance(_ attempt: PersonalizationAttempt, to state: PersonalizationState, sodDigest: String? = nil, keyDigests: [String: String]? = nil,
                        statistics: ChipWriter.Statistics? = nil, details: [String: String] = [:]) throws {
        try store.write { db in
            try PersonalizationRepository.update(db, id: attempt.id, state: state, sodDigest: sodDigest, keyDigests: keyDigests, statistics: statistics,
                                                 now: clock.now())
            var entry = details.merging(["attempt": String(attempt.attempt), "reader": attempt.reader]) { $1 }
            if let sodDigest { entry["sod"] = sodDigest }
            for (name, digest) in keyDigests ?? [:] { entry[name] = digest }
            try AuditTrail.append(db, domain: domain, action: "perso.\(state.rawValue)", subject: attempt.documentNumber, details: entry, now: clock.now())
        }
    }

    /// Ends an attempt as failed at `step`: its EF.SOD and chip keys are void (the card is spoiled), and the
    /// document may be made again on another card.
    public func fail(_ attempt: PersonalizationAttempt, step: String, reason: String, statistics: ChipWriter.Statistics? = nil) throws {
        try store.write { db in
            let current = try PersonalizationRepository.attempts(db, domain: domain, documentNumber: attempt.documentNumber).first { $0.id == attempt.id }
            try PersonalizationRepository.fail(db, id: attempt.id, step: step, reason: reason, statistics: statistics, now: clock.now())
            var details = ["attempt": String(attempt.attempt), "reader": attempt.reader, "step": step, "reason": reason]
            if let sod = current?.sodDigest { details["voidSOD"] = sod }
            for (name, digest) in current?.keyDigests ?? [:] { details["void " + name] = digest }
            try AuditTrail.append(db, domain: domain, action: "perso.failed", subject: attempt.documentNumber, details: details, now: clock.now())
        }
    }

    /// Ends the attempts a process left unfinished when it died (a kill, a crash, a power cut): their worker is a
    /// process of this host that no longer runs. Attempts of live processes and of other hosts are left alone.
    /// Returns the attempts ended.
    @discardableResult
    public func recoverInterrupted() throws -> [PersonalizationAttempt] {
        let host = ProcessInfo.processInfo.hostName
        let unfinished = try store.read { db in try PersonalizationRepository.unfinished(db) }.filter { $0.domain == domain }
        var ended: [PersonalizationAttempt] = []
        for attempt in unfinished {
            let parts = attempt.worker.split(separator: ":")
            guard parts.count == 2, String(parts[0]) == host, let pid = Int32(parts[1]), pid != getpid() else { continue }
            if kill(pid, 0) == 0 || errno == EPERM { continue }  // still running
            var reason = "interrupted: the line process \(attempt.worker) ended during '\(attempt.state.rawValue)'"
            if attempt.state == .written || attempt.state == .locked {
                // Every file is on the chip, so the chip may pass an inspection; its SOD is void from now on, and
                // only the journal says so. The booklet must not leave the line.
                reason += "; the chip in reader \(attempt.reader) holds the whole document with a void SOD: take that booklet out and destroy it"
            }
            try fail(attempt, step: "interrupted", reason: reason)
            ended.append(attempt)
        }
        return ended
    }

    public func attempts(documentNumber: String? = nil) throws -> [PersonalizationAttempt] {
        try store.read { db in try PersonalizationRepository.attempts(db, domain: domain, documentNumber: documentNumber) }
    }

    /// The number of attempts in each state.
    public func counts() throws -> [PersonalizationState: Int] {
        try store.read { db in
            var counts: [PersonalizationState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM perso_attempt WHERE domain = ? GROUP BY state", arguments: [domain]) {
                if let state = PersonalizationState(rawValue: row["state"]) { counts[state] = row["n"] }
            }
            return counts
        }
    }
}

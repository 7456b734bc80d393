import Foundation
import PKICore

/// Officers, roles and four-eyes approval for a domain, on the store.
///
/// A domain is under governance once it has an officer (`enrolFirst`); from then on every governed operation needs
/// an officer's signed statement (`authorize`): the officer must hold the operation's role, and a dual-control
/// operation becomes a `Proposal` that a second, distinct officer with the role (or a key custodian, for a key
/// ceremony) approves before it runs, once, with exactly the parameters proposed. Every refusal is audited.
///
/// ```
/// officer    domain, name, roles, public key and its SHA-256, enrolled, removed
/// proposal   domain, operation, parameters and their hash, proposer and signature, expiry, state, approver and signature
/// ```
public enum Governance {
    static let migrations: [EPKIStore.Migration] = governanceMigrations + policyMigrations

    static let governanceMigrations: [EPKIStore.Migration] = [
        .init("store-v3-governance") { db in
            try db.create(table: "officer") { t in
                t.column("domain", .text).notNull().references("domain")
                t.column("name", .text).notNull()
                t.column("roles", .text).notNull()
                t.column("public_key", .blob).notNull()
                t.column("fingerprint", .text).notNull()
                t.column("enrolled_at", .double).notNull()
                t.column("removed_at", .double)
                t.primaryKey(["domain", "name"])
            }
            try db.execute(sql: "CREATE UNIQUE INDEX officer_key ON officer(domain, fingerprint) WHERE removed_at IS NULL")
            try db.create(table: "proposal") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("domain", .text).notNull().references("domain")
                t.column("operation", .text).notNull()
                t.column("parameters", .text).notNull()
                t.column("parameters_hash", .text).notNull()
                t.column("proposer", .text).notNull()
                t.column("proposer_signature", .blob).notNull()
                t.column("proposed_at", .double).notNull()
                t.column("expires_at", .double).notNull()
                t.column("state", .text).notNull()
                t.column("approver", .text)
                t.column("approver_signature", .blob)
                t.column("decided_at", .double)
            }
        },
    ]

    /// How long a proposal waits for its second officer.
    public static let proposalLifetime: TimeInterval = 72 * 3_600

    static func algorithm(for key: PublicKey) -> SignatureAlgorithm {
        key.isEC ? .ecdsa(.sha256) : .rsaPKCS1v15(.sha256)
    }

    // MARK: officers

    public static func officers(_ db: Database, domain: String) throws -> [Officer] {
        try Row.fetchAll(db, sql: "SELECT * FROM officer WHERE domain = ? AND removed_at IS NULL ORDER BY name", arguments: [domain]).map(officer)
    }

    static func officer(_ row: Row) throws -> Officer {
        let roles = (row["roles"] as String).split(separator: ",").compactMap { OfficerRole(rawValue: String($0)) }
        return Officer(domain: row["domain"], name: row["name"], roles: Set(roles), publicKey: try PublicKey(derEncoded: Array(row["public_key"] as Data)),
                       fingerprint: row["fingerprint"], enrolledAt: Date(timeIntervalSince1970: row["enrolled_at"]))
    }

    public static func isGoverned(_ db: Database, domain: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM officer WHERE domain = ? AND removed_at IS NULL)", arguments: [domain]) ?? false
    }

    /// The first officer of a domain, a super-administrator, which puts the domain under governance (creating it
    /// if new). Refused once the domain has an officer: after that, `enrol` by a super-administrator.
    public static func enrolFirst(store: EPKIStore, domain: String, name: String, publicKey: PublicKey, now: Date) throws -> Officer {
        try store.write { db in
            try EPKIStore.ensureDomain(db, name: domain, now: now)
            guard try !isGoverned(db, domain: domain) else {
                throw StoreError(.unauthorized, "domain '\(domain)' has officers already; a super-admin enrols more with `epki officer add --officer …`")
            }
            return try insert(db, domain: domain, name: name, roles: [.superAdministrator], publicKey: publicKey, by: "bootstrap", now: now)
        }
    }

    /// Enrols an officer (the caller authorized `officer.add` first).
    public static func enrol(store: EPKIStore, domain: String, name: String, roles: Set<OfficerRole>, publicKey: PublicKey, by: Officer, now: Date) throws -> Officer {
        guard !roles.isEmpty else { throw StoreError(.invalidName, "an officer needs at least one role") }
        guard !(roles.contains(.superAdministrator) && roles.count > 1) else {
            throw StoreError(.invalidName, "a super-admin only manages officers; give the other roles to another officer")
        }
        return try store.write { db in try insert(db, domain: domain, name: name, roles: roles, publicKey: publicKey, by: by.name, now: now) }
    }

    private static func insert(_ db: Database, domain: String, name: String, roles: Set<OfficerRole>, publicKey: PublicKey, by: String, now: Date) throws -> Officer {
        guard !name.isEmpty, name.count <= 64, !name.contains(",") else { throw StoreError(.invalidName, "'\(name)' is not an officer name") }
        let fingerprint = try HashAlgorithm.sha256.hash(publicKey.derEncoded).hexString.lowercased()
        if try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM officer WHERE domain = ? AND (name = ? OR (fingerprint = ? AND removed_at IS NULL)))",
                             arguments: [domain, name, fingerprint]) == true {
            throw StoreError(.domainExists, "an officer named '\(name)' or with that key is enrolled in '\(domain)' already")
        }
        let sortedRoles = roles.map(\.rawValue).sorted()
        try db.execute(sql: "INSERT INTO officer (domain, name, roles, public_key, fingerprint, enrolled_at) VALUES (?, ?, ?, ?, ?, ?)",
                       arguments: [domain, name, sortedRoles.joined(separator: ","), Data(publicKey.derEncoded), fingerprint, now.timeIntervalSince1970])
        try AuditTrail.append(db, domain: domain, action: "officer.enrol", subject: name,
                              details: ["roles": sortedRoles.joined(separator: ","), "key": fingerprint, "by": by], now: now)
        return Officer(domain: domain, name: name, roles: roles, publicKey: publicKey, fingerprint: fingerprint, enrolledAt: now)
    }

    public static func remove(store: EPKIStore, domain: String, name: String, by: Officer, now: Date) throws {
        try store.write { db in
            try db.execute(sql: "UPDATE officer SET removed_at = ? WHERE domain = ? AND name = ? AND removed_at IS NULL", arguments: [now.timeIntervalSince1970, domain, name])
            guard db.changesCount > 0 else { throw StoreError(.notFound, "no officer '\(name)' in '\(domain)'") }
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM officer WHERE domain = ? AND removed_at IS NULL AND roles = 'super-admin'", arguments: [domain]) ?? 0 > 0 else {
                throw StoreError(.unauthorized, "'\(name)' is the last super-admin of '\(domain)'")
            }
            try AuditTrail.append(db, domain: domain, action: "officer.remove", subject: name, details: ["by": by.name], now: now)
        }
    }

    // MARK: authorization

    /// What `authorize` decided.
    public enum Decision: Sendable {
        /// The domain has no officers: the operation runs as before.
        case ungoverned
        /// The officer holds the role and the operation needs no second officer (or this is the approved run).
        case authorized(Officer)
        /// A dual-control operation: recorded as a proposal for a second officer.
        case proposed(Proposal)
    }

    /// Decides whether `credential` may run `operation` with `parameters` in `domain` now. A dual-control
    /// operation becomes a proposal, unless `approved` names the proposal being run after its approval (then the
    /// parameters must be the very ones approved). Refusals are audited and thrown.
    public static func authorize(store: EPKIStore, domain: String, operation name: String, parameters: [String], credential: OfficerCredential?,
                                 approved: Int64? = nil, now: Date) throws -> Decision {
        try authorize(store: store, domain: domain, operation: name, parameters: parameters, proof: credential.map(OfficerProof.credential),
                      approved: approved, now: now)
    }

    /// `authorize` for either kind of proof; `payload` is kept with a proposal (an API request's body, to run it
    /// as proposed once approved).
    public static func authorize(store: EPKIStore, domain: String, operation name: String, parameters: [String], proof: OfficerProof?,
                                 approved: Int64? = nil, payload: [UInt8]? = nil, now: Date) throws -> Decision {
        guard let operation = GovernedOperation.named(name) else { throw StoreError(.notFound, "'\(name)' is not a governed operation") }
        let governed = try store.read { db in try EPKIStore.domain(db, name: domain) != nil && isGoverned(db, domain: domain) }
        guard governed else { return .ungoverned }
        let hash = try OfficerStatement.hash(parameters: parameters)
        if let approved {
            let proposal = try self.proposal(store: store, domain: domain, id: approved)
            guard proposal.state == .executing, proposal.operation == name, proposal.parametersHash == hash else {
                throw try refuse(store, domain, name, nil, "proposal \(approved) does not approve \(name) with these parameters")
            }
            guard let approver = try store.read({ db in try officers(db, domain: domain) }).first(where: { $0.name == proposal.approver }) else {
                throw try refuse(store, domain, name, nil, "the approver of proposal \(approved) is no longer an officer")
            }
            return .authorized(approver)
        }
        let officer = try identify(store: store, domain: domain, operation: name, proof: proof)
        guard officer.holds(operation.role) else {
            throw try refuse(store, domain, name, officer, "\(officer.name) (\(officer.roles.map(\.rawValue).sorted().joined(separator: ", "))) does not hold the role \(operation.role)")
        }
        let policy = try store.read { db in try self.policy(db, domain: domain, operation: operation) }
        let act = policy.dualControl ? "propose" : "run"
        let (signature, signedAt) = try prove(store, domain, name, officer, proof, act: act, parametersHash: hash, now: now)
        guard policy.dualControl else {
            try store.write { db in
                try AuditTrail.append(db, domain: domain, actor: "officer:\(officer.name)", action: "governance.authorize", subject: name,
                                      details: ["officer": officer.name, "parameters": hash, "signature": Data(signature).base64EncodedString(),
                                                "proof": proof?.kind ?? ""], now: now)
            }
            return .authorized(officer)
        }
        let parametersJSON = String(decoding: try JSONEncoder().encode(parameters), as: UTF8.self)
        let proposal = try store.write { db -> Proposal in
            try db.execute(sql: """
                INSERT INTO proposal (domain, operation, parameters, parameters_hash, proposer, proposer_signature, proposed_at, expires_at, state,
                                      approvals_required, payload)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
                """, arguments: [domain, name, parametersJSON, hash, officer.name, Data(signature), signedAt.timeIntervalSince1970,
                                 now.addingTimeInterval(proposalLifetime).timeIntervalSince1970, policy.approvals, payload.map { Data($0) }])
            let id = try db.lastInsertedRowID
            try AuditTrail.append(db, domain: domain, actor: "officer:\(officer.name)", action: "governance.propose", subject: name,
                                  details: ["proposal": "\(id)", "officer": officer.name, "parameters": hash, "approvalsRequired": "\(policy.approvals)",
                                            "signature": Data(signature).base64EncodedString(), "proof": proof?.kind ?? ""], now: now)
            return try Self.proposal(db, domain: domain, id: id)
        }
        return .proposed(proposal)
    }

    /// The statement an officer signs for `act` on `operation` with these parameters at `time` (what an API client
    /// is given to sign).
    public static func statement(domain: String, operation: String, parameters: [String], act: String, time: Date) throws -> OfficerStatement {
        OfficerStatement(domain: domain, operation: operation, parametersHash: try OfficerStatement.hash(parameters: parameters), act: act, time: time)
    }

    /// The rule in force for one operation.
    public static func policy(store: EPKIStore, domain: String, operation name: String) throws -> OperationPolicy {
        guard let operation = GovernedOperation.named(name) else { throw StoreError(.notFound, "'\(name)' is not a governed operation") }
        return try store.read { db in try policy(db, domain: domain, operation: operation) }
    }

    /// Decides for an officer already authenticated by other means (the administration API's mutual TLS, where
    /// the handshake proved the key): identified by the SHA-256 of its public key, holding the role; a dual-control
    /// operation is refused here (a proposal carries the proposer's signature on its statement: the API proposes
    /// with `authorize(…, proof: .signedStatement…)`). Refusals are audited.
    public static func authorize(store: EPKIStore, domain: String, operation name: String, parameters: [String], authenticatedKey fingerprint: String,
                                 now: Date) throws -> Officer {
        guard let operation = GovernedOperation.named(name) else { throw StoreError(.notFound, "'\(name)' is not a governed operation") }
        let officer = try store.read { db -> Officer? in
            guard try EPKIStore.domain(db, name: domain) != nil else { return nil }
            return try officers(db, domain: domain).first { $0.fingerprint == fingerprint }
        }
        guard let officer else {
            if try store.read({ db in try EPKIStore.domain(db, name: domain) != nil }) {
                throw try refuse(store, domain, name, nil, "the client key \(fingerprint.prefix(16))… is no officer's of '\(domain)'")
            }
            throw StoreError(.unknownDomain, "no domain '\(domain)'")
        }
        guard officer.holds(operation.role) else {
            throw try refuse(store, domain, name, officer, "\(officer.name) (\(officer.roles.map(\.rawValue).sorted().joined(separator: ", "))) does not hold the role \(operation.role)")
        }
        guard try !store.read({ db in try policy(db, domain: domain, operation: operation) }).dualControl else {
            throw try refuse(store, domain, name, officer, "\(name) needs a second officer: propose it with a signed statement (Epki-Officer-Signature)")
        }
        try store.write { db in
            try AuditTrail.append(db, domain: domain, actor: "officer:\(officer.name)", action: "governance.authorize", subject: name,
                                  details: ["officer": officer.name, "parameters": try OfficerStatement.hash(parameters: parameters), "proof": "mutual TLS"], now: now)
        }
        return officer
    }

    /// The officer whose key has this SHA-256, if any (read-only routes of the API).
    public static func officer(store: EPKIStore, domain: String, fingerprint: String) throws -> Officer? {
        try store.read { db in
            guard try EPKIStore.domain(db, name: domain) != nil else { return nil }
            return try officers(db, domain: domain).first { $0.fingerprint == fingerprint }
        }
    }

    /// An officer approves a pending proposal: distinct from the proposer and from the officers who approved it
    /// already, holding the role (or key custodian for a ceremony), before expiry, for the parameters the proposer
    /// signed. With the last approval the policy asks for (M of N) the proposal is `executing`: the caller runs it
    /// and calls `finish`; before that it stays `pending`.
    public static func approve(store: EPKIStore, domain: String, id: Int64, credential: OfficerCredential?, now: Date) throws -> Proposal {
        try approve(store: store, domain: domain, id: id, proof: credential.map(OfficerProof.credential), now: now)
    }

    public static func approve(store: EPKIStore, domain: String, id: Int64, proof: OfficerProof?, now: Date) throws -> Proposal {
        let proposal = try self.proposal(store: store, domain: domain, id: id)
        guard let operation = GovernedOperation.named(proposal.operation) else { throw StoreError(.notFound, "'\(proposal.operation)' is not a governed operation") }
        let officer = try identify(store: store, domain: domain, operation: proposal.operation, proof: proof)
        guard proposal.state == .pending else {
            throw try refuse(store, domain, proposal.operation, officer, "proposal \(id) is \(proposal.state), not pending; it runs once")
        }
        guard now < proposal.expiresAt else {
            throw try refuse(store, domain, proposal.operation, officer, "proposal \(id) expired at \(Time.iso8601(proposal.expiresAt))")
        }
        guard officer.name != proposal.proposer else {
            throw try refuse(store, domain, proposal.operation, officer, "\(officer.name) proposed \(id); a second, distinct officer must approve it")
        }
        guard !proposal.approvals.contains(where: { $0.officer == officer.name }) else {
            throw try refuse(store, domain, proposal.operation, officer, "\(officer.name) approved proposal \(id) already; the next approval must be another officer's")
        }
        guard officer.holds(operation.role) || (operation.ceremony && officer.holds(.keyCustodian)) else {
            throw try refuse(store, domain, proposal.operation, officer, "\(officer.name) does not hold the role \(operation.role)\(operation.ceremony ? " or key-custodian" : "") to approve \(proposal.operation)")
        }
        let proposer = try store.read { db in try Row.fetchOne(db, sql: "SELECT * FROM officer WHERE domain = ? AND name = ?", arguments: [domain, proposal.proposer]).map(Self.officer) }
        let proposed = OfficerStatement(domain: domain, operation: proposal.operation, parametersHash: proposal.parametersHash, act: "propose", time: proposal.proposedAt)
        guard let proposer, try OfficerStatement.hash(parameters: proposal.parameters) == proposal.parametersHash,
              (try? proposer.publicKey.isValidSignature(proposal.proposerSignature, for: proposed.bytes, algorithm: algorithm(for: proposer.publicKey))) == true else {
            throw try refuse(store, domain, proposal.operation, officer, "proposal \(id) no longer matches what \(proposal.proposer) signed: its parameters were changed")
        }
        let (signature, signedAt) = try prove(store, domain, proposal.operation, officer, proof, act: "approve \(id)", parametersHash: proposal.parametersHash, now: now)
        return try store.write { db in
            try db.execute(sql: "INSERT INTO proposal_approval (proposal_id, officer, signature, approved_at, proof) VALUES (?, ?, ?, ?, ?)",
                           arguments: [id, officer.name, Data(signature), signedAt.timeIntervalSince1970, proof?.kind ?? ""])
            let given = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM proposal_approval WHERE proposal_id = ?", arguments: [id]) ?? 0
            if given >= proposal.approvalsRequired {
                try db.execute(sql: "UPDATE proposal SET state = 'executing', approver = ?, approver_signature = ?, decided_at = ? WHERE id = ? AND state = 'pending'",
                               arguments: [officer.name, Data(signature), now.timeIntervalSince1970, id])
                guard db.changesCount == 1 else { throw StoreError(.unauthorized, "proposal \(id) was decided meanwhile") }
            }
            try AuditTrail.append(db, domain: domain, actor: "officer:\(officer.name)", action: "governance.approve", subject: proposal.operation,
                                  details: ["proposal": "\(id)", "officer": officer.name, "proposer": proposal.proposer, "parameters": proposal.parametersHash,
                                            "approval": "\(given) of \(proposal.approvalsRequired)", "proof": proof?.kind ?? "",
                                            "signature": Data(signature).base64EncodedString()], now: now)
            return try Self.proposal(db, domain: domain, id: id)
        }
    }

    /// Records how the approved run ended.
    public static func finish(store: EPKIStore, domain: String, id: Int64, succeeded: Bool, detail: String, now: Date) throws {
        try store.write { db in
            try db.execute(sql: "UPDATE proposal SET state = ? WHERE id = ? AND state = 'executing'", arguments: [succeeded ? "executed" : "failed", id])
            try AuditTrail.append(db, domain: domain, action: succeeded ? "governance.executed" : "governance.failed", subject: "\(id)", details: ["detail": detail], now: now)
        }
    }

    public static func reject(store: EPKIStore, domain: String, id: Int64, credential: OfficerCredential?, now: Date) throws {
        try reject(store: store, domain: domain, id: id, proof: credential.map(OfficerProof.credential), now: now)
    }

    public static func reject(store: EPKIStore, domain: String, id: Int64, proof: OfficerProof?, now: Date) throws {
        let proposal = try self.proposal(store: store, domain: domain, id: id)
        let officer = try identify(store: store, domain: domain, operation: proposal.operation, proof: proof)
        guard let operation = GovernedOperation.named(proposal.operation), officer.holds(operation.role) || officer.name == proposal.proposer else {
            throw try refuse(store, domain, proposal.operation, officer, "\(officer.name) may not reject proposal \(id)")
        }
        _ = try prove(store, domain, proposal.operation, officer, proof, act: "reject \(id)", parametersHash: proposal.parametersHash, now: now)
        try store.write { db in
            try db.execute(sql: "UPDATE proposal SET state = 'rejected', approver = ?, decided_at = ? WHERE id = ? AND state = 'pending'",
                           arguments: [officer.name, now.timeIntervalSince1970, id])
            guard db.changesCount == 1 else { throw StoreError(.unauthorized, "proposal \(id) is not pending") }
            try AuditTrail.append(db, domain: domain, action: "governance.reject", subject: proposal.operation, details: ["proposal": "\(id)", "officer": officer.name], now: now)
        }
    }

    public static func proposals(store: EPKIStore, domain: String) throws -> [Proposal] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM proposal WHERE domain = ? ORDER BY id", arguments: [domain]).map { try proposal(db, $0) }
        }
    }

    static func proposal(store: EPKIStore, domain: String, id: Int64) throws -> Proposal {
        try store.read { db in try proposal(db, domain: domain, id: id) }
    }

    static func proposal(_ db: Database, domain: String, id: Int64) throws -> Proposal {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM proposal WHERE domain = ? AND id = ?", arguments: [domain, id]) else {
            throw StoreError(.notFound, "no proposal \(id) in '\(domain)'")
        }
        return try proposal(db, row)
    }

    static func proposal(_ db: Database, _ row: Row) throws -> Proposal {
        let approvals = try Row.fetchAll(db, sql: "SELECT * FROM proposal_approval WHERE proposal_id = ? ORDER BY approved_at, rowid", arguments: [row["id"] as Int64]).map {
            ProposalApproval(officer: $0["officer"], signature: Array($0["signature"] as Data), time: Date(timeIntervalSince1970: $0["approved_at"]), proof: $0["proof"])
        }
        let parameters = (try? JSONDecoder().decode([String].self, from: Data((row["parameters"] as String).utf8))) ?? []
        let decided: Double? = row["decided_at"]
        let approverSignature: Data? = row["approver_signature"]
        return Proposal(id: row["id"], domain: row["domain"], operation: row["operation"], parameters: parameters, parametersHash: row["parameters_hash"],
                        proposer: row["proposer"], proposedAt: Date(timeIntervalSince1970: row["proposed_at"]),
                        proposerSignature: Array(row["proposer_signature"] as Data), expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
                        state: Proposal.State(rawValue: row["state"]) ?? .failed, approver: row["approver"], approverSignature: approverSignature.map(Array.init),
                        decidedAt: decided.map(Date.init(timeIntervalSince1970:)), approvalsRequired: row["approvals_required"], approvals: approvals,
                        payload: (row["payload"] as Data?).map(Array.init))
    }

    // MARK: helpers

    /// The enrolled officer whose key made the proof.
    static func identify(store: EPKIStore, domain: String, operation: String, proof: OfficerProof?) throws -> Officer {
        guard let proof else {
            throw try refuse(store, domain, operation, nil, "domain '\(domain)' is under governance: act as an officer (--officer KEY)")
        }
        let fingerprint = try proof.fingerprint
        guard let officer = try store.read({ db in try officers(db, domain: domain) }).first(where: { $0.fingerprint == fingerprint }) else {
            throw try refuse(store, domain, operation, nil, "the key \(fingerprint.prefix(16))… is no officer's of '\(domain)'")
        }
        return officer
    }

    /// The officer's signature on the statement of `act`, checked against the enrolled key (the credential proves
    /// itself), and the statement's time: now for a credential, the signer's for a signed statement (refused when
    /// further than `OfficerProof.tolerance` from now, so an old signature cannot be replayed later).
    static func prove(_ store: EPKIStore, _ domain: String, _ operation: String, _ officer: Officer, _ proof: OfficerProof?, act: String,
                      parametersHash: String, now: Date) throws -> ([UInt8], Date) {
        let signature: [UInt8]
        let time: Date
        switch proof {
        case nil:
            throw StoreError(.unauthorized, "no officer credential")
        case .credential(let credential)?:
            time = now
            signature = try credential.sign(OfficerStatement(domain: domain, operation: operation, parametersHash: parametersHash, act: act, time: now))
        case .signedStatement(_, let signedAt, let given)?:
            guard abs(signedAt.timeIntervalSince(now)) <= OfficerProof.tolerance else {
                throw try refuse(store, domain, operation, officer, "\(officer.name)'s statement is dated \(Time.iso8601(signedAt)), more than \(Int(OfficerProof.tolerance)) s from now; sign a fresh one")
            }
            time = signedAt
            signature = given
        }
        let statement = OfficerStatement(domain: domain, operation: operation, parametersHash: parametersHash, act: act, time: time)
        guard (try? officer.publicKey.isValidSignature(signature, for: statement.bytes, algorithm: algorithm(for: officer.publicKey))) == true else {
            throw try refuse(store, domain, operation, officer, "\(officer.name)'s signature does not verify with the enrolled key over the statement of '\(act)'")
        }
        return (signature, time)
    }

    /// Audits a refusal decided outside `authorize` (a read route of the API reached by a key that is no officer of
    /// the domain); nothing is written for a domain that does not exist.
    public static func recordRefusal(store: EPKIStore, domain: String, operation: String, reason: String) throws {
        guard try store.read({ db in try EPKIStore.domain(db, name: domain) != nil }) else { return }
        _ = try refuse(store, domain, operation, nil, reason)
    }

    static func refuse(_ store: EPKIStore, _ domain: String, _ operation: String, _ officer: Officer?, _ reason: String) throws -> StoreError {
        try store.write { db in
            try AuditTrail.append(db, domain: domain, action: "governance.refused", subject: operation,
                                  details: ["officer": officer?.name ?? "(none)", "reason": reason], now: Date())
        }
        return StoreError(.unauthorized, reason)
    }
}

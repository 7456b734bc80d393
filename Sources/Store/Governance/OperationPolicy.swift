import Foundation
import PKICore

/// A domain's rule for one governed operation: whether it needs a second officer, and how many approvals
/// (M of the N officers who may approve it: the role's holders, and key custodians for a key ceremony).
///
/// ```
/// governance_policy   domain, operation, dual_control, approvals, set_at, set_by
/// ```
/// An operation without a row follows `GovernedOperation`'s default (dual control with one approval, or none).
/// Key ceremonies and the policy itself always stay under dual control: a policy change may raise the number of
/// approvals, never let one officer make a CSCA or CVCA key alone.
public struct OperationPolicy: Sendable, Hashable {
    public let operation: GovernedOperation
    public let dualControl: Bool
    /// Approvals needed besides the proposer's own signature (1: four eyes).
    public let approvals: Int
    /// Who set it (the officer who ran the approved change); nil for the default.
    public let setBy: String?

    public var isDefault: Bool { setBy == nil }

    /// The most approvals a policy may ask for.
    public static let maximumApprovals = 9

    /// Operations whose dual control a policy cannot lift.
    public static func mustStayDualControl(_ operation: GovernedOperation) -> Bool {
        operation.ceremony || operation.name == "governance.policy"
    }
}

extension Governance {
    static let policyMigrations: [EPKIStore.Migration] = [
        .init("store-v4-governance-quorum") { db in
            try db.alter(table: "proposal") { t in
                t.add(column: "approvals_required", .integer).notNull().defaults(to: 1)
                // The request body of an API proposal, run as it was proposed once approved.
                t.add(column: "payload", .blob)
            }
            try db.create(table: "proposal_approval") { t in
                t.column("proposal_id", .integer).notNull().references("proposal")
                t.column("officer", .text).notNull()
                t.column("signature", .blob).notNull()
                t.column("approved_at", .double).notNull()
                t.column("proof", .text).notNull()
                t.primaryKey(["proposal_id", "officer"])
            }
            try db.create(table: "governance_policy") { t in
                t.column("domain", .text).notNull().references("domain")
                t.column("operation", .text).notNull()
                t.column("dual_control", .boolean).notNull()
                t.column("approvals", .integer).notNull()
                t.column("set_at", .double).notNull()
                t.column("set_by", .text).notNull()
                t.primaryKey(["domain", "operation"])
            }
        },
    ]

    /// The rule in force for `operation` in the domain.
    public static func policy(_ db: Database, domain: String, operation: GovernedOperation) throws -> OperationPolicy {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM governance_policy WHERE domain = ? AND operation = ?", arguments: [domain, operation.name]) else {
            return OperationPolicy(operation: operation, dualControl: operation.dualControl, approvals: operation.dualControl ? 1 : 0, setBy: nil)
        }
        let dual: Bool = row["dual_control"]
        return OperationPolicy(operation: operation, dualControl: dual || OperationPolicy.mustStayDualControl(operation),
                               approvals: dual ? max(1, row["approvals"] as Int) : 0, setBy: row["set_by"])
    }

    public static func policies(store: EPKIStore, domain: String) throws -> [OperationPolicy] {
        try store.read { db in try GovernedOperation.all.map { try policy(db, domain: domain, operation: $0) } }
    }

    /// The officers who may approve `operation` (besides whoever proposes it).
    static func eligibleApprovers(_ db: Database, domain: String, operation: GovernedOperation) throws -> [Officer] {
        try officers(db, domain: domain).filter { $0.holds(operation.role) || (operation.ceremony && $0.holds(.keyCustodian)) }
    }

    /// Whether the rule may be set, checked before it is proposed and again when it runs: refused are lifting
    /// dual control from a key ceremony or from the policy itself, and asking for more approvals than the domain
    /// has officers to give them (the operation could never run).
    @discardableResult
    public static func checkPolicy(_ db: Database, domain: String, operation name: String, dualControl: Bool, approvals: Int) throws -> GovernedOperation {
        guard let operation = GovernedOperation.named(name) else {
            throw StoreError(.notFound, "'\(name)' is not a governed operation (\(GovernedOperation.all.map(\.name).joined(separator: ", ")))")
        }
        guard dualControl || !OperationPolicy.mustStayDualControl(operation) else {
            throw StoreError(.unauthorized, "\(name) stays under dual control: no policy lets one officer do it alone")
        }
        guard !dualControl || (1...OperationPolicy.maximumApprovals).contains(approvals) else {
            throw StoreError(.invalidName, "approvals must be 1 to \(OperationPolicy.maximumApprovals), not \(approvals)")
        }
        if dualControl {
            let eligible = try eligibleApprovers(db, domain: domain, operation: operation).count
            guard eligible >= approvals + 1 else {
                throw StoreError(.unauthorized, "\(name) with \(approvals) approval(s) needs \(approvals + 1) officers who may propose or approve it "
                                 + "(\(operation.role)\(operation.ceremony ? " or key-custodian" : "")); '\(domain)' has \(eligible)")
            }
        }
        return operation
    }

    public static func checkPolicy(store: EPKIStore, domain: String, operation name: String, dualControl: Bool, approvals: Int) throws {
        try store.read { db in try checkPolicy(db, domain: domain, operation: name, dualControl: dualControl, approvals: approvals) }
    }

    /// Sets the rule for one operation (the caller ran `governance.policy` through `authorize`, approved).
    public static func setPolicy(store: EPKIStore, domain: String, operation name: String, dualControl: Bool, approvals: Int, by: String, now: Date) throws -> OperationPolicy {
        try store.write { db in
            let operation = try checkPolicy(db, domain: domain, operation: name, dualControl: dualControl, approvals: approvals)
            try db.execute(sql: """
                INSERT INTO governance_policy (domain, operation, dual_control, approvals, set_at, set_by) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(domain, operation) DO UPDATE SET dual_control = excluded.dual_control, approvals = excluded.approvals,
                    set_at = excluded.set_at, set_by = excluded.set_by
                """, arguments: [domain, name, dualControl, dualControl ? approvals : 0, now.timeIntervalSince1970, by])
            try AuditTrail.append(db, domain: domain, action: "governance.policy", subject: name,
                                  details: ["dualControl": dualControl ? "yes" : "no", "approvals": "\(dualControl ? approvals : 0)", "by": by], now: now)
            return try policy(db, domain: domain, operation: operation)
        }
    }
}

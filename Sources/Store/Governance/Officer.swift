import Foundation
import PKICore

/// An officer of a domain: a name, roles, and the public key whose signatures identify them. The CLI proves an
/// officer by signing each request with the officer's key (`--officer`); a bare name proves nothing.
public struct Officer: Sendable, Hashable {
    public let domain: String
    public let name: String
    public let roles: Set<OfficerRole>
    public let publicKey: PublicKey
    /// SHA-256 of the SubjectPublicKeyInfo, lower-case hex.
    public let fingerprint: String
    public let enrolledAt: Date

    public func holds(_ role: OfficerRole) -> Bool { roles.contains(role) }
}

/// What an officer signs to act: a statement naming the domain, the operation, the hash of its exact parameters,
/// what the officer does (propose, approve, run) and when.
///
/// ```
/// epki officer statement
/// domain: <domain>
/// operation: <name>
/// parameters: <SHA-256 of the canonical parameters, hex>
/// act: run | propose | approve <proposal id> | reject <proposal id>
/// time: <ISO 8601, UTC>
/// ```
public struct OfficerStatement: Sendable, Hashable {
    public let domain: String
    public let operation: String
    public let parametersHash: String
    public let act: String
    public let time: Date

    public init(domain: String, operation: String, parametersHash: String, act: String, time: Date) {
        self.domain = domain
        self.operation = operation
        self.parametersHash = parametersHash
        self.act = act
        self.time = time
    }

    public var bytes: [UInt8] {
        Array("epki officer statement\ndomain: \(domain)\noperation: \(operation)\nparameters: \(parametersHash)\nact: \(act)\ntime: \(Time.iso8601(time))\n".utf8)
    }

    /// The SHA-256 of canonical parameters: each argument length-prefixed, so no two lists hash alike.
    public static func hash(parameters: [String]) throws -> String {
        try HashAlgorithm.sha256.hash(Array(parameters.map { "\($0.utf8.count):\($0)" }.joined(separator: "\n").utf8)).hexString.lowercased()
    }
}

/// An officer's key at hand: signs statements.
public struct OfficerCredential: Sendable {
    public let signer: any Signer

    public init(signer: any Signer) {
        self.signer = signer
    }

    public var fingerprint: String { get throws { try HashAlgorithm.sha256.hash(signer.publicKey.derEncoded).hexString.lowercased() } }

    public func sign(_ statement: OfficerStatement) throws -> [UInt8] {
        try signer.sign(statement.bytes, algorithm: Governance.algorithm(for: signer.publicKey))
    }
}

/// How an officer proves an act. The CLI holds the officer's key (`credential`) and signs the statement as it acts;
/// an API client, whose key the TLS handshake proved, sends the signature of a statement it was given
/// (`signedStatement`), made with the same key at `time` (at most `OfficerProof.tolerance` from the server's clock).
public enum OfficerProof: Sendable {
    case credential(OfficerCredential)
    case signedStatement(keyFingerprint: String, time: Date, signature: [UInt8])

    /// How far a signed statement's time may be from the clock of the node that checks it.
    public static let tolerance: TimeInterval = 300

    public var fingerprint: String {
        get throws {
            switch self {
            case .credential(let credential): return try credential.fingerprint
            case .signedStatement(let fingerprint, _, _): return fingerprint
            }
        }
    }

    /// What the proof says for this audit entry.
    var kind: String {
        switch self {
        case .credential: return "officer key"
        case .signedStatement: return "signed statement over mutual TLS"
        }
    }
}

/// One officer's approval of a proposal: their signature on `approve <id>`.
public struct ProposalApproval: Sendable, Hashable {
    public let officer: String
    public let signature: [UInt8]
    public let time: Date
    public let proof: String
}

/// A dual-control operation waiting for (or given) its approvals.
public struct Proposal: Sendable, Hashable {
    public enum State: String, Sendable, Codable {
        case pending, executing, executed, rejected, failed
    }
    public let id: Int64
    public let domain: String
    public let operation: String
    /// The exact parameters (the command's arguments, secrets left out), and their hash.
    public let parameters: [String]
    public let parametersHash: String
    public let proposer: String
    public let proposedAt: Date
    public let proposerSignature: [UInt8]
    public let expiresAt: Date
    public let state: State
    /// The officer whose approval completed the quorum (or who rejected it), with that signature.
    public let approver: String?
    public let approverSignature: [UInt8]?
    public let decidedAt: Date?
    /// How many approvals it needs (the domain's policy when it was proposed), and those given so far.
    public let approvalsRequired: Int
    public let approvals: [ProposalApproval]
    /// The request body of an operation proposed through the administration API.
    public let payload: [UInt8]?
}

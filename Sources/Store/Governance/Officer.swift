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

/// A dual-control operation waiting for (or given) its second officer.
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
    public let approver: String?
    public let approverSignature: [UInt8]?
    public let decidedAt: Date?
}

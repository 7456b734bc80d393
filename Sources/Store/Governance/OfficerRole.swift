/// The roles of a domain's officers (a certificate policy's trusted roles).
///
/// | role | may |
/// |---|---|
/// | super-admin | enrol and remove officers, and nothing else |
/// | ca-admin | run the CSCA and CVCA: key ceremonies, policies, revocation, CRLs, lists, foreign CVCAs |
/// | ra-officer | issue certificates from requests: DS, list signers, SPOC TLS, DV and terminal certificates |
/// | auditor | audit keys and checkpoints |
/// | key-custodian | approve key ceremonies (a second pair of eyes on CSCA and CVCA keys) |
/// | spoc-operator | the SPOC: registrations, the queue of foreign requests, messages, our requests |
public enum OfficerRole: String, CaseIterable, Sendable, Codable, Hashable, CustomStringConvertible {
    case superAdministrator = "super-admin"
    case caAdministrator = "ca-admin"
    case raOfficer = "ra-officer"
    case auditor
    case keyCustodian = "key-custodian"
    case spocOperator = "spoc-operator"

    public var description: String { rawValue }
}

/// An operation under governance: who may do it, and whether it needs a second officer.
public struct GovernedOperation: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let role: OfficerRole
    /// Dual control by default (Doc 9303-12 and TR-03110 CPs: key ceremonies, policies, trust decisions).
    public let dualControl: Bool
    /// A key ceremony: a key custodian may approve it as well as an officer of `role`.
    public let ceremony: Bool

    public var description: String { name }

    public static let all: [GovernedOperation] = [
        .init(name: "officer.add", role: .superAdministrator, dualControl: false, ceremony: false),
        .init(name: "officer.remove", role: .superAdministrator, dualControl: false, ceremony: false),
        .init(name: "csca.init", role: .caAdministrator, dualControl: true, ceremony: true),
        .init(name: "csca.rollover", role: .caAdministrator, dualControl: true, ceremony: true),
        .init(name: "csca.revoke", role: .caAdministrator, dualControl: false, ceremony: false),
        .init(name: "csca.crl", role: .caAdministrator, dualControl: false, ceremony: false),
        .init(name: "csca.masterlist", role: .caAdministrator, dualControl: false, ceremony: false),
        .init(name: "csca.issue-ds", role: .raOfficer, dualControl: false, ceremony: false),
        .init(name: "csca.issue-signer", role: .raOfficer, dualControl: false, ceremony: false),
        .init(name: "csca.issue-spoc-tls", role: .raOfficer, dualControl: false, ceremony: false),
        .init(name: "cvca.init", role: .caAdministrator, dualControl: true, ceremony: true),
        .init(name: "cvca.link", role: .caAdministrator, dualControl: true, ceremony: true),
        .init(name: "cvca.policy", role: .caAdministrator, dualControl: true, ceremony: false),
        .init(name: "cvca.register-foreign-cvca", role: .caAdministrator, dualControl: true, ceremony: false),
        .init(name: "cvca.sign-request", role: .raOfficer, dualControl: false, ceremony: false),
        .init(name: "spoc.register", role: .spocOperator, dualControl: true, ceremony: false),
        .init(name: "spoc.unregister", role: .spocOperator, dualControl: false, ceremony: false),
        .init(name: "spoc.setup", role: .spocOperator, dualControl: false, ceremony: false),
        .init(name: "spoc.queue.approve", role: .spocOperator, dualControl: false, ceremony: false),
        .init(name: "spoc.queue.refuse", role: .spocOperator, dualControl: false, ceremony: false),
        .init(name: "audit.key", role: .auditor, dualControl: false, ceremony: false),
        .init(name: "audit.checkpoint", role: .auditor, dualControl: false, ceremony: false),
        .init(name: "audit.read", role: .auditor, dualControl: false, ceremony: false),
    ]

    public static func named(_ name: String) -> GovernedOperation? { all.first { $0.name == name } }
}

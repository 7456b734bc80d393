import ArgumentParser
import Foundation
import PKCS11
import PKICore
import Store

/// The officer credential a governed command acts with: a key that signs the request (never a bare name).
struct OfficerOptions: ParsableArguments {
    @Option(name: .customLong("officer"), help: "The officer's key: an encrypted PKCS#8 file or a PKCS#11 URI (domains under governance).")
    var key: String?
    @Option(name: .customLong("officer-passphrase-file"), help: "File whose first line is the officer key's passphrase.")
    var passphraseFile: String?
    @Option(name: .customLong("officer-pin-file"), help: "File whose first line is the officer token's PIN.")
    var pinFile: String?

    func credential() throws -> OfficerCredential? {
        guard let key else { return nil }
        var passphrase = PassphraseOptions()
        passphrase.file = passphraseFile
        var pin = PINOptions()
        pin.file = pinFile
        return OfficerCredential(signer: try IO.loadSigner(key, passphrase: passphrase, pin: pin))
    }
}

/// Runs a governed operation: as before in a domain without officers; in a governed one only for an officer with
/// the role, and a dual-control operation only as a proposal until a second officer approves it.
enum Governed {
    /// Set by `epki proposal approve` while it runs the approved command, with that command's arguments.
    nonisolated(unsafe) static var approvedProposal: Int64?
    nonisolated(unsafe) static var approvedArguments: [String]?

    /// Options whose values are secrets or local paths: not part of what officers sign and approve.
    static let excludedOptions: Set<String> = ["--passphrase-file", "--passphrase-env", "--pin-file", "--pin-env", "--officer", "--officer-passphrase-file",
                                               "--officer-pin-file", "--data-dir"]

    /// The command's own arguments, canonical: secrets and the data directory left out.
    static func parameters(_ given: [String]? = nil) -> [String] {
        let arguments = given ?? approvedArguments ?? Array(CommandLine.arguments.dropFirst())
        var out: [String] = []
        var skipNext = false
        for argument in arguments {
            if skipNext { skipNext = false; continue }
            if excludedOptions.contains(argument) { skipNext = true; continue }
            if let equals = argument.firstIndex(of: "="), excludedOptions.contains(String(argument[..<equals])) { continue }
            out.append(argument)
        }
        return out
    }

    /// `when: false` runs the body as it is: the command only reads this time (a policy shown, not set).
    static func run(_ store: StoreOptions, _ operation: String, _ officer: OfficerOptions, create: Bool = true, when governed: Bool = true,
                    body: () throws -> Void) throws {
        guard governed else { return try body() }
        let opened = try store.open(create: create)
        let decision = try Governance.authorize(store: opened, domain: store.domain, operation: operation, parameters: parameters(),
                                                credential: officer.credential(), approved: approvedProposal, now: Date())
        switch decision {
        case .ungoverned:
            try body()
        case .authorized(let officer):
            // The operation's own audit entries name the officer.
            setenv("EPKI_ACTOR", "officer:\(officer.name)", 1)
            try body()
        case .proposed(let proposal):
            print("proposal \(proposal.id): \(operation) by \(proposal.proposer) awaits a second officer until \(Time.iso8601(proposal.expiresAt)) "
                  + "(epki proposal approve \(proposal.id) --domain \(store.domain) --officer KEY); parameters SHA-256 \(proposal.parametersHash)")
        }
    }
}

struct OfficerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "officer", abstract: "The officers of a domain and their roles (super-admin, ca-admin, ra-officer, auditor, key-custodian, spoc-operator).",
        subcommands: [Init.self, Add.self, Remove.self, List.self])

    static func publicKey(_ path: String) throws -> PublicKey {
        let bytes = try IO.read(path, what: "public key")
        if let certificate = try? Certificate(bytes: bytes) { return try certificate.publicKey }
        return try PublicKey(derEncoded: PEM.decodeIfPEM(bytes, label: "PUBLIC KEY"))
    }

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a domain under governance: its first officer, a super-admin (refused once the domain has officers).")
        @OptionGroup var store: StoreOptions
        @Option(help: "The officer's name.") var name: String
        @Option(name: .customLong("public-key"), help: "The officer's public key (PEM SubjectPublicKeyInfo) or certificate.") var publicKey: String
        func run() throws {
            let officer = try Governance.enrolFirst(store: store.open(), domain: store.domain, name: name, publicKey: try OfficerCommand.publicKey(publicKey), now: Date())
            print("domain \(store.domain) is under governance; \(officer.name) is its super-admin (key SHA-256 \(officer.fingerprint))")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enrol an officer (a super-admin acts, with --officer).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var officer: OfficerOptions
        @Option(help: "The officer's name.") var name: String
        @Option(help: "Roles, comma-separated: ca-admin, ra-officer, auditor, key-custodian, spoc-operator, super-admin.") var role: String
        @Option(name: .customLong("public-key"), help: "The officer's public key (PEM SubjectPublicKeyInfo) or certificate.") var publicKey: String
        func run() throws {
            let roles = try Set(role.split(separator: ",").map { name -> OfficerRole in
                guard let role = OfficerRole(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("unknown role '\(name)' (\(OfficerRole.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return role
            })
            let opened = try store.open(create: false)
            let decision = try Governance.authorize(store: opened, domain: store.domain, operation: "officer.add", parameters: Governed.parameters(),
                                                    credential: officer.credential(), now: Date())
            guard case .authorized(let admin) = decision else {
                throw CLIFailure(message: "error: domain '\(store.domain)' has no officers yet; start with `epki officer init`")
            }
            let added = try Governance.enrol(store: opened, domain: store.domain, name: name, roles: roles, publicKey: try OfficerCommand.publicKey(publicKey), by: admin, now: Date())
            print("enrolled \(added.name) (\(added.roles.map(\.rawValue).sorted().joined(separator: ", "))), key SHA-256 \(added.fingerprint)")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an officer (a super-admin acts, with --officer).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var officer: OfficerOptions
        @Argument(help: "The officer's name.") var name: String
        func run() throws {
            let opened = try store.open(create: false)
            let decision = try Governance.authorize(store: opened, domain: store.domain, operation: "officer.remove", parameters: Governed.parameters(),
                                                    credential: officer.credential(), now: Date())
            guard case .authorized(let admin) = decision else { throw CLIFailure(message: "error: domain '\(store.domain)' has no officers") }
            try Governance.remove(store: opened, domain: store.domain, name: name, by: admin, now: Date())
            print("removed \(name)")
        }
    }

    struct List: ParsableCommand {
        @OptionGroup var store: StoreOptions
        func run() throws {
            let opened = try store.open(create: false)
            for officer in try opened.read({ db in try Governance.officers(db, domain: store.domain) }) {
                print("\(officer.name)  \(officer.roles.map(\.rawValue).sorted().joined(separator: ","))  key \(officer.fingerprint)  since \(Time.iso8601(officer.enrolledAt))")
            }
        }
    }
}

struct ProposalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proposal", abstract: "Dual-control operations waiting for a second officer: list, approve (runs it, once), reject.",
        subcommands: [List.self, Approve.self, Reject.self, Transcript.self])

    struct List: ParsableCommand {
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false
        func run() throws {
            let proposals = try Governance.proposals(store: store.open(create: false), domain: store.domain)
            if json {
                try IO.printJSON(proposals.map { ["id": $0.id, "operation": $0.operation, "parameters": $0.parameters, "parametersHash": $0.parametersHash,
                                                  "proposer": $0.proposer, "state": $0.state.rawValue, "approver": $0.approver ?? "",
                                                  "expiresAt": Time.iso8601($0.expiresAt)] as [String: Any] })
                return
            }
            for proposal in proposals {
                print("\(proposal.id)  \(proposal.operation)  \(proposal.state)  by \(proposal.proposer)\(proposal.approver.map { ", decided by \($0)" } ?? "")  "
                      + "expires \(Time.iso8601(proposal.expiresAt))  epki \(proposal.parameters.joined(separator: " "))")
            }
        }
    }

    struct Approve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a proposal as a second officer and run it now, with exactly the parameters proposed (secrets given here).")
        @OptionGroup var store: StoreOptions
        @OptionGroup var officer: OfficerOptions
        @OptionGroup var passphrase: PassphraseOptions
        @OptionGroup var pin: PINOptions
        @Argument(help: "The proposal.") var id: Int64

        func run() throws {
            let opened = try store.open(create: false)
            let proposal = try Governance.approve(store: opened, domain: store.domain, id: id, credential: officer.credential(), now: Date())
            var arguments = proposal.parameters + ["--data-dir", opened.directory.path]
            if let file = passphrase.file { arguments += ["--passphrase-file", file] }
            if let variable = passphrase.environment { arguments += ["--passphrase-env", variable] }
            if let file = pin.file { arguments += ["--pin-file", file] }
            if let variable = pin.environment { arguments += ["--pin-env", variable] }
            print("proposal \(id) approved by \(proposal.approver ?? "?"); running epki \(proposal.parameters.joined(separator: " "))")
            Governed.approvedProposal = id
            Governed.approvedArguments = arguments
            do {
                var command = try EPKI.parseAsRoot(arguments)
                try command.run()
                try Governance.finish(store: opened, domain: store.domain, id: id, succeeded: true, detail: "ran", now: Date())
            } catch {
                try? Governance.finish(store: opened, domain: store.domain, id: id, succeeded: false, detail: "\(error)", now: Date())
                throw error
            }
        }
    }

    struct Reject: ParsableCommand {
        @OptionGroup var store: StoreOptions
        @OptionGroup var officer: OfficerOptions
        @Argument(help: "The proposal.") var id: Int64
        func run() throws {
            try Governance.reject(store: store.open(create: false), domain: store.domain, id: id, credential: officer.credential(), now: Date())
            print("proposal \(id) rejected")
        }
    }
}

extension ProposalCommand {
    struct Transcript: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the signed transcript of a proposal that ran (a key ceremony): who, what, when, the entries it wrote; verify with openssl.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var passphrase: PassphraseOptions
        @OptionGroup var pin: PINOptions
        @Argument(help: "The proposal.") var id: Int64
        @Option(help: "Write the transcript here (text); the signature goes to <out>.sig.") var out: String

        func run() throws {
            let opened = try store.open(create: false)
            let keys = CLIKeyProvider(software: SoftwareKeyProvider(store: opened, passphrase: try passphrase.passphrase(required: false)), pin: try pin.pin(), hsm: nil)
            let (text, signature) = try CeremonyTranscript.make(store: opened, domain: store.domain, proposal: id, keys: keys, now: Date())
            try IO.write(text, to: out)
            try IO.write(signature, to: out + ".sig")
            print("transcript of proposal \(id) in \(out), signed by the audit key (\(out).sig): openssl dgst -sha256 -verify AUDIT-KEY.pem -signature \(out).sig \(out)")
        }
    }
}

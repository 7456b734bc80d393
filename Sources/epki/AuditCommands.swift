import ArgumentParser
import Foundation
import PKCS11
import PKICore
import Store

/// `epki audit`: the hash-chained audit trail, its signed checkpoints, and exports an auditor checks with openssl.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The audit trail: verify, show, sign checkpoints, export for auditors.",
        subcommands: [VerifyChain.self, Show.self, Key.self, Checkpoint.self, Export.self])

    struct VerifyChain: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify", abstract: "Prove each domain's hash chain intact and its signed checkpoints holding; exit 1 naming the first failure.")
        @OptionGroup var store: StoreOptions
        @Flag(name: .customLong("all-domains"), help: "Check every domain.") var allDomains = false

        func run() throws {
            let opened = try store.open(create: false)
            let domains = allDomains ? try opened.domains().map(\.name) : [store.domain]
            var broken = 0
            for domain in domains {
                let (chain, checkpoints) = try opened.read { db in
                    _ = try EPKIStore.requireDomain(db, name: domain)
                    return (try AuditTrail.verify(db, domain: domain), try AuditCheckpoints.verify(db, domain: domain))
                }
                if let first = chain.firstBroken {
                    broken += 1
                    print("domain \(domain): BROKEN at entry \(first.sequence): \(first.reason)")
                } else if let failure = checkpoints.firstFailure {
                    broken += 1
                    print("domain \(domain): \(chain.entries) entries, chain intact, but the checkpoint at entry \(failure.sequence) fails: \(failure.reason)")
                } else {
                    print("domain \(domain): \(chain.entries) entries, chain intact\(checkpoints.checkpoints > 0 ? ", \(checkpoints.checkpoints) signed checkpoint(s) hold" : "")")
                }
            }
            if broken > 0 { throw CLIFailure(message: "the audit trail of \(broken) domain(s) is broken") }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a domain's audit entries.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let entries = try store.open(create: false).auditEntries(domain: store.domain)
            if json {
                try IO.printJSON(entries.map { ["sequence": $0.sequence, "time": Time.iso8601($0.time), "actor": $0.actor, "action": $0.action,
                                                "subject": $0.subject, "details": $0.details, "hash": $0.hash] as [String: Any] })
                return
            }
            for entry in entries {
                print("\(entry.sequence) \(Time.iso8601(entry.time)) \(entry.actor) \(entry.action) \(entry.subject) \(entry.details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
            }
        }
    }

    struct Key: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make the domain's (next) audit key, which signs its checkpoints.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var passphrase: PassphraseOptions
        @OptionGroup var pin: PINOptions
        @OptionGroup var officer: OfficerOptions
        @Option(help: "Key algorithm (default ec:P-256).") var algorithm: String = "ec:P-256"
        @Option(help: "Generate it in this PKCS#11 token (a URI with object=).") var key: String?
        @Option(help: "Write its public key here (PEM), for the auditors.") var out: String?

        func run() throws {
            try Governed.run(store, "audit.key", officer, create: false) {
                let opened = try store.open(create: false)
                let keys = CLIKeyProvider(software: SoftwareKeyProvider(store: opened, passphrase: try passphrase.passphrase(required: key == nil)),
                                          pin: try pin.pin(), hsm: try key.map(PKCS11URI.init))
                let made = try AuditCheckpoints.createKey(store: opened, domain: store.domain, keys: keys, specification: try KeySpecification(algorithm), now: Date())
                if let out { try IO.write(PEM.encode(made.publicKey.derEncoded, label: "PUBLIC KEY"), to: out) }
                print("audit key of \(store.domain): \(made.reference), SHA-256 of its public key \(made.fingerprint)")
            }
        }
    }

    struct Checkpoint: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign the head of each domain's chain with its audit key, once or every N seconds.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var passphrase: PassphraseOptions
        @OptionGroup var pin: PINOptions
        @OptionGroup var officer: OfficerOptions
        @Flag(name: .customLong("all-domains"), help: "Every domain that has an audit key.") var allDomains = false
        @Option(help: "Keep running, signing every N seconds (only when the head moved).") var every: Double?

        func run() throws {
            try Governed.run(store, "audit.checkpoint", officer, create: false) {
                let opened = try store.open(create: false)
                let keys = CLIKeyProvider(software: SoftwareKeyProvider(store: opened, passphrase: try passphrase.passphrase(required: false)),
                                          pin: try pin.pin(), hsm: nil)
                var signed: [String: Int64] = [:]
                repeat {
                    let domains = try allDomains ? opened.read { db in try opened.domains().map(\.name).filter { !(try AuditCheckpoints.keys(db, domain: $0).isEmpty) } }
                        : [store.domain]
                    for domain in domains {
                        let head = try opened.auditEntries(domain: domain).last?.sequence
                        if every != nil, let head, signed[domain] == head - 1 { continue }  // only our own checkpoint entry since
                        let checkpoint = try AuditCheckpoints.checkpoint(store: opened, domain: domain, keys: keys, now: Date())
                        signed[domain] = checkpoint.sequence
                        print("domain \(domain): checkpoint at entry \(checkpoint.sequence), hash \(checkpoint.hash)")
                    }
                    if let every { Thread.sleep(forTimeInterval: every) }
                } while every != nil
            }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a range of the trail for auditors: each entry's hashed bytes and hash, the checkpoints, the audit keys, VERIFY.sh (openssl only).")
        @OptionGroup var store: StoreOptions
        @Option(help: "First entry (default 1).") var from: Int64 = 1
        @Option(help: "Last entry (default: the newest).") var to: Int64?
        @Option(help: "Output directory (created; must be empty or absent).") var out: String

        func run() throws {
            let export = try AuditExport.make(store: store.open(create: false), domain: store.domain, from: from, to: to)
            let root = URL(fileURLWithPath: out)
            if let existing = try? FileManager.default.contentsOfDirectory(atPath: out), !existing.isEmpty {
                throw PKIError(.fileError, "'\(out)' is not empty")
            }
            for folder in ["entries", "checkpoints", "keys"] {
                try FileManager.default.createDirectory(at: root.appendingPathComponent(folder), withIntermediateDirectories: true)
            }
            func name(_ sequence: Int64) -> String { String(format: "%012lld", sequence) }
            var readable = ""
            for entry in export.entries {
                try IO.write(entry.hashedBytes, to: root.appendingPathComponent("entries/\(name(entry.sequence)).bin").path)
                try IO.write(entry.hash + "\n", to: root.appendingPathComponent("entries/\(name(entry.sequence)).sha256").path)
                readable += entry.summary + "\n"
            }
            for checkpoint in export.checkpoints {
                try IO.write(checkpoint.text, to: root.appendingPathComponent("checkpoints/\(name(checkpoint.sequence)).txt").path)
                try IO.write(checkpoint.signature, to: root.appendingPathComponent("checkpoints/\(name(checkpoint.sequence)).sig").path)
            }
            for key in export.keys {
                try IO.write(PEM.encode(key.publicKey.derEncoded, label: "PUBLIC KEY"), to: root.appendingPathComponent("keys/\(key.fingerprint).pem").path)
            }
            try IO.write(export.previousHash + "\n", to: root.appendingPathComponent("previous.sha256").path)
            try IO.write(readable, to: root.appendingPathComponent("entries.txt").path)
            try IO.write(Self.script, to: root.appendingPathComponent("VERIFY.sh").path)
            print("exported entries \(export.entries.first?.sequence ?? 0)–\(export.entries.last?.sequence ?? 0) of \(store.domain) with \(export.checkpoints.count) checkpoint(s) to \(out); check with: sh \(out)/VERIFY.sh")
        }

        /// The auditor's steps, with openssl and a POSIX shell only (README, "Auditing").
        static let script = """
            #!/bin/sh
            # Checks an epki audit export with openssl alone. Run it in the export directory: sh VERIFY.sh
            # 1. Each entries/N.bin hashes (SHA-256) to entries/N.sha256 and ends with the previous entry's hash.
            # 2. Each checkpoints/N.txt verifies under keys/<its key line>.pem with its .sig, and names entry N's hash.
            cd "$(dirname "$0")" || exit 2
            previous=$(cat previous.sha256)
            count=0
            for file in entries/*.bin; do
                [ -e "$file" ] || break
                number=$(basename "$file" .bin)
                hash=$(openssl dgst -sha256 -r "$file" | cut -d' ' -f1)
                if [ "$hash" != "$(cat "entries/$number.sha256")" ]; then echo "entry $number: its hash does not match its bytes"; exit 1; fi
                if [ "$(tail -c 64 "$file")" != "$previous" ]; then echo "entry $number: does not link to the entry before it"; exit 1; fi
                previous=$hash
                count=$((count + 1))
            done
            checkpoints=0
            for text in checkpoints/*.txt; do
                [ -e "$text" ] || break
                number=$(basename "$text" .txt)
                key=$(sed -n 's/^key: //p' "$text")
                if ! openssl dgst -sha256 -verify "keys/$key.pem" -signature "checkpoints/$number.sig" "$text" >/dev/null; then
                    echo "checkpoint $number: the signature does not verify"; exit 1
                fi
                if [ ! -e "entries/$number.sha256" ]; then echo "checkpoint $number: its entry is missing (the trail was cut)"; exit 1; fi
                if [ "$(sed -n 's/^hash: //p' "$text")" != "$(cat "entries/$number.sha256")" ]; then
                    echo "checkpoint $number: entry $number has another hash than the one signed (the trail was rewritten)"; exit 1
                fi
                checkpoints=$((checkpoints + 1))
            done
            echo "verified: $count entries linked, $checkpoints signed checkpoint(s) hold"

            """
    }
}

import ArgumentParser
import ChipAccess
import CVC
import Foundation
import Inspection
import LDS
import Personalization
import PKICore
import SmartCard
import Store

/// `epki perso`: the personalization line: chip profiles, one document on one reader, batches over every reader,
/// and the journal.
struct PersoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perso", abstract: "Personalize eMRTD chips through PC/SC readers: profiles, single documents, batches, the journal.",
        subcommands: [Profile.self, Run.self, Batch.self, Status.self])

    struct Profile: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show or set the domain's chip profile (protocols, keys, data groups, sizes).")
        @OptionGroup var store: StoreOptions
        @Option(help: "Set the profile from this JSON file (keys left out take the defaults).") var set: String?

        func run() throws {
            let journal = try PersonalizationJournal(store: store.open(), domain: store.domain)
            if let set {
                let bytes = try IO.read(set, what: "chip profile")
                let profile: ChipProfile
                do {
                    profile = try JSONDecoder().decode(ChipProfile.self, from: Data(bytes))
                } catch let error as DecodingError {
                    throw CLIFailure(message: "error: '\(set)' is not a chip profile: \(error)")
                }
                try journal.setProfile(profile)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(try journal.profile()), as: UTF8.self))
        }
    }

    /// What every line command needs: the store, the Document Signer, the trust points, and what the read-back
    /// checks against.
    struct LineOptions: ParsableArguments {
        @OptionGroup var store: StoreOptions
        @Option(name: .customLong("ds-cert"), help: "The Document Signer certificate (embedded in EF.SOD and EF.CardSecurity).") var dsCertificate: String
        @Option(help: "The DS key: encrypted PKCS#8 file, or a PKCS#11 URI (pkcs11:token=...;object=...).") var key: String
        @Option(name: .customLong("csca"), help: "The CSCA certificate the read-back verifies EF.SOD against (repeat for link certificates).")
        var cscas: [String]
        @Option(name: .customLong("trust-point"), help: "A CVCA certificate the chips trust (current first, then the previous; at most two).")
        var trustPoints: [String] = []
        @Option(name: .customLong("is-chain"), help: "The line's inspection system CV certificates, CVCA first (repeat): the read-back does Terminal Authentication and reads DG3.")
        var terminalChain: [String] = []
        @Option(name: .customLong("is-key"), help: "The key of the line's IS certificate (encrypted PKCS#8).") var terminalKey: String?
        @OptionGroup var passphrase: PassphraseOptions
        @OptionGroup var pin: PINOptions

        func validate() throws {
            guard !cscas.isEmpty else { throw ValidationError("give --csca: the document is personalized only when passive authentication holds") }
            guard terminalChain.isEmpty == (terminalKey == nil) else { throw ValidationError("--is-chain and --is-key go together") }
        }

        func line(clock: any PKIClock = SystemClock()) throws -> PersonalizationLine {
            let journal = try PersonalizationJournal(store: store.open(), domain: store.domain, clock: clock)
            let profile = try journal.profile()
            let points = try trustPoints.map { path in try IO.decode(path, what: "CVCA certificate") { try CVCertificate(encoded: $0) } }
            let builder = try DocumentBuilder(profile: profile, trustPoints: points, clock: clock)
            let certificate = try IO.decode(dsCertificate, what: "DS certificate") { try Certificate(bytes: $0) }
            let signatureAlgorithm = try profile.signatureAlgorithm.map { name -> SignatureAlgorithm in
                guard let value = SignatureAlgorithm(name: name) else { throw ValidationError("profile signatureAlgorithm '\(name)' is unknown") }
                return value
            }
            let versions = try LDSVersionInfo(ldsVersion: profile.ldsVersion == "0108" ? "1.8" : "1.7", unicodeVersion: "4.0.0")
            let sodSigner = try SODSigner(signer: IO.loadSigner(key, passphrase: passphrase, pin: pin), documentSigner: certificate,
                                          hash: profile.hashAlgorithm, signatureAlgorithm: signatureAlgorithm,
                                          ldsVersionInfo: profile.ldsVersion == "0108" ? versions : nil, clock: clock)
            let cscaCertificates = try cscas.flatMap { try LDSOptions.certificates(IO.read($0, what: "CSCA certificate"), path: $0) }
            var terminal: InspectionSystem.TerminalCredentials?
            if let terminalKey {
                let chain = try terminalChain.map { path in try IO.decode(path, what: "CV certificate") { try CVCertificate(encoded: $0) } }
                terminal = .init(chain: chain, key: SoftwareSigner(key: try IO.loadPrivateKey(terminalKey, passphrase: passphrase)))
            }
            if profile.terminalAuthentication && terminal == nil && profile.dataGroups.contains(3) {
                FileHandle.standardError.write(Data("epki: note: no --is-chain/--is-key: the read-back cannot open DG3 (Terminal Authentication)\n".utf8))
            }
            let readBack = InspectionReadBack(cscas: cscaCertificates, terminal: terminal, clock: clock)
            return PersonalizationLine(journal: journal, builder: builder, sodSigner: sodSigner, readBack: readBack)
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Personalize one document from its order on the blank chip in a reader, lock it, read it back, and print the report.",
            discussion: "Exit status 0 when the document is personalized and verified, 1 when it failed or was refused.")
        @Option(help: "The document order (JSON).") var order: String
        @Option(help: "The reader (as `epki card readers` lists it); default: the first with a card.") var reader: String?
        @Option(help: "Write the document's report (JSON) here.") var report: String?
        @Flag(help: "Print the report as JSON.") var json = false
        @OptionGroup var options: LineOptions

        func run() throws {
            let line = try options.line()
            try line.journal.recoverInterrupted()
            let url = URL(fileURLWithPath: order)
            let (documentOrder, folder) = try DocumentOrder.load(url)
            let context = try PCSCTransport.Context()
            let name = try reader ?? context.readers().first { (try? context.status(of: $0).present) == true }
            guard let name else { throw CLIFailure(message: "no reader holds a card") }
            let transport = try PCSCTransport(context: context, reader: name)
            defer { transport.disconnect() }
            let result = line.personalize(documentOrder, folder: folder, transport: transport, reader: name)
            if let report { try IO.write(result.jsonValue.string(pretty: true) + "\n", to: report) }
            print(json ? result.jsonValue.string(pretty: true) : result.line)
            if !result.succeeded { throw ExitCode(1) }
        }
    }

    struct Batch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Personalize a folder of orders over several readers at once: one worker per reader, a card after another.",
            discussion: """
                Each worker takes the next order, waits for a card in its reader, personalizes it, writes the document's \
                report into --reports, and waits for the card to be taken out before the next. An order whose card fails \
                goes back to the queue for the next card (at most --tries times). Orders whose document the journal \
                already has as personalized are skipped, so a batch that was interrupted is run again as it was: \
                attempts left unfinished by a process that died are ended first (failed, their SOD and keys void).
                """)
        @Option(help: "The folder of orders (*.json).") var orders: String
        @Option(help: "'all' (every reader pcscd lists), or reader names separated by commas.") var readers: String = "all"
        @Option(help: "The folder for the per-document reports.") var reports: String
        @Option(help: "How often an order is tried on a new card before the batch gives it up.") var tries: Int = 3
        @Option(name: .customLong("card-timeout"), help: "Seconds a worker waits for the next card before it stops.") var cardTimeout: Int = 60
        @OptionGroup var options: LineOptions

        func run() throws {
            let line = try options.line()
            for ended in try line.journal.recoverInterrupted() {
                print("ended interrupted attempt \(ended.attempt) of \(ended.documentNumber) (\(ended.state.rawValue) on \(ended.reader)); its SOD and keys are void")
            }
            try FileManager.default.createDirectory(atPath: reports, withIntermediateDirectories: true)
            let files = try FileManager.default.contentsOfDirectory(atPath: orders).filter { $0.hasSuffix(".json") }.sorted()
            guard !files.isEmpty else { throw CLIFailure(message: "no order (*.json) in \(orders)") }
            let context = try PCSCTransport.Context()
            let names = readers == "all" ? try context.readers() : readers.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            guard !names.isEmpty else { throw CLIFailure(message: "no reader (is pcscd running?)") }
            let verified = try line.journal.attempts().filter { $0.state == .verified }
            let done = Set(verified.map(\.documentNumber))
            // A process killed between the journal's "verified" and the report file leaves no report: write it from
            // the journal, so that every personalized document has one.
            for attempt in verified {
                let path = URL(fileURLWithPath: reports).appendingPathComponent("\(attempt.documentNumber)-\(attempt.attempt).json").path
                guard !FileManager.default.fileExists(atPath: path) else { continue }
                let report = JSONValue.object([("documentNumber", .string(attempt.documentNumber)), ("reader", .string(attempt.reader)),
                                               ("outcome", .string("verified")), ("attempt", .integer(attempt.attempt)),
                                               ("fromJournal", .bool(true)), ("journal", attempt.jsonValue)])
                try IO.write(report.string(pretty: true) + "\n", to: path)
            }
            var queue: [(file: String, tries: Int)] = []
            var skipped = 0
            for file in files {
                let url = URL(fileURLWithPath: orders).appendingPathComponent(file)
                let number = (try? DocumentOrder.load(url)).flatMap { try? $0.order.validated(folder: $0.folder).documentNumber }
                if let number, done.contains(number) {
                    print("\(number): personalized before; skipped")
                    skipped += 1
                } else {
                    queue.append((file, 0))
                }
            }
            let state = Shared(BatchState(queue: queue, total: queue.count))
            print("batch: \(queue.count) orders over \(names.count) readers (\(names.joined(separator: ", ")))\(skipped > 0 ? "; \(skipped) done before" : "")")
            fflush(nil)
            let group = DispatchGroup()
            for name in names {
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    self.work(reader: name, line: line, state: state)
                }
            }
            group.wait()
            let final = state.withLock { $0 }
            print("batch: \(final.verified) personalized, \(final.failedAttempts) failed attempts, \(final.givenUp.count) orders given up\(final.givenUp.isEmpty ? "" : ": " + final.givenUp.joined(separator: ", ")), \(final.queue.count) left")
            if !final.givenUp.isEmpty || !final.queue.isEmpty { throw ExitCode(1) }
        }

        /// The batch's queue and counts, shared by the workers' threads.
        final class Shared: @unchecked Sendable {
            private let lock = NSLock()
            private var state: BatchState

            init(_ state: BatchState) { self.state = state }

            func withLock<T>(_ body: (inout BatchState) -> T) -> T {
                lock.lock()
                defer { lock.unlock() }
                return body(&state)
            }
        }

        struct BatchState {
            var queue: [(file: String, tries: Int)]
            let total: Int
            var verified = 0
            var failedAttempts = 0
            var givenUp: [String] = []
        }

        func work(reader: String, line: PersonalizationLine, state: Shared) {
            guard let context = try? PCSCTransport.Context() else { return }
            while true {
                guard let next = state.withLock({ $0.queue.isEmpty ? nil : $0.queue.removeFirst() }) else { return }
                do {
                    try context.waitForCard(in: reader, milliseconds: cardTimeout * 1000)
                } catch {
                    state.withLock { $0.queue.insert(next, at: 0) }
                    print("\(reader): no card within \(cardTimeout) s; the worker stops")
                    return
                }
                let url = URL(fileURLWithPath: orders).appendingPathComponent(next.file)
                let report: PersonalizationReport
                do {
                    let (order, folder) = try DocumentOrder.load(url)
                    let transport = try PCSCTransport(context: context, reader: reader)
                    report = line.personalize(order, folder: folder, transport: transport, reader: reader)
                    transport.disconnect()
                } catch {
                    var failed = PersonalizationReport(reader: reader, outcome: "failed")
                    failed.reason = "\(next.file): \(error)"
                    report = failed
                }
                let name = "\(report.documentNumber ?? next.file)-\(report.attempt.map(String.init) ?? "refused").json"
                try? IO.write(report.jsonValue.string(pretty: true) + "\n", to: URL(fileURLWithPath: reports).appendingPathComponent(name).path)
                let progress = state.withLock { batch -> String in
                    if report.succeeded {
                        batch.verified += 1
                    } else if report.outcome == "failed" && next.tries + 1 < tries {
                        batch.failedAttempts += 1
                        batch.queue.append((next.file, next.tries + 1))
                    } else {
                        batch.failedAttempts += report.outcome == "failed" ? 1 : 0
                        batch.givenUp.append(report.documentNumber ?? next.file)
                    }
                    return "[\(batch.verified)/\(batch.total)]"
                }
                print("\(progress) \(reader): \(report.line)")
                fflush(nil)
                // The next order takes the next card: wait until this one is out of the reader.
                try? context.waitForCard(in: reader, present: false, milliseconds: cardTimeout * 1000)
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The journal: documents by state, or one document's attempts.")
        @OptionGroup var store: StoreOptions
        @Option(help: "One document's attempts.") var document: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let journal = try PersonalizationJournal(store: store.open(create: false), domain: store.domain)
            if let document {
                let attempts = try journal.attempts(documentNumber: document)
                guard !attempts.isEmpty else { throw CLIFailure(message: "the journal of domain '\(store.domain)' has no document \(document)") }
                if json { print(JSONValue.array(attempts.map(\.jsonValue)).string(pretty: true)); return }
                for attempt in attempts {
                    var text = "\(attempt.documentNumber) attempt \(attempt.attempt): \(attempt.state.rawValue) on \(attempt.reader)"
                    if let step = attempt.failedStep { text += " at \(step)" }
                    if let reason = attempt.reason { text += ": \(reason)" }
                    if attempt.void { text += " (SOD and keys void)" }
                    print(text)
                }
                return
            }
            let counts = try journal.counts()
            if json {
                print(JSONValue.object(PersonalizationState.allCases.map { ($0.rawValue, .integer(counts[$0] ?? 0)) }).string(pretty: true))
                return
            }
            for state in PersonalizationState.allCases where (counts[state] ?? 0) > 0 { print("\(state.rawValue)\t\(counts[state] ?? 0)") }
            if counts.isEmpty { print("no document in the journal of domain '\(store.domain)'") }
        }
    }
}

/// The line's read-back: the chip inspected as a border would inspect it, and every data group compared with
/// what was written.
struct InspectionReadBack: ChipReadBack {
    let cscas: [Certificate]
    let terminal: InspectionSystem.TerminalCredentials?
    let clock: any PKIClock

    func verify(_ content: ChipContent, transport: any CardTransport) throws -> ReadBackResult {
        let mrz = content.mrz
        let password: InspectionSystem.Password = try content.can.map { .can($0) }
            ?? .mrz(BACKey(documentNumber: mrz.documentNumber, dateOfBirth: mrz.dateOfBirth, dateOfExpiry: mrz.dateOfExpiry))
        let system = InspectionSystem(password: password, terminal: terminal,
                                      passiveAuthentication: PassiveAuthentication(trustSource: StaticTrustSource(cscas: cscas), clock: clock))
        let report = system.inspect(transport)
        // Everything written must read back equal; DG3 only when the line could open it.
        var differing: [String] = []
        for (number, bytes) in content.dataGroups.sorted(by: { $0.key < $1.key }) {
            if number == 3 && terminal == nil { continue }
            if report.dataGroups[number] != bytes { differing.append("DG\(number)") }
        }
        if report.efSOD != content.sod { differing.append("EF.SOD") }
        // A chip without Chip or Active Authentication cannot prove itself genuine; its data must.
        let chipProof = content.keys.chipAuthentication == nil && content.keys.activeAuthentication == nil
            ? report.chipGenuine != .failed : report.chipGenuine == .passed
        let genuine = report.dataGenuine == .passed && chipProof
        let summary = genuine && differing.isEmpty
            ? "\(report.summary); \(report.dataGroups.count) data groups read equal to what was written (\(report.access ?? "access"))"
            : "\(report.summary)\(differing.isEmpty ? "" : "; read back differently: \(differing.joined(separator: ", "))")"
        return ReadBackResult(passed: genuine && differing.isEmpty, summary: summary, details: report.jsonValue)
    }
}

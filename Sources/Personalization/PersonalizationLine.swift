import Foundation
import LDS
import PKICore
import SmartCard
import Store

/// How the line reads a chip back before the booklet leaves: as an inspection system would (the CLI wires in the
/// suite's `InspectionSystem`; this module does not import it, services stay apart). The answer says whether the
/// document is proven genuine and whether every data group read equals what was written.
public protocol ChipReadBack: Sendable {
    func verify(_ content: ChipContent, transport: any CardTransport) throws -> ReadBackResult
}

public struct ReadBackResult: Sendable {
    public var passed: Bool
    /// One line for the operator: "genuine; 6 data groups equal", or what failed.
    public var summary: String
    /// The full inspection report, for the document's report.
    public var details: JSONValue

    public init(passed: Bool, summary: String, details: JSONValue = .null) {
        self.passed = passed
        self.summary = summary
        self.details = details
    }
}

/// What one document's run on the line came to: the journal's state, the step it failed at and why, how long each
/// step took, the card traffic, the read-back.
public struct PersonalizationReport: Sendable {
    public var documentNumber: String?
    public var attempt: Int?
    public var reader: String
    /// verified, failed, or refused (the order or the document number, before any key was made).
    public var outcome: String
    public var failedStep: String?
    public var reason: String?
    public var durations: [(String, Double)] = []
    public var statistics: ChipWriter.Statistics?
    public var readBack: ReadBackResult?

    public init(reader: String, outcome: String) {
        self.reader = reader
        self.outcome = outcome
    }

    public var succeeded: Bool { outcome == "verified" }

    public var jsonValue: JSONValue {
        var object: [(String, JSONValue)] = [("documentNumber", documentNumber.map(JSONValue.string) ?? .null), ("reader", .string(reader)),
                                             ("outcome", .string(outcome))]
        if let attempt { object.append(("attempt", .integer(attempt))) }
        if let failedStep { object.append(("failedStep", .string(failedStep))) }
        if let reason { object.append(("reason", .string(reason))) }
        object.append(("milliseconds", .object(durations.map { ($0.0, .number(($0.1 * 10).rounded() / 10)) })))
        if let statistics {
            object.append(("card", .object([("commands", .integer(statistics.commands)), ("bytesSent", .integer(statistics.bytesSent)),
                                            ("bytesReceived", .integer(statistics.bytesReceived))])))
        }
        if let readBack {
            object.append(("readBack", .object([("passed", .bool(readBack.passed)), ("summary", .string(readBack.summary)), ("inspection", readBack.details)])))
        }
        return .object(object)
    }

    public var line: String {
        let number = documentNumber ?? "(no document number)"
        switch outcome {
        case "verified":
            let total = durations.reduce(0) { $0 + $1.1 }
            return "\(number): personalized and verified on \(reader) in \(Int(total)) ms (\(statistics?.commands ?? 0) APDUs, \(statistics?.bytesSent ?? 0) bytes)"
        case "refused": return "\(number): refused: \(reason ?? "")"
        default: return "\(number): failed at \(failedStep ?? "?") on \(reader): \(reason ?? "")"
        }
    }
}

/// A personalization line for one domain: takes an order and a card in a reader to a locked chip that has been
/// read back and verified, recording each step in the journal.
///
/// Order of work, and why: the order is checked before anything is made; the document number is claimed in the
/// journal before the card is touched (two workers never make the same document); the card is checked blank
/// before keys are generated; keys and EF.SOD exist only for a card that can take them; the chip is locked only
/// after every file and secret was written; and the document counts as personalized only when the read-back
/// proves it genuine and equal to the order. A failure at any step ends the attempt with its step and reason, and
/// voids its EF.SOD and keys.
public struct PersonalizationLine: Sendable {
    public let journal: PersonalizationJournal
    public let builder: DocumentBuilder
    public let sodSigner: SODSigner
    public let readBack: any ChipReadBack

    public init(journal: PersonalizationJournal, builder: DocumentBuilder, sodSigner: SODSigner, readBack: any ChipReadBack) {
        self.journal = journal
        self.builder = builder
        self.sodSigner = sodSigner
        self.readBack = readBack
    }

    static func orderDigest(_ order: DocumentOrder) -> String {
        ((try? JSONEncoder.sorted.encode(order)).flatMap { try? HashAlgorithm.sha256.hash(Array($0)) } ?? []).hexString.lowercased()
    }

    /// Personalizes one document on the card in `transport`.
    public func personalize(_ order: DocumentOrder, folder: URL? = nil, transport: any CardTransport, reader: String) -> PersonalizationReport {
        var report = PersonalizationReport(reader: reader, outcome: "refused")
        var clock = ContinuousClock.now
        func lap(_ name: String) {
            let now = ContinuousClock.now
            let elapsed = now - clock
            report.durations.append((name, Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15))
            clock = now
        }
        let validated: ValidatedOrder
        do {
            validated = try order.validated(folder: folder)
            report.documentNumber = validated.documentNumber
        } catch {
            report.documentNumber = order.mrz.flatMap { try? MRZ(lines: $0).documentNumber } ?? order.fields?.documentNumber
            report.reason = Self.reason(error)
            try? journal.refuse(subject: report.documentNumber ?? "order", reason: report.reason ?? "")
            return report
        }
        let attempt: PersonalizationAttempt
        do {
            attempt = try journal.begin(documentNumber: validated.documentNumber, orderDigest: Self.orderDigest(order), reader: reader)
            report.attempt = attempt.attempt
        } catch {
            report.reason = Self.reason(error)
            return report
        }
        lap("order")
        var writer = ChipWriter(transport: transport, chunk: builder.profile.writeChunk)
        var step = "probe"
        do {
            try writer.probeBlank()
            lap(step)
            step = "keys"
            let keys = try ChipKeys.generate(for: builder.profile)
            try journal.advance(attempt, to: .keysMade, keyDigests: keys.publicKeyDigests)
            lap(step)
            step = "sign"
            let content = try builder.sign(builder.content(for: validated, keys: keys), with: sodSigner)
            let sodDigest = try HashAlgorithm.sha256.hash(content.sod ?? []).hexString.lowercased()
            try journal.advance(attempt, to: .signed, sodDigest: sodDigest)
            lap(step)
            step = "write"
            try writer.writeFiles(content)
            try writer.putSecrets(content)
            try journal.advance(attempt, to: .written, statistics: writer.statistics,
                                details: ["files": content.files.map(\.name).joined(separator: " ")])
            lap(step)
            step = "lock"
            try writer.lock()
            try journal.advance(attempt, to: .locked, statistics: writer.statistics)
            lap(step)
            step = "verify"
            let result = try readBack.verify(content, transport: transport)
            report.readBack = result
            lap(step)
            guard result.passed else { throw PersonalizationError(.verificationFailed, "read back: \(result.summary)") }
            try journal.advance(attempt, to: .verified, details: ["readBack": result.summary])
            report.outcome = "verified"
            report.statistics = writer.statistics
        } catch {
            report.outcome = "failed"
            report.failedStep = step
            report.reason = Self.reason(error)
            report.statistics = writer.statistics
            do {
                try journal.fail(attempt, step: step, reason: report.reason ?? "", statistics: writer.statistics)
            } catch {
                // The journal could not record the failure: the attempt stays unfinished and is ended on restart.
                report.reason = (report.reason ?? "") + "; and the journal did not record it: \(Self.reason(error))"
            }
        }
        return report
    }

    static func reason(_ error: any Error) -> String {
        (error as? CodedErrorDescribing)?.reasonText ?? (error as? OperatorFacingError).map { "\($0)" } ?? "\(error)"
    }
}

extension PersonalizationJournal {
    /// Records a refused order (it never got an attempt) in the audit trail.
    public func refuse(subject: String, reason: String) throws {
        try store.write { db in
            try EPKIStore.ensureDomain(db, name: domain, now: clock.now())
            try AuditTrail.append(db, domain: domain, action: "perso.refused", subject: subject, details: ["reason": reason], now: clock.now())
        }
    }
}

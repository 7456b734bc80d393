import Foundation
import ICAOProfile
import PKICore

/// Reads an LDIF file and prepares its records on other threads while the importing thread stores them.
///
/// Storing must stay in file order on the one thread that holds the transaction, but most of a record's cost is not
/// storing: splitting lines and decoding base64, the entry's dn, and for a certificate parsing it, hashing it, linting
/// it against Doc 9303-12 and checking its signature against the CA certificates held when the import began. That work
/// depends on nothing the import changes (a CA added by the file itself is noticed by the importing thread, which
/// then checks again), so a reading thread cuts the file into batches and prepares each batch on two threads, a few
/// batches ahead of the store. An error (a malformed line, a certificate that cannot be read) travels in its place in
/// the stream, so it is reported for the same record, with the same words, as when everything ran on one thread.
final class LDIFPipeline: @unchecked Sendable {
    /// One record, with what could be worked out ahead of the store.
    struct Prepared: Sendable {
        let record: LDIFRecord
        let entry: Result<PKDDirectoryEntry, any Error>
        /// For a content or `add` record holding a certificate: the certificate prepared, or why it cannot be read.
        let certificate: Result<NationalPKD.PreparedCertificate, any Error>?
    }

    enum Item {
        case records([Prepared])
        case failure(any Error)
        case end
    }

    private let condition = NSCondition()
    private var queue: [Item] = []
    private var stopped = false
    private var running = false
    private var reader: LDIFReader
    private let issuers: IssuerSet
    private let pkd: NationalPKD
    static let batchSize = 256
    static let batchesAhead = 4

    init(reader: LDIFReader, issuers: IssuerSet, pkd: NationalPKD) {
        self.reader = reader
        self.issuers = issuers
        self.pkd = pkd
    }

    func start() {
        condition.withLock { running = true }
        let thread = Thread { [self] in
            produce()
            condition.withLock {
                running = false
                condition.broadcast()
            }
        }
        thread.name = "epki LDIF reader"
        thread.start()
    }

    /// The next item in file order; waits for the reading thread.
    func next() -> Item {
        condition.withLock {
            while queue.isEmpty { condition.wait() }
            let item = queue.removeFirst()
            condition.broadcast()
            return item
        }
    }

    /// Stops the reading thread and waits until it has let go of the reader (and its file).
    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
            while running { condition.wait() }
        }
    }

    private func enqueue(_ item: Item) -> Bool {
        condition.withLock {
            while queue.count >= Self.batchesAhead && !stopped { condition.wait() }
            guard !stopped else { return false }
            queue.append(item)
            condition.broadcast()
            return true
        }
    }

    private func produce() {
        while true {
            var records: [LDIFRecord] = []
            records.reserveCapacity(Self.batchSize)
            var failure: (any Error)?
            do {
                while records.count < Self.batchSize, let record = try reader.next() { records.append(record) }
            } catch {
                failure = error
            }
            if !records.isEmpty {
                guard enqueue(.records(prepare(records))) else { return }
            }
            if let failure {
                _ = enqueue(.failure(failure))
                return
            }
            if records.count < Self.batchSize {
                _ = enqueue(.end)
                return
            }
        }
    }

    /// Prepares a batch on two threads, each a half, in order.
    private func prepare(_ records: [LDIFRecord]) -> [Prepared] {
        let halves = 2
        let results = PreparedHalves(halves)
        let size = (records.count + halves - 1) / halves
        DispatchQueue.concurrentPerform(iterations: halves) { half in
            let range = (half * size)..<min(records.count, (half + 1) * size)
            let prepared = range.isEmpty ? [] : records[range].map { Self.prepare($0, issuers: self.issuers, pkd: self.pkd) }
            results.set(half, prepared)
        }
        return results.joined()
    }

    static func prepare(_ record: LDIFRecord, issuers: IssuerSet, pkd: NationalPKD) -> Prepared {
        let change = record.changeType
        let entry = Result { try PKDDirectoryEntry(record, content: change == "modify" ? [] : nil) }
        guard change == nil || change == "add", case .success(let parsed) = entry, case .certificate(let der, _) = parsed.content else {
            return Prepared(record: record, entry: entry, certificate: nil)
        }
        let certificate = Result {
            try pkd.prepareCertificate(try pkd.parseCertificate(der, "userCertificate"), kindHint: nil, issuers: issuers)
        }
        return Prepared(record: record, entry: entry, certificate: certificate)
    }

    /// The two halves of a batch, each written by its own thread.
    private final class PreparedHalves: @unchecked Sendable {
        private let lock = NSLock()
        private var halves: [[Prepared]]

        init(_ count: Int) { halves = Array(repeating: [], count: count) }
        func set(_ index: Int, _ prepared: [Prepared]) { lock.withLock { halves[index] = prepared } }
        func joined() -> [Prepared] { lock.withLock { halves.flatMap { $0 } } }
    }
}

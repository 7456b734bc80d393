import Foundation
import ICAOProfile
import PKICore

/// Reads an LDIF file and prepares its records on other threads while the importing thread stores them.
///
/// Storing must stay in file order on the one thread that holds the transaction, but most of a record's cost is not
/// storing: splitting lines and decoding base64, the entry's dn, and for a certificate parsing it, hashing it, linting
/// it against Doc 9303-12 and checking its signature against the CA certificates held when the import began. That work
/// depends on nothing the import changes (a CA added by the file itself is noticed by the importing thread, which
/// then checks again). So one thread cuts the file into numbered batches, two threads prepare them, and the importing
/// thread takes them back in their order, a few batches behind. An error (a malformed line, a certificate that cannot
/// be read) travels in its place in the stream, so it is reported for the same record, with the same words, as when
/// everything ran on one thread.
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

    static let batchSize = 256
    /// Batches read but not yet taken by the importing thread: read, being prepared, or prepared.
    static let batchesAhead = 6
    static let preparingThreads = 2

    private let condition = NSCondition()
    private var read: [(number: Int, records: [LDIFRecord])] = []
    private var ready: [Int: Item] = [:]
    private var preparing = 0
    private var numbered = 0
    private var handed = 0
    private var readingDone = false
    private var stopped = false
    private var running = 0
    private var reader: LDIFReader
    private let issuers: IssuerSet
    private let pkd: NationalPKD

    init(reader: LDIFReader, issuers: IssuerSet, pkd: NationalPKD) {
        self.reader = reader
        self.issuers = issuers
        self.pkd = pkd
    }

    func start() {
        condition.withLock { running = 1 + Self.preparingThreads }
        spawn("epki LDIF reader") { $0.readBatches() }
        for index in 0..<Self.preparingThreads {
            spawn("epki LDIF preparer \(index + 1)") { $0.prepareBatches() }
        }
    }

    private func spawn(_ name: String, _ body: @escaping @Sendable (LDIFPipeline) -> Void) {
        let thread = Thread { [self] in
            body(self)
            condition.withLock {
                running -= 1
                condition.broadcast()
            }
        }
        thread.name = name
        thread.start()
    }

    /// The next item in file order; waits for the other threads.
    func next() -> Item {
        condition.withLock {
            while ready[handed] == nil { condition.wait() }
            let item = ready.removeValue(forKey: handed) ?? .end
            handed += 1
            condition.broadcast()
            return item
        }
    }

    /// Stops the other threads and waits until they have let go of the reader (and its file), then drops the
    /// batches and the error not taken: an import that ends early (a refused record) frees them here, not when the
    /// last thread object happens to release the pipeline.
    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
            while running > 0 { condition.wait() }
            read.removeAll()
            ready.removeAll()
        }
    }

    /// The reading thread: batches of records, numbered; the end or an error gets the number after the last batch.
    private func readBatches() {
        while true {
            var records: [LDIFRecord] = []
            records.reserveCapacity(Self.batchSize)
            var failure: (any Error)?
            do {
                while records.count < Self.batchSize, let record = try reader.next() { records.append(record) }
            } catch {
                failure = error
            }
            let finished = failure != nil || records.count < Self.batchSize
            let keepGoing = condition.withLock { () -> Bool in
                while read.count + preparing + ready.count >= Self.batchesAhead && !stopped { condition.wait() }
                guard !stopped else { return false }
                if !records.isEmpty {
                    read.append((numbered, records))
                    numbered += 1
                }
                if finished {
                    ready[numbered] = failure.map(Item.failure) ?? .end
                    numbered += 1
                    readingDone = true
                }
                condition.broadcast()
                return !finished
            }
            guard keepGoing else { return }
        }
    }

    /// A preparing thread: takes the oldest batch read, prepares it, hands it back under its number.
    private func prepareBatches() {
        while true {
            let next = condition.withLock { () -> (number: Int, records: [LDIFRecord])? in
                while read.isEmpty && !readingDone && !stopped { condition.wait() }
                guard !stopped, !read.isEmpty else { return nil }
                preparing += 1
                return read.removeFirst()
            }
            guard let next else { return }
            let prepared = next.records.map { Self.prepare($0, issuers: issuers, pkd: pkd) }
            condition.withLock {
                preparing -= 1
                ready[next.number] = .records(prepared)
                condition.broadcast()
            }
        }
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
}

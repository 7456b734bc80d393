import Foundation
import LDS
import NIOCore
import PKICore

/// Where concurrent requests meet the batch signer: each request waits in the queue of its connection's event loop;
/// one signing loop per event loop takes every request waiting there (up to `maximumBatch`) and signs them with
/// `SODBatchSigner`, then hands the SODs to one recording loop, which writes the audit entries and quota counts of
/// every batch signed meanwhile in one store transaction and only then answers the requests. Signing and recording
/// overlap: the next batches are signed while the last ones are committed, so the fsync of a commit does not stall
/// the signing.
///
/// A signing loop per event loop, started on that loop: with Swift concurrency on NIO's event loops (as
/// `epki sod serve` runs), a task stays on the loop it was started from, and so do the batch signer's tasks; a single
/// signing loop signed on one core at a time while the other waited (BENCHMARKS.md §8). Each loop's SODs are also
/// made on the thread that writes their responses.
///
/// The recording loop hands the answers back to the event loops of the requests' connections, one hop per event loop
/// and batch: a request's task then resumes on the thread that writes its response, instead of on any event loop
/// (each continuation resumed from the recorder's thread would start on the next loop in turn, and its response
/// would hop again to the connection's loop).
///
/// A request that finds its line's quota window full (as far as this node knows) is refused before it is signed; the
/// store's count, checked again in the commit, is the authority (several nodes may share one store).
final class SigningQueue: Sendable {
    struct Job: Sendable {
        let request: SignRequest
        let line: SigningLine
        /// The event loop of the request's connection, where its answer is handed back.
        let eventLoop: any EventLoop
        /// Called once, on `eventLoop`, with the SOD (its audit entry committed) or the refusal.
        let answer: @Sendable (Result<SignedDocument, SODServiceError>) -> Void
    }

    struct Signed: Sendable {
        let job: Job
        let result: Result<(sod: [UInt8], digest: String), SODServiceError>
    }

    private struct State {
        /// Requests waiting, by the event loop of their connection.
        var pending: [ObjectIdentifier: [Job]] = [:]
        /// The event loops whose signing loop runs.
        var signing: Set<ObjectIdentifier> = []
        var unrecorded: [Signed] = []
        var recording = false
    }

    private let state = Locked(State())
    private let signers: DocumentSigners
    private let lines: SigningLines
    private let quotas: QuotaGate
    private let metrics: ServiceMetrics
    let maximumBatch: Int
    let workers: Int
    /// The recording loop blocks on SQLite (and its fsync): a thread of its own, never an event loop.
    private let recorder = DispatchQueue(label: "epki.sod.recorder", qos: .userInitiated)

    init(signers: DocumentSigners, lines: SigningLines, quotas: QuotaGate, metrics: ServiceMetrics, maximumBatch: Int, workers: Int) {
        self.signers = signers
        self.lines = lines
        self.quotas = quotas
        self.metrics = metrics
        self.maximumBatch = max(1, maximumBatch)
        self.workers = max(1, workers)
    }

    /// Signs one document for a line; returns once its audit entry is committed.
    func sign(_ request: SignRequest, line: SigningLine, eventLoop: any EventLoop) async throws -> SignedDocument {
        try quotas.reserve(line)
        return try await withCheckedThrowingContinuation { continuation in
            enqueue([Job(request: request, line: line, eventLoop: eventLoop, answer: { continuation.resume(with: $0.mapError { $0 as any Error }) })],
                    on: eventLoop)
        }
    }

    /// Signs several documents of one line (`POST /v1/sod/sign-batch`); returns, in their order, each one's SOD (its
    /// audit entry committed) or its refusal. Each document is counted against the quota as a request of its own:
    /// those that find the window full are refused, the others signed. The documents join the event loop's queue
    /// together, so they are signed in the same `SODBatchSigner` batches (up to `maximumBatch` each) and recorded in
    /// the recorder's transactions like any others.
    func sign(_ requests: [SignRequest], line: SigningLine, eventLoop: any EventLoop) async -> [Result<SignedDocument, SODServiceError>] {
        var results = [Result<SignedDocument, SODServiceError>?](repeating: nil, count: requests.count)
        var admitted: [Int] = []
        admitted.reserveCapacity(requests.count)
        for index in requests.indices {
            do {
                try quotas.reserve(line)
                admitted.append(index)
            } catch let error as SODServiceError {
                results[index] = .failure(error)
            } catch {
                results[index] = .failure(SODServiceError(.storeFailure, "the line's quota could not be read: \((error as? any OperatorFacingError)?.reason ?? "\(error)")"))
            }
        }
        guard !admitted.isEmpty else { return results.map { $0! } }
        let collected = await withCheckedContinuation { (continuation: CheckedContinuation<[(Int, Result<SignedDocument, SODServiceError>)], Never>) in
            let collector = Collector(expected: admitted.count, continuation: continuation)
            let jobs = admitted.enumerated().map { slot, index in
                Job(request: requests[index], line: line, eventLoop: eventLoop, answer: { collector.deliver(slot, $0) })
            }
            enqueue(jobs, on: eventLoop)
        }
        for (slot, result) in collected { results[admitted[slot]] = result }
        return results.map { $0! }
    }

    /// Gathers the answers of one request's documents and resumes the request when the last has come.
    private final class Collector: Sendable {
        private struct State {
            var results: [(Int, Result<SignedDocument, SODServiceError>)] = []
            var continuation: CheckedContinuation<[(Int, Result<SignedDocument, SODServiceError>)], Never>?
        }

        private let expected: Int
        private let state: Locked<State>

        init(expected: Int, continuation: CheckedContinuation<[(Int, Result<SignedDocument, SODServiceError>)], Never>) {
            self.expected = expected
            var initial = State(continuation: continuation)
            initial.results.reserveCapacity(expected)
            state = Locked(initial)
        }

        func deliver(_ slot: Int, _ result: Result<SignedDocument, SODServiceError>) {
            let done = state.withLock { state -> (CheckedContinuation<[(Int, Result<SignedDocument, SODServiceError>)], Never>, [(Int, Result<SignedDocument, SODServiceError>)])? in
                state.results.append((slot, result))
                guard state.results.count == expected, let continuation = state.continuation else { return nil }
                state.continuation = nil
                return (continuation, state.results)
            }
            if let (continuation, results) = done { continuation.resume(returning: results) }
        }
    }

    /// Puts jobs of one event loop in its queue and starts that loop's signing loop if it is not running.
    private func enqueue(_ jobs: [Job], on eventLoop: any EventLoop) {
        let key = ObjectIdentifier(eventLoop)
        let start = state.withLock { state -> Bool in
            state.pending[key, default: []].append(contentsOf: jobs)
            return state.signing.insert(key).inserted
        }
        guard start else { return }
        if eventLoop.inEventLoop {
            Task { await self.signLoop(key) }
        } else {
            eventLoop.execute { Task { await self.signLoop(key) } }
        }
    }

    private func signLoop(_ key: ObjectIdentifier) async {
        while true {
            let batch = state.withLock { state -> [Job]? in
                guard var waiting = state.pending[key], !waiting.isEmpty else {
                    state.signing.remove(key)
                    return nil
                }
                let count = min(maximumBatch, waiting.count)
                let batch = Array(waiting.prefix(count))
                waiting.removeFirst(count)
                state.pending[key] = waiting
                return batch
            }
            guard let batch else { return }
            metrics.recordBatch(size: batch.count)
            let signed = await signBatch(batch)
            let start = state.withLock { state -> Bool in
                state.unrecorded += signed
                guard !state.recording else { return false }
                state.recording = true
                return true
            }
            if start { recorder.async { self.recordLoop() } }
        }
    }

    /// One `SODBatchSigner` call per signing configuration (hash, LDS version) present in the batch.
    private func signBatch(_ batch: [Job]) async -> [Signed] {
        var groups: [DocumentSigners.Key: [Int]] = [:]
        for (index, job) in batch.enumerated() {
            groups[DocumentSigners.Key(job.request), default: []].append(index)
        }
        var results = [Signed?](repeating: nil, count: batch.count)
        for (key, indices) in groups {
            let sodSigner: SODSigner
            do {
                sodSigner = try signers.signer(for: key)
            } catch {
                for index in indices { results[index] = Signed(job: batch[index], result: .failure(Self.signingFailure(error))) }
                continue
            }
            let documents = indices.map { SODBatchSigner.Document(identifier: batch[$0].request.documentNumber, dataGroupHashes: batch[$0].request.dataGroupHashes) }
            let outcomes = await SODBatchSigner(sodSigner: sodSigner, maxConcurrentTasks: workers).sign(documents)
            for (index, outcome) in zip(indices, outcomes) {
                let result: Result<(sod: [UInt8], digest: String), SODServiceError>
                do {
                    let bytes = try outcome.get().encode()
                    result = .success((bytes, Hex.lowercase(try HashAlgorithm.sha256.hash(bytes))))
                } catch {
                    result = .failure(Self.signingFailure(error))
                }
                results[index] = Signed(job: batch[index], result: result)
            }
        }
        return results.compactMap { $0 }
    }

    private func recordLoop() {
        while true {
            let items = state.withLock { state -> [Signed]? in
                guard !state.unrecorded.isEmpty else {
                    state.recording = false
                    return nil
                }
                defer { state.unrecorded.removeAll(keepingCapacity: true) }
                return state.unrecorded
            }
            guard let items else { return }
            record(items)
        }
    }

    private func record(_ items: [Signed]) {
        let successes = items.indices.filter { if case .success = items[$0].result { return true } else { return false } }
        var outcomes: [Int: Result<Int64, SODServiceError>] = [:]
        if !successes.isEmpty {
            let signatures = successes.map { index -> SigningLines.Signature in
                let job = items[index].job
                let digest = (try? items[index].result.get().digest) ?? ""
                return SigningLines.Signature(lineFingerprint: job.line.fingerprint, documentNumber: job.request.documentNumber, sodDigest: digest,
                                              hash: job.request.hash, dataGroups: job.request.dataGroupHashes.keys.sorted())
            }
            do {
                let recorded = try lines.record(signatures, signer: signers.facts)
                for (index, result) in zip(successes, recorded) { outcomes[index] = result }
            } catch {
                let failure = SODServiceError(.storeFailure, "the signatures could not be recorded, so no SOD of the batch is handed out: \((error as? any OperatorFacingError)?.reason ?? "\(error)")")
                for index in successes { outcomes[index] = .failure(failure) }
            }
        }
        var answers: [ObjectIdentifier: (loop: any EventLoop, answers: [@Sendable () -> Void])] = [:]
        for (index, item) in items.enumerated() {
            let job = item.job
            let answer: Result<SignedDocument, SODServiceError>
            switch (item.result, outcomes[index]) {
            case (.success(let signed), .some(.success(let sequence))):
                quotas.release(job.line, recorded: true)
                metrics.recordSignature(line: job.line.name)
                answer = .success(SignedDocument(documentNumber: job.request.documentNumber, sod: signed.sod, sodDigest: signed.digest, auditSequence: sequence))
            case (.success, .some(.failure(let error))):
                quotas.release(job.line, recorded: false, windowFull: error.code == .quotaExceeded)
                answer = .failure(error)
            case (.failure(let error), _):
                quotas.release(job.line, recorded: false)
                answer = .failure(error)
            case (.success, .none):
                quotas.release(job.line, recorded: false)
                answer = .failure(SODServiceError(.storeFailure, "the signature was not recorded"))
            }
            let deliver = job.answer
            answers[ObjectIdentifier(job.eventLoop), default: (job.eventLoop, [])].answers.append { deliver(answer) }
        }
        // The event loops are the process's NIO singletons, which are never shut down, so every hop runs.
        for (_, group) in answers {
            let resumes = group.answers
            group.loop.execute { for resume in resumes { resume() } }
        }
    }

    static func signingFailure(_ error: any Error) -> SODServiceError {
        if let error = error as? SODServiceError { return error }
        return SODServiceError(.signingFailed, "the Document Signer could not sign: \((error as? any OperatorFacingError)?.reason ?? "\(error)")")
    }
}

/// A SOD handed out: its bytes, their SHA-256, and the audit entry that records it.
public struct SignedDocument: Sendable {
    public let documentNumber: String
    public let sod: [UInt8]
    public let sodDigest: String
    public let auditSequence: Int64
}

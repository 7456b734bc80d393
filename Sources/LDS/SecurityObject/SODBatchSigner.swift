import Foundation
import PKICore
import Synchronization

/// Signs the security objects of many documents with one Document Signer, as a personalization line needs:
/// documents are signed concurrently, at most `maxConcurrentTasks` at a time (the core count by default, as
/// the work is CPU-bound signing), and each SOD is verified again before it is handed out (see `SODSigner`).
///
/// One document failing (a malformed data group, an HSM error) does not stop the batch: its outcome carries
/// the error, in the position of the document, so the line can reject that document alone.
public struct SODBatchSigner: Sendable {
    /// One document: its data groups (number → the file's bytes as they will be written to the chip), or, for
    /// lines that hash each file while writing it, their hashes with the signer's hash function.
    public struct Document: Sendable {
        public var identifier: String
        /// The files; empty when the document is given by its hashes.
        public var dataGroups: [Int: [UInt8]]
        /// The files' hashes; when set, the SOD is signed from them (`SODSigner.sign(dataGroupHashes:)`).
        public var dataGroupHashes: [Int: [UInt8]]?

        public init(identifier: String, dataGroups: [Int: [UInt8]]) {
            self.identifier = identifier
            self.dataGroups = dataGroups
        }

        public init(identifier: String, dataGroupHashes: [Int: [UInt8]]) {
            self.identifier = identifier
            self.dataGroups = [:]
            self.dataGroupHashes = dataGroupHashes
        }
    }

    public struct Outcome: Sendable {
        public let identifier: String
        /// The SOD, or the error that stopped it.
        public let result: Result<EFSOD, any Error>

        public func get() throws -> EFSOD { try result.get() }
    }

    public let sodSigner: SODSigner
    public let maxConcurrentTasks: Int

    public init(sodSigner: SODSigner, maxConcurrentTasks: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.sodSigner = sodSigner
        self.maxConcurrentTasks = max(1, maxConcurrentTasks)
    }

    /// Signs every document; the outcomes come back in the order of `documents`.
    ///
    /// `maxConcurrentTasks` workers each take the next unsigned document until none is left. A task per document
    /// handed each SOD from a worker thread back to the waiting caller and the next one out again; those two
    /// thread switches cost a P-256 batch 40 % of its rate.
    public func sign(_ documents: [Document]) async -> [Outcome] {
        let signer = sodSigner
        let next = NextDocument()
        let workers = min(maxConcurrentTasks, documents.count)
        return await withTaskGroup(of: [(Int, Outcome)].self, returning: [Outcome].self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var signed: [(Int, Outcome)] = []
                    while let index = next.take(below: documents.count) {
                        let document = documents[index]
                        let result = Result<EFSOD, any Error> {
                            if let hashes = document.dataGroupHashes { return try signer.sign(dataGroupHashes: hashes) }
                            return try signer.sign(dataGroups: document.dataGroups)
                        }
                        signed.append((index, Outcome(identifier: document.identifier, result: result)))
                    }
                    return signed
                }
            }
            var outcomes = [Outcome?](repeating: nil, count: documents.count)
            for await signed in group {
                for (index, outcome) in signed { outcomes[index] = outcome }
            }
            return outcomes.compactMap { $0 }
        }
    }

    /// The index of the next document to sign, shared by the workers of one batch.
    private final class NextDocument: Sendable {
        private let counter = Atomic<Int>(0)

        func take(below count: Int) -> Int? {
            let index = counter.wrappingAdd(1, ordering: .relaxed).oldValue
            return index < count ? index : nil
        }
    }
}

import Foundation
import PKICore

/// Signs the security objects of many documents with one Document Signer, as a personalization line needs:
/// documents are signed concurrently, at most `maxConcurrentTasks` at a time (the core count by default, as
/// the work is CPU-bound signing), and each SOD is verified again before it is handed out (see `SODSigner`).
///
/// One document failing (a malformed data group, an HSM error) does not stop the batch: its outcome carries
/// the error, in the position of the document, so the line can reject that document alone.
public struct SODBatchSigner: Sendable {
    /// One document's data groups: number → the file's bytes as they will be written to the chip.
    public struct Document: Sendable {
        public var identifier: String
        public var dataGroups: [Int: [UInt8]]

        public init(identifier: String, dataGroups: [Int: [UInt8]]) {
            self.identifier = identifier
            self.dataGroups = dataGroups
        }
    }

    public struct Outcome: Sendable {
        public let identifier: String
        public let result: Result<EFSOD, any Error>

        /// The SOD, or the error that stopped it.
        public func get() throws -> EFSOD { try result.get() }
    }

    public let sodSigner: SODSigner
    public let maxConcurrentTasks: Int

    public init(sodSigner: SODSigner, maxConcurrentTasks: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.sodSigner = sodSigner
        self.maxConcurrentTasks = max(1, maxConcurrentTasks)
    }

    /// Signs every document; the outcomes come back in the order of `documents`.
    public func sign(_ documents: [Document]) async -> [Outcome] {
        let signer = sodSigner
        return await withTaskGroup(of: (Int, Outcome).self, returning: [Outcome].self) { group in
            var outcomes = [Outcome?](repeating: nil, count: documents.count)
            var next = 0
            func submit(_ index: Int) {
                let document = documents[index]
                group.addTask {
                    let result = Result<EFSOD, any Error> { try signer.sign(dataGroups: document.dataGroups) }
                    return (index, Outcome(identifier: document.identifier, result: result))
                }
            }
            // Keep the group at most `maxConcurrentTasks` deep: a batch of a million documents must not hold a
            // million pending tasks (and their data groups) at once.
            while next < min(maxConcurrentTasks, documents.count) {
                submit(next)
                next += 1
            }
            for await (index, outcome) in group {
                outcomes[index] = outcome
                if next < documents.count {
                    submit(next)
                    next += 1
                }
            }
            return outcomes.compactMap { $0 }
        }
    }
}

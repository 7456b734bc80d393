import Foundation
import PKICore

/// The body of `POST /v1/sod/sign-batch`: the documents a line has ready at once, each the same object as the body
/// of `POST /v1/sod/sign`.
///
/// ```
/// { "documents": [ { "documentNumber": "L898902C3", "ldsVersion": "1.7", "hashAlgorithm": "sha256",
///                    "dataGroupHashes": { "1": "<hash>", "2": "<hash>" } },
///                  ... ] }                        -- 1 to 256 objects
/// ```
/// Two levels of refusal. The body itself (not JSON, another member than `documents`, `documents` missing, not an
/// array, empty, longer than `maximumDocuments`, or an element that is not a JSON object) refuses the whole request
/// with 400, the field named as `documents` or `documents[3]`. A document whose object is read but wrong (a field
/// missing or malformed, as `SignRequest` judges it) is refused alone: its place in the answer holds the error, and
/// the other documents are signed.
public struct SignBatchRequest: Sendable {
    /// The most documents one request may carry: four of the service's signing batches (`maximumBatch`, 64 by
    /// default), and at most about 1 MB of JSON (`SODSigningService.maximumBatchBody`).
    public static let maximumDocuments = 256

    public struct Document: Sendable {
        /// The document number as the request gave it (a string), echoed in the answer even when it is refused.
        public let documentNumber: String?
        /// The document's request, or why it alone is refused.
        public let request: Result<SignRequest, SODServiceError>
    }

    /// In the order of the request.
    public let documents: [Document]

    public init(json bytes: [UInt8]) throws {
        let members: [(String, JSONValue)]
        do {
            guard let object = try JSONValue(parsing: bytes).objectValue else {
                throw SODServiceError(.badRequest, "the body must be a JSON object with the member documents")
            }
            members = object
        } catch let error as PKIError {
            throw SODServiceError(.badRequest, "the body is not JSON: \(error.reason)")
        }
        for (name, _) in members where name != "documents" {
            throw SODServiceError.field(name, "unknown field; the request takes documents only")
        }
        guard members.count <= 1 else { throw SODServiceError.field("documents", "given twice") }
        guard let found = members.first?.1 else { throw SODServiceError.field("documents", "missing") }
        guard let elements = found.arrayValue else {
            throw SODServiceError.field("documents", "must be an array of the objects POST /v1/sod/sign takes")
        }
        guard !elements.isEmpty else { throw SODServiceError.field("documents", "empty; give 1 to \(Self.maximumDocuments) documents") }
        guard elements.count <= Self.maximumDocuments else {
            throw SODServiceError.field("documents", "\(elements.count) documents; at most \(Self.maximumDocuments) per request")
        }
        var documents: [Document] = []
        documents.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard let object = element.objectValue else {
                throw SODServiceError.field("documents[\(index)]", "must be a JSON object, as the body of POST /v1/sod/sign")
            }
            let number = object.first(where: { $0.0 == "documentNumber" })?.1.stringValue
            do {
                documents.append(Document(documentNumber: number, request: .success(try SignRequest(members: object))))
            } catch let error as SODServiceError {
                documents.append(Document(documentNumber: number, request: .failure(error)))
            }
        }
        self.documents = documents
    }
}

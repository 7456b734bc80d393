import Foundation
import PKICore

/// The body of `POST /v1/pa/verify`: what an inspection system read from the chip, base64-encoded.
///
/// ```
/// { "sod": "<EF.SOD, base64>",
///   "dataGroups": { "1": "<DG1, base64>", "DG2": "<DG2, base64>", ... },
///   "efCOM": "<EF.COM, base64>",                  -- optional
///   "documentSigner": "<DS certificate DER, base64>" }   -- optional, for SODs without it
/// ```
struct VerifyRequest {
    let sod: [UInt8]
    let dataGroups: [Int: [UInt8]]
    let efCOM: [UInt8]?
    let documentSigner: Certificate?

    init(json bytes: [UInt8]) throws {
        let object: [(String, JSONValue)]
        do {
            guard let members = try JSONValue(parsing: bytes).objectValue else {
                throw NPKDError(.badRequest, "the body must be a JSON object")
            }
            object = members
        } catch let error as PKIError {
            throw NPKDError(.badRequest, "the body is not JSON: \(error.reason)")
        }
        func member(_ name: String) -> JSONValue? { object.first(where: { $0.0 == name })?.1 }
        sod = try Self.base64(member("sod"), "sod")
        guard let groups = member("dataGroups")?.objectValue else {
            throw NPKDError(.badRequest, "dataGroups must be an object of data group number to base64")
        }
        var dataGroups: [Int: [UInt8]] = [:]
        for (key, value) in groups {
            let digits = key.uppercased().hasPrefix("DG") ? String(key.dropFirst(2)) : key
            guard let number = Int(digits), (1...16).contains(number) else {
                throw NPKDError(.badRequest, "dataGroups key '\(key)' is not a data group number 1 to 16")
            }
            guard dataGroups[number] == nil else {
                throw NPKDError(.badRequest, "dataGroups names data group \(number) twice")
            }
            dataGroups[number] = try Self.base64(value, "dataGroups.\(key)")
        }
        self.dataGroups = dataGroups
        efCOM = try member("efCOM").map { try Self.base64($0, "efCOM") }
        if let value = member("documentSigner") {
            do {
                documentSigner = try Certificate(bytes: Self.base64(value, "documentSigner"))
            } catch let error as PKIError {
                throw NPKDError(.malformedObject, "documentSigner is not a certificate: \(error.reason)")
            }
        } else {
            documentSigner = nil
        }
    }

    static func base64(_ value: JSONValue?, _ field: String) throws -> [UInt8] {
        guard let value else { throw NPKDError(.badRequest, "\(field) is missing") }
        guard let text = value.stringValue else { throw NPKDError(.badRequest, "\(field) must be a base64 string") }
        guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
            throw NPKDError(.badRequest, "\(field) is not valid base64")
        }
        guard !data.isEmpty else { throw NPKDError(.badRequest, "\(field) is empty") }
        return Array(data)
    }
}

import Foundation
import LDS
import PKICore

/// The body of `POST /v1/sod/sign`: one document's number, its LDS version and the hashes of its data groups,
/// computed by the line with the hash it names. Every field is checked, and a refusal names the field.
///
/// ```
/// { "documentNumber": "L898902C3",                 -- 1 to 22 of A–Z, 0–9 (the MRZ's document number, TD1's long ones)
///   "ldsVersion": "1.7",                           -- "1.7": v0 security object; "1.8": v1 with LDSVersionInfo
///   "unicodeVersion": "4.0.0",                     -- optional, with "1.8" only (default 4.0.0)
///   "hashAlgorithm": "sha256",                     -- sha256, sha384 or sha512
///   "hashEncoding": "hex",                         -- optional: hex (default) or base64
///   "dataGroupHashes": { "1": "<hash>", "2": "<hash>", "14": "<hash>" } }   -- keys 1–16 or "DG1"…"DG16"
/// ```
/// DG1 and DG2 are mandatory in every eMRTD (Doc 9303-10 §4.6), so a request without them is refused. The encoding
/// of the hashes is stated, not guessed: a hex string is also valid base64, and a SHA-256 hash in hex has the length
/// of a SHA-384 hash in base64.
public struct SignRequest: Sendable {
    public let documentNumber: String
    public let hash: HashAlgorithm
    /// Nil for LDS 1.7 (a v0 security object).
    public let ldsVersionInfo: LDSVersionInfo?
    public let dataGroupHashes: [Int: [UInt8]]

    public static let fields: Set<String> = ["documentNumber", "ldsVersion", "unicodeVersion", "hashAlgorithm", "hashEncoding", "dataGroupHashes"]

    public init(documentNumber: String, hash: HashAlgorithm, ldsVersionInfo: LDSVersionInfo?, dataGroupHashes: [Int: [UInt8]]) {
        self.documentNumber = documentNumber
        self.hash = hash
        self.ldsVersionInfo = ldsVersionInfo
        self.dataGroupHashes = dataGroupHashes
    }

    public init(json bytes: [UInt8]) throws {
        let members: [(String, JSONValue)]
        do {
            guard let object = try JSONValue(parsing: bytes).objectValue else {
                throw SODServiceError(.badRequest, "the body must be a JSON object")
            }
            members = object
        } catch let error as PKIError {
            throw SODServiceError(.badRequest, "the body is not JSON: \(error.reason)")
        }
        try self.init(members: members)
    }

    /// One document's request from the members of its JSON object (the body of `POST /v1/sod/sign`, or one element
    /// of `documents` in `POST /v1/sod/sign-batch`).
    public init(members: [(String, JSONValue)]) throws {
        var seen: Set<String> = []
        for (name, _) in members {
            guard Self.fields.contains(name) else {
                throw SODServiceError.field(name, "unknown field; the request takes \(Self.fields.sorted().joined(separator: ", "))")
            }
            guard seen.insert(name).inserted else { throw SODServiceError.field(name, "given twice") }
        }
        func member(_ name: String) -> JSONValue? { members.first(where: { $0.0 == name })?.1 }
        func string(_ name: String, default value: String? = nil) throws -> String {
            guard let found = member(name) else {
                if let value { return value }
                throw SODServiceError.field(name, "missing")
            }
            guard let text = found.stringValue else { throw SODServiceError.field(name, "must be a string") }
            return text
        }

        documentNumber = try Self.documentNumber(try string("documentNumber"))

        let hashName = try string("hashAlgorithm")
        guard let hash = HashAlgorithm(rawValue: hashName.lowercased()), LDSSecurityObject.signingHashes.contains(hash) else {
            throw SODServiceError.field("hashAlgorithm", "'\(hashName)' is not sha256, sha384 or sha512")
        }
        self.hash = hash

        let ldsVersion = try string("ldsVersion")
        switch ldsVersion {
        case "1.7", "0107":
            guard member("unicodeVersion") == nil else {
                throw SODServiceError.field("unicodeVersion", "only with ldsVersion 1.8 (a v0 security object has no LDSVersionInfo)")
            }
            ldsVersionInfo = nil
        case "1.8", "0108":
            let unicode = try string("unicodeVersion", default: "4.0.0")
            do {
                ldsVersionInfo = try LDSVersionInfo(ldsVersion: "1.8", unicodeVersion: unicode)
            } catch let error as LDSError {
                throw SODServiceError.field("unicodeVersion", error.reason)
            }
        default:
            throw SODServiceError.field("ldsVersion", "'\(ldsVersion)' is not 1.7 or 1.8")
        }

        let encoding = try string("hashEncoding", default: "hex")
        guard encoding == "hex" || encoding == "base64" else {
            throw SODServiceError.field("hashEncoding", "'\(encoding)' is not hex or base64")
        }
        guard let found = member("dataGroupHashes") else { throw SODServiceError.field("dataGroupHashes", "missing") }
        guard let groups = found.objectValue else {
            throw SODServiceError.field("dataGroupHashes", "must be an object of data group number to hash")
        }
        var hashes: [Int: [UInt8]] = [:]
        hashes.reserveCapacity(groups.count)
        for (key, value) in groups {
            // The field's name is made only for a refusal: building it for every key cost more than checking it.
            func field() -> String { "dataGroupHashes.\(key)" }
            guard let number = Self.dataGroupNumber(key) else {
                throw SODServiceError.field(field(), "'\(key)' is not a data group number 1 to 16")
            }
            guard hashes[number] == nil else { throw SODServiceError.field(field(), "data group \(number) is given twice") }
            guard let text = value.stringValue else { throw SODServiceError.field(field(), "must be a \(encoding) string") }
            let bytes: [UInt8]
            if encoding == "hex" {
                if let decoded = Self.plainHex(text) {
                    bytes = decoded
                } else {
                    guard text.count % 2 == 0, let decoded = [UInt8](hex: text) else { throw SODServiceError.field(field(), "is not hex") }
                    bytes = decoded
                }
            } else {
                guard let decoded = Data(base64Encoded: text) else { throw SODServiceError.field(field(), "is not base64") }
                bytes = Array(decoded)
            }
            guard bytes.count == hash.digestLength else {
                throw SODServiceError.field(field(), "\(bytes.count) bytes, but \(hash) gives \(hash.digestLength)")
            }
            hashes[number] = bytes
        }
        for mandatory in [1, 2] where hashes[mandatory] == nil {
            throw SODServiceError.field("dataGroupHashes.\(mandatory)", "missing: DG1 and DG2 are in every eMRTD (Doc 9303-10)")
        }
        dataGroupHashes = hashes
    }

    /// "1" to "16", or "DG1" to "DG16" in any case; nil for anything else.
    static func dataGroupNumber(_ key: String) -> Int? {
        var digits = Substring(key).utf8
        if digits.count > 2, let d = digits.first, d | 0x20 == UInt8(ascii: "d"), let g = digits.dropFirst().first, g | 0x20 == UInt8(ascii: "g") {
            digits = digits.dropFirst(2)
        }
        guard (1...2).contains(digits.count) else { return nil }
        var number = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            number = number * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return (1...16).contains(number) ? number : nil
    }

    /// Hex made only of the digits 0–9, a–f, A–F, decoded in one pass; nil for anything else (spaces, colons, an odd
    /// count), which the general reader then judges.
    static func plainHex(_ text: String) -> [UInt8]? {
        let utf8 = text.utf8
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c &- UInt8(ascii: "A") &+ 10
            default: return nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var iterator = utf8.makeIterator()
        while let first = iterator.next() {
            guard let high = nibble(first), let second = iterator.next(), let low = nibble(second) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }

    /// A document number as the MRZ writes it without its fillers: upper-case letters and digits, 1 to 22 of them
    /// (9 in the MRZ's field, up to 22 for TD1 numbers that continue in the optional data).
    static func documentNumber(_ text: String) throws -> String {
        guard !text.isEmpty else { throw SODServiceError.field("documentNumber", "empty") }
        guard text.count <= 22 else { throw SODServiceError.field("documentNumber", "\(text.count) characters; at most 22") }
        guard text.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) }) else {
            throw SODServiceError.field("documentNumber", "'\(text)' holds characters other than A–Z and 0–9")
        }
        return text
    }
}

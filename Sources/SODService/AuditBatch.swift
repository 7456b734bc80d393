import Foundation
import PKICore
import Store

/// Appends the audit entries of one recorded batch to a domain's hash chain, inside the batch's transaction.
///
/// The entries are exactly those `AuditTrail.append` writes one at a time — the same columns, the same details JSON
/// (sorted keys, as `JSONEncoder` with `.sortedKeys` writes them), the same hash input and SHA-256 — so that
/// `epki audit verify` and `AuditTrail.entries` read them alike (`SODServiceTests` compares both byte for byte). What
/// differs is the cost, which the service pays for every SOD it hands out (BENCHMARKS.md §8): the chain's head is read
/// once per batch instead of once per entry, the statements are prepared once per connection (GRDB's statement cache)
/// instead of parsed and authorized for every entry, the time is formatted once per batch, and details made of plain
/// characters are written directly instead of through `JSONEncoder`.
struct AuditBatch {
    static let genesis = String(repeating: "0", count: 64)

    let domain: String
    let now: Date
    private let db: Database
    private let timeText: String
    private var sequence: Int64
    private var previousHash: String

    /// Reads the domain's chain head; the caller's transaction keeps it current until commit.
    init(_ db: Database, domain: String, now: Date) throws {
        self.db = db
        self.domain = domain
        self.now = now
        timeText = Self.timeText(now)
        let head = try db.cachedStatement(sql: "SELECT sequence, hash FROM audit_entry WHERE domain = ? ORDER BY sequence DESC LIMIT 1")
        if let row = try Row.fetchOne(head, arguments: [domain]) {
            sequence = row[0]
            previousHash = row[1]
        } else {
            sequence = 0
            previousHash = Self.genesis
        }
    }

    /// Appends one entry and returns its sequence number. `details` are the key/value pairs in any order (already
    /// sorted by key costs least).
    mutating func append(actor: String, action: String, subject: String, details: [(String, String)]) throws -> Int64 {
        let next = sequence + 1
        let detailText = Self.detailsJSON(details)
        let hash = Hex.lowercase(try HashAlgorithm.sha256.hash(Self.hashInput(
            [domain, String(next), timeText, actor, action, subject, detailText, previousHash])))
        let insert = try db.cachedStatement(sql: """
            INSERT INTO audit_entry (domain, sequence, time, actor, action, subject, details, previous_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try insert.execute(arguments: [domain, next, now.timeIntervalSince1970, actor, action, subject, detailText, previousHash, hash])
        sequence = next
        previousHash = hash
        return next
    }

    /// The time as `AuditEntry.hashInput` formats it, `String(format: "%.6f")`: the same C formatting, without
    /// building an NSString.
    static func timeText(_ date: Date) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            let written = withVaList([date.timeIntervalSince1970]) { vsnprintf(buffer.baseAddress!, 64, "%.6f", $0) }
            guard written > 0, written < 64 else { return String(format: "%.6f", date.timeIntervalSince1970) }
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: Int(written)), as: UTF8.self)
        }
    }

    /// `AuditEntry.hashInput`: each field as "<UTF-8 length>:<field>", joined by "|".
    static func hashInput(_ fields: [String]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(fields.reduce(0) { $0 + $1.utf8.count + 8 })
        for (index, field) in fields.enumerated() {
            if index > 0 { out.append(UInt8(ascii: "|")) }
            out.append(contentsOf: String(field.utf8.count).utf8)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: field.utf8)
        }
        return out
    }

    /// The details as `AuditEntry.encodeDetails` writes them (`JSONEncoder`, `.sortedKeys`). Keys and values made only
    /// of characters that JSON writes as they are (printable ASCII other than `"`, `\` and `/`, which `JSONEncoder`
    /// escapes) and keys that sort alike by bytes and by `JSONEncoder`'s rule (ASCII letters and digits only, all
    /// starting lower-case) are written directly; anything else goes through `JSONEncoder` itself.
    static func detailsJSON(_ details: [(String, String)]) -> String {
        guard details.allSatisfy({ isPlainKey($0.0) && isPlain($0.1) }) else { return encoderJSON(details) }
        func ascending(_ pairs: [(String, String)]) -> Bool { zip(pairs, pairs.dropFirst()).allSatisfy { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) } }
        let sorted = ascending(details) ? details : details.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        guard ascending(sorted) else { return encoderJSON(details) }  // a key given twice: JSONEncoder's dictionary decides
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(details.reduce(2) { $0 + $1.0.utf8.count + $1.1.utf8.count + 6 })
        for (index, (key, value)) in sorted.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: key.utf8)
            out.append(contentsOf: "\":\"".utf8)
            out.append(contentsOf: value.utf8)
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    static func encoderJSON(_ details: [(String, String)]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let dictionary = Dictionary(details, uniquingKeysWith: { _, last in last })
        return String(decoding: (try? encoder.encode(dictionary)) ?? Data("{}".utf8), as: UTF8.self)
    }

    private static func isPlain(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") && $0 != UInt8(ascii: "/") }
    }

    /// Lower-case ASCII letters first, then letters and digits: byte order and `JSONEncoder`'s order agree on these
    /// as long as no two keys differ only after a case change, which holds for the fixed keys the service writes.
    private static func isPlainKey(_ key: String) -> Bool {
        guard let first = key.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return key.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}

/// Lower-case hex without separators (fingerprints, digests), written in one pass.
enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func lowercase(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { buffer in
            var index = 0
            for byte in bytes {
                buffer[index] = digits[Int(byte >> 4)]
                buffer[index + 1] = digits[Int(byte & 0x0F)]
                index += 2
            }
            return index
        }
    }
}

import Foundation

/// A tenant: the CAs of one country or organisation, with its own policies and its own thread of the audit
/// trail. Every CA belongs to exactly one domain.
public struct Domain: Hashable, Sendable, Codable {
    public let name: String
    public let createdAt: Date
    public let description: String

    /// Domain names appear in paths and URLs: letters, digits, '-', '_' and '.', 1 to 64 characters.
    public static func validate(_ name: String) throws {
        guard (1...64).contains(name.count),
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }),
              !name.hasPrefix(".")
        else {
            throw StoreError(.invalidName, "domain name '\(name)' must be 1 to 64 letters, digits, '-', '_' or '.'")
        }
    }
}

extension EPKIStore {
    /// Creates the domain if it does not exist yet (inside the caller's transaction).
    @discardableResult
    public static func ensureDomain(_ db: Database, name: String, description: String = "", now: Date) throws -> Domain {
        try Domain.validate(name)
        if let existing = try domain(db, name: name) { return existing }
        try db.execute(sql: "INSERT INTO domain (name, created_at, description) VALUES (?, ?, ?)",
                       arguments: [name, now.timeIntervalSince1970, description])
        return Domain(name: name, createdAt: now, description: description)
    }

    public static func domain(_ db: Database, name: String) throws -> Domain? {
        try Row.fetchOne(db, sql: "SELECT * FROM domain WHERE name = ?", arguments: [name]).map {
            Domain(name: $0["name"], createdAt: Date(timeIntervalSince1970: $0["created_at"]), description: $0["description"])
        }
    }

    /// The domain, or `unknownDomain` naming the ones that exist.
    public static func requireDomain(_ db: Database, name: String) throws -> Domain {
        if let domain = try domain(db, name: name) { return domain }
        let known = try String.fetchAll(db, sql: "SELECT name FROM domain ORDER BY name")
        throw StoreError(.unknownDomain, "unknown domain '\(name)'" + (known.isEmpty ? " (the data directory has none yet)" : "; known: \(known.joined(separator: ", "))"))
    }

    public func domains() throws -> [Domain] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM domain ORDER BY name").map {
                Domain(name: $0["name"], createdAt: Date(timeIntervalSince1970: $0["created_at"]), description: $0["description"])
            }
        }
    }
}

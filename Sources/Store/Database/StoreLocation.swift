import Foundation

/// Which engine holds a store's tables.
///
/// `EPKI_STORE` (or the CLI's `--store`, which sets it) names it: `sqlite:PATH` for a SQLite file elsewhere than
/// the data directory, `postgres://…` for a shared PostgreSQL (see `PostgresLocation`). Unset, the tables are in
/// `<data-dir>/epki.sqlite`. `EPKI_TEST_POSTGRES` is the test suite's: a PostgreSQL URL under which each data
/// directory gets a schema of its own, so that the whole suite runs on PostgreSQL unchanged.
public enum StoreLocation: Sendable, Hashable {
    /// A SQLite file; nil: `epki.sqlite` in the data directory.
    case sqlite(path: String?)
    /// A PostgreSQL database; `testDirectorySchema`: one schema per data directory (the test suite's mode).
    case postgres(PostgresLocation, testDirectorySchema: Bool)

    public init(_ text: String) throws {
        if PostgresLocation.isPostgresURL(text) {
            self = .postgres(try PostgresLocation(url: text), testDirectorySchema: false)
        } else if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            self = .sqlite(path: path.isEmpty ? nil : path)
        } else {
            throw StoreError(.cannotOpen, "the store location '\(PostgresLocation.redacted(text))' is neither postgres://… nor sqlite:PATH")
        }
    }

    public static func fromEnvironment(directory: URL) throws -> StoreLocation {
        let environment = ProcessInfo.processInfo.environment
        if let text = environment["EPKI_STORE"], !text.isEmpty {
            return try StoreLocation(text)
        }
        if let text = environment["EPKI_TEST_POSTGRES"], !text.isEmpty {
            return .postgres(try PostgresLocation(url: text), testDirectorySchema: true)
        }
        return .sqlite(path: nil)
    }
}

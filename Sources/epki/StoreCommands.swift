import ArgumentParser
import Foundation
import Store

/// `epki store`: which engine holds the tables, and moving an embedded installation to the shared PostgreSQL.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "The store's engine: show it, and migrate an embedded SQLite installation to PostgreSQL.",
        subcommands: [Status.self, Migrate.self])

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "The engine, where the tables are, and the rows of each table.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "JSON output.") var json = false

        func run() throws {
            let opened = try store.open(create: false)
            defer { opened.close() }
            let tables = try opened.read { db in
                try db.tableNames().map { table in (table, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(table)\"") ?? 0) }
            }
            if json {
                try IO.printJSON(["engine": opened.engineKind.rawValue, "location": opened.locationDescription,
                                  "tables": Dictionary(uniqueKeysWithValues: tables.map { ($0.0, $0.1) })] as [String: Any])
                return
            }
            print("engine:   \(opened.engineKind.rawValue)")
            print("location: \(opened.locationDescription)")
            for (table, rows) in tables { print("  \(table): \(rows) rows") }
        }
    }

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Copy every table of a store into a new, empty one (SQLite to PostgreSQL), in one transaction, then check it.",
            discussion: """
                The copy keeps every id, moves PostgreSQL's identity sequences past them, and is checked before the command \
                succeeds: each table holds as many rows as the source's, and each domain's audit chain verifies and ends on \
                the same hash. The keys stay in the data directory: give the nodes that share the new store the same keys \
                (a PKCS#11 token, or the encrypted key files).
                """)
        @Option(help: "The store to copy: a data directory, or sqlite:FILE (default: --data-dir's epki.sqlite).")
        var from: String?

        @Option(help: "The new store: postgres://… (default: $EPKI_STORE). A password goes in $EPKI_STORE or passfile=, not here.")
        var to: String?

        @Option(name: .customLong("data-dir"), help: "Data directory (default: $EPKI_HOME, else ./epki-data).")
        var dataDirectory: String?

        func run() throws {
            let directory = EPKIStore.defaultDirectory(dataDirectory)
            let sourceLocation: StoreLocation
            var sourceDirectory = directory
            if let from, from.hasPrefix("sqlite:") || PostgresLocation.isPostgresURL(from) {
                sourceLocation = try StoreLocation(from)
            } else {
                if let from { sourceDirectory = URL(fileURLWithPath: from) }
                sourceLocation = .sqlite(path: nil)
            }
            guard let target = to ?? ProcessInfo.processInfo.environment["EPKI_STORE"], !target.isEmpty else {
                throw ValidationError("give the new store with --to or EPKI_STORE")
            }
            let targetLocation = try StoreLocation(target)
            guard targetLocation != sourceLocation else { throw ValidationError("--from and --to name the same store") }
            let source = try EPKIStore(directory: sourceDirectory, migrations: StoreOptions.migrations, create: false, location: sourceLocation)
            defer { source.close() }
            let destination = try EPKIStore(directory: directory, migrations: StoreOptions.migrations, create: true, location: targetLocation)
            defer { destination.close() }
            print("copying \(source.locationDescription) into \(destination.locationDescription)")
            let report = try source.copy(to: destination) { table, rows in print("  \(table): \(rows) rows") }
            for chain in report.auditChains {
                print("  audit chain of \(chain.domain): \(chain.entries) entries, intact, ends on \(chain.lastHash.prefix(16))… in both")
            }
            print("migrated: \(report.tables.reduce(0) { $0 + $1.rows }) rows in \(report.tables.count) tables, counts equal, audit chains verified")
        }
    }
}

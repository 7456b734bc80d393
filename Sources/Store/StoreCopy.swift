import Foundation

/// Moving an installation from one store to another (`epki store migrate`): the embedded SQLite file of a single
/// node into the shared PostgreSQL of several.
///
/// Every table is copied row for row, in the order its foreign keys need, in one transaction on the destination: a
/// copy that fails leaves the destination as it was. Row ids are kept (the `id` columns and, on PostgreSQL, the
/// insertion order SQLite's `rowid` gave), the identity sequences are moved past them, and the copy is then checked:
/// every table holds as many rows as the source's, and every domain's audit chain verifies and ends on the same hash.
public struct StoreCopyReport: Sendable {
    public struct Table: Sendable {
        public let name: String
        public let rows: Int
    }

    public var tables: [Table] = []
    /// Each domain with its number of audit entries and the hash the chain ends on, equal in both stores.
    public var auditChains: [(domain: String, entries: Int, lastHash: String)] = []
}

extension EPKIStore {
    /// Copies every table of this store into `destination`, which must hold no rows yet.
    public func copy(to destination: EPKIStore, progress: (String, Int) -> Void = { _, _ in }) throws -> StoreCopyReport {
        var report = StoreCopyReport()
        try read { source in
            try destination.write { target in
                let sourceTables = Set(try source.tableNames())
                let targetTables = try target.tableNames()
                for table in targetTables {
                    if let row = try Row.fetchOne(target, sql: "SELECT 1 FROM \(quoted(table)) LIMIT 1"), row.count > 0 {
                        throw StoreError(.databaseError, "the destination store \(destination.locationDescription) is not empty: "
                            + "its table \(table) holds rows (a migration copies into a new store only)")
                    }
                }
                if let missing = sourceTables.subtracting(targetTables).sorted().first {
                    throw StoreError(.databaseError, "the destination store has no table \(missing): both must be at the same epki version")
                }
                for table in try Self.foreignKeyOrder(target, tables: targetTables) where sourceTables.contains(table) {
                    let rows = try Self.copyTable(table, from: source, to: target)
                    report.tables.append(.init(name: table, rows: rows))
                    progress(table, rows)
                }
                try Self.advanceIdentities(target, tables: targetTables)
            }
        }
        // Checked after the commit, through the destination's own reads.
        for table in report.tables {
            let copied = try destination.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(quoted(table.name))") } ?? -1
            guard copied == table.rows else {
                throw StoreError(.databaseError, "the copy of \(table.name) holds \(copied) rows, the source \(table.rows)")
            }
        }
        let domains = try read { try String.fetchAll($0, sql: "SELECT name FROM domain ORDER BY name") }
        for domain in domains {
            let verification = try destination.verifyAudit(domain: domain)
            guard verification.isIntact else {
                throw StoreError(.auditChainBroken, "the copied audit chain of \(domain) does not verify: \(verification)")
            }
            let ends = try [self, destination].map { store in
                try store.read { db in
                    try Row.fetchOne(db, sql: "SELECT COUNT(*) AS n, MAX(sequence) AS last FROM audit_entry WHERE domain = ?", arguments: [domain])
                        .map { row -> (Int, String) in
                            let last: Int64? = row["last"]
                            let hash = try last.flatMap { try String.fetchOne(db, sql: "SELECT hash FROM audit_entry WHERE domain = ? AND sequence = ?",
                                                                              arguments: [domain, $0]) } ?? AuditEntry.genesis
                            return (row["n"], hash)
                        } ?? (0, AuditEntry.genesis)
                }
            }
            guard ends[0] == ends[1] else {
                throw StoreError(.auditChainBroken, "the audit chain of \(domain) ends on \(ends[1]) in the copy, \(ends[0]) in the source")
            }
            report.auditChains.append((domain, ends[0].0, ends[0].1))
        }
        return report
    }

    /// The tables, each after the tables its foreign keys name.
    static func foreignKeyOrder(_ db: Database, tables: [String]) throws -> [String] {
        var references: [String: Set<String>] = [:]
        for table in tables {
            let named: [String]
            switch db.engine {
            case .sqlite:
                named = try String.fetchAll(db, sql: "SELECT \"table\" FROM pragma_foreign_key_list(?)", arguments: [table])
            case .postgres:
                named = try String.fetchAll(db, sql: """
                    SELECT DISTINCT referenced.relname FROM pg_constraint
                    JOIN pg_class owner ON owner.oid = pg_constraint.conrelid
                    JOIN pg_class referenced ON referenced.oid = pg_constraint.confrelid
                    WHERE pg_constraint.contype = 'f' AND owner.relname = ? AND owner.relnamespace = current_schema()::regnamespace
                    """, arguments: [table])
            }
            references[table] = Set(named).subtracting([table])
        }
        var ordered: [String] = []
        var placed: Set<String> = []
        while ordered.count < tables.count {
            guard let next = tables.first(where: { !placed.contains($0) && (references[$0] ?? []).isSubset(of: placed) }) else {
                throw StoreError(.databaseError, "the tables' foreign keys form a cycle: \(tables.filter { !placed.contains($0) })")
            }
            ordered.append(next)
            placed.insert(next)
        }
        return ordered
    }

    /// Copies one table in batches of multi-row INSERTs, keeping SQLite's rowid where PostgreSQL keeps one.
    static func copyTable(_ table: String, from source: Database, to target: Database) throws -> Int {
        let sourceColumns = try source.columnNames(in: table)
        var targetColumns = try target.columnNames(in: table)
        guard Set(sourceColumns) == Set(targetColumns) else {
            throw StoreError(.databaseError, "the table \(table) has the columns \(sourceColumns) in the source and \(targetColumns) in the destination")
        }
        var selected = targetColumns.map(quoted)
        let keepsRowID = try target.engine == .postgres && source.engine == .sqlite
            && (try Int.fetchOne(target, sql: """
                SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND column_name = 'rowid'
                """, arguments: [table]) ?? 0) > 0
        if keepsRowID {
            targetColumns.append("rowid")
            selected.append("rowid")
        }
        let cursor = try Row.fetchCursor(source, sql: "SELECT \(selected.joined(separator: ", ")) FROM \(quoted(table))")
        let perStatement = max(1, 30_000 / targetColumns.count)
        let insert = "INSERT INTO \(quoted(table)) (\(targetColumns.map(quoted).joined(separator: ", "))) VALUES "
        let placeholders = "(" + Array(repeating: "?", count: targetColumns.count).joined(separator: ", ") + ")"
        var batch: [DatabaseValue] = []
        var pending = 0
        var copied = 0
        func flush() throws {
            guard pending > 0 else { return }
            try target.execute(sql: insert + Array(repeating: placeholders, count: pending).joined(separator: ", "),
                               arguments: StatementArguments(values: batch))
            copied += pending
            batch.removeAll(keepingCapacity: true)
            pending = 0
        }
        while let row = try cursor.next() {
            batch.append(contentsOf: row.values)
            pending += 1
            if pending == perStatement { try flush() }
        }
        try flush()
        return copied
    }

    /// Moves each identity sequence past the ids copied in, so that the next row gets a new one.
    static func advanceIdentities(_ db: Database, tables: [String]) throws {
        guard db.engine == .postgres else { return }
        let identities = try Row.fetchAll(db, sql: """
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND is_identity = 'YES'
            """)
        for identity in identities {
            let table: String = identity["table_name"]
            let column: String = identity["column_name"]
            guard tables.contains(table) else { continue }
            try db.execute(sql: """
                SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT MAX(\(quoted(column))) FROM \(quoted(table))), 0) + 1, false)
                """, arguments: [quoted(table), column])
        }
    }
}

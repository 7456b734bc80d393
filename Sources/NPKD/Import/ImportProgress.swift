/// How far an import has come, for a terminal progress line (`--progress`): a big CRL reports every batch of entries,
/// an LDIF file every record.
public struct ImportProgress: Sendable {
    /// "CRL entries", "LDIF records", "certificates".
    public let phase: String
    public let completed: Int
    /// The total when it is known in advance (a CRL's entries are counted first; an LDIF file's records are not).
    public let total: Int?

    public init(phase: String, completed: Int, total: Int?) {
        self.phase = phase
        self.completed = completed
        self.total = total
    }

    /// Called from the importing thread; must return quickly.
    public typealias Handler = @Sendable (ImportProgress) -> Void
}

import PKICore

/// How to import a file: which master list signers the operator trusts from now on, and where progress goes.
public struct ImportOptions: Sendable {
    /// Master list signers to trust (`--trust-signer CERT`): the signer certificate itself, or the CSCA that issued it.
    /// Recorded in the audit trail in the import's transaction, and kept for later imports.
    public var trustSigners: [Certificate]
    public var progress: ImportProgress.Handler?
    /// CRL entries per INSERT statement; the whole file is still one transaction.
    public var crlBatchSize: Int

    public init(trustSigners: [Certificate] = [], progress: ImportProgress.Handler? = nil, crlBatchSize: Int = 500) {
        self.trustSigners = trustSigners
        self.progress = progress
        self.crlBatchSize = max(1, min(crlBatchSize, 5000))
    }
}

import Foundation

/// Counts of what the NPKD holds.
public struct NPKDStatus: Sendable {
    public let domain: String
    /// kind → state → count.
    public var certificates: [String: [String: Int]] = [:]
    public var crls = 0
    public var currentCRLs = 0
    public var unverifiedCRLs = 0
    public var crlEntries = 0
    public var masterLists = 0
    public var deviationLists = 0
    public var trustedSigners = 0
    /// ICAO PKD LDIF collection (001, 002, 003) → highest pkdVersion imported.
    public var pkdVersions: [String: Int] = [:]

    init(domain: String) {
        self.domain = domain
    }
}

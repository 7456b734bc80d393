import Foundation

/// What a publication changed in the directory, or — for `verify` — what differs between the directory and the
/// store: DNs to add (held by the NPKD, missing in the directory), to modify (present with other content) and to
/// remove (in the directory, no longer trusted).
public struct PublicationReport: Sendable, CustomStringConvertible {
    public let url: String
    public let base: String
    /// The pkdVersion stamped on what this publication wrote (for `verify`: the highest the directory holds).
    public let version: Int
    public internal(set) var added: [String] = []
    public internal(set) var modified: [String] = []
    public internal(set) var removed: [String] = []
    /// Entries the directory refused for their content (a certificate its syntax check rejects), each with why; the
    /// rest of the publication went on.
    public internal(set) var refused: [String] = []
    /// Objects per branch in the store's image (csca, dsc, crl, ml, dl).
    public let counts: [String: Int]
    /// A comparison only (`publish --verify`): nothing was written.
    public let isComparison: Bool

    public var isInSync: Bool { added.isEmpty && modified.isEmpty && removed.isEmpty }

    public var description: String {
        let branches = ["csca", "dsc", "crl", "ml", "dl"].map { "\($0) \(counts[$0] ?? 0)" }.joined(separator: ", ")
        if isComparison {
            return "\(url) \(base): \(added.count) missing, \(modified.count) differing, \(removed.count) not trusted (highest pkdVersion \(version); store: \(branches))"
        }
        return "\(url) \(base): \(added.count) added, \(modified.count) modified, \(removed.count) removed\(refused.isEmpty ? "" : ", \(refused.count) refused") (pkdVersion \(version); \(branches))"
    }
}

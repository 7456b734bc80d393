import Foundation

/// A profile finding as stored (ProfileLinter.Finding, or one of the NPKD's own).
public struct FindingRecord: Sendable, Codable, Hashable, CustomStringConvertible {
    public let severity: String
    public let rule: String
    public let message: String

    public var description: String { "[\(severity)] \(rule): \(message)" }

    static func decode(_ json: String) -> [FindingRecord] {
        if json == "[]" { return [] }
        return (try? JSONDecoder().decode([FindingRecord].self, from: Data(json.utf8))) ?? []
    }

    static func encode(_ findings: [FindingRecord]) -> String {
        if findings.isEmpty { return "[]" }  // most certificates: no encoder for nothing
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(findings)) ?? Data("[]".utf8), as: UTF8.self)
    }
}

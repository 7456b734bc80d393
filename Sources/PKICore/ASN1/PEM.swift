import Foundation
import SwiftASN1

/// PEM armour (RFC 7468) around DER, for files operators move around.
public enum PEM {
    /// Returns the DER inside a PEM document with the given label, or the input unchanged when it is not PEM.
    public static func decodeIfPEM(_ bytes: [UInt8], label: String) throws -> [UInt8] {
        guard let text = String(bytes: bytes.prefix(4096), encoding: .utf8), text.contains("-----BEGIN ") else {
            return bytes
        }
        let documents = try decodeAll(bytes)
        guard let match = documents.first(where: { $0.label == label }) ?? documents.first else {
            throw PKIError.malformed("PEM", "no \(label) block")
        }
        guard match.label == label || label.isEmpty else {
            throw PKIError.malformed("PEM", "expected a \(label) block, found \(match.label)")
        }
        return match.der
    }

    /// All blocks of a PEM file (a bundle), in order.
    public static func decodeAll(_ bytes: [UInt8]) throws -> [(label: String, der: [UInt8])] {
        let text = String(decoding: bytes, as: UTF8.self)
        var results: [(String, [UInt8])] = []
        var label: String?
        var body = ""
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                label = String(line.dropFirst(11).dropLast(5))
                body = ""
            } else if line.hasPrefix("-----END "), let current = label {
                guard let der = Data(base64Encoded: body) else {
                    throw PKIError.malformed("PEM", "the \(current) block is not valid base64")
                }
                results.append((current, Array(der)))
                label = nil
            } else if label != nil, !line.contains(":") {
                body += line
            }
        }
        if let label { throw PKIError.malformed("PEM", "the \(label) block has no END line") }
        return results
    }

    public static func encode(_ der: [UInt8], label: String) -> String {
        let base64 = Data(der).base64EncodedString()
        var lines = ["-----BEGIN \(label)-----"]
        var index = base64.startIndex
        while index < base64.endIndex {
            let end = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            lines.append(String(base64[index..<end]))
            index = end
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n") + "\n"
    }
}

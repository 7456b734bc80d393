import Foundation

/// One directory entry: its DN and its attributes, each value as the bytes the directory holds (RFC 4511 §4.1.7
/// AttributeValue is an OCTET STRING; text attributes are UTF-8).
struct LDAPEntry: Sendable, Equatable {
    var dn: String
    var attributes: [String: [[UInt8]]]

    init(dn: String, attributes: [String: [[UInt8]]]) {
        self.dn = dn
        self.attributes = attributes
    }

    init(dn: String, text: [String: [String]], binary: [String: [UInt8]] = [:]) {
        self.dn = dn
        var attributes = text.mapValues { $0.map { Array($0.utf8) } }
        for (name, value) in binary { attributes[name] = [value] }
        self.attributes = attributes
    }

    /// The values of `name`, matched without case and with or without the `;binary` option (RFC 4522): a directory
    /// may hand back `userCertificate;binary` or `usercertificate`.
    func values(_ name: String) -> [[UInt8]] {
        let wanted = Self.baseName(name)
        return attributes.filter { Self.baseName($0.key) == wanted }.flatMap(\.value)
    }

    func text(_ name: String) -> [String] { values(name).map { String(decoding: $0, as: UTF8.self) } }

    static func baseName(_ name: String) -> String {
        let lower = name.lowercased()
        return lower.hasSuffix(";binary") ? String(lower.dropLast(7)) : lower
    }

    /// The attributes compared between the store's image and the directory: names without case or `;binary`, values
    /// as sets, and without `pkdVersion`, which says when an entry was written rather than what it holds.
    var content: [String: Set<[UInt8]>] {
        var result: [String: Set<[UInt8]>] = [:]
        for (name, values) in attributes where Self.baseName(name) != "pkdversion" {
            let key = Self.baseName(name)
            // objectClass names are case-insensitive too.
            let normalised = key == "objectclass" ? values.map { Array(String(decoding: $0, as: UTF8.self).lowercased().utf8) } : values
            result[key, default: []].formUnion(normalised)
        }
        return result
    }
}

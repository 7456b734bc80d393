import Foundation
import PKICore

/// What one LDIF record of an ICAO PKD download holds (standards.md §4.3).
///
/// ```
/// dn: cn=<escaped subject DN>+sn=<serial hex>,o=dsc,c=NZ,dc=data,dc=download,dc=pkd,dc=icao,dc=int
/// pkdVersion: 1150
/// userCertificate;binary:: <base64 DER>                     o=dsc (collection 001)
/// certificateRevocationList;binary:: <base64 DER>           o=crl (collection 001)
/// pkdMasterListContent:: <base64 CMS>                       o=ml  (collection 002; ";binary" also accepted)
/// pkdConformanceCode / pkdConformanceText / pkdConformancePolicy     under dc=nc-data (collection 003)
/// ```
/// The containers above the objects (`dc=data`, `c=NZ`, `o=dsc`) carry nothing to import.
struct PKDDirectoryEntry {
    enum Content {
        case certificate([UInt8], line: Int)
        case crl([UInt8], line: Int)
        case masterList([UInt8], line: Int)
        case deviationList([UInt8], line: Int)
        /// A container or an entry without a binary value.
        case none

        var bytes: [UInt8]? {
            switch self {
            case .certificate(let bytes, _), .crl(let bytes, _), .masterList(let bytes, _), .deviationList(let bytes, _): bytes
            case .none: nil
            }
        }
    }

    let record: LDIFRecord
    /// The RDNs of the dn, outermost last, unescaped: [("cn", "..."), ("sn", "...")] are the first RDN's parts.
    let rdns: [[(type: String, value: String)]]
    let content: Content
    /// The country of the `c=` RDN, upper-case.
    let country: String?
    /// dsc, crl, ml, ... from the `o=` RDN, lower-case.
    let organization: String?
    /// Whether the entry is under ICAO's non-conformant branch (dc=nc-data).
    let isNonConformantBranch: Bool
    /// The dn as the NPKD compares it (see `normalize`).
    let normalizedDN: String

    /// `content`: the values to take the object from; nil for the record's own (a `modify` record passes none, its
    /// operations carry the values).
    init(_ record: LDIFRecord, content values: [LDIFRecord.Value]? = nil) throws {
        self.record = record
        rdns = try Self.parseDN(record.dn, line: record.line)
        content = try Self.content(of: values ?? record.values, location: record.location)
        var country: String?
        var organization: String?
        var nonConformant = false
        for rdn in rdns {
            for part in rdn {
                if country == nil, part.type.equalsIgnoringASCIICase("c") { country = part.value.uppercased() }
                if organization == nil, part.type.equalsIgnoringASCIICase("o") { organization = part.value.lowercased() }
                if part.type.equalsIgnoringASCIICase("dc"), part.value.equalsIgnoringASCIICase("nc-data") { nonConformant = true }
            }
        }
        self.country = country
        self.organization = organization
        isNonConformantBranch = nonConformant
        normalizedDN = Self.normalize(rdns, sizeHint: record.dn.utf8.count)
    }

    /// The object among `values`: at most one, as the PKD puts one object in each entry.
    static func content(of values: [LDIFRecord.Value], location: String) throws -> Content {
        var found: [Content] = []
        for value in values {
            switch value.type.lowercased() {
            case "usercertificate", "cacertificate": found.append(.certificate(value.bytes, line: value.line))
            case "certificaterevocationlist", "authorityrevocationlist": found.append(.crl(value.bytes, line: value.line))
            case "pkdmasterlistcontent": found.append(.masterList(value.bytes, line: value.line))
            case "pkddeviationlistcontent": found.append(.deviationList(value.bytes, line: value.line))
            default: continue
            }
        }
        guard found.count <= 1 else {
            throw NPKDError(.malformedLDIF, "\(location): \(found.count) binary values in one entry; the PKD puts one object in each")
        }
        return found.first ?? .none
    }

    /// Whether an attribute description (`certificateRevocationList;binary`) names the attribute that holds an object.
    static func isObjectAttribute(_ description: String) -> Bool {
        let type = description.split(separator: ";", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        return ["usercertificate", "cacertificate", "certificaterevocationlist", "authorityrevocationlist", "pkdmasterlistcontent",
                "pkddeviationlistcontent"].contains(type)
    }

    /// One operation of a `changetype: modify` record (RFC 2849): `add:`, `delete:` or `replace:` an attribute, with the
    /// values that follow it up to the `-` line.
    struct Modification {
        let operation: String
        let attribute: String
        let line: Int
        var values: [LDIFRecord.Value]
    }

    /// The operations of a `modify` record, in order. A value of another attribute inside an operation (a `-` line
    /// missing) or before the first one is an error naming its line.
    func modifications() throws -> [Modification] {
        var result: [Modification] = []
        for value in record.values {
            let type = value.type.lowercased()
            if type == "changetype" { continue }
            if ["add", "delete", "replace"].contains(type), !value.wasBase64 {
                let attribute = value.text.trimmingCharacters(in: .whitespaces)
                guard !attribute.isEmpty else {
                    throw NPKDError(.malformedLDIF, "line \(value.line), entry \(record.index): '\(type):' names no attribute")
                }
                result.append(Modification(operation: type, attribute: attribute, line: value.line, values: []))
                continue
            }
            guard let last = result.indices.last else {
                throw NPKDError(.malformedLDIF, "line \(value.line), entry \(record.index): '\(value.type)' in a modify record before any add:, delete: or replace:")
            }
            let named = result[last].attribute.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            guard named.equalsIgnoringASCIICase(value.type) else {
                throw NPKDError(.malformedLDIF, "line \(value.line), entry \(record.index): '\(value.type)' inside the \(result[last].operation) of "
                                + "'\(result[last].attribute)' (line \(result[last].line)); a '-' line is missing")
            }
            result[last].values.append(value)
        }
        return result
    }

    /// ICAO PKD collection: 001 (DSCs, CRLs), 002 (master lists), 003 (non-conformant).
    var collection: String {
        if isNonConformantBranch { return "003" }
        if organization == "ml" { return "002" }
        return "001"
    }

    /// The entry's pkdVersion: decimal digits, spaces around them allowed.
    var pkdVersion: Int? {
        guard let value = record.first("pkdVersion") else { return nil }
        var digits = value.bytes[...]
        while let first = digits.first, first == 0x20 || first == 0x09 { digits = digits.dropFirst() }
        while let last = digits.last, last == 0x20 || last == 0x09 { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return Int(value.text.trimmingCharacters(in: .whitespaces))
        }
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }

    /// Whether the record carries any of ICAO's conformance attributes (one pass over its values).
    private var hasConformanceAttributes: Bool {
        record.values.contains { $0.type.prefix(14).equalsIgnoringASCIICase("pkdConformance") }
    }

    /// ICAO's conformance note for nc-data entries: code, text and policy together.
    var conformanceNote: String? {
        guard isNonConformantBranch || hasConformanceAttributes else { return nil }
        let parts = ["pkdConformanceCode", "pkdConformanceText", "pkdConformancePolicy"].compactMap { record.first($0)?.text }
        if parts.isEmpty { return isNonConformantBranch ? "listed by ICAO as non-conformant (nc-data)" : nil }
        return parts.joined(separator: "; ")
    }

    /// The serial of the `+sn=` part of the first RDN, as the PKD writes it (hex).
    var serialNumber: String? { rdns.first?.first { $0.type.equalsIgnoringASCIICase("sn") }?.value }

    /// The dn as the NPKD compares it: types and values case-folded, runs of spaces folded, the parts of a multi-valued
    /// RDN sorted, special characters escaped again. An add and a later delete of one entry give the same text however
    /// they spell it (`dn:` or `dn::`, escapes, case).
    static func normalize(_ rdns: [[(type: String, value: String)]], sizeHint: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(sizeHint)
        for (position, rdn) in rdns.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            let normalised = rdn.map { Self.normalizedPart(type: $0.type, value: $0.value) }
            for (index, part) in (normalised.count > 1 ? normalised.sorted { $0.lexicographicallyPrecedes($1) } : normalised).enumerated() {
                if index > 0 { out.append(UInt8(ascii: "+")) }
                out.append(contentsOf: part)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `type=value`, both case-folded, the value's runs of white space folded to one space and `\ , + = ;` escaped.
    private static func normalizedPart(type: String, value: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(type.utf8.count + value.utf8.count + 4)
        for byte in type.utf8 { out.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) }
        out.append(UInt8(ascii: "="))
        let folded: [UInt8]
        if value.utf8.allSatisfy({ $0 < 0x80 }) {
            var bytes: [UInt8] = []
            var pendingSpace = false
            for byte in value.utf8 {
                if byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) {
                    pendingSpace = !bytes.isEmpty
                    continue
                }
                if pendingSpace { bytes.append(0x20); pendingSpace = false }
                bytes.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
            }
            folded = bytes
        } else {
            folded = Array(value.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ").utf8)
        }
        for byte in folded {
            if byte == UInt8(ascii: "\\") || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "=") || byte == UInt8(ascii: ";") {
                out.append(UInt8(ascii: "\\"))
            }
            out.append(byte)
        }
        return out
    }

    /// Whether a held certificate came from this entry, by the dn recorded when it was imported from the PKD. One held
    /// from elsewhere, or imported before dns were recorded, is not guessed at; a complete collection imported again
    /// records the dn of every entry it lists.
    func holds(certificate row: NPKDRepository.CertificateRow) -> Bool {
        row.pkdDN == normalizedDN
    }

    /// Whether a held CRL came from this entry, by its recorded dn.
    func holds(crl row: NPKDRepository.CRLRow) -> Bool {
        row.pkdDN == normalizedDN
    }

    /// Splits an LDAP DN (RFC 4514) into RDNs of type=value parts, undoing `\,` `\=` `\+` `\\` `\"` and `\XX` hex
    /// escapes. The PKD writes the object's own subject DN, escaped, as the cn: `cn=CN\=CSCA\,C\=FR+sn=1,o=ml,...`.
    static func parseDN(_ dn: String, line: Int) throws -> [[(type: String, value: String)]] {
        var rdns: [[(String, String)]] = []
        var parts: [(String, String)] = []
        var type: [UInt8] = []
        var value: [UInt8] = []
        var inValue = false
        let bytes = Array(dn.utf8)
        var index = 0
        func finishPart() throws {
            let name = Self.typeText(type)
            guard inValue, !name.isEmpty else {
                throw NPKDError(.malformedLDIF, "line \(line): dn '\(dn)' has an RDN without 'type=value'")
            }
            parts.append((name, Self.trimmed(value[...])))
            type.removeAll(keepingCapacity: true)
            value.removeAll(keepingCapacity: true)
            inValue = false
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < bytes.count else { throw NPKDError(.malformedLDIF, "line \(line): dn '\(dn)' ends with a lone backslash") }
                let next = bytes[index + 1]
                if index + 2 < bytes.count, let high = Self.hexValue(next), let low = Self.hexValue(bytes[index + 2]) {
                    if inValue { value.append(high << 4 | low) } else { type.append(high << 4 | low) }
                    index += 3
                } else {
                    if inValue { value.append(next) } else { type.append(next) }
                    index += 2
                }
                continue
            }
            if !inValue && byte == UInt8(ascii: "=") {
                inValue = true
            } else if byte == UInt8(ascii: "+") {
                try finishPart()
            } else if byte == UInt8(ascii: ",") || byte == UInt8(ascii: ";") {
                try finishPart()
                rdns.append(parts)
                parts = []
            } else if inValue {
                value.append(byte)
            } else {
                type.append(byte)
            }
            index += 1
        }
        if !type.isEmpty || inValue {
            try finishPart()
        }
        if !parts.isEmpty { rdns.append(parts) }
        guard !rdns.isEmpty else { throw NPKDError(.malformedLDIF, "line \(line): empty dn") }
        return rdns
    }

    /// An attribute type's bytes as text, each byte one character (types are ASCII; anything else is shown, not
    /// decoded), trimmed.
    private static func typeText(_ bytes: [UInt8]) -> String {
        guard bytes.allSatisfy({ $0 < 0x80 }) else {
            var scalars = String.UnicodeScalarView()
            scalars.append(contentsOf: bytes.map { UnicodeScalar($0) })
            return String(scalars).trimmingCharacters(in: .whitespaces)
        }
        return trimmed(bytes[...])
    }

    /// UTF-8 bytes as text without leading and trailing white space, as `trimmingCharacters(in: .whitespaces)` does:
    /// ASCII spaces and tabs are dropped byte by byte, and Foundation is asked only when a non-ASCII character is at
    /// either end.
    static func trimmed(_ bytes: ArraySlice<UInt8>) -> String {
        var slice = bytes
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
        let text = String(decoding: slice, as: UTF8.self)
        if let first = slice.first, let last = slice.last, first >= 0x80 || last >= 0x80 {
            return text.trimmingCharacters(in: .whitespaces)
        }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

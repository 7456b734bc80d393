import Foundation

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
    }

    let record: LDIFRecord
    /// The RDNs of the dn, outermost last, unescaped: [("cn", "..."), ("sn", "...")] are the first RDN's parts.
    let rdns: [[(type: String, value: String)]]
    let content: Content

    init(_ record: LDIFRecord) throws {
        self.record = record
        rdns = try Self.parseDN(record.dn, line: record.line)
        var found: [Content] = []
        for value in record.values {
            switch value.type.lowercased() {
            case "usercertificate", "cacertificate": found.append(.certificate(value.bytes, line: value.line))
            case "certificaterevocationlist", "authorityrevocationlist": found.append(.crl(value.bytes, line: value.line))
            case "pkdmasterlistcontent": found.append(.masterList(value.bytes, line: value.line))
            case "pkddeviationlistcontent": found.append(.deviationList(value.bytes, line: value.line))
            default: continue
            }
        }
        guard found.count <= 1 else {
            throw NPKDError(.malformedLDIF, "\(record.location): \(found.count) binary values in one entry; the PKD puts one object in each")
        }
        content = found.first ?? .none
    }

    private func value(of type: String) -> String? {
        for rdn in rdns {
            for part in rdn where part.type.caseInsensitiveCompare(type) == .orderedSame { return part.value }
        }
        return nil
    }

    /// The country of the `c=` RDN.
    var country: String? { value(of: "c")?.uppercased() }

    /// dsc, crl, ml, ... from the `o=` RDN.
    var organization: String? { value(of: "o")?.lowercased() }

    /// Whether the entry is under ICAO's non-conformant branch (dc=nc-data).
    var isNonConformantBranch: Bool {
        rdns.contains { rdn in rdn.contains { $0.type.caseInsensitiveCompare("dc") == .orderedSame && $0.value.lowercased() == "nc-data" } }
    }

    /// ICAO PKD collection: 001 (DSCs, CRLs), 002 (master lists), 003 (non-conformant).
    var collection: String {
        if isNonConformantBranch { return "003" }
        if organization == "ml" { return "002" }
        return "001"
    }

    var pkdVersion: Int? { record.first("pkdVersion").flatMap { Int($0.text.trimmingCharacters(in: .whitespaces)) } }

    /// ICAO's conformance note for nc-data entries: code, text and policy together.
    var conformanceNote: String? {
        let parts = ["pkdConformanceCode", "pkdConformanceText", "pkdConformancePolicy"].compactMap { record.first($0)?.text }
        if parts.isEmpty { return isNonConformantBranch ? "listed by ICAO as non-conformant (nc-data)" : nil }
        return parts.joined(separator: "; ")
    }

    /// The serial of the `+sn=` part of the first RDN, as the PKD writes it (hex).
    var serialNumber: String? { rdns.first?.first { $0.type.caseInsensitiveCompare("sn") == .orderedSame }?.value }

    /// Splits an LDAP DN (RFC 4514) into RDNs of type=value parts, undoing `\,` `\=` `\+` `\\` `\"` and `\XX` hex
    /// escapes. The PKD writes the object's own subject DN, escaped, as the cn: `cn=CN\=CSCA\,C\=FR+sn=1,o=ml,...`.
    static func parseDN(_ dn: String, line: Int) throws -> [[(type: String, value: String)]] {
        var rdns: [[(String, String)]] = []
        var parts: [(String, String)] = []
        var type = ""
        var value: [UInt8] = []
        var inValue = false
        let bytes = Array(dn.utf8)
        var index = 0
        func finishPart() throws {
            let name = type.trimmingCharacters(in: .whitespaces)
            guard inValue, !name.isEmpty else {
                throw NPKDError(.malformedLDIF, "line \(line): dn '\(dn)' has an RDN without 'type=value'")
            }
            parts.append((name, String(decoding: value, as: UTF8.self).trimmingCharacters(in: .whitespaces)))
            type = ""
            value = []
            inValue = false
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < bytes.count else { throw NPKDError(.malformedLDIF, "line \(line): dn '\(dn)' ends with a lone backslash") }
                let next = bytes[index + 1]
                if index + 2 < bytes.count, let high = Self.hexValue(next), let low = Self.hexValue(bytes[index + 2]) {
                    if inValue { value.append(high << 4 | low) } else { type.append(Character(UnicodeScalar(high << 4 | low))) }
                    index += 3
                } else {
                    if inValue { value.append(next) } else { type.append(Character(UnicodeScalar(next))) }
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
                type.append(Character(UnicodeScalar(byte)))
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

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

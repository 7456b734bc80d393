import Foundation

/// DNs of the ICAO PKD layout (RFC 4514 strings), and the key under which two spellings of one DN compare equal.
///
/// ```
/// dc=data,<base>
/// c=<country>,dc=data,<base>
/// o=csca | dsc | crl | ml | dl,c=<country>,dc=data,<base>
/// cn=<escaped subject DN>+sn=<serial hex>,o=dsc,c=NZ,dc=data,<base>      a certificate
/// cn=<escaped issuer DN>,o=crl,c=NZ,dc=data,<base>                       a CRL
/// cn=<escaped signer DN>+sn=1,o=ml,c=NZ,dc=data,<base>                   a master list (deviation list: o=dl)
/// ```
/// Where two objects of one branch would get the same DN (two certificates with one subject and serial, two CRLs of
/// one issuer name under two keys), each is named by its SHA-256 fingerprint instead: `cn=<fingerprint>+sn=…`, the
/// subject staying a second `cn` value, so a name is never reused for different content.
enum DirectoryName {
    /// The base ICAO's download directory sits under; a national PKD names its own with `--base`.
    static let icaoBase = "dc=download,dc=pkd,dc=icao,dc=int"

    static func data(_ base: String) -> String { "dc=data,\(base)" }
    static func country(_ country: String, base: String) -> String { "c=\(country),\(data(base))" }
    static func branch(_ organization: String, country: String, base: String) -> String {
        "o=\(organization),\(self.country(country, base: base))"
    }

    /// RFC 4514 §2.4 escaping of a value placed in a DN.
    static func escape(_ value: String) -> String { LDIFWriter.escape(value) }

    /// The comparison key of a DN: attribute types without case, values unescaped and without case (the PKD's
    /// naming attributes — cn, sn, o, c, dc — all match case-insensitively), the values of a multi-valued RDN sorted.
    static func key(_ dn: String) -> String {
        var rdns: [String] = []
        for rdn in split(dn, at: ",") {
            let values = split(rdn, at: "+").map { ava -> String in
                let parts = splitFirst(ava, at: "=")
                return parts.type.trimmingCharacters(in: .whitespaces).lowercased() + "=" + unescape(parts.value).lowercased()
            }
            rdns.append(values.sorted().joined(separator: "\u{1}"))
        }
        return rdns.joined(separator: "\u{0}")
    }

    /// How many RDNs a DN has: deletes go deepest first, adds shallowest first.
    static func depth(_ dn: String) -> Int { split(dn, at: ",").count }

    /// Splits at `separator` where it is not escaped by a backslash.
    static func split(_ text: String, at separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                current.append(character)
                escaped = true
            } else if character == separator {
                parts.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current)
        return parts.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private static func splitFirst(_ ava: String, at separator: Character) -> (type: String, value: String) {
        guard let index = ava.firstIndex(of: separator) else { return (ava, "") }
        return (String(ava[..<index]), String(ava[ava.index(after: index)...]))
    }

    /// Undoes `\c` and `\HH` escapes (RFC 4514 §3), the hex pairs read as UTF-8 bytes.
    static func unescape(_ value: String) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(value.utf8)
        var index = 0
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "\\"), index + 1 < utf8.count {
                if index + 2 < utf8.count, let high = hex(utf8[index + 1]), let low = hex(utf8[index + 2]) {
                    bytes.append(high << 4 | low)
                    index += 3
                } else {
                    bytes.append(utf8[index + 1])
                    index += 2
                }
            } else {
                bytes.append(byte)
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

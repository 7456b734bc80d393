import Foundation
import PKICore

/// Writes LDIF (RFC 2849) in the shape of an ICAO PKD download, so inspection systems that read the PKD's files read
/// ours too, and the NPKD's own `LDIFReader` reads it back.
///
/// ```
/// version: 1
///
/// dn: cn=<escaped subject DN>+sn=<serial hex>,o=dsc,c=NZ,dc=data,dc=download,dc=pkd,dc=icao,dc=int
/// pkdVersion: 1
/// sn: <serial hex>
/// cn: <subject DN>
/// objectClass: top / person / organizationalPerson / inetOrgPerson / pkdDownload
/// userCertificate;binary:: <base64 DER>
/// ```
/// Lines longer than 76 characters are folded (continuation lines start with one space); a value or dn that is not
/// plain ASCII, or starts with a space, colon or '<', is written base64 (`dn::`, `cn::`).
struct LDIFWriter {
    static let base = "dc=data,dc=download,dc=pkd,dc=icao,dc=int"
    private(set) var text = "version: 1\n"
    private var countries = Set<String>()
    private var containers = Set<String>()

    init() {
        append(dn: Self.base, ["objectClass": ["top", "domain"], "dc": ["data"]])
    }

    /// Adds the c= and o= containers once, as the PKD's files do.
    mutating func container(country: String, organization: String) {
        if countries.insert(country).inserted {
            append(dn: "c=\(country),\(Self.base)", ["objectClass": ["top", "country"], "c": [country]])
        }
        if containers.insert("\(organization)/\(country)").inserted {
            append(dn: "o=\(organization),c=\(country),\(Self.base)", ["objectClass": ["top", "organization"], "o": [organization]])
        }
    }

    mutating func certificate(_ certificate: Certificate, organization: String, version: Int) {
        let country = (certificate.subject.countryName ?? certificate.issuer.countryName ?? "XX").uppercased()
        container(country: country, organization: organization)
        let subject = Self.ldapString(certificate.subject)
        let dn = "cn=\(Self.escape(subject))+sn=\(certificate.serialNumberHex),o=\(organization),c=\(country),\(Self.base)"
        append(dn: dn, ["objectClass": ["top", "person", "organizationalPerson", "inetOrgPerson", "pkdDownload"],
                        "pkdVersion": [String(version)], "sn": [certificate.serialNumberHex], "cn": [subject]],
               binary: ("userCertificate;binary", certificate.derEncoded))
    }

    mutating func crl(_ crl: CertificateRevocationList, version: Int) {
        let country = (crl.issuer.countryName ?? "XX").uppercased()
        container(country: country, organization: "crl")
        let issuer = Self.ldapString(crl.issuer)
        append(dn: "cn=\(Self.escape(issuer)),o=crl,c=\(country),\(Self.base)",
               ["objectClass": ["top", "cRLDistributionPoint", "pkdDownload"], "pkdVersion": [String(version)], "cn": [issuer]],
               binary: ("certificateRevocationList;binary", crl.derEncoded))
    }

    private mutating func append(dn: String, _ attributes: [String: [String]], binary: (String, [UInt8])? = nil) {
        text += "\n"
        text += Self.line("dn", dn)
        let order = ["pkdVersion", "sn", "cn", "objectClass", "c", "o", "dc"]
        for key in order {
            for value in attributes[key] ?? [] { text += Self.line(key, value) }
        }
        if let (name, bytes) = binary {
            text += Self.fold("\(name):: \(Data(bytes).base64EncodedString())")
        }
    }

    /// `name: value`, or `name:: base64` when the value is not a SAFE-STRING.
    static func line(_ name: String, _ value: String) -> String {
        let safe = value.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F } && !(value.first.map { " :<".contains($0) } ?? false)
            && !value.hasSuffix(" ")
        return fold(safe ? "\(name): \(value)" : "\(name):: \(Data(value.utf8).base64EncodedString())")
    }

    /// Folds at 76 characters: continuation lines start with one space.
    static func fold(_ line: String) -> String {
        let bytes = Array(line.utf8)
        guard bytes.count > 76 else { return line + "\n" }
        var out = String(decoding: bytes[0..<76], as: UTF8.self) + "\n"
        var index = 76
        while index < bytes.count {
            let end = min(index + 75, bytes.count)
            out += " " + String(decoding: bytes[index..<end], as: UTF8.self) + "\n"
            index = end
        }
        return out
    }

    /// The DN the way the PKD writes it in cn: RFC 4514 order (most specific first), `TYPE=value` joined by commas.
    static func ldapString(_ name: DistinguishedName) -> String {
        name.rdns.reversed().map { rdn in rdn.attributes.map(\.description).joined(separator: "+") }.joined(separator: ",")
    }

    /// RFC 4514 escaping of a value placed inside another DN.
    static func escape(_ value: String) -> String {
        var out = ""
        for (index, character) in value.enumerated() {
            if ",+\"\\<>;=".contains(character) || (index == 0 && (character == " " || character == "#")) {
                out.append("\\")
            }
            out.append(character)
        }
        if out.hasSuffix(" ") { out = String(out.dropLast()) + "\\ " }
        return out
    }
}

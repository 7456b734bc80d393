import PKICore

/// How the NPKD recognises the same object, name and key across files: a certificate received twice (in the ICAO master
/// list and in a country's) is one row; a CSCA key certified by a self-signed and a link certificate is one key.
enum ObjectIdentity {
    /// SHA-256 of the bytes as received, upper-case hex.
    static func fingerprint(_ bytes: some Collection<UInt8>) throws -> String {
        try HashAlgorithm.sha256.hash(bytes).hexString
    }

    /// SHA-256 of the subjectPublicKey bits: the same for explicit and named EC parameters, so a CSCA's link and
    /// self-signed certificates share it.
    static func keyHash(_ certificate: Certificate) throws -> String {
        try HashAlgorithm.sha256.hash(certificate.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey.bytes).hexString
    }

    /// A name as relying parties compare it: attribute type and case-folded, space-folded value, sorted, so string
    /// types and RDN order do not matter (as `DistinguishedName.isEquivalent`).
    static func nameKey(_ name: DistinguishedName) -> String {
        name.attributes.map { attribute in
            "\(attribute.type)=\(folded(attribute.stringValue ?? attribute.value.description))"
        }.sorted().joined(separator: ",")
    }

    /// Lower-cased, runs of white space made one space, none at either end. ASCII text (nearly every name) is folded
    /// byte by byte, with the same result as the Unicode path, which asks every character for its properties.
    static func folded(_ text: String) -> String {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else {
            return text.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var pendingSpace = false
        for byte in text.utf8 {
            if byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) {
                pendingSpace = !bytes.isEmpty
                continue
            }
            if pendingSpace {
                bytes.append(0x20)
                pendingSpace = false
            }
            bytes.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The country an object belongs to: the subject's countryName, else the issuer's; upper-case.
    static func country(subject: DistinguishedName, issuer: DistinguishedName? = nil) -> String {
        (subject.countryName ?? issuer?.countryName ?? "").uppercased()
    }
}

/// The first TLV of an input that must be one SEQUENCE (a certificate, CRL, PKCS#10 request or CMS ContentInfo),
/// checked before the full parse so that an operator hears what is wrong with the file — text, another kind of
/// data, or a truncated copy with the offset and the length it claims — instead of the error of the first field
/// the parser happened to miss.
///
/// ```
/// SEQUENCE   30 | length: 0xxxxxxx, or 1xxxxxxx followed by that many length octets (at most 4), or 80 (BER
///            indefinite, accepted: its end is found by the parser) | content
/// ```
public enum OuterSequence {
    /// More levels than any certificate, CRL or CMS structure has (a SOD nests about a dozen).
    public static let maximumIndefiniteDepth = 32

    /// Throws `PKIError.malformedEncoding` naming `what` when `bytes` cannot start a complete SEQUENCE.
    public static func check(_ bytes: [UInt8], what: String) throws {
        guard let first = bytes.first else { throw PKIError.malformed(what, "the input is empty") }
        guard first == 0x30 else {
            throw PKIError.malformed(what, "not DER or PEM: \(describeStart(of: bytes)), where a DER SEQUENCE (0x30) begins")
        }
        guard bytes.count >= 2 else { throw truncated(what, "the input ends inside the SEQUENCE header at offset 0") }
        let lengthOctet = bytes[1]
        var headerLength = 2
        var length = 0
        if lengthOctet == 0x80 {
            // BER lets constructed values of indefinite length open one inside the other; the parser stops at its
            // depth limit with an error that names neither the input nor the place, so count them here.
            var depth = 0
            var offset = 0
            while offset + 1 < bytes.count, bytes[offset] & 0x20 != 0, bytes[offset + 1] == 0x80 {
                depth += 1
                offset += 2
                guard depth <= maximumIndefiniteDepth else {
                    throw PKIError.malformed(what, "nested too deep: more than \(maximumIndefiniteDepth) constructed values of indefinite length open one inside the other from offset 0 (level \(depth) opens at offset \(offset - 2))")
                }
            }
            return
        }
        if lengthOctet < 0x80 {
            length = Int(lengthOctet)
        } else {
            let count = Int(lengthOctet & 0x7F)
            guard count <= 4 else { throw PKIError.malformed(what, "the SEQUENCE at offset 0 has a length of \(count) octets (more than 4 GiB)") }
            guard bytes.count >= 2 + count else {
                throw truncated(what, "the input ends inside the length of the SEQUENCE at offset 0 (\(count) length octets announced)")
            }
            for octet in bytes[2..<(2 + count)] { length = length << 8 | Int(octet) }
            headerLength += count
        }
        let available = bytes.count - headerLength
        guard length <= available else {
            throw truncated(what, "the SEQUENCE at offset 0 claims \(length) content bytes but only \(available) follow its \(headerLength)-byte header "
                + "(the input has \(bytes.count) bytes, \(length - available) missing)")
        }
    }

    private static func truncated(_ what: String, _ detail: String) -> PKIError {
        PKIError.malformed(what, "truncated: \(detail)")
    }

    /// "text ("hello world…")" for printable input, else the first byte in hex.
    static func describeStart(of bytes: [UInt8]) -> String {
        let head = bytes.prefix(24)
        let isText = head.allSatisfy { (0x20...0x7E).contains($0) || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            return "the input is UTF-16 text (byte order mark \(bytes[0] == 0xFF ? "FF FE" : "FE FF"); PEM must be ASCII)"
        }
        guard isText else { return "the input starts with byte 0x\(String(bytes[0], radix: 16, uppercase: true))" }
        let line = String(decoding: head.prefix { $0 != 0x0A && $0 != 0x0D }, as: UTF8.self)
        return "the input is text (\"\(line)\(bytes.count > line.utf8.count ? "…" : "")\")"
    }
}

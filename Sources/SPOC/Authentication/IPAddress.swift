import Foundation
import PKICore
import SwiftASN1
#if canImport(Glibc)
import Glibc
#endif

/// IP addresses in certificates: the iPAddress alternative name (`[7] IMPLICIT OCTET STRING`, 4 or 16 octets,
/// RFC 5280 §4.2.1.6), which a SPOC reached by address must carry, as a SPOC reached by name carries a dNSName.
public enum IPAddress {
    /// The octets of an IPv4 or IPv6 literal, or nil for a name.
    public static func bytes(_ text: String) -> [UInt8]? {
        let literal = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        var v4 = in_addr()
        if inet_pton(AF_INET, literal, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, literal, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// The octets of an iPAddress general name (read as `.other` by PKICore's GeneralName).
    public static func bytes(of name: GeneralName) -> [UInt8]? {
        guard case .other(let any) = name else { return nil }
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(any)) != nil else { return nil }
        let encoded = serializer.serializedBytes
        guard encoded.count == 6 || encoded.count == 18, encoded[0] == 0x87, Int(encoded[1]) == encoded.count - 2 else { return nil }
        return Array(encoded.dropFirst(2))
    }

    /// An iPAddress general name for an address literal.
    public static func generalName(_ text: String) throws -> GeneralName? {
        guard let octets = bytes(text) else { return nil }
        return .other(try ASN1Any(derEncoded: try DER.parse([0x87, UInt8(octets.count)] + octets)))
    }

    public static func text(_ octets: [UInt8]) -> String {
        octets.count == 4 ? octets.map(String.init).joined(separator: ".") : stride(from: 0, to: octets.count, by: 2).map {
            String(format: "%x", Int(octets[$0]) << 8 | Int(octets[$0 + 1]))
        }.joined(separator: ":")
    }
}

/// Revocation lookups compare serial numbers as unsigned magnitudes: a leading zero octet (DER's sign padding) is
/// dropped on both sides, so "00C3..." in a certificate finds "C3..." typed by an operator.
enum RevocationKey {
    static func serial(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var trimmed = Array(bytes.drop(while: { $0 == 0 }))
        if trimmed.isEmpty { trimmed = [0] }
        return trimmed
    }
}

import PKICore

/// The password PACE starts from (ICAO Doc 9303-11 §4.4.3.1, TR-03110-3 Table D.2): the MRZ (the key seed of BAC),
/// the card access number printed on the document, or — on eID cards — a PIN or PUK.
public enum PACEPassword: Hashable, Sendable {
    case mrz(BACKey)
    case can(String)
    case pin(String)
    case puk(String)

    /// The password reference of MSE:Set AT (tag 83).
    public var reference: UInt8 {
        switch self {
        case .mrz: 0x01
        case .can: 0x02
        case .pin: 0x03
        case .puk: 0x04
        }
    }

    public var name: String {
        switch self {
        case .mrz: "MRZ"
        case .can: "CAN"
        case .pin: "PIN"
        case .puk: "PUK"
        }
    }

    /// K: SHA-1 of the MRZ information for the MRZ, the password's characters otherwise (ISO 8859-1 digits).
    public var key: [UInt8] {
        get throws {
            switch self {
            case .mrz(let key): return try HashAlgorithm.sha1.hash(Array(key.mrzInformation.utf8))
            case .can(let text), .pin(let text), .puk(let text): return Array(text.utf8)
            }
        }
    }
}

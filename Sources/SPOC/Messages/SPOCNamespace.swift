/// The two published namespaces of the SPOC WSDL. Element names are the same in both; a SPOC built against one
/// does not read the other, so epki reads both and writes, to each registered peer, the one it registered with.
///
/// | namespace | source |
/// |---|---|
/// | `http://namespaces.icao.int/lds2` | ICAO Doc 9303-12 (8th ed.) §8.3.3 |
/// | `http://namespaces.unmz.cz/csn369791` | CSN 36 9791:2009, as used by EU SPOCs |
public enum SPOCNamespace: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case icao
    case csn

    public var uri: String {
        switch self {
        case .icao: "http://namespaces.icao.int/lds2"
        case .csn: "http://namespaces.unmz.cz/csn369791"
        }
    }

    public init?(uri: String?) {
        guard let found = Self.allCases.first(where: { $0.uri == uri }) else { return nil }
        self = found
    }

    public var description: String { rawValue }
}

/// The four operations of the SPOC port type (Doc 9303-12 §8.3.3), named as the WSDL's operations and soapActions.
public enum SPOCOperation: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case requestCertificate = "RequestCertificate"
    case sendCertificates = "SendCertificates"
    case getCACertificates = "GetCACertificates"
    case generalMessage = "GeneralMessage"

    public var requestElement: String { rawValue + "Request" }
    public var responseElement: String { rawValue + "Response" }
    public var description: String { rawValue }
}

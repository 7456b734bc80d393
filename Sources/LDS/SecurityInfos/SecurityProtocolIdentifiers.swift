import PKICore
import SwiftASN1

// The protocol object identifiers of BSI TR-03110-3 (Appendix A) and Doc 9303-11 §9.2 that name SecurityInfos.
extension ASN1ObjectIdentifier {
    public enum EAC {
        /// bsi-de protocols smartcards: 0.4.0.127.0.7.2.2
        static let arc: [UInt] = [0, 4, 0, 127, 0, 7, 2, 2]

        /// id-PK, Chip Authentication public keys: .1 DH, .2 ECDH.
        public static let pk: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 2, 2, 1]
        public static let pkDH: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 2, 2, 1, 1]
        public static let pkECDH: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 2, 2, 1, 2]
        /// id-TA, Terminal Authentication.
        public static let ta: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 2, 2, 2]
        /// id-CA: .1 DH, .2 ECDH; each with .1 3DES-CBC-CBC, .2 AES-CBC-CMAC-128, .3 -192, .4 -256.
        public static let ca: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 2, 2, 3]
        public static let caDH: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 2, 2, 3, 1]
        public static let caECDH: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 2, 2, 3, 2]
        /// id-PACE: .1 DH-GM, .2 ECDH-GM, .3 DH-IM, .4 ECDH-IM, .6 ECDH-CAM; each with a cipher as id-CA.
        public static let pace: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 2, 2, 4]
        public static let ri: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 2, 2, 5]
        public static let ci: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 2, 2, 6]
        public static let eIDSecurity: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 2, 2, 7]
        public static let pt: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 2, 2, 8]
        /// The AlgorithmIdentifier of standardized domain parameters (TR-03110-3 Table 4), parameter = the ID.
        public static let standardizedDomainParameters: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 1, 2]
        /// eContentType of EF.CardSecurity (and EF.ChipSecurity): id-SecurityObject.
        public static let securityObject: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 3, 2, 1]
        /// ecdsa-plain-signatures (TR-03111), named by ActiveAuthenticationInfo: .1 SHA-1 … .5 SHA-512.
        public static let ecdsaPlainSignatures: ASN1ObjectIdentifier = [0, 4, 0, 127, 0, 7, 1, 1, 4, 1]
    }
}

extension ASN1ObjectIdentifier.ICAO {
    /// id-icao-mrtd-security-aaProtocolObject, the protocol of ActiveAuthenticationInfo (Doc 9303-11 §9.2.9).
    public static let activeAuthentication: ASN1ObjectIdentifier = [2, 23, 136, 1, 1, 5]
}

extension ASN1ObjectIdentifier {
    /// Whether `prefix` is this identifier or an ancestor of it.
    func hasPrefix(_ prefix: ASN1ObjectIdentifier) -> Bool {
        oidComponents.starts(with: prefix.oidComponents)
    }

    /// The arcs after `prefix`, nil when this identifier is not below it.
    func arcs(after prefix: ASN1ObjectIdentifier) -> [UInt]? {
        hasPrefix(prefix) ? Array(oidComponents.dropFirst(prefix.oidComponents.count)) : nil
    }

    /// The name TR-03110 and Doc 9303 give a SecurityInfo protocol or algorithm identifier, or the dotted form.
    public var securityProtocolName: String {
        let ciphers = [1: "3DES-CBC-CBC", 2: "AES-CBC-CMAC-128", 3: "AES-CBC-CMAC-192", 4: "AES-CBC-CMAC-256"]
        if let arcs = arcs(after: .EAC.pace), let mapping = arcs.first {
            let names = [1: "DH-GM", 2: "ECDH-GM", 3: "DH-IM", 4: "ECDH-IM", 6: "ECDH-CAM"]
            guard let base = names[Int(mapping)] else { return description }
            if arcs.count == 1 { return "id-PACE-\(base)" }
            if arcs.count == 2, let cipher = ciphers[Int(arcs[1])] { return "id-PACE-\(base)-\(cipher)" }
        }
        if let arcs = arcs(after: .EAC.ca), let kind = arcs.first, kind == 1 || kind == 2 {
            let base = kind == 1 ? "DH" : "ECDH"
            if arcs.count == 1 { return "id-CA-\(base)" }
            if arcs.count == 2, let cipher = ciphers[Int(arcs[1])] { return "id-CA-\(base)-\(cipher)" }
        }
        switch self {
        case .EAC.pk: return "id-PK"
        case .EAC.pkDH: return "id-PK-DH"
        case .EAC.pkECDH: return "id-PK-ECDH"
        case .EAC.ta: return "id-TA"
        case .EAC.ri: return "id-RI"
        case .EAC.ci: return "id-CI"
        case .EAC.eIDSecurity: return "id-eIDSecurity"
        case .EAC.pt: return "id-PT"
        case .EAC.standardizedDomainParameters: return "standardizedDomainParameters"
        case .EAC.securityObject: return "id-SecurityObject"
        case .ICAO.activeAuthentication: return "id-icao-mrtd-security-aaProtocolObject"
        default: break
        }
        if let arcs = arcs(after: .EAC.ri), !arcs.isEmpty { return "id-RI." + arcs.map(String.init).joined(separator: ".") }
        if let arcs = arcs(after: .EAC.ecdsaPlainSignatures), arcs.count == 1 {
            let hashes = [1: "SHA1", 2: "SHA224", 3: "SHA256", 4: "SHA384", 5: "SHA512"]
            if let hash = hashes[Int(arcs[0])] { return "ecdsa-plain-\(hash)" }
        }
        return displayName
    }
}

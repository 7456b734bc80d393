import SwiftASN1

// The object identifiers epki reads and writes, grouped as the standards group them.
extension ASN1ObjectIdentifier {
    public enum Digest {
        public static let sha1: ASN1ObjectIdentifier = [1, 3, 14, 3, 2, 26]
        public static let sha224: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 4]
        public static let sha256: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 1]
        public static let sha384: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 2]
        public static let sha512: ASN1ObjectIdentifier = [2, 16, 840, 1, 101, 3, 4, 2, 3]
    }

    public enum Signature {
        public static let ecdsaWithSHA1: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 1]
        public static let ecdsaWithSHA224: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 1]
        public static let ecdsaWithSHA256: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 2]
        public static let ecdsaWithSHA384: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 3]
        public static let ecdsaWithSHA512: ASN1ObjectIdentifier = [1, 2, 840, 10045, 4, 3, 4]
        public static let sha1WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 5]
        public static let sha224WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 14]
        public static let sha256WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 11]
        public static let sha384WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 12]
        public static let sha512WithRSAEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 13]
        public static let rsassaPSS: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 10]
        public static let mgf1: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 8]
    }

    public enum PublicKeyAlgorithm {
        public static let rsaEncryption: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 1, 1]
        public static let ecPublicKey: ASN1ObjectIdentifier = [1, 2, 840, 10045, 2, 1]
        /// The fieldType of a prime field in explicit EC domain parameters (X9.62).
        public static let primeField: ASN1ObjectIdentifier = [1, 2, 840, 10045, 1, 1]
    }

    public enum Curve {
        public static let secp224r1: ASN1ObjectIdentifier = [1, 3, 132, 0, 33]
        public static let prime256v1: ASN1ObjectIdentifier = [1, 2, 840, 10045, 3, 1, 7]
        public static let secp384r1: ASN1ObjectIdentifier = [1, 3, 132, 0, 34]
        public static let secp521r1: ASN1ObjectIdentifier = [1, 3, 132, 0, 35]
        public static let brainpoolP224r1: ASN1ObjectIdentifier = [1, 3, 36, 3, 3, 2, 8, 1, 1, 5]
        public static let brainpoolP256r1: ASN1ObjectIdentifier = [1, 3, 36, 3, 3, 2, 8, 1, 1, 7]
        public static let brainpoolP320r1: ASN1ObjectIdentifier = [1, 3, 36, 3, 3, 2, 8, 1, 1, 9]
        public static let brainpoolP384r1: ASN1ObjectIdentifier = [1, 3, 36, 3, 3, 2, 8, 1, 1, 11]
        public static let brainpoolP512r1: ASN1ObjectIdentifier = [1, 3, 36, 3, 3, 2, 8, 1, 1, 13]
    }

    /// Certificate and CRL extensions of RFC 5280.
    public enum X509Extension {
        public static let subjectKeyIdentifier: ASN1ObjectIdentifier = [2, 5, 29, 14]
        public static let keyUsage: ASN1ObjectIdentifier = [2, 5, 29, 15]
        public static let privateKeyUsagePeriod: ASN1ObjectIdentifier = [2, 5, 29, 16]
        public static let subjectAltName: ASN1ObjectIdentifier = [2, 5, 29, 17]
        public static let issuerAltName: ASN1ObjectIdentifier = [2, 5, 29, 18]
        public static let basicConstraints: ASN1ObjectIdentifier = [2, 5, 29, 19]
        public static let cRLNumber: ASN1ObjectIdentifier = [2, 5, 29, 20]
        public static let reasonCode: ASN1ObjectIdentifier = [2, 5, 29, 21]
        public static let holdInstructionCode: ASN1ObjectIdentifier = [2, 5, 29, 23]
        public static let invalidityDate: ASN1ObjectIdentifier = [2, 5, 29, 24]
        public static let deltaCRLIndicator: ASN1ObjectIdentifier = [2, 5, 29, 27]
        public static let issuingDistributionPoint: ASN1ObjectIdentifier = [2, 5, 29, 28]
        public static let certificateIssuer: ASN1ObjectIdentifier = [2, 5, 29, 29]
        public static let nameConstraints: ASN1ObjectIdentifier = [2, 5, 29, 30]
        public static let cRLDistributionPoints: ASN1ObjectIdentifier = [2, 5, 29, 31]
        public static let certificatePolicies: ASN1ObjectIdentifier = [2, 5, 29, 32]
        public static let policyMappings: ASN1ObjectIdentifier = [2, 5, 29, 33]
        public static let authorityKeyIdentifier: ASN1ObjectIdentifier = [2, 5, 29, 35]
        public static let policyConstraints: ASN1ObjectIdentifier = [2, 5, 29, 36]
        public static let extendedKeyUsage: ASN1ObjectIdentifier = [2, 5, 29, 37]
        public static let freshestCRL: ASN1ObjectIdentifier = [2, 5, 29, 46]
        public static let subjectDirectoryAttributes: ASN1ObjectIdentifier = [2, 5, 29, 9]
        public static let authorityInfoAccess: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 1, 1]
        public static let netscapeCertType: ASN1ObjectIdentifier = [2, 16, 840, 1, 113730, 1, 1]
    }

    /// The ICAO security arc 2.23.136.1.1 (Doc 9303-12).
    public enum ICAO {
        public static let ldsSecurityObject: ASN1ObjectIdentifier = [2, 23, 136, 1, 1, 1]
        public static let cscaMasterList: ASN1ObjectIdentifier = [2, 23, 136, 1, 1, 2]
        public static let cscaMasterListSigningKey: ASN1ObjectIdentifier = [2, 23, 136, 1, 1, 3]
        public static let documentTypeList: ASN1ObjectIdentifier = [2, 23, 136, 1, 1, 6, 2]
        public static let nameChange: ASN1ObjectIdentifier = [2, 23, 136, 1, 1, 6, 1]
        public static let deviationList: ASN1ObjectIdentifier = [2, 23, 136, 1, 1, 7]
        public static let deviationListSigningKey: ASN1ObjectIdentifier = [2, 23, 136, 1, 1, 8]
        /// id-icao-spocClient: EKU of a SPOC's TLS client certificate (Doc 9303-12 §7.2.1).
        public static let spocClient: ASN1ObjectIdentifier = [2, 23, 136, 1, 1, 10, 1]
        /// id-icao-spocServer: EKU of a SPOC's TLS server certificate (Doc 9303-12 §7.2.1).
        public static let spocServer: ASN1ObjectIdentifier = [2, 23, 136, 1, 1, 10, 2]
    }

    /// Key purposes of RFC 5280 §4.2.1.12 (the id-kp arc 1.3.6.1.5.5.7.3).
    public enum KeyPurpose {
        /// id-kp-serverAuth: TLS server authentication.
        public static let serverAuth: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 3, 1]
        /// id-kp-clientAuth: TLS client authentication.
        public static let clientAuth: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 3, 2]
    }

    /// The Czech standard CSN 36 9791 (the SPOC interface used between EU Member States), arc 1.2.203.7064.1.1.369791.
    public enum CSN369791 {
        /// id-csn-369791-tls-client: EKU of a SPOC's TLS client certificate, written with id-kp-clientAuth.
        public static let tlsClient: ASN1ObjectIdentifier = [1, 2, 203, 7064, 1, 1, 369791, 1]
        /// id-csn-369791-tls-server: EKU of a SPOC's TLS server certificate, written with id-kp-serverAuth.
        public static let tlsServer: ASN1ObjectIdentifier = [1, 2, 203, 7064, 1, 1, 369791, 2]
    }

    /// CMS content types and attributes (RFC 5652).
    public enum CMS {
        public static let data: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 1]
        public static let signedData: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 7, 2]
        public static let contentType: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 3]
        public static let messageDigest: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 4]
        public static let signingTime: ASN1ObjectIdentifier = [1, 2, 840, 113549, 1, 9, 5]
    }
}

extension ASN1ObjectIdentifier {
    /// A short name for the OIDs epki knows, for `show` output; the dotted form otherwise.
    public var displayName: String {
        Self.names[self] ?? description
    }

    private static let names: [ASN1ObjectIdentifier: String] = [
        Digest.sha1: "sha1", Digest.sha224: "sha224", Digest.sha256: "sha256", Digest.sha384: "sha384",
        Digest.sha512: "sha512",
        Signature.ecdsaWithSHA1: "ecdsa-with-SHA1", Signature.ecdsaWithSHA224: "ecdsa-with-SHA224",
        Signature.ecdsaWithSHA256: "ecdsa-with-SHA256", Signature.ecdsaWithSHA384: "ecdsa-with-SHA384",
        Signature.ecdsaWithSHA512: "ecdsa-with-SHA512", Signature.sha1WithRSAEncryption: "sha1WithRSAEncryption",
        Signature.sha224WithRSAEncryption: "sha224WithRSAEncryption",
        Signature.sha256WithRSAEncryption: "sha256WithRSAEncryption",
        Signature.sha384WithRSAEncryption: "sha384WithRSAEncryption",
        Signature.sha512WithRSAEncryption: "sha512WithRSAEncryption", Signature.rsassaPSS: "rsassaPss",
        PublicKeyAlgorithm.rsaEncryption: "rsaEncryption", PublicKeyAlgorithm.ecPublicKey: "id-ecPublicKey",
        X509Extension.subjectKeyIdentifier: "subjectKeyIdentifier", X509Extension.keyUsage: "keyUsage",
        X509Extension.privateKeyUsagePeriod: "privateKeyUsagePeriod",
        X509Extension.subjectAltName: "subjectAltName", X509Extension.issuerAltName: "issuerAltName",
        X509Extension.basicConstraints: "basicConstraints", X509Extension.cRLNumber: "cRLNumber",
        X509Extension.reasonCode: "reasonCode", X509Extension.cRLDistributionPoints: "cRLDistributionPoints",
        X509Extension.certificatePolicies: "certificatePolicies",
        X509Extension.authorityKeyIdentifier: "authorityKeyIdentifier",
        X509Extension.extendedKeyUsage: "extKeyUsage", X509Extension.authorityInfoAccess: "authorityInfoAccess",
        ICAO.ldsSecurityObject: "id-icao-mrtd-security-ldsSecurityObject",
        ICAO.cscaMasterList: "id-icao-cscaMasterList",
        ICAO.cscaMasterListSigningKey: "id-icao-cscaMasterListSigningKey",
        ICAO.documentTypeList: "id-icao-mrtd-security-extensions-documentTypeList",
        ICAO.nameChange: "id-icao-mrtd-security-extensions-nameChange",
        ICAO.deviationList: "id-icao-DeviationList", ICAO.deviationListSigningKey: "id-icao-DeviationListSigningKey",
        ICAO.spocClient: "id-icao-spocClient", ICAO.spocServer: "id-icao-spocServer",
        KeyPurpose.serverAuth: "serverAuth", KeyPurpose.clientAuth: "clientAuth",
        CSN369791.tlsClient: "id-csn-369791-tls-client", CSN369791.tlsServer: "id-csn-369791-tls-server",
        CMS.data: "id-data", CMS.signedData: "id-signedData", CMS.contentType: "contentType",
        CMS.messageDigest: "messageDigest", CMS.signingTime: "signingTime",
    ]
}

import CP11Kit
import PKICore
import SwiftASN1

/// A private key inside a PKCS#11 token, usable wherever epki signs (certificates, CRLs, CMS, CV certificates).
///
/// The host computes the hash and the token only signs: SoftHSM2 and many HSMs offer raw CKM_ECDSA but not
/// CKM_ECDSA_SHA256, and hashing on the host lets one mechanism serve every hash.
///   - ECDSA: CKM_ECDSA over the digest; the r‖s the token returns becomes DER.
///   - RSA PKCS#1 v1.5: CKM_RSA_PKCS over the DER DigestInfo built here.
///   - RSASSA-PSS: CKM_RSA_PKCS_PSS over the digest, with hash, MGF1 hash and salt length as parameters.
public struct PKCS11Signer: Signer {
    public let token: PKCS11Token
    let privateKey: CK_OBJECT_HANDLE
    public let publicKey: PublicKey
    public let label: String
    public let id: [UInt8]

    init(token: PKCS11Token, privateKey: CK_OBJECT_HANDLE, publicKey: PublicKey, label: String, id: [UInt8]) throws {
        self.token = token
        self.privateKey = privateKey
        self.publicKey = publicKey
        self.label = label
        self.id = id
    }

    /// The URI that names this key again.
    public var uri: PKCS11URI {
        var uri = PKCS11URI(token: token.info.label, object: label, id: id)
        uri.modulePath = token.module.path
        return uri
    }

    /// How the token protects the private key: its CKA_SENSITIVE, CKA_EXTRACTABLE and CKA_PRIVATE attributes.
    public struct Protection: Equatable, Sendable {
        /// CKA_SENSITIVE: the token never reveals the key's value in plaintext.
        public let isSensitive: Bool
        /// CKA_EXTRACTABLE: the key may leave the token wrapped under another key.
        public let isExtractable: Bool
        /// CKA_PRIVATE: the key can be seen and used only after a login.
        public let isPrivate: Bool
    }

    /// The protection attributes of the private key, read back from the token. `generateKeyPair` asks for a
    /// sensitive, non-extractable, private key, but a token may ignore a template attribute, and a key found by
    /// URI may have been made by another tool: only the token's answer says that the key cannot leave it.
    public func protection() throws -> Protection {
        func flag(_ type: UInt, _ name: String) throws -> Bool {
            let value = try token.attribute(type, of: privateKey)
            guard value.count == 1 else {
                throw PKCS11Error(.tokenError, "\(name) of key '\(label)' is \(value.count) bytes long, not a CK_BBOOL")
            }
            return value[0] != 0
        }
        return Protection(isSensitive: try flag(CKA_SENSITIVE, "CKA_SENSITIVE"), isExtractable: try flag(CKA_EXTRACTABLE, "CKA_EXTRACTABLE"),
                          isPrivate: try flag(CKA_PRIVATE, "CKA_PRIVATE"))
    }

    public var supportedAlgorithms: [SignatureAlgorithm] {
        let hashes = HashAlgorithm.allCases.filter(\.isAllowedForSigning)
        return publicKey.isEC ? hashes.map { .ecdsa($0) } : hashes.map { .rsaPKCS1v15($0) } + hashes.map { .rsaPSS($0) }
    }

    public func sign(_ message: [UInt8], algorithm: SignatureAlgorithm) throws -> [UInt8] {
        try checkCanSign(algorithm)
        let digest = try algorithm.hash.hash(message)
        switch algorithm {
        case .ecdsa:
            let plain = try raw(mechanism: CKM_ECDSA, data: digest)
            return try ECDSASignature(plain: plain).derEncoded
        case .rsaPKCS1v15(let hash):
            return try raw(mechanism: CKM_RSA_PKCS, data: Self.digestInfo(hash, digest))
        case .rsaPSS(let parameters):
            var pss = CK_RSA_PKCS_PSS_PARAMS(
                hashAlg: CK_MECHANISM_TYPE(Self.hashMechanism(parameters.hash)),
                mgf: CK_RSA_PKCS_MGF_TYPE(Self.mgf(parameters.mgf1Hash)), sLen: CK_ULONG(parameters.saltLength))
            return try withUnsafeMutableBytes(of: &pss) { buffer in
                try raw(mechanism: CKM_RSA_PKCS_PSS, data: digest, parameter: buffer)
            }
        }
    }

    private func raw(mechanism type: UInt, data: [UInt8], parameter: UnsafeMutableRawBufferPointer? = nil) throws -> [UInt8] {
        try token.withSession { session in
            var mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(type), pParameter: parameter?.baseAddress,
                                         ulParameterLen: CK_ULONG(parameter?.count ?? 0))
            let functions = token.functions
            try PKCS11Error.check(functions.C_SignInit(session, &mechanism, privateKey), "C_SignInit (\(Self.mechanismName(type)))")
            var input = data
            var signature = [UInt8](repeating: 0, count: 1024)
            var length = CK_ULONG(signature.count)
            try PKCS11Error.check(functions.C_Sign(session, &input, CK_ULONG(input.count), &signature, &length),
                                  "C_Sign (\(Self.mechanismName(type)))")
            return Array(signature.prefix(Int(length)))
        }
    }

    /// ```
    /// DigestInfo ::= SEQUENCE { digestAlgorithm AlgorithmIdentifier, digest OCTET STRING }
    /// ```
    /// with NULL parameters, as PKCS#1 v1.5 signatures require (RFC 8017 §9.2).
    static func digestInfo(_ hash: HashAlgorithm, _ digest: [UInt8]) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(AlgorithmIdentifier.withNullParameters(hash.oid))
            try coder.serialize(ASN1OctetString(contentBytes: digest[...]))
        }
        return serializer.serializedBytes
    }

    static func hashMechanism(_ hash: HashAlgorithm) -> UInt {
        switch hash {
        case .sha1: CKM_SHA_1
        case .sha224: CKM_SHA224
        case .sha256: CKM_SHA256
        case .sha384: CKM_SHA384
        case .sha512: CKM_SHA512
        }
    }

    static func mgf(_ hash: HashAlgorithm) -> UInt {
        switch hash {
        case .sha1: CKG_MGF1_SHA1
        case .sha224: CKG_MGF1_SHA224
        case .sha256: CKG_MGF1_SHA256
        case .sha384: CKG_MGF1_SHA384
        case .sha512: CKG_MGF1_SHA512
        }
    }

    static func mechanismName(_ type: UInt) -> String {
        switch type {
        case CKM_ECDSA: "CKM_ECDSA"
        case CKM_RSA_PKCS: "CKM_RSA_PKCS"
        case CKM_RSA_PKCS_PSS: "CKM_RSA_PKCS_PSS"
        default: "mechanism 0x\(String(type, radix: 16))"
        }
    }
}

extension PKCS11Token {
    /// Opens the token a URI names, logs in, and returns the key it names.
    public static func signer(for uri: PKCS11URI, pin: PIN?) throws -> PKCS11Signer {
        let token = try open(uri)
        if let pin = try pin ?? uri.pinSource.map(PIN.fromSource) {
            try token.login(pin: pin)
        } else if token.info.requiresLogin && !token.isLoggedIn {
            throw PKCS11Error(.missingPIN, "token '\(token.info.label)' needs a PIN: give --pin-file, --pin-env or pin-source= in the URI")
        }
        return try token.signer(label: uri.object, id: uri.id)
    }
}

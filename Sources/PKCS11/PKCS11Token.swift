import CP11Kit
import Foundation
import PKICore
import SwiftASN1

/// One token in one slot, with a pool of sessions so that many threads can sign at once.
///
/// Login state is per application and token in PKCS#11: one `C_Login` covers every session opened on the
/// token, before or after. Sessions are handed to one caller at a time and returned to the pool afterwards.
public final class PKCS11Token: @unchecked Sendable {
    public let module: PKCS11Module
    public let info: PKCS11Module.TokenInfo
    let slotID: CK_SLOT_ID
    private let lock = NSLock()
    private var idleSessions: [CK_SESSION_HANDLE] = []
    private var loggedIn = false

    private init(module: PKCS11Module, info: PKCS11Module.TokenInfo) {
        self.module = module
        self.info = info
        self.slotID = CK_SLOT_ID(info.slotID)
    }

    deinit {
        for session in idleSessions { _ = module.functions.pointee.C_CloseSession(session) }
    }

    private static let cacheLock = NSLock()
    nonisolated(unsafe) private static var cache: [String: PKCS11Token] = [:]

    /// Finds the token a URI names: in the module it names (`module-path`, `module-name`), else in the module
    /// named by `EPKI_PKCS11_MODULE`, else in every module p11-kit's registry configures.
    public static func open(_ uri: PKCS11URI) throws -> PKCS11Token {
        let modules: [PKCS11Module]
        if let path = uri.modulePath ?? ProcessInfo.processInfo.environment["EPKI_PKCS11_MODULE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            modules = [try PKCS11Module.load(path: path)]
        } else if let name = uri.moduleName {
            modules = try PKCS11Module.registered().filter { $0.name == name || $0.path?.hasSuffix("/\(name).so") == true }
            guard !modules.isEmpty else { throw PKCS11Error(.moduleNotLoaded, "p11-kit has no module named '\(name)'") }
        } else {
            modules = try PKCS11Module.registered()
        }
        for module in modules {
            for token in try module.tokens() where token.isInitialized && matches(token, uri) {
                let key = "\(module.path ?? module.name)#\(token.slotID)"
                cacheLock.lock()
                defer { cacheLock.unlock() }
                if let cached = cache[key] { return cached }
                let opened = PKCS11Token(module: module, info: token)
                cache[key] = opened
                return opened
            }
        }
        let wanted = [uri.token.map { "token=\($0)" }, uri.serial.map { "serial=\($0)" }, uri.slotID.map { "slot-id=\($0)" }]
            .compactMap { $0 }.joined(separator: ", ")
        throw PKCS11Error(.tokenNotFound, "no token matching \(wanted.isEmpty ? "the URI" : wanted) in \(modules.map(\.name).joined(separator: ", "))")
    }

    private static func matches(_ token: PKCS11Module.TokenInfo, _ uri: PKCS11URI) -> Bool {
        (uri.token == nil || uri.token == token.label) && (uri.serial == nil || uri.serial == token.serialNumber)
            && (uri.manufacturer == nil || uri.manufacturer == token.manufacturer) && (uri.model == nil || uri.model == token.model)
            && (uri.slotID == nil || uri.slotID == token.slotID)
    }

    var functions: CK_FUNCTION_LIST { module.functions.pointee }

    /// Whether this process has logged in to the token (a PIN is then not needed again).
    public var isLoggedIn: Bool {
        lock.lock()
        defer { lock.unlock() }
        return loggedIn
    }

    /// Logs the application in with the user PIN (once; later calls are no-ops).
    public func login(pin: PIN) throws {
        lock.lock()
        let already = loggedIn
        lock.unlock()
        if already { return }
        try withSession { session in
            var bytes = pin.bytes
            let rv = functions.C_Login(session, CK_USER_TYPE(CKU_USER), &bytes, CK_ULONG(bytes.count))
            if UInt(rv) != CKR_USER_ALREADY_LOGGED_IN { try PKCS11Error.check(rv, "C_Login to token '\(info.label)'") }
        }
        lock.lock()
        loggedIn = true
        lock.unlock()
    }

    /// Runs `body` with a session of its own, taken from the pool or opened.
    func withSession<T>(_ body: (CK_SESSION_HANDLE) throws -> T) throws -> T {
        lock.lock()
        var session = idleSessions.popLast()
        lock.unlock()
        if session == nil {
            var handle: CK_SESSION_HANDLE = 0
            try PKCS11Error.check(functions.C_OpenSession(slotID, CK_FLAGS(CKF_SERIAL_SESSION | CKF_RW_SESSION), nil, nil, &handle),
                                  "C_OpenSession on token '\(info.label)'")
            session = handle
        }
        let handle = session!  // set just above when the pool was empty
        defer {
            lock.lock()
            idleSessions.append(handle)
            lock.unlock()
        }
        return try body(handle)
    }

    /// Objects of a class matching a label and/or an id.
    func findObjects(class objectClass: UInt, label: String?, id: [UInt8]?) throws -> [CK_OBJECT_HANDLE] {
        try withSession { session in
            let template = AttributeTemplate()
            template.add(CKA_CLASS, ulong: objectClass)
            if let label { template.add(CKA_LABEL, string: label) }
            if let id { template.add(CKA_ID, bytes: id) }
            var attributes = template.attributes
            try PKCS11Error.check(functions.C_FindObjectsInit(session, &attributes, CK_ULONG(attributes.count)), "C_FindObjectsInit")
            defer { _ = functions.C_FindObjectsFinal(session) }
            var found: [CK_OBJECT_HANDLE] = []
            var batch = [CK_OBJECT_HANDLE](repeating: 0, count: 16)
            while true {
                var count: CK_ULONG = 0
                try PKCS11Error.check(functions.C_FindObjects(session, &batch, CK_ULONG(batch.count), &count), "C_FindObjects")
                if count == 0 { break }
                found += batch.prefix(Int(count))
            }
            return found
        }
    }

    /// Reads one attribute's value (two calls: length, then value).
    func attribute(_ type: UInt, of object: CK_OBJECT_HANDLE) throws -> [UInt8] {
        try withSession { session in
            var query = CK_ATTRIBUTE(type: CK_ATTRIBUTE_TYPE(type), pValue: nil, ulValueLen: 0)
            try PKCS11Error.check(functions.C_GetAttributeValue(session, object, &query, 1), "C_GetAttributeValue")
            var value = [UInt8](repeating: 0, count: Int(query.ulValueLen))
            try value.withUnsafeMutableBytes { buffer in
                query.pValue = buffer.baseAddress
                try PKCS11Error.check(functions.C_GetAttributeValue(session, object, &query, 1), "C_GetAttributeValue")
            }
            return Array(value.prefix(Int(query.ulValueLen)))
        }
    }

    /// The signing key a URI names (by `object` label and/or `id`), with its public key read back from the token.
    public func signer(label: String?, id: [UInt8]?) throws -> PKCS11Signer {
        guard label != nil || id != nil else {
            throw PKCS11Error(.invalidURI, "name the key with object= (label) or id= in the PKCS#11 URI")
        }
        let privateKeys = try findObjects(class: CKO_PRIVATE_KEY, label: label, id: id)
        guard let privateKey = privateKeys.first else {
            throw PKCS11Error(.keyNotFound, "no private key \(describe(label, id)) on token '\(info.label)' (is the PIN right and the key there?)")
        }
        guard privateKeys.count == 1 else {
            throw PKCS11Error(.keyNotFound, "\(privateKeys.count) private keys match \(describe(label, id)) on token '\(info.label)'; add id= to choose")
        }
        let keyID = try attribute(CKA_ID, of: privateKey)
        let publicKeys = try findObjects(class: CKO_PUBLIC_KEY, label: nil, id: keyID)
        guard let publicObject = publicKeys.first else {
            throw PKCS11Error(.keyNotFound, "the public key of \(describe(label, id)) is not on token '\(info.label)'")
        }
        return try PKCS11Signer(token: self, privateKey: privateKey, publicKey: readPublicKey(publicObject),
                                label: label ?? String(decoding: try attribute(CKA_LABEL, of: privateKey), as: UTF8.self), id: keyID)
    }

    private func describe(_ label: String?, _ id: [UInt8]?) -> String {
        [label.map { "object=\($0)" }, id.map { "id=\($0.hexString)" }].compactMap { $0 }.joined(separator: ";")
    }

    /// Builds the SubjectPublicKeyInfo of a public key object: EC from CKA_EC_PARAMS and CKA_EC_POINT (which
    /// arrives wrapped in an OCTET STRING), RSA from the modulus and public exponent.
    func readPublicKey(_ object: CK_OBJECT_HANDLE) throws -> PublicKey {
        let keyType = try attribute(CKA_KEY_TYPE, of: object)
        let type = keyType.withUnsafeBytes { $0.loadUnaligned(as: CK_KEY_TYPE.self) }
        let spki: SubjectPublicKeyInfo
        switch UInt(type) {
        case CKK_EC:
            let parameters = try attribute(CKA_EC_PARAMS, of: object)
            var point = try attribute(CKA_EC_POINT, of: object)
            if let wrapped = try? ASN1OctetString(derEncoded: point), wrapped.bytes.first == 0x04 { point = Array(wrapped.bytes) }
            spki = SubjectPublicKeyInfo(
                algorithm: AlgorithmIdentifier(algorithm: .PublicKeyAlgorithm.ecPublicKey,
                                               parameters: try PKIError.decoding("CKA_EC_PARAMS") { ASN1Any(derEncoded: try DER.parse(parameters)) }),
                subjectPublicKey: ASN1BitString(bytes: point[...]))
        case CKK_RSA:
            let modulus = try attribute(CKA_MODULUS, of: object)
            let exponent = try attribute(CKA_PUBLIC_EXPONENT, of: object)
            var serializer = DER.Serializer()
            try serializer.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(ArraySlice(modulus.drop(while: { $0 == 0 })))
                try coder.serialize(ArraySlice(exponent.drop(while: { $0 == 0 })))
            }
            spki = SubjectPublicKeyInfo(algorithm: .withNullParameters(.PublicKeyAlgorithm.rsaEncryption),
                                        subjectPublicKey: ASN1BitString(bytes: serializer.serializedBytes[...]))
        default:
            throw PKCS11Error(.mechanismNotSupported, "key type 0x\(String(UInt(type), radix: 16)) is neither EC nor RSA")
        }
        return try PublicKey(subjectPublicKeyInfo: spki)
    }

    /// Generates a key pair inside the token: the private key sensitive, non-extractable, usable only to sign.
    public func generateKeyPair(_ specification: KeySpecification, label: String, id: [UInt8]? = nil) throws -> PKCS11Signer {
        guard try findObjects(class: CKO_PRIVATE_KEY, label: label, id: nil).isEmpty else {
            throw PKCS11Error(.tokenError, "token '\(info.label)' already holds a private key labelled '\(label)'")
        }
        let keyID = try id ?? Array(CertificateBuilder.randomSerialNumber().prefix(8))
        let publicTemplate = AttributeTemplate()
        let privateTemplate = AttributeTemplate()
        for template in [publicTemplate, privateTemplate] {
            template.add(CKA_TOKEN, bool: true)
            template.add(CKA_LABEL, string: label)
            template.add(CKA_ID, bytes: keyID)
        }
        publicTemplate.add(CKA_VERIFY, bool: true)
        privateTemplate.add(CKA_PRIVATE, bool: true)
        privateTemplate.add(CKA_SENSITIVE, bool: true)
        privateTemplate.add(CKA_EXTRACTABLE, bool: false)
        privateTemplate.add(CKA_SIGN, bool: true)
        var mechanism: CK_MECHANISM
        switch specification {
        case .ec(let curve, _):
            // The token gets the curve's OID; explicit parameters, where the profile wants them, are written
            // by the certificate code from the public key.
            var serializer = DER.Serializer()
            try serializer.serialize(curve.oid)
            publicTemplate.add(CKA_EC_PARAMS, bytes: serializer.serializedBytes)
            mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_EC_KEY_PAIR_GEN), pParameter: nil, ulParameterLen: 0)
        case .rsa(let bits):
            publicTemplate.add(CKA_MODULUS_BITS, ulong: UInt(bits))
            publicTemplate.add(CKA_PUBLIC_EXPONENT, bytes: [0x01, 0x00, 0x01])
            mechanism = CK_MECHANISM(mechanism: CK_MECHANISM_TYPE(CKM_RSA_PKCS_KEY_PAIR_GEN), pParameter: nil, ulParameterLen: 0)
        }
        var publicAttributes = publicTemplate.attributes
        var privateAttributes = privateTemplate.attributes
        var publicHandle: CK_OBJECT_HANDLE = 0
        var privateHandle: CK_OBJECT_HANDLE = 0
        try withSession { session in
            try PKCS11Error.check(
                functions.C_GenerateKeyPair(session, &mechanism, &publicAttributes, CK_ULONG(publicAttributes.count),
                                            &privateAttributes, CK_ULONG(privateAttributes.count), &publicHandle, &privateHandle),
                "C_GenerateKeyPair (\(specification)) on token '\(info.label)'")
        }
        return try PKCS11Signer(token: self, privateKey: privateHandle, publicKey: readPublicKey(publicHandle), label: label, id: keyID)
    }
}

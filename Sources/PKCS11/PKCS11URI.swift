import Foundation

/// A PKCS#11 URI (RFC 7512) naming a token and an object on it, e.g.
/// `pkcs11:token=CSCA-LU;object=csca-2026;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin`.
///
/// Path attributes select the token (`token`, `manufacturer`, `serial`, `model`, `slot-id`) and the object
/// (`object` = CKA_LABEL, `id` = CKA_ID, `type`). Query attributes name the module (`module-path`,
/// `module-name`) and where the PIN comes from (`pin-source`). `pin-value` is refused: a PIN on a command line
/// is visible to every user of the machine.
public struct PKCS11URI: Hashable, Sendable, CustomStringConvertible {
    public var token: String?
    public var manufacturer: String?
    public var serial: String?
    public var model: String?
    public var slotID: UInt?
    public var object: String?
    public var id: [UInt8]?
    public var type: String?
    public var modulePath: String?
    public var moduleName: String?
    public var pinSource: String?

    public init(token: String? = nil, object: String? = nil, id: [UInt8]? = nil, modulePath: String? = nil) {
        self.token = token
        self.object = object
        self.id = id
        self.modulePath = modulePath
    }

    public static func isPKCS11URI(_ text: String) -> Bool { text.hasPrefix("pkcs11:") }

    public init(_ text: String) throws {
        guard text.hasPrefix("pkcs11:") else { throw PKCS11Error(.invalidURI, "'\(text)' does not start with pkcs11:") }
        let body = text.dropFirst("pkcs11:".count)
        let parts = body.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        for attribute in parts[0].split(separator: ";") where !attribute.isEmpty {
            let (name, value) = try Self.split(attribute, text)
            switch name {
            case "token": token = try Self.decode(value, text)
            case "manufacturer": manufacturer = try Self.decode(value, text)
            case "serial": serial = try Self.decode(value, text)
            case "model": model = try Self.decode(value, text)
            case "object": object = try Self.decode(value, text)
            case "type": type = try Self.decode(value, text)
            case "id": id = Array(try Self.decodeBytes(value, text))
            case "slot-id":
                guard let number = UInt(try Self.decode(value, text)) else {
                    throw PKCS11Error(.invalidURI, "slot-id '\(value)' is not a number")
                }
                slotID = number
            case "library-manufacturer", "library-description", "library-version", "slot-description", "slot-manufacturer":
                continue  // accepted and not used to select
            default:
                throw PKCS11Error(.invalidURI, "unknown path attribute '\(name)' in \(text)")
            }
        }
        if parts.count == 2 {
            for attribute in parts[1].split(separator: "&") where !attribute.isEmpty {
                let (name, value) = try Self.split(attribute, text)
                switch name {
                case "module-path": modulePath = try Self.decode(value, text)
                case "module-name": moduleName = try Self.decode(value, text)
                case "pin-source": pinSource = try Self.decode(value, text)
                case "pin-value":
                    throw PKCS11Error(.invalidURI, "pin-value is not accepted: give the PIN with pin-source=file:…, --pin-file or --pin-env")
                default:
                    throw PKCS11Error(.invalidURI, "unknown query attribute '\(name)' in \(text)")
                }
            }
        }
    }

    private static func split(_ attribute: Substring, _ text: String) throws -> (String, Substring) {
        guard let equals = attribute.firstIndex(of: "=") else {
            throw PKCS11Error(.invalidURI, "attribute '\(attribute)' has no value in \(text)")
        }
        return (String(attribute[..<equals]), attribute[attribute.index(after: equals)...])
    }

    private static func decodeBytes(_ value: Substring, _ text: String) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var index = value.utf8.startIndex
        let utf8 = value.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let first = utf8.index(after: index)
                guard first < utf8.endIndex, utf8.index(after: first) < utf8.endIndex,
                      let high = hexValue(utf8[first]), let low = hexValue(utf8[utf8.index(after: first)]) else {
                    throw PKCS11Error(.invalidURI, "bad percent-encoding in '\(value)' of \(text)")
                }
                bytes.append(high << 4 | low)
                index = utf8.index(index, offsetBy: 3)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        return bytes
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func decode(_ value: Substring, _ text: String) throws -> String {
        String(decoding: try decodeBytes(value, text), as: UTF8.self)
    }

    private static func encode(_ bytes: some Sequence<UInt8>, all: Bool = false) -> String {
        var out = ""
        for byte in bytes {
            let scalar = Unicode.Scalar(byte)
            if !all, byte < 0x80, scalar.properties.isAlphabetic || ("0"..."9").contains(Character(scalar)) || "-._~".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    public var description: String {
        var path: [String] = []
        if let token { path.append("token=\(Self.encode(token.utf8))") }
        if let manufacturer { path.append("manufacturer=\(Self.encode(manufacturer.utf8))") }
        if let serial { path.append("serial=\(Self.encode(serial.utf8))") }
        if let model { path.append("model=\(Self.encode(model.utf8))") }
        if let slotID { path.append("slot-id=\(slotID)") }
        if let object { path.append("object=\(Self.encode(object.utf8))") }
        if let id { path.append("id=\(Self.encode(id, all: true))") }
        if let type { path.append("type=\(type)") }
        var query: [String] = []
        if let modulePath { query.append("module-path=\(Self.encode(modulePath.utf8).replacingOccurrences(of: "%2F", with: "/"))") }
        if let moduleName { query.append("module-name=\(Self.encode(moduleName.utf8))") }
        if let pinSource { query.append("pin-source=\(Self.encode(pinSource.utf8).replacingOccurrences(of: "%2F", with: "/").replacingOccurrences(of: "%3A", with: ":"))") }
        return "pkcs11:" + path.joined(separator: ";") + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }
}

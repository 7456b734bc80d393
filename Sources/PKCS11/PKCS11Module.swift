import CP11Kit
import Foundation

/// A loaded and initialised PKCS#11 module.
///
/// A module is initialised once per process and kept: `C_Initialize` is process-wide state in every module,
/// and a personalization line signs from many threads through the same module.
public final class PKCS11Module: @unchecked Sendable {
    let functions: UnsafeMutablePointer<CK_FUNCTION_LIST>
    public let name: String
    public let path: String?

    private init(functions: UnsafeMutablePointer<CK_FUNCTION_LIST>, name: String, path: String?) {
        self.functions = functions
        self.name = name
        self.path = path
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var byPath: [String: PKCS11Module] = [:]
    nonisolated(unsafe) private static var registry: [PKCS11Module]?

    /// Loads the module at `path` (once per process).
    public static func load(path: String) throws -> PKCS11Module {
        lock.lock()
        defer { lock.unlock() }
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        if let module = byPath[resolved] { return module }
        if let module = registry?.first(where: { $0.path == resolved }) { return module }
        guard FileManager.default.fileExists(atPath: path) else {
            throw PKCS11Error(.moduleNotLoaded, "no PKCS#11 module at \(path)")
        }
        guard let functions = p11_kit_module_load(path, 0) else {
            throw PKCS11Error(.moduleNotLoaded, "p11-kit cannot load the module \(path): \(lastP11KitMessage())")
        }
        try PKCS11Error.check(p11_kit_module_initialize(functions), "C_Initialize of \(path)")
        let module = PKCS11Module(functions: functions, name: URL(fileURLWithPath: path).lastPathComponent, path: resolved)
        byPath[resolved] = module
        return module
    }

    /// The modules p11-kit's registry configures (`/usr/share/p11-kit/modules/*.module`), loaded once.
    public static func registered() throws -> [PKCS11Module] {
        lock.lock()
        defer { lock.unlock() }
        if let registry { return registry }
        guard let list = p11_kit_modules_load_and_initialize(0) else {
            throw PKCS11Error(.moduleNotLoaded, "p11-kit could not load its registered modules: \(lastP11KitMessage())")
        }
        var modules: [PKCS11Module] = []
        var index = 0
        while let functions = list[index] {
            let name = p11_kit_module_get_name(functions).map { pointer in
                defer { free(pointer) }
                return String(cString: pointer)
            } ?? "module \(index)"
            let file = p11_kit_module_get_filename(functions).map { pointer in
                defer { free(pointer) }
                return URL(fileURLWithPath: String(cString: pointer)).resolvingSymlinksInPath().path
            }
            modules.append(PKCS11Module(functions: functions, name: name, path: file))
            index += 1
        }
        // The list array itself is p11-kit's; the modules stay loaded for the life of the process.
        registry = modules
        return modules
    }

    private static func lastP11KitMessage() -> String {
        p11_kit_message().map { String(cString: $0) } ?? "no detail"
    }

    public struct TokenInfo: Sendable {
        public let slotID: UInt
        public let slotDescription: String
        public let label: String
        public let manufacturer: String
        public let model: String
        public let serialNumber: String
        public let isInitialized: Bool
        public let requiresLogin: Bool
    }

    /// Slots with a token present.
    public func tokens() throws -> [TokenInfo] {
        var count: CK_ULONG = 0
        try PKCS11Error.check(functions.pointee.C_GetSlotList(CK_BBOOL(CK_TRUE), nil, &count), "C_GetSlotList")
        var slots = [CK_SLOT_ID](repeating: 0, count: Int(count))
        try PKCS11Error.check(functions.pointee.C_GetSlotList(CK_BBOOL(CK_TRUE), &slots, &count), "C_GetSlotList")
        return try slots.prefix(Int(count)).map { slot in
            var slotInfo = CK_SLOT_INFO()
            try PKCS11Error.check(functions.pointee.C_GetSlotInfo(slot, &slotInfo), "C_GetSlotInfo")
            var info = CK_TOKEN_INFO()
            try PKCS11Error.check(functions.pointee.C_GetTokenInfo(slot, &info), "C_GetTokenInfo")
            return TokenInfo(
                slotID: UInt(slot), slotDescription: padded(slotInfo.slotDescription), label: padded(info.label),
                manufacturer: padded(info.manufacturerID), model: padded(info.model), serialNumber: padded(info.serialNumber),
                isInitialized: UInt(info.flags) & CKF_TOKEN_INITIALIZED != 0, requiresLogin: UInt(info.flags) & CKF_LOGIN_REQUIRED != 0)
        }
    }

    /// The mechanisms a slot's token offers.
    public func mechanisms(slotID: UInt) throws -> Set<UInt> {
        var count: CK_ULONG = 0
        try PKCS11Error.check(functions.pointee.C_GetMechanismList(CK_SLOT_ID(slotID), nil, &count), "C_GetMechanismList")
        var list = [CK_MECHANISM_TYPE](repeating: 0, count: Int(count))
        try PKCS11Error.check(functions.pointee.C_GetMechanismList(CK_SLOT_ID(slotID), &list, &count), "C_GetMechanismList")
        return Set(list.prefix(Int(count)).map { UInt($0) })
    }
}

/// Fixed-size, space-padded PKCS#11 text fields.
func padded<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { bytes in
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
    }
}

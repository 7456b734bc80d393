import PKICore
import CP11Kit

/// The PKCS#11 layer's error: a code, the token's CKR_ value when there is one, and a message an operator can act on.
public struct PKCS11Error: CodedError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public var description: String { name }
        public static let moduleNotLoaded = Code(name: "moduleNotLoaded")
        public static let tokenNotFound = Code(name: "tokenNotFound")
        public static let keyNotFound = Code(name: "keyNotFound")
        public static let wrongPIN = Code(name: "wrongPIN")
        public static let pinLocked = Code(name: "pinLocked")
        public static let missingPIN = Code(name: "missingPIN")
        public static let mechanismNotSupported = Code(name: "mechanismNotSupported")
        public static let invalidURI = Code(name: "invalidURI")
        public static let tokenError = Code(name: "tokenError")
    }

    public let code: Code
    public let reason: String
    /// The CK_RV the module returned, when the error came from the module.
    public let returnValue: UInt?

    public init(_ code: Code, _ reason: String, returnValue: UInt? = nil) {
        self.code = code
        self.reason = reason
        self.returnValue = returnValue
    }


    /// Maps a CK_RV to an error that names both the operation and the CKR_ constant.
    /// The operation text is built only on failure: signing calls this twice per signature.
    static func check(_ rv: CK_RV, _ operation: @autoclosure () -> String) throws {
        guard rv != CK_RV(CKR_OK) else { return }
        let operation = operation()
        let name = Self.names[UInt(rv)] ?? "CKR_0x\(String(UInt(rv), radix: 16))"
        let code: Code
        var hint = ""
        switch UInt(rv) {
        case CKR_PIN_INCORRECT, CKR_PIN_INVALID, CKR_PIN_LEN_RANGE:
            code = .wrongPIN
            hint = ": the PIN is wrong"
        case CKR_PIN_LOCKED:
            code = .pinLocked
            hint = ": the token's PIN is locked"
        case CKR_TOKEN_NOT_PRESENT, CKR_TOKEN_NOT_RECOGNIZED, CKR_DEVICE_REMOVED, CKR_SLOT_ID_INVALID:
            code = .tokenNotFound
            hint = ": the token is not present"
        case CKR_MECHANISM_INVALID, CKR_MECHANISM_PARAM_INVALID, CKR_CURVE_NOT_SUPPORTED, CKR_DOMAIN_PARAMS_INVALID,
             CKR_KEY_SIZE_RANGE, CKR_KEY_TYPE_INCONSISTENT, CKR_KEY_FUNCTION_NOT_PERMITTED:
            code = .mechanismNotSupported
            hint = ": the token does not support this mechanism or key"
        case CKR_OBJECT_HANDLE_INVALID, CKR_KEY_HANDLE_INVALID:
            code = .keyNotFound
        default:
            code = .tokenError
        }
        throw PKCS11Error(code, "\(operation) failed with \(name)\(hint)", returnValue: UInt(rv))
    }

    static let names: [UInt: String] = [
        CKR_CANCEL: "CKR_CANCEL", CKR_HOST_MEMORY: "CKR_HOST_MEMORY", CKR_SLOT_ID_INVALID: "CKR_SLOT_ID_INVALID",
        CKR_GENERAL_ERROR: "CKR_GENERAL_ERROR", CKR_FUNCTION_FAILED: "CKR_FUNCTION_FAILED",
        CKR_ARGUMENTS_BAD: "CKR_ARGUMENTS_BAD", CKR_ATTRIBUTE_TYPE_INVALID: "CKR_ATTRIBUTE_TYPE_INVALID",
        CKR_ATTRIBUTE_VALUE_INVALID: "CKR_ATTRIBUTE_VALUE_INVALID", CKR_DATA_LEN_RANGE: "CKR_DATA_LEN_RANGE",
        CKR_DEVICE_ERROR: "CKR_DEVICE_ERROR", CKR_DEVICE_REMOVED: "CKR_DEVICE_REMOVED",
        CKR_FUNCTION_NOT_SUPPORTED: "CKR_FUNCTION_NOT_SUPPORTED", CKR_KEY_HANDLE_INVALID: "CKR_KEY_HANDLE_INVALID",
        CKR_KEY_SIZE_RANGE: "CKR_KEY_SIZE_RANGE", CKR_KEY_TYPE_INCONSISTENT: "CKR_KEY_TYPE_INCONSISTENT",
        CKR_KEY_FUNCTION_NOT_PERMITTED: "CKR_KEY_FUNCTION_NOT_PERMITTED", CKR_MECHANISM_INVALID: "CKR_MECHANISM_INVALID",
        CKR_MECHANISM_PARAM_INVALID: "CKR_MECHANISM_PARAM_INVALID", CKR_OBJECT_HANDLE_INVALID: "CKR_OBJECT_HANDLE_INVALID",
        CKR_OPERATION_ACTIVE: "CKR_OPERATION_ACTIVE", CKR_OPERATION_NOT_INITIALIZED: "CKR_OPERATION_NOT_INITIALIZED",
        CKR_PIN_INCORRECT: "CKR_PIN_INCORRECT", CKR_PIN_INVALID: "CKR_PIN_INVALID", CKR_PIN_LEN_RANGE: "CKR_PIN_LEN_RANGE",
        CKR_PIN_LOCKED: "CKR_PIN_LOCKED", CKR_SESSION_CLOSED: "CKR_SESSION_CLOSED", CKR_SESSION_COUNT: "CKR_SESSION_COUNT",
        CKR_SESSION_HANDLE_INVALID: "CKR_SESSION_HANDLE_INVALID", CKR_SESSION_READ_ONLY: "CKR_SESSION_READ_ONLY",
        CKR_TEMPLATE_INCOMPLETE: "CKR_TEMPLATE_INCOMPLETE", CKR_TEMPLATE_INCONSISTENT: "CKR_TEMPLATE_INCONSISTENT",
        CKR_TOKEN_NOT_PRESENT: "CKR_TOKEN_NOT_PRESENT", CKR_TOKEN_NOT_RECOGNIZED: "CKR_TOKEN_NOT_RECOGNIZED",
        CKR_USER_ALREADY_LOGGED_IN: "CKR_USER_ALREADY_LOGGED_IN", CKR_USER_NOT_LOGGED_IN: "CKR_USER_NOT_LOGGED_IN",
        CKR_USER_PIN_NOT_INITIALIZED: "CKR_USER_PIN_NOT_INITIALIZED", CKR_USER_TYPE_INVALID: "CKR_USER_TYPE_INVALID",
        CKR_BUFFER_TOO_SMALL: "CKR_BUFFER_TOO_SMALL", CKR_CRYPTOKI_NOT_INITIALIZED: "CKR_CRYPTOKI_NOT_INITIALIZED",
        CKR_CRYPTOKI_ALREADY_INITIALIZED: "CKR_CRYPTOKI_ALREADY_INITIALIZED", CKR_CURVE_NOT_SUPPORTED: "CKR_CURVE_NOT_SUPPORTED",
        CKR_DOMAIN_PARAMS_INVALID: "CKR_DOMAIN_PARAMS_INVALID", CKR_SIGNATURE_INVALID: "CKR_SIGNATURE_INVALID",
    ]
}

extension PKCS11Error: OperatorFacingError {}

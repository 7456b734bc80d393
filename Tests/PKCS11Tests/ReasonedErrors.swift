import PKCS11
import TestSupport

// The error types these tests expect, for expectError, which checks the reason as well as the code.
extension PKCS11Error: ReasonedError {}

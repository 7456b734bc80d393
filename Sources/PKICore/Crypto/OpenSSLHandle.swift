import COpenSSL
import COpenSSLShims

/// Owns one `EVP_PKEY` and frees it when the last reference goes.
///
/// OpenSSL 3 allows concurrent signing and verification with one `EVP_PKEY` (each operation makes its own
/// context), so the handle is shared freely between threads.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }
}

enum OpenSSL {
    /// The most recent OpenSSL error as text (the queue is cleared), for messages that say what OpenSSL refused.
    static func lastError() -> (reason: Int32, text: String) {
        var buffer = [CChar](repeating: 0, count: 256)
        let reason = epki_last_error(&buffer, buffer.count)
        let text = buffer.withUnsafeBufferPointer { pointer in
            String(cString: pointer.baseAddress!)  // the buffer is always NUL-terminated by the shim
        }
        return (reason, text)
    }

    static func failure(_ code: PKIError.Code, _ what: String, file: String = #fileID, line: Int = #line) -> PKIError {
        let error = lastError()
        let detail = error.text.isEmpty ? "" : " (OpenSSL: \(error.text))"
        return PKIError(code, "\(what)\(detail)", file: file, line: line)
    }

    /// Copies an OpenSSL-allocated buffer into Swift and frees it.
    static func takeBuffer(_ pointer: UnsafeMutablePointer<UInt8>?, count: Int) -> [UInt8]? {
        guard let pointer, count > 0 else { return nil }
        defer { epki_free(pointer) }
        return Array(UnsafeBufferPointer(start: pointer, count: count))
    }

    static func randomBytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard epki_random(&bytes, count) == 1 else { throw failure(.cryptoFailure, "random number generator") }
        return bytes
    }
}

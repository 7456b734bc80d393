/// A response APDU (ISO/IEC 7816-4 §5.1): response data followed by the status word SW1 SW2.
public struct ResponseAPDU: Hashable, Sendable, CustomStringConvertible {
    public var data: [UInt8]
    public var statusWord: StatusWord

    public init(data: [UInt8] = [], statusWord: StatusWord) {
        self.data = data
        self.statusWord = statusWord
    }

    public init(bytes: [UInt8]) throws {
        guard bytes.count >= 2 else {
            throw SmartCardError(.malformedAPDU, "a response APDU ends with SW1 SW2; received \(bytes.count) byte(s)")
        }
        self.init(data: Array(bytes.dropLast(2)), statusWord: StatusWord(sw1: bytes[bytes.count - 2], sw2: bytes[bytes.count - 1]))
    }

    public var encoded: [UInt8] { data + statusWord.bytes }

    /// The data when the status is 9000; else a typed error naming `command` and the status word.
    public func requireSuccess(_ command: String) throws -> [UInt8] {
        guard statusWord.isSuccess else {
            throw SmartCardError(.statusWord, "\(command): \(statusWord)", statusWord: statusWord)
        }
        return data
    }

    public var description: String { "\(data.count) byte(s), \(statusWord)" }
}

internal import CPCSCLite
import PKICore

/// A `CardTransport` to a card in a PC/SC reader, through pcsc-lite and pcscd: what personalization lines and
/// inspection systems use with real readers, and what the tests use with the virtual chip behind vpcd.
///
/// pcsc-lite finds pcscd at `/run/pcscd/pcscd.comm`, or where `PCSCLITE_CSOCK_NAME` says (the tests' private
/// pcscd). Errors are typed: no reader, no card, the card removed during a command, a sharing violation, a timeout.
public final class PCSCTransport: CardTransport {
    /// One PC/SC context: readers are listed and cards connected through it.
    public final class Context {
        let handle: SCARDCONTEXT

        public init() throws {
            var context = SCARDCONTEXT()
            try PCSC.check(SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &context), "SCardEstablishContext")
            handle = context
        }

        deinit { SCardReleaseContext(handle) }

        /// The names of the attached readers; empty when there are none.
        public func readers() throws -> [String] {
            var length = DWORD(0)
            let first = SCardListReaders(handle, nil, nil, &length)
            if PCSC.code(first) == PCSC.noReaders { return [] }
            try PCSC.check(first, "SCardListReaders")
            var buffer = [CChar](repeating: 0, count: Int(length))
            let second = SCardListReaders(handle, nil, &buffer, &length)
            if PCSC.code(second) == PCSC.noReaders { return [] }
            try PCSC.check(second, "SCardListReaders")
            // A multi-string: names separated by NUL, ended by two.
            return buffer.split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        }

        /// Whether a card is present in `reader`, and its ATR.
        public func status(of reader: String) throws -> (present: Bool, atr: [UInt8]) {
            try reader.withCString { name in
                var state = SCARD_READERSTATE()
                state.szReader = name
                state.dwCurrentState = DWORD(SCARD_STATE_UNAWARE)
                try PCSC.check(SCardGetStatusChange(handle, 0, &state, 1), "SCardGetStatusChange(\(reader))")
                let atr = withUnsafeBytes(of: state.rgbAtr) { Array($0.prefix(Int(state.cbAtr))) }
                return (state.dwEventState & DWORD(SCARD_STATE_PRESENT) != 0, atr)
            }
        }

        /// Waits until a card is present in `reader` (or is removed, with `present: false`), at most `milliseconds`.
        public func waitForCard(in reader: String, present: Bool = true, milliseconds: Int) throws {
            let deadline = ContinuousClock.now + .milliseconds(milliseconds)
            while try status(of: reader).present != present {
                let left = deadline - ContinuousClock.now
                guard left > .zero else {
                    throw SmartCardError(.timeout, "no card \(present ? "arrived in" : "left") reader '\(reader)' within \(milliseconds) ms")
                }
                try reader.withCString { name in
                    var state = SCARD_READERSTATE()
                    state.szReader = name
                    state.dwCurrentState = DWORD(present ? SCARD_STATE_EMPTY : SCARD_STATE_PRESENT)
                    let wait = min(500, max(1, Int(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
                    let result = SCardGetStatusChange(handle, DWORD(wait), &state, 1)
                    if PCSC.code(result) != PCSC.timeout { try PCSC.check(result, "SCardGetStatusChange(\(reader))") }
                }
            }
        }
    }

    public let reader: String
    public let atr: [UInt8]
    private let context: Context
    private var card: SCARDHANDLE
    private var protocolPCI: SCARD_IO_REQUEST
    private var connected = true
    /// Where SCardTransmit writes each response, made once per transport and never zeroed: pcsc-lite writes the
    /// `length` bytes that are read back. Zeroing a fresh 64 KB array for every command cost 0.66 µs with hot caches.
    private let receiveBuffer: UnsafeMutableBufferPointer<UInt8>
    /// The longest response: 65,536 data bytes (extended Le 0000) and SW1 SW2.
    private static let receiveCapacity = 65_538

    /// Connects to the card in `reader`, shared, T=1 or T=0.
    public init(context: Context, reader: String) throws {
        self.context = context
        self.reader = reader
        var handle = SCARDHANDLE()
        var active = DWORD(0)
        try PCSC.check(SCardConnect(context.handle, reader, DWORD(SCARD_SHARE_SHARED), DWORD(SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1),
                                    &handle, &active), "SCardConnect(\(reader))")
        card = handle
        protocolPCI = active == DWORD(SCARD_PROTOCOL_T0) ? g_rgSCardT0Pci : g_rgSCardT1Pci
        atr = try context.status(of: reader).atr
        // Last, after everything that can throw: a failed init runs no deinit to free it.
        receiveBuffer = .allocate(capacity: Self.receiveCapacity)
    }

    deinit {
        if connected { SCardDisconnect(card, DWORD(SCARD_LEAVE_CARD)) }
        receiveBuffer.deallocate()
    }

    public func transmit(_ command: [UInt8]) throws -> [UInt8] {
        Array(receiveBuffer.prefix(try receive(command)))
    }

    /// What `send` calls: the response read from the receive buffer into its value, with one copy of its data
    /// rather than two (the bytes of `transmit`, then `ResponseAPDU(bytes:)`'s).
    public func exchange(_ command: CommandAPDU) throws -> ResponseAPDU {
        let length = try receive(command.encoded())
        guard length >= 2 else {
            throw SmartCardError(.malformedAPDU, "a response APDU ends with SW1 SW2; received \(length) byte(s)")
        }
        return ResponseAPDU(data: Array(receiveBuffer[0..<(length - 2)]),
                            statusWord: StatusWord(sw1: receiveBuffer[length - 2], sw2: receiveBuffer[length - 1]))
    }

    /// Sends `command` and returns the length of the response now at the start of `receiveBuffer`.
    private func receive(_ command: [UInt8]) throws -> Int {
        guard connected else { throw SmartCardError(.transportFailure, "reader '\(reader)': the card was disconnected") }
        var length = DWORD(receiveBuffer.count)
        var pci = protocolPCI
        let result = SCardTransmit(card, &pci, command, DWORD(command.count), nil, receiveBuffer.baseAddress, &length)
        do {
            try PCSC.check(result, "SCardTransmit to '\(reader)'")
        } catch let error as SmartCardError where error.code == .transportFailure {
            // A card pulled during the exchange surfaces as "transaction failed": the reader's state tells, once
            // pcscd has polled it (about every 0.4 s), so wait up to a second for it to say so.
            if (try? context.waitForCard(in: reader, present: false, milliseconds: 1_000)) != nil {
                throw SmartCardError(.cardRemoved, "the card left reader '\(reader)' during a command (\(error.reason))")
            }
            throw error
        }
        return min(Int(length), receiveBuffer.count)
    }

    /// Resets the card (a warm reset); the chip forgets its sessions.
    public func reset() throws {
        var active = DWORD(0)
        try PCSC.check(SCardReconnect(card, DWORD(SCARD_SHARE_SHARED), DWORD(SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1),
                                      DWORD(SCARD_RESET_CARD), &active), "SCardReconnect(\(reader))")
    }

    public func disconnect() {
        guard connected else { return }
        SCardDisconnect(card, DWORD(SCARD_LEAVE_CARD))
        connected = false
    }
}

/// pcsc-lite's result codes, as typed errors.
enum PCSC {
    static let success: UInt32 = 0
    static let unknownReader: UInt32 = 0x8010_0009
    static let timeout: UInt32 = 0x8010_000A
    static let sharingViolation: UInt32 = 0x8010_000B
    static let noSmartcard: UInt32 = 0x8010_000C
    static let readerUnavailable: UInt32 = 0x8010_0017
    static let noService: UInt32 = 0x8010_001D
    static let noReaders: UInt32 = 0x8010_002E
    static let resetCard: UInt32 = 0x8010_0068
    static let removedCard: UInt32 = 0x8010_0069

    static func code<Result: BinaryInteger>(_ result: Result) -> UInt32 { UInt32(truncatingIfNeeded: result) }

    /// `call` names the call for the error; it is made only on failure (SCardTransmit is checked on every command).
    static func check<Result: BinaryInteger>(_ result: Result, _ call: @autoclosure () -> String) throws {
        let value = code(result)
        guard value != success else { return }
        let text = String(cString: pcsc_stringify_error(LONG(truncatingIfNeeded: Int64(result))))
        let detail = "\(call()): \(text) (0x\(String(value, radix: 16, uppercase: true)))"
        switch value {
        case noReaders, unknownReader, readerUnavailable: throw SmartCardError(.noReader, detail)
        case noSmartcard: throw SmartCardError(.noCard, detail)
        case removedCard, resetCard: throw SmartCardError(.cardRemoved, detail)
        case sharingViolation: throw SmartCardError(.sharingViolation, detail)
        case timeout: throw SmartCardError(.timeout, detail)
        case noService: throw SmartCardError(.transportFailure, "\(detail): is pcscd running?")
        default: throw SmartCardError(.transportFailure, detail)
        }
    }
}

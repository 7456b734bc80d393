/// The seam between everything that talks to a chip and the way the bytes get there: a PC/SC reader, the virtual
/// chip in the same process, or secure messaging wrapped around either. One command in, its response out.
public protocol CardTransport: AnyObject {
    /// Sends one encoded command APDU and returns the response as the card gave it (data ‖ SW1 SW2).
    func transmit(_ command: [UInt8]) throws -> [UInt8]

    /// One command and its response as values, without the 61xx/6Cxx handling of `send`. The default encodes the
    /// command for `transmit` and reads its answer; a transport that works on values (secure messaging, whose
    /// commands and responses are values on both of its sides) answers directly, without the encoding and parsing.
    func exchange(_ command: CommandAPDU) throws -> ResponseAPDU
}

extension CardTransport {
    public func exchange(_ command: CommandAPDU) throws -> ResponseAPDU {
        try ResponseAPDU(bytes: transmit(command.encoded()))
    }

    /// Sends `command` and completes the ISO/IEC 7816-4 exchanges a T=0 reader leaves to the caller: 6Cxx (send
    /// again with Le = xx) and 61xx (GET RESPONSE until the data are complete).
    public func send(_ command: CommandAPDU) throws -> ResponseAPDU {
        var response = try exchange(command)
        if let length = response.statusWord.correctLength {
            var again = command
            again.expectedLength = length
            response = try exchange(again)
        }
        var data = response.data
        var rounds = 0
        while let remaining = response.statusWord.bytesRemaining {
            rounds += 1
            guard rounds <= 256 else {
                throw SmartCardError(.malformedAPDU, "\(command): the card kept answering 61xx after 256 GET RESPONSE commands")
            }
            let getResponse = CommandAPDU(cla: command.cla & 0x0C, ins: 0xC0, p1: 0, p2: 0, expectedLength: remaining)
            response = try exchange(getResponse)
            data += response.data
        }
        return ResponseAPDU(data: data, statusWord: response.statusWord)
    }

    /// Sends a command that must succeed: its data on 9000, else a typed error naming `what` and the status word.
    public func sendSuccessfully(_ command: CommandAPDU, _ what: String) throws -> [UInt8] {
        try send(command).requireSuccess(what)
    }
}

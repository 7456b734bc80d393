/// The seam between everything that talks to a chip and the way the bytes get there: a PC/SC reader, the virtual
/// chip in the same process, or secure messaging wrapped around either. One command in, its response out.
public protocol CardTransport: AnyObject {
    /// Sends one encoded command APDU and returns the response as the card gave it (data ‖ SW1 SW2).
    func transmit(_ command: [UInt8]) throws -> [UInt8]
}

extension CardTransport {
    /// Sends `command` and completes the ISO/IEC 7816-4 exchanges a T=0 reader leaves to the caller: 6Cxx (send
    /// again with Le = xx) and 61xx (GET RESPONSE until the data are complete).
    public func send(_ command: CommandAPDU) throws -> ResponseAPDU {
        var response = try ResponseAPDU(bytes: transmit(command.encoded()))
        if let length = response.statusWord.correctLength {
            var again = command
            again.expectedLength = length
            response = try ResponseAPDU(bytes: transmit(again.encoded()))
        }
        var data = response.data
        var rounds = 0
        while let remaining = response.statusWord.bytesRemaining {
            rounds += 1
            guard rounds <= 256 else {
                throw SmartCardError(.malformedAPDU, "\(command): the card kept answering 61xx after 256 GET RESPONSE commands")
            }
            let getResponse = CommandAPDU(cla: command.cla & 0x0C, ins: 0xC0, p1: 0, p2: 0, expectedLength: remaining)
            response = try ResponseAPDU(bytes: transmit(getResponse.encoded()))
            data += response.data
        }
        return ResponseAPDU(data: data, statusWord: response.statusWord)
    }

    /// Sends a command that must succeed: its data on 9000, else a typed error naming `what` and the status word.
    public func sendSuccessfully(_ command: CommandAPDU, _ what: String) throws -> [UInt8] {
        try send(command).requireSuccess(what)
    }
}

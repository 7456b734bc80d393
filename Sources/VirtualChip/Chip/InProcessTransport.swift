import SmartCard

/// The virtual chip as a `CardTransport` in the same process: no reader, no pcscd, the same commands and answers.
public final class InProcessTransport: CardTransport {
    public let chip: EMRTDChip

    public init(_ chip: EMRTDChip) {
        self.chip = chip
    }

    public func transmit(_ command: [UInt8]) throws -> [UInt8] {
        chip.process(command)
    }
}

import PKICore
import Testing

@Suite struct DERLengthTests {
    @Test("definite lengths as X.690 §8.1.3 writes them", arguments: [
        (0, [0x00]), (1, [0x01]), (127, [0x7F]), (128, [0x81, 0x80]), (255, [0x81, 0xFF]), (256, [0x82, 0x01, 0x00]),
        (65_535, [0x82, 0xFF, 0xFF]), (65_536, [0x83, 0x01, 0x00, 0x00]), (16_777_216, [0x84, 0x01, 0x00, 0x00, 0x00]),
    ] as [(Int, [UInt8])])
    func lengths(_ length: Int, _ expected: [UInt8]) {
        #expect(DERLength.encode(length) == expected)
        #expect(DERLength.header(0x30, length) == [0x30] + expected)
    }
}

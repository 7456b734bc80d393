/// A facial feature point of ISO/IEC 19794-5:2005 §5.6.
///
/// ```
/// 0  1  feature type     1 = MPEG-4 feature point
/// 1  1  feature point    major code (high nibble) and minor code (low nibble), e.g. 0x31 = 3.1
/// 2  2  horizontal position (pixels)
/// 4  2  vertical position (pixels)
/// 6  2  reserved
/// ```
public struct FeaturePoint: Hashable, Sendable {
    static let length = 8

    public var type: UInt8
    public var code: UInt8
    public var x: UInt16
    public var y: UInt16
    public var reserved: UInt16

    public init(type: UInt8 = 1, major: UInt8, minor: UInt8, x: UInt16, y: UInt16) {
        self.type = type
        self.code = major << 4 | (minor & 0x0F)
        self.x = x
        self.y = y
        self.reserved = 0
    }

    init(bytes: ArraySlice<UInt8>) throws {
        var reader = ByteReader(bytes, what: "ISO/IEC 19794-5 feature point")
        type = try reader.uint8("feature type")
        code = try reader.uint8("feature point")
        x = try reader.uint16("horizontal position")
        y = try reader.uint16("vertical position")
        reserved = try reader.uint16("reserved")
    }

    public var major: UInt8 { code >> 4 }
    public var minor: UInt8 { code & 0x0F }

    func encode() -> [UInt8] {
        var bytes = [type, code]
        bytes.appendBigEndian(x, width: 2)
        bytes.appendBigEndian(y, width: 2)
        bytes.appendBigEndian(reserved, width: 2)
        return bytes
    }
}

/// One finger view of an ISO/IEC 19794-4:2005 record: the Finger Image Header and the image.
///
/// ```
///  0  4  length of the finger data block (header included)
///  4  1  finger/palm position   0 unknown, 1 right thumb … 5 right little, 6 left thumb … 10 left little
///  5  1  count of views
///  6  1  view number
///  7  1  finger/palm image quality
///  8  1  impression type        0 live-scan plain, 1 live-scan rolled, …
///  9  2  horizontal line length (pixels)
/// 11  2  vertical line length (pixels)
/// 13  1  reserved
/// 14  …  image data (compressed as the record header says)
/// ```
public struct FingerImage: Hashable, Sendable {
    static let headerLength = 14

    public var position: UInt8
    public var viewCount: UInt8
    public var viewNumber: UInt8
    public var quality: UInt8
    public var impressionType: UInt8
    public var width: UInt16
    public var height: UInt16
    public var reserved: UInt8
    public var imageData: [UInt8]

    public init(position: UInt8, width: UInt16, height: UInt16, imageData: [UInt8], quality: UInt8 = 0, impressionType: UInt8 = 0) {
        self.position = position
        self.viewCount = 1
        self.viewNumber = 1
        self.quality = quality
        self.impressionType = impressionType
        self.width = width
        self.height = height
        self.reserved = 0
        self.imageData = imageData
    }

    init(bytes: ArraySlice<UInt8>, index: Int) throws {
        let what = "ISO/IEC 19794-4 finger image \(index)"
        var reader = ByteReader(bytes, what: what)
        let length = try reader.uint32("finger data block length")
        guard Int(length) == bytes.count, bytes.count >= Self.headerLength else {
            throw LDSError.malformed(what, "finger data block length \(length) does not fit the \(bytes.count) bytes of the block")
        }
        position = try reader.uint8("finger position")
        viewCount = try reader.uint8("count of views")
        viewNumber = try reader.uint8("view number")
        quality = try reader.uint8("image quality")
        impressionType = try reader.uint8("impression type")
        width = try reader.uint16("horizontal line length")
        height = try reader.uint16("vertical line length")
        reserved = try reader.uint8("reserved")
        imageData = Array(reader.rest())
    }

    func encode() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendBigEndian(UInt32(Self.headerLength + imageData.count), width: 4)
        bytes += [position, viewCount, viewNumber, quality, impressionType]
        bytes.appendBigEndian(width, width: 2)
        bytes.appendBigEndian(height, width: 2)
        bytes.append(reserved)
        return bytes + imageData
    }

    /// "right thumb", "left index finger", … (ISO/IEC 19794-4 Table 2, positions 0 to 10).
    public var positionName: String {
        let names = ["unknown finger", "right thumb", "right index finger", "right middle finger", "right ring finger",
                     "right little finger", "left thumb", "left index finger", "left middle finger", "left ring finger",
                     "left little finger"]
        return Int(position) < names.count ? names[Int(position)] : "position \(position)"
    }
}

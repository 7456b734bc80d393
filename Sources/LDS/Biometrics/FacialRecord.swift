/// A face image record of ISO/IEC 19794-5:2005, the biometric data block of DG2 (Doc 9303-10 §4.7.2).
///
/// ```
/// Facial Record Header (14 bytes)
///   0  4  format identifier "FAC\0"
///   4  4  version "010\0"
///   8  4  length of the whole record, header included
///  12  2  number of facial images
/// then, per image, a `FaceImage` (Facial Information, Feature Points, Image Information, Image Data)
/// ```
/// All integers big-endian. The image stays as the JPEG or JPEG 2000 bytes it arrived in.
public struct FacialRecord: Hashable, Sendable {
    public static let formatIdentifier: [UInt8] = Array("FAC".utf8) + [0]
    public static let version2005: [UInt8] = Array("010".utf8) + [0]
    static let headerLength = 14

    /// The version field as read ("010\0" for the 2005 edition epki writes).
    public var version: [UInt8]
    public var images: [FaceImage]

    public init(images: [FaceImage]) {
        self.version = Self.version2005
        self.images = images
    }

    /// Whether a biometric data block announces itself as a 19794-5 face record.
    public static func isFacialRecord(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.prefix(4).elementsEqual(formatIdentifier)
    }

    public init(bytes: some Collection<UInt8>) throws {
        let data = Array(bytes)
        var reader = ByteReader(data[...], what: "ISO/IEC 19794-5 facial record")
        guard try reader.take(4, "format identifier").elementsEqual(Self.formatIdentifier) else {
            throw LDSError.malformed("ISO/IEC 19794-5 facial record", "format identifier is not \"FAC\\0\"")
        }
        let version = Array(try reader.take(4, "version"))
        guard version == Self.version2005 else {
            throw LDSError(.unsupported, "ISO/IEC 19794-5 facial record: version \(String(decoding: version.prefix(3), as: UTF8.self)) (only the 2005 edition, \"010\", is parsed)")
        }
        let recordLength = try reader.uint32("record length")
        guard Int(recordLength) == data.count else {
            throw LDSError.malformed("ISO/IEC 19794-5 facial record", "record length field says \(recordLength) bytes, the block holds \(data.count)")
        }
        let count = Int(try reader.uint16("number of facial images"))
        var images: [FaceImage] = []
        for index in 0..<count {
            let offset = reader.position
            let length = try ByteReader(data[reader.index...], what: "facial image \(index + 1)").integerPeek(4, "facial record data length")
            let block = try reader.take(Int(length), "facial image \(index + 1) (offset \(offset))")
            images.append(try FaceImage(bytes: block, index: index + 1))
        }
        guard reader.remaining == 0 else {
            throw LDSError.malformed("ISO/IEC 19794-5 facial record", "\(reader.remaining) bytes follow the \(count) facial image(s)")
        }
        self.version = version
        self.images = images
    }

    public func encode() -> [UInt8] {
        let body = images.flatMap { $0.encode() }
        var bytes = Self.formatIdentifier + version
        bytes.appendBigEndian(UInt32(Self.headerLength + body.count), width: 4)
        bytes.appendBigEndian(UInt16(images.count), width: 2)
        return bytes + body
    }
}

extension ByteReader {
    /// Reads an integer without consuming it.
    func integerPeek(_ width: Int, _ field: String) throws -> UInt64 {
        var copy = self
        return try copy.integer(width, field)
    }
}

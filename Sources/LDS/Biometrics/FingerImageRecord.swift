/// A finger image record of ISO/IEC 19794-4:2005, the biometric data block of DG3 (Doc 9303-10 §4.7.3).
///
/// ```
/// General Record Header (32 bytes)
///   0  4  format identifier "FIR\0"
///   4  4  version "010\0"
///   8  6  record length, header included
///  14  2  capture device ID
///  16  2  image acquisition level       10, 20, 30, 31, 40, 41
///  18  1  number of fingers/palms
///  19  1  scale units                   1 pixels per inch, 2 pixels per centimetre
///  20  2  horizontal scan resolution
///  22  2  vertical scan resolution
///  24  2  horizontal image resolution
///  26  2  vertical image resolution
///  28  1  pixel depth (bits)
///  29  1  image compression algorithm   0 uncompressed, 1 bit-packed, 2 WSQ, 3 JPEG, 4 JPEG 2000, 5 PNG
///  30  2  reserved
/// then one `FingerImage` per finger view
/// ```
public struct FingerImageRecord: Hashable, Sendable {
    public static let formatIdentifier: [UInt8] = Array("FIR".utf8) + [0]
    public static let version2005: [UInt8] = Array("010".utf8) + [0]
    static let headerLength = 32

    public var version: [UInt8]
    public var captureDeviceID: UInt16
    public var imageAcquisitionLevel: UInt16
    public var scaleUnits: UInt8
    public var horizontalScanResolution: UInt16
    public var verticalScanResolution: UInt16
    public var horizontalImageResolution: UInt16
    public var verticalImageResolution: UInt16
    public var pixelDepth: UInt8
    public var compressionAlgorithm: UInt8
    public var reserved: UInt16
    public var fingers: [FingerImage]

    /// A record at 500 ppi, 8-bit grey, with the given compression (WSQ or JPEG 2000 in ePassports).
    public init(fingers: [FingerImage], compressionAlgorithm: UInt8, resolution: UInt16 = 500, imageAcquisitionLevel: UInt16 = 31) {
        self.version = Self.version2005
        self.captureDeviceID = 0
        self.imageAcquisitionLevel = imageAcquisitionLevel
        self.scaleUnits = 1
        self.horizontalScanResolution = resolution
        self.verticalScanResolution = resolution
        self.horizontalImageResolution = resolution
        self.verticalImageResolution = resolution
        self.pixelDepth = 8
        self.compressionAlgorithm = compressionAlgorithm
        self.reserved = 0
        self.fingers = fingers
    }

    public static func isFingerImageRecord(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.prefix(4).elementsEqual(formatIdentifier)
    }

    public init(bytes: some Collection<UInt8>) throws {
        let data = Array(bytes)
        let what = "ISO/IEC 19794-4 finger image record"
        var reader = ByteReader(data[...], what: what)
        guard try reader.take(4, "format identifier").elementsEqual(Self.formatIdentifier) else {
            throw LDSError.malformed(what, "format identifier is not \"FIR\\0\"")
        }
        version = Array(try reader.take(4, "version"))
        guard version == Self.version2005 else {
            throw LDSError(.unsupported, "\(what): version \(String(decoding: version.prefix(3), as: UTF8.self)) (only the 2005 edition, \"010\", is parsed)")
        }
        let recordLength = try reader.integer(6, "record length")
        guard recordLength == UInt64(data.count) else {
            throw LDSError.malformed(what, "record length field says \(recordLength) bytes, the block holds \(data.count)")
        }
        captureDeviceID = try reader.uint16("capture device ID")
        imageAcquisitionLevel = try reader.uint16("image acquisition level")
        let count = Int(try reader.uint8("number of fingers/palms"))
        scaleUnits = try reader.uint8("scale units")
        horizontalScanResolution = try reader.uint16("horizontal scan resolution")
        verticalScanResolution = try reader.uint16("vertical scan resolution")
        horizontalImageResolution = try reader.uint16("horizontal image resolution")
        verticalImageResolution = try reader.uint16("vertical image resolution")
        pixelDepth = try reader.uint8("pixel depth")
        compressionAlgorithm = try reader.uint8("image compression algorithm")
        reserved = try reader.uint16("reserved")
        var fingers: [FingerImage] = []
        for index in 0..<count {
            let length = try reader.integerPeek(4, "finger \(index + 1) data block length")
            fingers.append(try FingerImage(bytes: reader.take(Int(length), "finger \(index + 1) data block"), index: index + 1))
        }
        guard reader.remaining == 0 else {
            throw LDSError.malformed(what, "\(reader.remaining) bytes follow the \(count) finger image(s)")
        }
        self.fingers = fingers
    }

    public func encode() -> [UInt8] {
        let body = fingers.flatMap { $0.encode() }
        var bytes = Self.formatIdentifier + version
        bytes.appendBigEndian(UInt64(Self.headerLength + body.count), width: 6)
        bytes.appendBigEndian(captureDeviceID, width: 2)
        bytes.appendBigEndian(imageAcquisitionLevel, width: 2)
        bytes.append(UInt8(truncatingIfNeeded: fingers.count))
        bytes.append(scaleUnits)
        for value in [horizontalScanResolution, verticalScanResolution, horizontalImageResolution, verticalImageResolution] {
            bytes.appendBigEndian(value, width: 2)
        }
        bytes += [pixelDepth, compressionAlgorithm]
        bytes.appendBigEndian(reserved, width: 2)
        return bytes + body
    }

    public var compressionName: String {
        switch compressionAlgorithm {
        case 0: "uncompressed"
        case 1: "bit-packed"
        case 2: "WSQ"
        case 3: "JPEG"
        case 4: "JPEG 2000"
        case 5: "PNG"
        default: "algorithm \(compressionAlgorithm)"
        }
    }
}

/// The image encodings a document's biometrics may use, recognized from their bytes, with the dimensions their
/// headers give: an order's photo must be an image the chip's DG2 can declare (ISO/IEC 19794-5: JPEG or JPEG 2000),
/// and a fingerprint one DG3 can (ISO/IEC 19794-4: WSQ, JPEG, JPEG 2000).
///
/// ```
/// JPEG       FF D8 FF … SOFn (FF C0–CF except C4, C8, CC) { Lf(2) P(1) Y height(2) X width(2) … }
/// JPEG 2000  JP2 file:   00 00 00 0C 6A 50 20 20 0D 0A 87 0A … 'jp2h' { 'ihdr' { HEIGHT(4) WIDTH(4) … } }
///            codestream: FF 4F (SOC) FF 51 (SIZ) { Lsiz(2) Rsiz(2) Xsiz(4) Ysiz(4) XOsiz(4) YOsiz(4) … }
/// WSQ        FF A0 (SOI) … FF A2 (SOF) { Lf(2) A(1) B(1) Y height(2) X width(2) … }
/// ```
public enum ImageFormat: String, Sendable, Codable {
    case jpeg
    case jpeg2000
    case wsq

    /// An image's format and size as its header states them.
    public struct Header: Sendable, Hashable {
        public let format: ImageFormat
        public let width: Int
        public let height: Int

        public init(format: ImageFormat, width: Int, height: Int) {
            self.format = format
            self.width = width
            self.height = height
        }
    }

    /// Reads the header of `bytes`; nil when they are not a JPEG, JPEG 2000 or WSQ image with a readable size.
    public static func header(of bytes: [UInt8]) -> Header? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return jpeg(bytes) }
        if bytes.starts(with: [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A]) { return jp2(bytes) }
        if bytes.starts(with: [0xFF, 0x4F, 0xFF, 0x51]) { return codestream(bytes, at: 2) }
        if bytes.starts(with: [0xFF, 0xA0]) { return wsq(bytes) }
        return nil
    }

    private static func uint(_ bytes: [UInt8], _ offset: Int, _ count: Int) -> Int? {
        guard offset >= 0, offset + count <= bytes.count else { return nil }
        return bytes[offset..<(offset + count)].reduce(0) { $0 << 8 | Int($1) }
    }

    private static func sized(_ format: ImageFormat, _ width: Int?, _ height: Int?) -> Header? {
        guard let width, let height, width > 0, height > 0 else { return nil }
        return Header(format: format, width: width, height: height)
    }

    /// Walks the marker segments to the first start-of-frame.
    private static func jpeg(_ bytes: [UInt8]) -> Header? {
        var offset = 2
        while offset + 4 <= bytes.count {
            guard bytes[offset] == 0xFF else { return nil }
            let marker = bytes[offset + 1]
            if marker == 0xFF { offset += 1; continue }  // fill bytes before a marker
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { offset += 2; continue }
            guard marker != 0xD9, marker != 0xDA, let length = uint(bytes, offset + 2, 2), length >= 2 else { return nil }
            if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) {
                return sized(.jpeg, uint(bytes, offset + 7, 2), uint(bytes, offset + 5, 2))
            }
            offset += 2 + length
        }
        return nil
    }

    /// Walks the JP2 boxes to the image header box inside the header superbox, or to the codestream.
    private static func jp2(_ bytes: [UInt8]) -> Header? {
        func boxes(_ start: Int, _ end: Int) -> Header? {
            var offset = start
            while offset + 8 <= end {
                guard var length = uint(bytes, offset, 4) else { return nil }
                let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
                var header = 8
                if length == 1 {
                    guard let extended = uint(bytes, offset + 8, 8) else { return nil }
                    length = extended
                    header = 16
                } else if length == 0 {
                    length = end - offset
                }
                guard length >= header, offset + length <= end else { return nil }
                switch type {
                case "jp2h": return boxes(offset + header, offset + length)
                case "ihdr": return sized(.jpeg2000, uint(bytes, offset + header + 4, 4), uint(bytes, offset + header, 4))
                case "jp2c": return codestream(bytes, at: offset + header + 2)
                default: offset += length
                }
            }
            return nil
        }
        return boxes(0, bytes.count)
    }

    /// The SIZ segment that follows SOC: the reference grid less the image offset.
    private static func codestream(_ bytes: [UInt8], at siz: Int) -> Header? {
        guard uint(bytes, siz, 2) == 0xFF51, let xsiz = uint(bytes, siz + 6, 4), let ysiz = uint(bytes, siz + 10, 4),
              let xo = uint(bytes, siz + 14, 4), let yo = uint(bytes, siz + 18, 4) else { return nil }
        return sized(.jpeg2000, xsiz - xo, ysiz - yo)
    }

    /// WSQ's markers (FBI IAFIS-IC-0110): tables and comments before the frame header.
    private static func wsq(_ bytes: [UInt8]) -> Header? {
        var offset = 2
        while offset + 4 <= bytes.count {
            guard bytes[offset] == 0xFF, let length = uint(bytes, offset + 2, 2), length >= 2 else { return nil }
            if bytes[offset + 1] == 0xA2 { return sized(.wsq, uint(bytes, offset + 8, 2), uint(bytes, offset + 6, 2)) }
            offset += 2 + length
        }
        return nil
    }
}

import Foundation
import LDS
import Personalization
import Testing

/// Orders are checked before anything is made: the MRZ and its check digits, the secrets, the images' headers.
@Suite struct DocumentOrderTests {
    @Test func imageHeadersGiveFormatAndSize() throws {
        #expect(ImageFormat.header(of: LineFixture.photo) == ImageFormat.Header(format: .jpeg, width: 480, height: 640))
        #expect(ImageFormat.header(of: LineFixture.fingerprint(1)) == ImageFormat.Header(format: .wsq, width: 400, height: 500))
        // A JP2 file: signature box, file type box, then the header superbox with the image header (ISO/IEC 15444-1 Annex I).
        let jp2: [UInt8] = [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A,
                            0x00, 0x00, 0x00, 0x14, 0x66, 0x74, 0x79, 0x70, 0x6A, 0x70, 0x32, 0x20, 0x00, 0x00, 0x00, 0x00, 0x6A, 0x70, 0x32, 0x20,
                            0x00, 0x00, 0x00, 0x1E, 0x6A, 0x70, 0x32, 0x68,
                            0x00, 0x00, 0x00, 0x16, 0x69, 0x68, 0x64, 0x72, 0x00, 0x00, 0x02, 0x80, 0x00, 0x00, 0x01, 0xE0, 0x00, 0x03, 0x07, 0x07, 0x00, 0x00]
        #expect(ImageFormat.header(of: jp2) == ImageFormat.Header(format: .jpeg2000, width: 480, height: 640))
        // A raw codestream: SOC, SIZ with a 10-pixel image offset.
        let j2k: [UInt8] = [0xFF, 0x4F, 0xFF, 0x51, 0x00, 0x29, 0x00, 0x00, 0x00, 0x00, 0x01, 0xEA, 0x00, 0x00, 0x02, 0x8A,
                            0x00, 0x00, 0x00, 0x0A, 0x00, 0x00, 0x00, 0x0A]
        #expect(ImageFormat.header(of: j2k) == ImageFormat.Header(format: .jpeg2000, width: 480, height: 640))
        for bad: [UInt8] in [[], [0xFF, 0xD8, 0xFF], Array("GIF89a".utf8), [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02], Array(LineFixture.photo.prefix(24))] {
            #expect(ImageFormat.header(of: bad) == nil)
        }
    }

    @Test func theMRZIsBuiltFromFieldsOrCheckedWhenGiven() throws {
        let built = try LineFixture.order("UTO000009").validated()
        #expect(built.mrz.isValid && built.mrz.documentNumber == "UTO000009" && built.mrz.lines[1].hasPrefix("UTO000009"))
        var given = LineFixture.order("X")
        given.fields = nil
        given.mrz = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
        #expect(try given.validated().documentNumber == "L898902C3")

        func refusal(_ change: (inout DocumentOrder) -> Void) -> String {
            var order = given
            change(&order)
            do {
                _ = try order.validated()
                return "accepted"
            } catch let error as PersonalizationError {
                return error.reason
            } catch {
                return "\(error)"
            }
        }
        let composite = refusal { order in order.mrz = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<11"] }
        #expect(composite.hasPrefix("mrz: ") && composite.contains("composite"), "\(composite)")
        #expect(refusal { $0.mrz = ["P<UTO"] }.contains("TD1"))
        #expect(refusal { $0.can = "12345" }.hasPrefix("can:"))
        #expect(refusal { $0.photo = nil }.hasPrefix("photo:"))
        #expect(refusal { $0.fingerprints = [.init(position: 11, image: LineFixture.fingerprint(1))] }.hasPrefix("fingerprints[0].position"))
        #expect(refusal { $0.fingerprints = [.init(position: 2, image: [1, 2, 3])] }.hasPrefix("fingerprints[0].image"))
        #expect(refusal { $0.dg11 = ["shoeSize": "42"] }.hasPrefix("dg11.shoeSize"))
        #expect(refusal { $0.fields = LineFixture.order("Y").fields }.contains("not both"))
    }

    @Test func anOrderFileNamesTheBrokenField() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("epki-order-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("o.json")
        try Data(#"{"mrz": ["a", 3]}"#.utf8).write(to: url)
        #expect(throws: PersonalizationError.self) { try DocumentOrder.load(url) }
        // A photo by file, next to the order.
        try Data(LineFixture.photo).write(to: directory.appendingPathComponent("face.jpg"))
        var order = LineFixture.order("UTO000010")
        order.photo = nil
        order.photoFile = "face.jpg"
        try JSONEncoder().encode(order).write(to: url)
        let (loaded, folder) = try DocumentOrder.load(url)
        #expect(try loaded.validated(folder: folder).photo == LineFixture.photo)
    }
}

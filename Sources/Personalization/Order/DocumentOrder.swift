import Foundation
import LDS
import PKICore

/// A document order as a line receives it from the issuing system: who the holder is, what the MRZ says, the
/// secrets printed on or mailed with the document, and the biometrics captured at enrolment.
///
/// ```
/// {
///   "mrz": ["P<UTOERIKSSON<<ANNA<MARIA<<<…", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"],   or
///   "fields": { "format": "TD3", "documentCode": "P", "issuingState": "UTO", "primaryIdentifier": "ERIKSSON",
///               "secondaryIdentifier": "ANNA MARIA", "documentNumber": "L898902C3", "nationality": "UTO",
///               "dateOfBirth": "740812", "sex": "F", "dateOfExpiry": "120415", "optionalData": "ZE184226B" },
///   "can": "123456",                       the card access number printed on the data page (PACE)
///   "pin": "1234",                         optional (residence permits, eID)
///   "photo": "<base64 JPEG or JPEG 2000>"  or "photoFile": "face.jp2" (relative to the order's folder)
///   "fingerprints": [ { "position": 1, "image": "<base64 WSQ>" | "imageFile": "…" } ],        optional → DG3
///   "dg11": { "fullName": "ERIKSSON<<ANNA<MARIA", "placeOfBirth": "ZENITH", … },             optional
///   "dg12": { "issuingAuthority": "UTOPIA", "dateOfIssue": "20261201", … }                   optional
/// }
/// ```
/// DG11 and DG12 keys are the names of `DG11.Field` and `DG12.Field` (Doc 9303-10 §4.7.11–12).
public struct DocumentOrder: Codable, Sendable, Hashable {
    public struct Fingerprint: Codable, Sendable, Hashable {
        /// ISO/IEC 19794-4 finger position: 1 right thumb … 10 left little finger.
        public var position: Int
        public var image: String?
        public var imageFile: String?

        public init(position: Int, image: [UInt8]) {
            self.position = position
            self.image = Data(image).base64EncodedString()
        }
    }

    public var mrz: [String]?
    /// The MRZ fields, when the order leaves the check digits to the line (`MRZFields`, optional data optional).
    public var fields: MRZFields?
    public var can: String?
    public var pin: String?
    public var photo: String?
    public var photoFile: String?
    public var fingerprints: [Fingerprint]?
    public var dg11: [String: String]?
    public var dg12: [String: String]?

    public init(mrz: [String], can: String?, photo: [UInt8], fingerprints: [Fingerprint]? = nil) {
        self.mrz = mrz
        self.can = can
        self.photo = Data(photo).base64EncodedString()
        self.fingerprints = fingerprints
    }

    /// Reads an order file; `photoFile` and `imageFile` are taken relative to its folder.
    public static func load(_ url: URL) throws -> (order: DocumentOrder, folder: URL) {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw PersonalizationError(.invalidOrder, "cannot read the order '\(url.path)'")
        }
        do {
            return (try JSONDecoder().decode(DocumentOrder.self, from: data), url.deletingLastPathComponent())
        } catch let error as DecodingError {
            throw PersonalizationError(.invalidOrder, "\(url.lastPathComponent): \(Self.describe(error))")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop { $0 == "." }.description
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context).isEmpty ? "the order" : path(context)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context).isEmpty ? "" : path(context) + ".")\(key.stringValue) is missing"
        @unknown default:
            return "\(error)"
        }
    }

    /// Checks everything that can be checked without a key or a card, so that a bad order is refused before the
    /// line makes anything: the MRZ and its check digits, the secrets, that the photo and fingerprints are images.
    public func validated(folder: URL? = nil) throws -> ValidatedOrder {
        func fail(_ field: String, _ reason: String) -> PersonalizationError {
            PersonalizationError(.invalidOrder, "\(field): \(reason)")
        }
        let zone: MRZ
        switch (mrz, fields) {
        case (let lines?, nil):
            do { zone = try MRZ(lines: lines) } catch let error as LDSError { throw fail("mrz", error.reason) }
            guard zone.isValid else { throw fail("mrz", zone.findings.joined(separator: "; ")) }
        case (nil, let given?):
            do {
                zone = try MRZ(fields: given)
            } catch let error as LDSError {
                throw fail("fields", error.reason)
            }
        case (nil, nil): throw fail("mrz", "give the MRZ lines (mrz) or its fields (fields)")
        case (_?, _?): throw fail("mrz", "give mrz or fields, not both")
        }
        for (name, value) in [("dateOfBirth", zone.dateOfBirth), ("dateOfExpiry", zone.dateOfExpiry)] {
            guard Self.isDate(value) else { throw fail("mrz", "the \(name) '\(value)' is not a date YYMMDD") }
        }
        guard !zone.documentNumber.isEmpty else { throw fail("mrz", "the document number is empty") }
        if let can {
            guard can.count == 6, can.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw fail("can", "a card access number is six digits, not '\(can)'") }
        }
        if let pin {
            guard (4...10).contains(pin.count), pin.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw fail("pin", "a PIN is 4 to 10 digits") }
        }
        let photoBytes = try Self.bytes(photo, file: photoFile, folder: folder, field: "photo")
        guard let photoBytes else { throw fail("photo", "the order has no photo (photo or photoFile); DG2 is mandatory") }
        guard let photoHeader = ImageFormat.header(of: photoBytes), photoHeader.format != .wsq else {
            throw fail("photo", "the \(photoBytes.count) bytes are not a JPEG or JPEG 2000 image (first bytes \(photoBytes.prefix(4).hexString))")
        }
        guard photoHeader.width <= 0xFFFF, photoHeader.height <= 0xFFFF else { throw fail("photo", "the image is larger than 65535 pixels") }
        var fingers: [ValidatedOrder.Finger] = []
        for (index, finger) in (fingerprints ?? []).enumerated() {
            let field = "fingerprints[\(index)]"
            guard (1...10).contains(finger.position) else { throw fail(field + ".position", "\(finger.position) is not a finger position 1 to 10") }
            guard let image = try Self.bytes(finger.image, file: finger.imageFile, folder: folder, field: field + ".image") else {
                throw fail(field, "no image (image or imageFile)")
            }
            guard let header = ImageFormat.header(of: image) else {
                throw fail(field + ".image", "the \(image.count) bytes are not a WSQ, JPEG or JPEG 2000 image")
            }
            guard header.width <= 0xFFFF, header.height <= 0xFFFF else { throw fail(field + ".image", "the image is larger than 65535 pixels") }
            fingers.append(ValidatedOrder.Finger(position: UInt8(finger.position), image: image, header: header))
        }
        guard Set(fingers.map(\.position)).count == fingers.count else { throw fail("fingerprints", "a finger position is given twice") }
        let dg11 = try self.dg11.map { values -> DG11 in
            var group = DG11()
            for (name, value) in values.sorted(by: { $0.key < $1.key }) {
                guard let field = DG11.Field.allCases.first(where: { "\($0)" == name }) else {
                    throw fail("dg11.\(name)", "not a DG11 field; one of \(DG11.Field.allCases.map { "\($0)" }.joined(separator: ", "))")
                }
                group.setBytes(field, Array(value.utf8))
            }
            return group
        }
        let dg12 = try self.dg12.map { values -> DG12 in
            var group = DG12()
            for (name, value) in values.sorted(by: { $0.key < $1.key }) {
                guard let field = DG12.Field.allCases.first(where: { "\($0)" == name }) else {
                    throw fail("dg12.\(name)", "not a DG12 field; one of \(DG12.Field.allCases.map { "\($0)" }.joined(separator: ", "))")
                }
                group.setBytes(field, Array(value.utf8))
            }
            return group
        }
        return ValidatedOrder(mrz: zone, can: can, pin: pin, photo: photoBytes, photoHeader: photoHeader, fingers: fingers, dg11: dg11, dg12: dg12)
    }

    private static func isDate(_ text: String) -> Bool {
        let digits = text.compactMap { $0.wholeNumberValue }
        guard text.count == 6, digits.count == 6 else { return false }
        let month = digits[2] * 10 + digits[3], day = digits[4] * 10 + digits[5]
        return (1...12).contains(month) && (1...31).contains(day)
    }

    private static func bytes(_ base64: String?, file: String?, folder: URL?, field: String) throws -> [UInt8]? {
        switch (base64, file) {
        case (let text?, nil):
            guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters), !data.isEmpty else {
                throw PersonalizationError(.invalidOrder, "\(field): not base64")
            }
            return Array(data)
        case (nil, let path?):
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : (folder ?? URL(fileURLWithPath: ".")).appendingPathComponent(path)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw PersonalizationError(.invalidOrder, "\(field)File: cannot read '\(url.path)'")
            }
            return Array(data)
        case (nil, nil): return nil
        case (_?, _?): throw PersonalizationError(.invalidOrder, "\(field): give the image inline or as a file, not both")
        }
    }
}

/// An order that passed every check that needs no key and no card.
public struct ValidatedOrder: Sendable {
    public struct Finger: Sendable {
        public let position: UInt8
        public let image: [UInt8]
        public let header: ImageFormat.Header
    }

    public let mrz: MRZ
    public let can: String?
    public let pin: String?
    public let photo: [UInt8]
    public let photoHeader: ImageFormat.Header
    public let fingers: [Finger]
    public let dg11: DG11?
    public let dg12: DG12?

    public var documentNumber: String { mrz.documentNumber }
}

import ChipAccess
import CVC
import Foundation
import LDS
import PKICore
import SmartCard
import SwiftASN1

/// Writes a chip's content into a blank chip through a `CardTransport`, with the personalization commands of the
/// suite's chip profile (ISO/IEC 7816-4 file management and the JMRTD applet's PUT DATA tags; see the virtual
/// chip's `ChipPersonalization` for the chip side):
///
/// ```
/// probe     SELECT LDS1 (00 A4 04 0C AID) 9000, SELECT EF.COM (00 A4 02 0C 011E) → 6A82 blank
///                                                            9000 written before, 6982 locked: refused
/// files     SELECT MF or LDS1; per file CREATE FILE 00 E0 00 00 62 { 80 size, 82 01, 83 FID };
///           UPDATE BINARY 00 D6 offset data (offsets ≤ 32767), 00 D7 00 00 { 54 offset, 53 data } beyond
/// secrets   PUT DATA 62 MRZ, 65 CAN, 66 PIN, 63 CA key, 60 AA key (+ 69 its hash), 0n 64 trust points
///           (oldest first: each goes in front), 68 the chip's date
/// lock      PUT DATA DE AD
/// ```
/// Every command must answer 9000; anything else stops the write with the command and status word named.
public struct ChipWriter {
    public struct Statistics: Sendable, Hashable, Codable {
        public var commands = 0
        public var bytesSent = 0
        public var bytesReceived = 0
    }

    /// What has been written so far, for the journal: the files done and the step.
    public enum Progress: Sendable {
        case probed
        case file(name: String, index: Int, of: Int)
        case secrets
        case locked
    }

    public let transport: any CardTransport
    public var chunk: Int
    public private(set) var statistics = Statistics()

    public init(transport: any CardTransport, chunk: Int = 223) {
        self.transport = transport
        self.chunk = chunk
    }

    static let selectApplication = CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01])
    static let selectMasterFile = CommandAPDU(ins: 0xA4, p1: 0x00, p2: 0x0C, data: [0x3F, 0x00])

    mutating func send(_ command: CommandAPDU, _ what: String) throws -> ResponseAPDU {
        let encoded = try command.encoded()
        let response: ResponseAPDU
        do {
            response = try transport.send(command)
        } catch {
            throw PersonalizationError(.cardFailed, "\(what): the card did not answer (\(error))")
        }
        statistics.commands += 1
        statistics.bytesSent += encoded.count
        statistics.bytesReceived += response.data.count + 2
        return response
    }

    mutating func require(_ command: CommandAPDU, _ what: String) throws {
        let response = try send(command, what)
        guard response.statusWord.isSuccess else {
            if response.statusWord == .conditionsOfUseNotSatisfied {
                throw PersonalizationError(.cardNotBlank, "\(what): the chip answers \(response.statusWord): it is locked (personalized before)")
            }
            throw PersonalizationError(.cardFailed, "\(what): the chip answers \(response.statusWord)")
        }
    }

    /// Refuses a card that is not a blank chip: locked, or with files from an earlier (perhaps failed) attempt.
    public mutating func probeBlank() throws {
        let application = try send(Self.selectApplication, "SELECT the LDS1 application")
        guard application.statusWord.isSuccess else {
            throw PersonalizationError(.cardNotBlank, "SELECT the LDS1 application: the chip answers \(application.statusWord): not an eMRTD chip")
        }
        let com = try send(CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x01, 0x1E]), "SELECT EF.COM")
        switch com.statusWord {
        case .fileNotFound: break
        case .success: throw PersonalizationError(.cardNotBlank, "the chip has EF.COM already: it was written before (a failed or finished card); it is not used again")
        case .securityStatusNotSatisfied: throw PersonalizationError(.cardNotBlank, "the chip wants access control before SELECT: it is locked (personalized before)")
        default: throw PersonalizationError(.cardNotBlank, "SELECT EF.COM: the chip answers \(com.statusWord)")
        }
        // The master file's files are written before the application's: a card given up (pulled, or its line
        // killed) before EF.COM was created still has EF.ATR/INFO, and without this look the line would make keys
        // and sign an SOD for it before CREATE FILE failed.
        try require(Self.selectMasterFile, "SELECT the master file")
        for (identifier, name) in [(UInt16(0x2F01), "EF.ATR/INFO"), (0x011C, "EF.CardAccess")] {
            let file = try send(CommandAPDU(ins: 0xA4, p1: 0x02, p2: 0x0C, data: [UInt8(identifier >> 8), UInt8(identifier & 0xFF)]), "SELECT \(name)")
            switch file.statusWord {
            case .fileNotFound: continue
            case .success: throw PersonalizationError(.cardNotBlank, "the chip has \(name) already: it was written before (a failed card); it is not used again")
            default: throw PersonalizationError(.cardNotBlank, "SELECT \(name): the chip answers \(file.statusWord)")
            }
        }
    }

    /// Creates and writes every file, master file first.
    public mutating func writeFiles(_ content: ChipContent, progress: (Progress) throws -> Void = { _ in }) throws {
        var directory: ChipContent.File.Place?
        for (index, file) in content.files.enumerated() {
            if directory != file.place {
                try require(file.place == .masterFile ? Self.selectMasterFile : Self.selectApplication,
                            file.place == .masterFile ? "SELECT the master file" : "SELECT the LDS1 application")
                directory = file.place
            }
            try write(file)
            try progress(.file(name: file.name, index: index + 1, of: content.files.count))
        }
    }

    mutating func write(_ file: ChipContent.File) throws {
        guard file.bytes.count <= 0xFFFF else { throw PersonalizationError(.invalidOrder, "\(file.name): \(file.bytes.count) bytes, more than a file holds") }
        let size = file.bytes.count
        let fcp: [UInt8] = [0x80, 0x02, UInt8(size >> 8), UInt8(size & 0xFF), 0x82, 0x01, 0x01, 0x83, 0x02,
                            UInt8(file.identifier >> 8), UInt8(file.identifier & 0xFF)]
        try require(CommandAPDU(ins: 0xE0, p1: 0, p2: 0, data: [0x62, UInt8(fcp.count)] + fcp), "CREATE FILE \(file.name)")
        var offset = 0
        while offset < size {
            let piece = Array(file.bytes[offset..<min(size, offset + chunk)])
            let command: CommandAPDU
            if offset <= 0x7FFF {
                command = CommandAPDU(ins: 0xD6, p1: UInt8(offset >> 8), p2: UInt8(offset & 0xFF), data: piece)
            } else {
                let position: [UInt8] = offset <= 0xFFFF ? [UInt8(offset >> 8), UInt8(offset & 0xFF)]
                    : [UInt8(offset >> 16), UInt8((offset >> 8) & 0xFF), UInt8(offset & 0xFF)]
                command = CommandAPDU(ins: 0xD7, p1: 0, p2: 0, data: SimpleTLV.encode(0x54, position) + SimpleTLV.encode(0x53, piece))
            }
            try require(command, "UPDATE BINARY \(file.name) at \(offset)")
            offset += piece.count
        }
    }

    /// The secrets and keys, then the trust points and the date.
    public mutating func putSecrets(_ content: ChipContent) throws {
        try require(Self.selectApplication, "SELECT the LDS1 application")
        let mrz = content.mrz
        let seed = SimpleTLV.encode(0x04, Array(mrz.documentNumber.utf8)) + SimpleTLV.encode(0x04, Array(mrz.dateOfBirth.utf8))
            + SimpleTLV.encode(0x04, Array(mrz.dateOfExpiry.utf8))
        try require(CommandAPDU(ins: 0xDA, p1: 0x00, p2: 0x62, data: SimpleTLV.encode(0x62, seed)), "PUT DATA MRZ secret")
        if let can = content.can { try require(CommandAPDU(ins: 0xDA, p1: 0x00, p2: 0x65, data: Array(can.utf8)), "PUT DATA CAN") }
        if let pin = content.pin { try require(CommandAPDU(ins: 0xDA, p1: 0x00, p2: 0x66, data: Array(pin.utf8)), "PUT DATA PIN") }
        if let key = content.keys.chipAuthentication {
            var serializer = DER.Serializer()
            try serializer.serialize(key.curve.oid)
            let oid = serializer.serializedBytes
            let value = SimpleTLV.encode(0x06, Array(oid.dropFirst(2))) + SimpleTLV.encode(0x04, key.privateScalar)
            try require(CommandAPDU(ins: 0xDA, p1: 0x00, p2: 0x63, data: SimpleTLV.encode(0x63, value)), "PUT DATA Chip Authentication key")
        }
        if let key = content.keys.activeAuthentication {
            try require(CommandAPDU(ins: 0xDA, p1: 0x00, p2: 0x60, data: try key.plainPKCS8ForSealing()), "PUT DATA Active Authentication key")
            if let hash = content.activeAuthenticationHash {
                try require(CommandAPDU(ins: 0xDA, p1: 0x00, p2: 0x69, data: Array(hash.rawValue.utf8)), "PUT DATA Active Authentication hash")
            }
        }
        for (slot, point) in content.trustPoints.reversed().enumerated() {
            try require(CommandAPDU(ins: 0xDA, p1: UInt8(slot + 1), p2: 0x64, data: try point.encoded), "PUT DATA trust point \(point.chr)")
        }
        if let date = content.chipDate {
            try require(CommandAPDU(ins: 0xDA, p1: 0x00, p2: 0x68, data: date.encoded), "PUT DATA current date \(date)")
        }
    }

    /// Ends personalization for good: the chip becomes operational and refuses every write.
    public mutating func lock() throws {
        try require(CommandAPDU(ins: 0xDA, p1: 0xDE, p2: 0xAD), "PUT DATA lock")
    }
}

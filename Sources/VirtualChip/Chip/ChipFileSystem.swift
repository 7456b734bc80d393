import Foundation
import PKICore

/// The files of an eMRTD chip (ICAO Doc 9303-10 §3.11–3.12, §4.6), in the two places a chip keeps them.
///
/// ```
/// MF (master file)                 EF.ATR/INFO 2F01, EF.CardAccess 011C, EF.CardSecurity 011D
/// LDS1 eMRTD application            AID A0 00 00 02 47 10 01
///   EF.COM 011E (SFI 1E), EF.SOD 011D (SFI 1D), EF.CVCA 011C (SFI 1C), EF.DG1…DG16 0101…0110 (SFI 01…10)
/// ```
/// Files in the master file are readable by anyone; the application's files only under secure messaging after
/// BAC or PACE (Doc 9303-11 §4.2), DG3 and DG4 only after Terminal Authentication.
public struct ChipFileSystem: Sendable, Hashable, Codable {
    public enum Directory: String, Sendable, Hashable, Codable {
        case masterFile
        case application
    }

    public static let ldsApplicationIdentifier: [UInt8] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01]

    public static let efATRInfo: UInt16 = 0x2F01
    public static let efCardAccess: UInt16 = 0x011C
    public static let efCardSecurity: UInt16 = 0x011D
    public static let efCOM: UInt16 = 0x011E
    public static let efSOD: UInt16 = 0x011D
    public static let efCVCA: UInt16 = 0x011C

    public var masterFile: [UInt16: [UInt8]]
    public var application: [UInt16: [UInt8]]

    public init(masterFile: [UInt16: [UInt8]] = [:], application: [UInt16: [UInt8]] = [:]) {
        self.masterFile = masterFile
        self.application = application
    }

    public func file(_ identifier: UInt16, in directory: Directory) -> [UInt8]? {
        directory == .masterFile ? masterFile[identifier] : application[identifier]
    }

    /// The file with short identifier `sfi` (its identifier's low byte, Doc 9303-10 Table 37) in `directory`.
    public func fileIdentifier(shortIdentifier sfi: UInt8, in directory: Directory) -> UInt16? {
        let files = directory == .masterFile ? masterFile : application
        // Every eMRTD file's short identifier is the low five bits of its identifier, unique within a directory.
        return files.keys.first { UInt8($0 & 0x1F) == sfi }
    }

    enum CodingKeys: String, CodingKey {
        case masterFile, application
    }

    /// Each directory as { "011E": "<Base64>" }: compact, and readable enough to see which files a state holds.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func directory(_ key: CodingKeys) throws -> [UInt16: [UInt8]] {
            var files: [UInt16: [UInt8]] = [:]
            for (name, content) in try container.decode([String: String].self, forKey: key) {
                guard name.count == 4, let identifier = UInt16(name, radix: 16), let bytes = Data(base64Encoded: content) else {
                    throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "file '\(name)' is not a hex FID with Base64 content")
                }
                files[identifier] = Array(bytes)
            }
            return files
        }
        masterFile = try directory(.masterFile)
        application = try directory(.application)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        func names(_ files: [UInt16: [UInt8]]) -> [String: String] {
            Dictionary(uniqueKeysWithValues: files.map { ([UInt8($0.key >> 8), UInt8($0.key & 0xFF)].hexString, Data($0.value).base64EncodedString()) })
        }
        try container.encode(names(masterFile), forKey: .masterFile)
        try container.encode(names(application), forKey: .application)
    }

    /// The identifier of data group `number` (1…16).
    public static func dataGroup(_ number: Int) -> UInt16 { UInt16(0x0100 + number) }
}

import LDS
import PKICore

/// The encoding of the data groups an inspection reads, checked against Doc 9303-10 before anything of them is
/// shown: a data group can be what the issuer signed and still be malformed (a personalization fault), and an
/// officer must not be shown a face or fingers decoded from a file that does not follow the LDS. Each check names
/// what is wrong; an empty list is a well-formed group.
///
/// ```
/// DG1           61 { 5F1F MRZ }, the MRZ of a known format
/// DG2/DG3/DG4   75/63/76 { 7F61 { 02 count, 7F60 { A1 BHT, 5F2E record } × count } }
///   BHT         87 format owner 0101 (ISO/IEC JTC 1 SC 37), 88 format type 0008 face / 0007 finger / 0009 iris,
///               81 biometric type (if present) face 02 / finger 08 / iris 10, 82 subtype: a valid ISO/IEC 19785-3
///               value, and present for fingers and irises (which finger, which eye: BSI TR-03105-5.1 LDS_D_13 and
///               LDS_E_12 fail a DG3/DG4 without it)
///   record      ISO/IEC 19794-5/-4/-6: starts with "FAC\0" / "FIR\0" / "IIR\0"
/// ```
enum DataGroupEncoding {
    struct Biometric: Sendable {
        let tag: UInt32
        let type: UInt8
        let formatType: UInt16
        let recordFormat: [UInt8]
        let subtypeRequired: Bool
        let validSubtype: @Sendable (UInt8) -> Bool
    }

    static let biometrics: [Int: Biometric] = [
        2: Biometric(tag: 0x75, type: 0x02, formatType: 0x0008, recordFormat: Array("FAC".utf8) + [0], subtypeRequired: false, validSubtype: { _ in true }),
        // Finger: bit 1 right, bit 2 left (not both), bits 3–5 the finger (thumb … little finger), nothing above.
        3: Biometric(tag: 0x63, type: 0x08, formatType: 0x0007, recordFormat: Array("FIR".utf8) + [0], subtypeRequired: true,
                     validSubtype: { $0 & 0xE0 == 0 && $0 & 0x03 != 0x03 && ($0 >> 2) <= 5 }),
        // Iris: no information, right eye or left eye.
        4: Biometric(tag: 0x76, type: 0x10, formatType: 0x0009, recordFormat: Array("IIR".utf8) + [0], subtypeRequired: true,
                     validSubtype: { $0 <= 0x02 }),
    ]

    /// Whether there is anything to check for data group `number`.
    static func checks(_ number: Int) -> Bool { number == 1 || biometrics[number] != nil }

    /// What is wrong with the encoding of data group `number`.
    static func problems(_ number: Int, _ bytes: [UInt8]) -> [String] {
        if number == 1 {
            do {
                _ = try DG1(bytes: bytes)
                return []
            } catch {
                return ["\(error)"]
            }
        }
        guard let profile = biometrics[number] else { return [] }
        do {
            return try biometricProblems(profile, bytes)
        } catch {
            return ["\(error)"]
        }
    }

    static func biometricProblems(_ profile: Biometric, _ bytes: [UInt8]) throws -> [String] {
        let what = "DG data"
        let outer = try BERTLV.parseSingle(bytes[...], what: what)
        guard outer.tag == profile.tag else { return ["starts with tag \(outer.tagHex), not \(BERTLV.tagHex(profile.tag))"] }
        let children = try outer.children(what)
        guard children.count == 1, let group = children.first, group.tag == 0x7F61 else {
            return ["does not hold exactly one biometric information group template (7F61)"]
        }
        let elements = try group.children(what)
        guard let count = elements.first, count.tag == 0x02, (1...2).contains(count.value.count) else {
            return ["the group template does not start with the number of instances (02)"]
        }
        let instances = Array(elements.dropFirst())
        var problems: [String] = []
        let declared = count.value.reduce(0) { $0 << 8 | Int($1) }
        if declared != instances.count { problems.append("the group template announces \(declared) instance(s) but holds \(instances.count)") }
        for (index, instance) in instances.enumerated() {
            let name = "instance \(index + 1)"
            guard instance.tag == 0x7F60 else {
                problems.append("\(name): tag \(instance.tagHex), not 7F60")
                continue
            }
            let parts = try instance.children(what)
            guard let header = parts.first, header.tag == 0xA1 else {
                problems.append("\(name): no biometric header template (A1)")
                continue
            }
            let fields = try header.children(what)
            func number(_ tag: UInt32) -> Int? { fields.first { $0.tag == tag }.map { $0.value.reduce(0) { $0 << 8 | Int($1) } } }
            switch number(0x87) {
            case nil: problems.append("\(name): no format owner (87)")
            case 0x0101?: break
            case let owner?: problems.append("\(name): format owner \(String(owner, radix: 16, uppercase: true)), not 0101")
            }
            switch number(0x88) {
            case nil: problems.append("\(name): no format type (88)")
            case Int(profile.formatType)?: break
            case let type?: problems.append("\(name): format type \(String(type, radix: 16, uppercase: true)), not \(String(profile.formatType, radix: 16, uppercase: true))")
            }
            if let type = number(0x81), type != Int(profile.type) {
                problems.append("\(name): biometric type \(String(type, radix: 16, uppercase: true)), not \(String(profile.type, radix: 16, uppercase: true))")
            }
            if let subtype = fields.first(where: { $0.tag == 0x82 }) {
                if subtype.value.count != 1 || !profile.validSubtype(subtype.value.first!) {
                    problems.append("\(name): biometric subtype \(subtype.value.hexString) is not a valid value")
                }
            } else if profile.subtypeRequired {
                problems.append("\(name): no biometric subtype (82)")
            }
            guard let block = parts.dropFirst().first(where: { $0.tag == 0x5F2E || $0.tag == 0x7F2E }) else {
                problems.append("\(name): no biometric data block (5F2E)")
                continue
            }
            if !block.value.starts(with: profile.recordFormat) {
                problems.append("\(name): the record's format identifier is \(block.value.prefix(4).hexString), not \(profile.recordFormat.hexString)")
            }
        }
        return problems
    }
}

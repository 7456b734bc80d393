import ChipAccess
import CVC
import PKICore
import SmartCard
import SwiftASN1

/// The personalization profile of the virtual chip: what a personalization line sends to a blank chip before it
/// locks it. ISO/IEC 7816-4 commands, with the JMRTD passport applet's PUT DATA tags where they fit.
///
/// ```
/// CREATE FILE     00 E0 00 00 Lc 62 { 80 02 size, 82 01 01, 83 02 FID, [88 01 SFI] }    in the selected directory (MF or
///                                                                                     the LDS1 application); 6A89 if it exists
/// UPDATE BINARY   00 D6 P1P2=offset (15 bits) data     or  00 D6 80|SFI offset data     into the selected file
///                 00 D7 00 00 { 54 offset, 53 data }                                      offsets past 32,767
/// PUT DATA        00 DA 00 62  62 { 04 document number, 04 date of birth, 04 date of expiry }   the MRZ secret (JMRTD)
///                 00 DA 00 63  63 { 06 named curve OID, 04 private scalar }   the Chip Authentication key (JMRTD: EAC key),
///                              63 { 02 standardized DH group ID, 04 exponent }  or a DH one
///                 00 DA 00 60  PKCS#8 PrivateKeyInfo                          the Active Authentication key, RSA or EC
///                                                                             (JMRTD splits RSA into 60 modulus, 61 exponent)
///                 00 DA 0n 64  7F21 CV certificate                            CVCA trust point n = 1, 2 (JMRTD: the body only)
///                 00 DA 00 65 / 66 / 67  digits                               CAN, PIN, PUK (not in JMRTD)
///                 00 DA 00 68  six unpacked BCD digits YYMMDD                 the chip's current date (JMRTD: fixed)
///                 00 DA 00 69  "sha256", "sha384" …                           the ECDSA hash of Active Authentication
///                 00 DA DE AD  —                                              lock: operational for good (JMRTD)
/// ```
/// Every one of them answers 6985 once the chip is locked; before, 6A80 for data that does not parse and 6B00/6700
/// for a write outside the file. Each accepted command changes the persistent memory at once and is reported to
/// `onPersistentChange`.
extension EMRTDChip {
    func personalize(_ command: CommandAPDU) -> ResponseAPDU {
        guard lifecycle == .personalization else { return ResponseAPDU(statusWord: .conditionsOfUseNotSatisfied) }
        let status: StatusWord
        switch command.ins {
        case 0xE0: status = createFile(command)
        case 0xD6, 0xD7: status = updateBinary(command)
        default: status = putData(command)
        }
        if status.isSuccess { persistentMemoryChanged() }
        return ResponseAPDU(statusWord: status)
    }

    private func createFile(_ command: CommandAPDU) -> StatusWord {
        guard command.p1 == 0, command.p2 == 0, let template = SimpleTLV.parse(command.data), template.count == 1, template[0].tag == 0x62,
              let objects = SimpleTLV.parse(template[0].value) else {
            return .incorrectParametersInData
        }
        let fields = Dictionary(objects.map { ($0.tag, $0.value) }, uniquingKeysWith: { first, _ in first })
        guard let sizeBytes = fields[0x80], (1...2).contains(sizeBytes.count), let fid = fields[0x83], fid.count == 2 else {
            return .incorrectParametersInData
        }
        if let descriptor = fields[0x82], descriptor.first != 0x01 { return .functionNotSupported }  // transparent EFs only
        let identifier = UInt16(fid[0]) << 8 | UInt16(fid[1])
        let size = sizeBytes.reduce(0) { $0 << 8 | Int($1) }
        guard files.file(identifier, in: directory) == nil else { return .fileAlreadyExists }
        let content = [UInt8](repeating: 0, count: size)
        if directory == .masterFile { files.masterFile[identifier] = content } else { files.application[identifier] = content }
        selected = identifier
        return .success
    }

    private func updateBinary(_ command: CommandAPDU) -> StatusWord {
        var identifier = selected
        let offset: Int
        let data: [UInt8]
        if command.ins == 0xD7 {
            guard let objects = SimpleTLV.parse(command.data), objects.count == 2, objects[0].tag == 0x54, objects[1].tag == 0x53,
                  (1...3).contains(objects[0].value.count) else {
                return .incorrectParametersInData
            }
            offset = objects[0].value.reduce(0) { $0 << 8 | Int($1) }
            data = objects[1].value
        } else if command.p1 & 0x80 != 0 {
            guard command.p1 & 0x60 == 0, let found = files.fileIdentifier(shortIdentifier: command.p1 & 0x1F, in: directory) else {
                return .fileNotFound
            }
            identifier = found
            offset = Int(command.p2)
            data = command.data
        } else {
            offset = Int(command.p1) << 8 | Int(command.p2)
            data = command.data
        }
        guard let identifier, var file = files.file(identifier, in: directory) else { return .commandNotAllowedNoCurrentEF }
        guard offset <= file.count else { return .wrongP1P2 }
        guard offset + data.count <= file.count else { return .wrongLength }
        file.replaceSubrange(offset..<(offset + data.count), with: data)
        if directory == .masterFile { files.masterFile[identifier] = file } else { files.application[identifier] = file }
        selected = identifier
        return .success
    }

    private func putData(_ command: CommandAPDU) -> StatusWord {
        let data = command.data
        switch (command.p1, command.p2) {
        case (0xDE, 0xAD):
            lifecycle = .operational
            return .success
        case (0x00, 0x62):
            guard let outer = SimpleTLV.parse(data), outer.count == 1, outer[0].tag == 0x62, let fields = SimpleTLV.parse(outer[0].value),
                  fields.count == 3, fields.allSatisfy({ $0.tag == 0x04 }),
                  let texts = Optional(fields.compactMap { String(bytes: $0.value, encoding: .ascii) }), texts.count == 3,
                  let key = try? BACKey(documentNumber: texts[0].trimmingCharacters(in: .whitespaces), dateOfBirth: texts[1], dateOfExpiry: texts[2]) else {
                return .incorrectParametersInData
            }
            bacKey = key
            return .success
        case (0x00, 0x63):
            if let outer = SimpleTLV.parse(data), outer.count == 1, outer[0].tag == 0x63, let fields = SimpleTLV.parse(outer[0].value),
               fields.count == 2, fields[0].tag == 0x02, fields[0].value.count == 1, fields[1].tag == 0x04 {
                // A DH key: 02 the standardized group's ID (0, 1, 2), 04 the private exponent.
                guard let group = DHGroup.standardized(Int(fields[0].value[0])), !fields[1].value.isEmpty,
                      (try? group.publicValue(fields[1].value)) != nil else {
                    return .incorrectParametersInData
                }
                chipAuthenticationKey = fields[1].value
                chipAuthenticationGroup = group
                return .success
            }
            guard let outer = SimpleTLV.parse(data), outer.count == 1, outer[0].tag == 0x63, let fields = SimpleTLV.parse(outer[0].value),
                  fields.count == 2, fields[0].tag == 0x06, fields[1].tag == 0x04,
                  let oid = try? ASN1ObjectIdentifier(derEncoded: [0x06, UInt8(fields[0].value.count)] + fields[0].value),
                  let curve = ECCurve(oid: oid), (try? ECPointArithmetic(curve).multiply(fields[1].value)) != nil else {
                return .incorrectParametersInData
            }
            chipAuthenticationKey = fields[1].value
            chipAuthenticationCurve = curve
            chipAuthenticationGroup = nil
            return .success
        case (0x00, 0x60):
            guard let key = try? PrivateKey(encoded: data, passphrase: nil, allowUnencrypted: true) else { return .incorrectParametersInData }
            activeAuthenticationKey = key
            activeAuthenticationKeyEncoding = data
            return .success
        case (0x01, 0x64), (0x02, 0x64):
            guard let certificate = try? CVCertificate(encoded: data), certificate.role == .cvca else { return .incorrectParametersInData }
            var trustPoints = terminalAuthentication?.trustPoints ?? []
            trustPoints.removeAll { $0.chr == certificate.chr }
            trustPoints.insert(certificate, at: 0)
            let date = terminalAuthentication?.currentDate ?? certificate.body.effectiveDate
            guard let chip = try? TerminalAuthenticationChip(trustPoints: Array(trustPoints.prefix(2)), currentDate: date) else {
                return .incorrectParametersInData
            }
            terminalAuthentication = chip
            return .success
        case (0x00, 0x65), (0x00, 0x66), (0x00, 0x67):
            guard !data.isEmpty, data.allSatisfy({ (0x30...0x39).contains($0) }), let text = String(bytes: data, encoding: .ascii) else {
                return .incorrectParametersInData
            }
            switch command.p2 {
            case 0x65: can = text
            case 0x66: pin = text
            default: puk = text
            }
            return .success
        case (0x00, 0x68):
            guard data.count == 6, data.allSatisfy({ $0 <= 9 }),
                  let date = try? CVDate(year: 2000 + Int(data[0]) * 10 + Int(data[1]), month: Int(data[2]) * 10 + Int(data[3]), day: Int(data[4]) * 10 + Int(data[5])) else {
                return .incorrectParametersInData
            }
            guard let terminalAuthentication,
                  let chip = try? TerminalAuthenticationChip(trustPoints: terminalAuthentication.trustPoints, currentDate: date) else {
                // The date belongs to Terminal Authentication: a trust point comes first.
                return .conditionsOfUseNotSatisfied
            }
            self.terminalAuthentication = chip
            return .success
        case (0x00, 0x69):
            guard let name = String(bytes: data, encoding: .ascii), let hash = HashAlgorithm(rawValue: name) else { return .incorrectParametersInData }
            activeAuthenticationHash = hash
            return .success
        default:
            return .incorrectP1P2
        }
    }

}

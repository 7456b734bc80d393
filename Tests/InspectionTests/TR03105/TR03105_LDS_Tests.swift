import ChipAccess
import CVC
import Foundation
import Inspection
import LDS
import PKICore
import SmartCard
import SwiftASN1
import Testing
import TestSupport
import VirtualChip

/// Edits of a file's outermost TLV: another tag, a length that is too small or too big (the rest of the file kept).
enum TLVEdit {
    /// The offset of the value and the length as encoded, for a one-byte tag.
    static func header(_ bytes: [UInt8]) -> (lengthOffset: Int, lengthOctets: Int, length: Int) {
        let first = bytes[1]
        if first < 0x80 { return (1, 1, Int(first)) }
        let count = Int(first & 0x7F)
        return (1, count + 1, bytes[2..<(2 + count)].reduce(0) { $0 << 8 | Int($1) })
    }

    static func retag(_ bytes: [UInt8], _ tag: UInt8) -> [UInt8] {
        var changed = bytes
        changed[0] = tag
        return changed
    }

    /// The length field changed by `delta`, in the same number of octets.
    static func relength(_ bytes: [UInt8], by delta: Int) -> [UInt8] {
        let (offset, octets, length) = header(bytes)
        var changed = bytes
        let value = length + delta
        if octets == 1 {
            changed[offset] = UInt8(value)
        } else {
            for index in 0..<(octets - 1) {
                changed[offset + 1 + index] = UInt8((value >> (8 * (octets - 2 - index))) & 0xFF)
            }
        }
        return changed
    }

    /// A DER SEQUENCE with its first element (an OID, a version) removed.
    static func droppingElement(_ bytes: [UInt8], at index: Int) throws -> [UInt8] {
        let sequence = try BERTLV.parseSingle(bytes[...], what: "edit")
        var children = try sequence.children("edit")
        children.remove(at: index)
        return BERTLV(tag: sequence.tag, children: children).encoded
    }

    static func replacingElement(_ bytes: [UInt8], at index: Int, with element: [UInt8]) throws -> [UInt8] {
        let sequence = try BERTLV.parseSingle(bytes[...], what: "edit")
        var children = try sequence.children("edit")
        children[index] = try BERTLV.parseSingle(element[...], what: "edit")
        return BERTLV(tag: sequence.tag, children: children).encoded
    }
}

/// The LDS units of BSI TR-03105 Part 5.1 whose cases are still specified there: LDS_D (DG3), LDS_E (DG4), LDS_F
/// (DG14), LDS_G (EF.CVCA), LDS_I (DG15), LDS_J (EF.CardSecurity) and LDS_K (EF.ATR/INFO). LDS_A–LDS_C moved to
/// ICAO's test specification; LDS_H (EF.SOD) is in TR03105_LDS_H_Tests.swift.
///
/// Each case is the default EAC document with one file made as the case says, EF.SOD signed anew over it, read by
/// an IS that holds a chain for DG3 and DG4. "MRTD inspection procedure failed" is the failed step of the report
/// that names the file ("DG3 encoding", "DG14 decoded", …) — the inspection ends with its report either way.
@Suite struct TR03105_LDS_Tests {
    // MARK: LDS_D: DG3

    /// The EAC document with `dg3`, inspected by an IS granted DG3 and DG4.
    static func inspectWithDG3(_ dg3: [UInt8]) throws -> (TRLab, InspectionReport) {
        let chain = try TAChain()
        var lab = try TRLab.eac(chain)
        lab.dataGroups[3] = dg3
        return (lab, try lab.inspect([chain.credentials]))
    }

    static func dg3Successful(_ dg3: [UInt8]) throws {
        let (lab, report) = try inspectWithDG3(dg3)
        Expect.terminalAuthenticationPassed(report, lab: lab)
        #expect(Expect.status(report, "DG3 encoding") == .passed, "\(report)")
        Expect.successful(report)
    }

    /// A length that is not the file's: the IS reads as many bytes as the outer length says, so the group read
    /// fails, or what was read does not decode, or its hash does not verify — one of them, reported, no crash.
    static func lengthFailed(_ report: InspectionReport, _ number: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        let steps = ["DG\(number) read", "DG\(number) encoding", "DG\(number) decoded", "PA DG\(number) hash"]
        #expect(steps.contains { Expect.status(report, $0) == .failed }, "\(report)", sourceLocation: sourceLocation)
    }

    static func dg3Failed(_ dg3: [UInt8], _ reason: String) throws {
        let (_, report) = try inspectWithDG3(dg3)
        Expect.failed(report, step: "DG3 encoding")
        #expect(report.steps.check(named: "DG3 encoding")?.detail.contains(reason) == true, "\(report)")
        // The file is what the issuer signed: its hash still verifies; the fault is its encoding.
        #expect(Expect.status(report, "PA DG3 hash") == .passed, "\(report)")
    }

    /// The default two fingers with the first instance's header changed.
    static func fingers(_ change: (inout [(tag: UInt8, value: [UInt8])]) -> Void) -> [Biometrics.Instance] {
        var instances = Biometrics.fingerInstances()
        change(&instances[0].header)
        return instances
    }

    @Test("LDS_D_01 DG3: two JPEG2000 fingerprint images") func lds_D_01() throws {
        try Self.dg3Successful(Biometrics.dg3(Biometrics.fingerInstances(image: Biometrics.jpeg2000)))
    }

    @Test("LDS_D_02 DG3: two WSQ fingerprint images") func lds_D_02() throws {
        try Self.dg3Successful(Biometrics.dg3())
    }

    @Test("LDS_D_03 DG3: three WSQ fingerprint images") func lds_D_03() throws {
        try Self.dg3Successful(Biometrics.dg3(Biometrics.fingerInstances(count: 3)))
    }

    @Test("LDS_D_04 DG3: tag 64 instead of 63") func lds_D_04() throws {
        try Self.dg3Failed(Biometrics.dg3(tag: 0x64), "starts with tag 64")
    }

    @Test("LDS_D_05 DG3: length of tag 63 too small") func lds_D_05() throws {
        Self.lengthFailed(try Self.inspectWithDG3(Biometrics.dg3(lengthDelta: -2)).1, 3)
    }

    @Test("LDS_D_06 DG3: length of tag 63 too big") func lds_D_06() throws {
        Self.lengthFailed(try Self.inspectWithDG3(Biometrics.dg3(lengthDelta: 2)).1, 3)
    }

    @Test("LDS_D_07 DG3: BIGT without the number of instances") func lds_D_07() throws {
        try Self.dg3Failed(Biometrics.dg3(count: -1), "number of instances")
    }

    @Test("LDS_D_08 DG3: BHT format owner not allowed") func lds_D_08() throws {
        try Self.dg3Failed(Biometrics.dg3(Self.fingers { $0[$0.firstIndex { $0.tag == 0x87 }!].value = [0x01, 0xFF] }), "format owner 1FF")
    }

    @Test("LDS_D_09 DG3: BHT without format owner") func lds_D_09() throws {
        try Self.dg3Failed(Biometrics.dg3(Self.fingers { $0.removeAll { $0.tag == 0x87 } }), "no format owner")
    }

    @Test("LDS_D_10 DG3: BHT format type not allowed") func lds_D_10() throws {
        try Self.dg3Failed(Biometrics.dg3(Self.fingers { $0[$0.firstIndex { $0.tag == 0x88 }!].value = [0x00, 0x0F] }), "format type F")
    }

    @Test("LDS_D_11 DG3: BHT without format type") func lds_D_11() throws {
        try Self.dg3Failed(Biometrics.dg3(Self.fingers { $0.removeAll { $0.tag == 0x88 } }), "no format type")
    }

    @Test("LDS_D_12 DG3: BHT biometric subtype FE") func lds_D_12() throws {
        try Self.dg3Failed(Biometrics.dg3(Self.fingers { $0[$0.firstIndex { $0.tag == 0x82 }!].value = [0xFE] }), "subtype FE")
    }

    @Test("LDS_D_13 DG3: BHT without biometric subtype") func lds_D_13() throws {
        try Self.dg3Failed(Biometrics.dg3(Self.fingers { $0.removeAll { $0.tag == 0x82 } }), "no biometric subtype")
    }

    @Test("LDS_D_14 DG3: GRH format identifier PIR") func lds_D_14() throws {
        var instances = Biometrics.fingerInstances()
        instances[0].record = Biometrics.record(format: Array("PIR".utf8) + [0], image: TestDocument.fingers[0])
        try Self.dg3Failed(Biometrics.dg3(instances), "format identifier is 50495200")
    }

    @Test("LDS_D_15 DG3: no fingerprint image in instance two") func lds_D_15() throws {
        var instances = Biometrics.fingerInstances()
        instances[1].record = nil
        try Self.dg3Failed(Biometrics.dg3(instances), "instance 2: no biometric data block")
    }

    @Test("LDS_D_16 DG3: two RAW fingerprint images") func lds_D_16() throws {
        try Self.dg3Successful(Biometrics.dg3(Biometrics.fingerInstances(image: { finger in (0..<5000).map { UInt8(($0 + finger) % 256) } })))
    }

    // MARK: LDS_E: DG4

    static func inspectWithDG4(_ dg4: [UInt8]) throws -> (TRLab, InspectionReport) {
        let chain = try TAChain()
        var lab = try TRLab.eac(chain)
        lab.dataGroups[4] = dg4
        return (lab, try lab.inspect([chain.credentials]))
    }

    static func dg4Successful(_ dg4: [UInt8]) throws {
        let (lab, report) = try inspectWithDG4(dg4)
        Expect.terminalAuthenticationPassed(report, lab: lab)
        #expect(Expect.status(report, "DG4 encoding") == .passed, "\(report)")
        Expect.successful(report)
    }

    static func dg4Failed(_ dg4: [UInt8], _ reason: String) throws {
        let (_, report) = try inspectWithDG4(dg4)
        Expect.failed(report, step: "DG4 encoding")
        #expect(report.steps.check(named: "DG4 encoding")?.detail.contains(reason) == true, "\(report)")
        #expect(Expect.status(report, "PA DG4 hash") == .passed, "\(report)")
    }

    static func irises(_ change: (inout [(tag: UInt8, value: [UInt8])]) -> Void) -> [Biometrics.Instance] {
        var instances = Biometrics.irisInstances()
        change(&instances[0].header)
        return instances
    }

    @Test("LDS_E_01 DG4: two JPEG2000 iris images") func lds_E_01() throws {
        try Self.dg4Successful(Biometrics.dg4(Biometrics.irisInstances(image: Biometrics.jpeg2000)))
    }

    @Test("LDS_E_02 DG4: two RAW iris images") func lds_E_02() throws {
        try Self.dg4Successful(Biometrics.dg4())
    }

    @Test("LDS_E_03 DG4: tag 77 instead of 76") func lds_E_03() throws {
        try Self.dg4Failed(Biometrics.dg4(tag: 0x77), "starts with tag 77")
    }

    @Test("LDS_E_04 DG4: length of tag 76 too small") func lds_E_04() throws {
        Self.lengthFailed(try Self.inspectWithDG4(Biometrics.dg4(lengthDelta: -2)).1, 4)
    }

    @Test("LDS_E_05 DG4: length of tag 76 too big") func lds_E_05() throws {
        Self.lengthFailed(try Self.inspectWithDG4(Biometrics.dg4(lengthDelta: 2)).1, 4)
    }

    @Test("LDS_E_06 DG4: BIGT without the number of instances") func lds_E_06() throws {
        try Self.dg4Failed(Biometrics.dg4(count: -1), "number of instances")
    }

    @Test("LDS_E_07 DG4: BHT format owner not allowed") func lds_E_07() throws {
        try Self.dg4Failed(Biometrics.dg4(Self.irises { $0[$0.firstIndex { $0.tag == 0x87 }!].value = [0x01, 0xFF] }), "format owner 1FF")
    }

    @Test("LDS_E_08 DG4: BHT without format owner") func lds_E_08() throws {
        try Self.dg4Failed(Biometrics.dg4(Self.irises { $0.removeAll { $0.tag == 0x87 } }), "no format owner")
    }

    @Test("LDS_E_09 DG4: BHT format type 000F") func lds_E_09() throws {
        try Self.dg4Failed(Biometrics.dg4(Self.irises { $0[$0.firstIndex { $0.tag == 0x88 }!].value = [0x00, 0x0F] }), "format type F")
    }

    @Test("LDS_E_10 DG4: BHT without format type") func lds_E_10() throws {
        try Self.dg4Failed(Biometrics.dg4(Self.irises { $0.removeAll { $0.tag == 0x88 } }), "no format type")
    }

    @Test("LDS_E_11 DG4: BHT biometric subtype FE") func lds_E_11() throws {
        try Self.dg4Failed(Biometrics.dg4(Self.irises { $0[$0.firstIndex { $0.tag == 0x82 }!].value = [0xFE] }), "subtype FE")
    }

    @Test("LDS_E_12 DG4: BHT without biometric subtype") func lds_E_12() throws {
        try Self.dg4Failed(Biometrics.dg4(Self.irises { $0.removeAll { $0.tag == 0x82 } }), "no biometric subtype")
    }

    @Test("LDS_E_13 DG4: format identifier FIS") func lds_E_13() throws {
        // The plan puts the format identifier 'FIS\0' "in the BHT"; a BHT has no such element, the iris record's
        // header has (ISO/IEC 19794-6 'IIR\0'): it is changed there.
        var instances = Biometrics.irisInstances()
        instances[0].record = Biometrics.record(format: [0x46, 0x49, 0x53, 0x00], image: Biometrics.rawIris(1))
        try Self.dg4Failed(Biometrics.dg4(instances), "format identifier is 46495300")
    }

    @Test("LDS_E_14 DG4: no iris image in instance two") func lds_E_14() throws {
        var instances = Biometrics.irisInstances()
        instances[1].record = nil
        try Self.dg4Failed(Biometrics.dg4(instances), "instance 2: no biometric data block")
    }

    // MARK: LDS_F: DG14

    static func inspectWithDG14(_ dg14: [UInt8]) throws -> InspectionReport {
        var lab = try TRLab()
        lab.dataGroups[14] = dg14
        return try lab.inspect()
    }

    static func defaultDG14() throws -> [UInt8] { try #require(TRLab().dataGroups[14]) }

    /// DG14's SecurityInfos with the one of kind `kind` replaced by `change` of its DER encoding.
    static func dg14(changing kind: (SecurityInfo) -> Bool, _ change: ([UInt8]) throws -> [UInt8]) throws -> [UInt8] {
        let infos = try DG14(bytes: defaultDG14()).securityInfos.infos
        var elements: [[UInt8]] = []
        for info in infos {
            let encoded = try SecurityInfos([info]).encode()
            let element = Array(try BERTLV.parseSingle(encoded[...], what: "SET").children("SET")[0].encoded)
            elements.append(kind(info) ? try change(element) : element)
        }
        return Biometrics.tlv([0x6E], Biometrics.tlv([0x31], elements.flatMap { $0 }))
    }

    static func isKey(_ info: SecurityInfo) -> Bool { if case .chipAuthenticationPublicKey = info { true } else { false } }
    static func isCAInfo(_ info: SecurityInfo) -> Bool { if case .chipAuthentication = info { true } else { false } }

    @Test("LDS_F_01 DG14: tag 6F instead of 6E") func lds_F_01() throws {
        let report = try Self.inspectWithDG14(TLVEdit.retag(Self.defaultDG14(), 0x6F))
        Expect.failed(report, step: "DG14 decoded")
        // Without a DG14 there is no Chip Authentication; Active Authentication still proves the chip.
        #expect(Expect.status(report, "Chip Authentication") == .notChecked, "\(report)")
    }

    @Test("LDS_F_02 DG14: length of tag 6E too small") func lds_F_02() throws {
        Self.lengthFailed(try Self.inspectWithDG14(TLVEdit.relength(Self.defaultDG14(), by: -1)), 14)
    }

    @Test("LDS_F_03 DG14: length of tag 6E too big") func lds_F_03() throws {
        Self.lengthFailed(try Self.inspectWithDG14(TLVEdit.relength(Self.defaultDG14(), by: 1)), 14)
    }

    @Test("LDS_F_04 DG14: Chip Authentication public key under an OID not allowed") func lds_F_04() throws {
        // id-PK-ECDH is 0.4.0.127.0.7.2.2.1.2; 0.4.0.127.0.7.2.2.1.9 is no Chip Authentication key.
        let dg14 = try Self.dg14(changing: Self.isKey) { element in
            try TLVEdit.replacingElement(element, at: 0, with: [0x06, 0x09, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x01, 0x09])
        }
        let report = try Self.inspectWithDG14(dg14)
        Expect.failed(report, step: "Chip Authentication")
        #expect(report.chipGenuine != .passed || Expect.status(report, "Active Authentication") == .passed, "\(report)")
    }

    @Test("LDS_F_05 DG14: SecurityInfo without its Chip Authentication OID") func lds_F_05() throws {
        let dg14 = try Self.dg14(changing: Self.isKey) { try TLVEdit.droppingElement($0, at: 0) }
        let report = try Self.inspectWithDG14(dg14)
        #expect(Expect.status(report, "DG14 decoded") == .failed || Expect.status(report, "Chip Authentication") == .failed, "\(report)")
    }

    @Test("LDS_F_06 DG14: ChipAuthenticationInfo version 10") func lds_F_06() throws {
        let dg14 = try Self.dg14(changing: Self.isCAInfo) { try TLVEdit.replacingElement($0, at: 1, with: [0x02, 0x01, 0x0A]) }
        let report = try Self.inspectWithDG14(dg14)
        Expect.failed(report, step: "Chip Authentication")
        #expect(report.steps.check(named: "Chip Authentication")?.detail.contains("version 10") == true, "\(report)")
    }

    @Test("LDS_F_07 DG14: ChipAuthenticationInfo without version") func lds_F_07() throws {
        // SEQUENCE { protocol } alone: with the keyId left in, { protocol, keyId 1 } would read as version 1.
        let dg14 = try Self.dg14(changing: Self.isCAInfo) { element in
            let sequence = try BERTLV.parseSingle(element[...], what: "edit")
            return BERTLV(tag: sequence.tag, children: [try sequence.children("edit")[0]]).encoded
        }
        let report = try Self.inspectWithDG14(dg14)
        Expect.failed(report, step: "DG14 decoded")
    }

    // MARK: LDS_G: EF.CVCA

    @Test("LDS_G_01 EF.CVCA: first CAR not under tag 42") func lds_G_01() throws {
        let chain = try TAChain()
        var lab = try TRLab.eac(chain)
        var file = try EFCVCA(references: [chain.cvca.chr]).encoded
        file[0] = 0x00
        lab.efCVCA = file
        Expect.terminalAuthenticationFailed(try lab.inspect([chain.credentials]))
    }

    @Test("LDS_G_02 EF.CVCA: empty, no trust point") func lds_G_02() throws {
        let chain = try TAChain()
        var lab = try TRLab.eac(chain)
        lab.efCVCA = []
        Expect.terminalAuthenticationFailed(try lab.inspect([chain.credentials]))
    }

    // MARK: LDS_I: DG15

    static func inspectWithDG15(_ change: ([UInt8]) -> [UInt8]) throws -> InspectionReport {
        var lab = try TRLab()
        lab.dataGroups[15] = change(try #require(lab.dataGroups[15]))
        let report = try lab.inspect()
        Self.lengthFailed(report, 15)
        // Without DG15's key there is no Active Authentication to run.
        #expect(Expect.status(report, "Active Authentication") != .passed, "\(report)")
        return report
    }

    @Test("LDS_I_01 DG15: tag 70 instead of 6F") func lds_I_01() throws {
        _ = try Self.inspectWithDG15 { TLVEdit.retag($0, 0x70) }
    }

    @Test("LDS_I_02 DG15: length of tag 6F too small") func lds_I_02() throws {
        _ = try Self.inspectWithDG15 { TLVEdit.relength($0, by: -1) }
    }

    @Test("LDS_I_03 DG15: length of tag 6F too big") func lds_I_03() throws {
        _ = try Self.inspectWithDG15 { TLVEdit.relength($0, by: 1) }
    }

    // MARK: LDS_J: EF.CardSecurity

    /// A PACE-CAM chip whose EF.CardSecurity holds `infos` (signed by the document's DS); EF.CardAccess holds
    /// the CAM PACEInfo.
    static func inspectWithCardSecurity(_ infos: (_ key: SecurityInfo, _ pace: SecurityInfo) throws -> [SecurityInfo]) throws -> InspectionReport {
        var lab = try TRLab()
        lab.cardAccess = PACEVectors.chipAuthenticationMappingCardAccess
        let key = try #require(EFCardSecurity(bytes: lab.cardSecurity).securityInfos.chipAuthenticationPublicKeyInfos.first)
        let pace = try #require(EFCardAccess(bytes: PACEVectors.chipAuthenticationMappingCardAccess).securityInfos.infos.first)
        lab.cardSecurity = try lab.signedCardSecurity(SecurityInfos(infos(.chipAuthenticationPublicKey(key), pace)))
        return try lab.inspect()
    }

    @Test("LDS_J_01 EF.CardSecurity: one SecurityInfo more than EF.CardAccess") func lds_J_01() throws {
        let report = try Self.inspectWithCardSecurity { key, pace in
            [key, pace, .terminalAuthentication(TerminalAuthenticationInfo(version: 1))]
        }
        #expect(Expect.status(report, "PACE-CAM") == .passed, "\(report)")
        #expect(Expect.status(report, "EF.CardSecurity signature") == .passed, "\(report)")
        Expect.successful(report)
    }

    @Test("LDS_J_02 EF.CardSecurity: one SecurityInfo less than EF.CardAccess") func lds_J_02() throws {
        let report = try Self.inspectWithCardSecurity { key, _ in [key] }
        Expect.failed(report, step: "EF.CardAccess in EF.CardSecurity")
    }

    @Test("LDS_J_03 EF.CardSecurity: SecurityInfos other than EF.CardAccess's") func lds_J_03() throws {
        // The plan changes the domain parameter of a PACEDomainParameterInfo; our EF.CardAccess has none (it names
        // the standardized brainpoolP256r1, parameter ID 13), so EF.CardSecurity's PACEInfo names ID 14 instead.
        let report = try Self.inspectWithCardSecurity { key, _ in
            [key, .pace(PACEInfo(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 6, 2], version: 2, parameterId: 14))]
        }
        Expect.failed(report, step: "EF.CardAccess in EF.CardSecurity")
    }

    @Test("LDS_J_04 EF.CardSecurity: ChipAuthenticationPublicKeyInfo without its protocol OID") func lds_J_04() throws {
        var lab = try TRLab()
        lab.cardAccess = PACEVectors.chipAuthenticationMappingCardAccess
        let key = try #require(EFCardSecurity(bytes: lab.cardSecurity).securityInfos.chipAuthenticationPublicKeyInfos.first)
        let pace = try #require(EFCardAccess(bytes: PACEVectors.chipAuthenticationMappingCardAccess).securityInfos.infos.first)
        let keyElement = try BERTLV.parseSingle(SecurityInfos([.chipAuthenticationPublicKey(key)]).encode()[...], what: "SET").children("SET")[0].encoded
        let paceElement = try BERTLV.parseSingle(SecurityInfos([pace]).encode()[...], what: "SET").children("SET")[0].encoded
        let content = Biometrics.tlv([0x31], try TLVEdit.droppingElement(keyElement, at: 0) + paceElement)
        lab.cardSecurity = try SignedDataBuilder(eContentType: .EAC.securityObject, content: content, signerCertificate: lab.documentSigner.certificate,
                                                 identification: .issuerAndSerialNumber, signingTime: TestDocument.now)
            .sign(with: lab.documentSigner.signer).contentInfoDER()
        let report = try lab.inspect()
        Expect.failed(report, step: "PACE-CAM")
        // Active Authentication (DG15) still proves the chip; the failed PACE-CAM check is reported.
    }

    // MARK: LDS_K: EF.ATR/INFO

    static func inspectWithATRInfo(_ bytes: [UInt8]) throws -> InspectionReport {
        var lab = try TRLab()
        lab.atrInfo = bytes
        return try lab.inspect()
    }

    @Test("LDS_K_01 EF.ATR/INFO: lengths in two bytes") func lds_K_01() throws {
        let report = try Self.inspectWithATRInfo([0x7F, 0x66, 0x08, 0x02, 0x02, 0x07, 0x80, 0x02, 0x02, 0x07, 0x80])
        #expect(Expect.status(report, "EF.ATR/INFO") == .passed, "\(report)")
        Expect.successful(report)
    }

    @Test("LDS_K_02 EF.ATR/INFO: lengths in three bytes") func lds_K_02() throws {
        let report = try Self.inspectWithATRInfo([0x7F, 0x66, 0x0A, 0x02, 0x03, 0x00, 0x07, 0x80, 0x02, 0x03, 0x00, 0x07, 0x80])
        #expect(Expect.status(report, "EF.ATR/INFO") == .passed, "\(report)")
        Expect.successful(report)
    }

    @Test("LDS_K_03 EF.ATR/INFO: one length only") func lds_K_03() throws {
        let report = try Self.inspectWithATRInfo([0x7F, 0x66, 0x04, 0x02, 0x02, 0x07, 0x80])
        Expect.failed(report, step: "EF.ATR/INFO")
        // The inspection goes on with short reads and proves the document all the same.
        #expect(report.summary == "genuine", "\(report)")
    }

    @Test("LDS_K_04 EF.ATR/INFO: tag 7F65 instead of 7F66") func lds_K_04() throws {
        let report = try Self.inspectWithATRInfo([0x7F, 0x65, 0x08, 0x02, 0x02, 0x07, 0x80, 0x02, 0x02, 0x07, 0x80])
        Expect.failed(report, step: "EF.ATR/INFO")
        #expect(report.summary == "genuine", "\(report)")
    }
}

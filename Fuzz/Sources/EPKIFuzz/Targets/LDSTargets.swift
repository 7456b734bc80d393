import Foundation
import LDS
import PKICore

/// The files of an eMRTD as a chip (or a line, or an inspection system's JSON) hands them over: EF.SOD and its LDS
/// security object, EF.COM, each data group epki models, EF.CardAccess and EF.CardSecurity, and `LDSFile`, which
/// tells them apart by their first tag.
enum LDSTargets {
    static let all: [FuzzTarget] = [sod, securityObject, ldsFile, com, dg1, dg2, dg3, dg11, dg12, dg14, dg15, cardAccess, cardSecurity]

    static func exercise(_ mrz: MRZ) {
        _ = mrz.description
        _ = mrz.documentCode
        _ = mrz.issuingState
        _ = mrz.primaryIdentifier
        _ = mrz.secondaryIdentifier
        _ = mrz.documentNumber
        _ = mrz.documentNumberCheckDigit
        _ = mrz.nationality
        _ = mrz.dateOfBirth
        _ = mrz.sex
        _ = mrz.dateOfExpiry
        _ = mrz.optionalData
        _ = mrz.optionalData2
        _ = mrz.compositeCheckDigit
        _ = mrz.checkDigits.map(\.description)
        _ = mrz.findings
        _ = MRZFields(mrz)
    }

    static func exercise(_ infos: SecurityInfos) {
        _ = infos.paceInfos.map { ($0.protocolIdentifier, $0.parameterId) }
        _ = infos.chipAuthenticationInfos.count
        _ = infos.chipAuthenticationPublicKeyInfos.map { try? PublicKey(subjectPublicKeyInfo: $0.chipAuthenticationPublicKey) }
        _ = infos.terminalAuthenticationInfos.count
        _ = infos.activeAuthenticationInfos.count
        _ = infos.unknownInfos.count
        _ = try? infos.sortedForDER().encode()
    }

    static func exercise(_ group: BiometricInformationGroupTemplate) {
        _ = group.findings
        for instance in group.instances {
            _ = instance.header.elements.count
            _ = instance.dataBlock.bytes.count
        }
    }

    /// Passive authentication without a trust source: everything but the DS chain, as `epki lds verify` runs it.
    static let verifier = PassiveAuthentication(trustSource: nil, cacheChainResults: false)

    static let sod = FuzzTarget("sod", "EF.SOD: EFSOD(bytes:), its security object and CMS, passive authentication of DG1", seeds: {
        let pki = try SeedPKI()
        let dg1 = try SeedDocument.dg1()
        return [("sod-dg1-dg2.bin", try pki.sod(dataGroups: [1: dg1, 2: SeedDocument.dg2()]).encode())]
    }) { bytes in
        guard let sod = try? EFSOD(bytes: bytes) else { return }
        _ = sod.securityObject.findings
        _ = sod.securityObject.dataGroupNumbers
        _ = sod.documentSignerCertificate
        _ = sod.signingTime
        _ = try? sod.encode()
        let dg1 = try? SeedDocument.dg1()
        _ = verifier.verify(sod: sod, dataGroups: dg1.map { [1: $0] } ?? [:], efCOM: try? SeedDocument.com())
    }

    static let securityObject = FuzzTarget("lds-security-object", "LDSSecurityObject(bytes:): the eContent of EF.SOD", seeds: {
        let object = try LDSSecurityObject(hash: .sha256, dataGroups: [1: try SeedDocument.dg1(), 2: SeedDocument.dg2()],
                                           ldsVersionInfo: try LDSVersionInfo(ldsVersion: "0108", unicodeVersion: "4.0.0"))
        return [("security-object-v1.der", try object.encode()),
                ("security-object-v0.der", try LDSSecurityObject(hash: .sha384, dataGroupHashes: [1: [UInt8](repeating: 1, count: 48), 2: [UInt8](repeating: 2, count: 48)]).encode())]
    }) { bytes in
        guard let object = try? LDSSecurityObject(bytes: bytes) else { return }
        _ = object.findings
        _ = object.hash
        _ = object.hashValue(for: 1)
        _ = object.ldsVersionInfo.map { ($0.ldsVersionDisplay, $0.unicodeVersionDisplay) }
        _ = try? object.encode()
    }

    static let ldsFile = FuzzTarget("lds-file", "LDSFile(bytes:): any LDS file told by its first tag, then encoded again", seeds: {
        [("dg1.bin", try SeedDocument.dg1()), ("dg2.bin", SeedDocument.dg2()), ("com.bin", try SeedDocument.com()),
         ("dg4.bin", [0x76, 0x03, 0x7F, 0x61, 0x00])]
    }) { bytes in
        guard let file = try? LDSFile(bytes: bytes) else { return }
        _ = file.name
        _ = file.dataGroup
        _ = try? file.encode()
    }

    static let com = FuzzTarget("ef-com", "EF.COM: EFCOM(bytes:), versions, tag list", seeds: {
        [("com.bin", try SeedDocument.com())]
    }) { bytes in
        guard let com = try? EFCOM(bytes: bytes) else { return }
        _ = com.dataGroups
        _ = com.ldsVersionDisplay
        _ = com.unicodeVersionDisplay
        _ = com.findings
        _ = com.encode()
    }

    static let dg1 = FuzzTarget("dg1", "DG1: DG1(bytes:) and the MRZ it holds (TD1, TD2, TD3); MRZ(string:) on the same bytes", seeds: {
        [("dg1-td3.bin", try SeedDocument.dg1()), ("dg1-td1.bin", try SeedDocument.dg1TD1())]
    }) { bytes in
        if let dg1 = try? DG1(bytes: bytes) {
            exercise(dg1.mrz)
            _ = dg1.encode()
        }
        if let mrz = try? MRZ(string: String(decoding: bytes, as: UTF8.self)) { exercise(mrz) }
    }

    static let dg2 = FuzzTarget("dg2", "DG2: DG2(bytes:), the biometric templates and ISO/IEC 19794-5 face records", seeds: {
        [("dg2.bin", SeedDocument.dg2())]
    }) { bytes in
        guard let dg2 = try? DG2(bytes: bytes) else { return }
        exercise(dg2.group)
        for face in dg2.faces { _ = face.images.map { ($0.width, $0.imageData.count, $0.featurePoints.count) } }
        _ = dg2.encode()
    }

    static let dg3 = FuzzTarget("dg3", "DG3: DG3(bytes:), the biometric templates and ISO/IEC 19794-4 finger records", seeds: {
        [("dg3.bin", SeedDocument.dg3())]
    }) { bytes in
        guard let dg3 = try? DG3(bytes: bytes) else { return }
        exercise(dg3.group)
        for record in dg3.fingerRecords { _ = (record.compressionName, record.fingers.count) }
        _ = dg3.encode()
    }

    static let dg11 = FuzzTarget("dg11", "DG11: DG11(bytes:), every field of the additional personal details", seeds: {
        [("dg11.bin", SeedDocument.dg11())]
    }) { bytes in
        guard let dg11 = try? DG11(bytes: bytes) else { return }
        for field in DG11.Field.allCases { _ = dg11.bytes(field) }
        _ = dg11.encode()
    }

    static let dg12 = FuzzTarget("dg12", "DG12: DG12(bytes:), every field of the additional document details", seeds: {
        [("dg12.bin", SeedDocument.dg12())]
    }) { bytes in
        guard let dg12 = try? DG12(bytes: bytes) else { return }
        for field in DG12.Field.allCases { _ = dg12.bytes(field) }
        _ = dg12.encode()
    }

    static let dg14 = FuzzTarget("dg14", "DG14: DG14(bytes:), its SecurityInfos (PACE, CA, TA, AA) and CA public keys", seeds: {
        [] // Vectors/pymrtd/DG14_*.bin are copied by scripts/fuzz.sh
    }) { bytes in
        guard let dg14 = try? DG14(bytes: bytes) else { return }
        exercise(dg14.securityInfos)
        _ = try? dg14.encode()
    }

    static let dg15 = FuzzTarget("dg15", "DG15: DG15(bytes:) and the Active Authentication public key", seeds: {
        [] // Vectors/pymrtd/DG15_*.bin are copied by scripts/fuzz.sh
    }) { bytes in
        guard let dg15 = try? DG15(bytes: bytes) else { return }
        if let key = try? dg15.publicKey { _ = key.description }
        _ = try? dg15.encode()
    }

    static let cardAccess = FuzzTarget("ef-cardaccess", "EF.CardAccess: EFCardAccess(bytes:), its SecurityInfos") { bytes in
        guard let file = try? EFCardAccess(bytes: bytes) else { return }
        exercise(file.securityInfos)
        _ = try? file.encode()
    }

    static let cardSecurity = FuzzTarget("ef-cardsecurity", "EF.CardSecurity: EFCardSecurity(bytes:), its CMS and SecurityInfos") { bytes in
        guard let file = try? EFCardSecurity(bytes: bytes) else { return }
        exercise(file.securityInfos)
        _ = file.signedData.verify()
        _ = try? file.encode()
    }
}

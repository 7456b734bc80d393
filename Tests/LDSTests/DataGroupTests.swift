import LDS
import PKICore
import SwiftASN1
import Testing
import TestSupport

@Suite struct DataGroupTests {
    /// Every LDS vector in the repository, with the file it must be read as.
    static let vectors: [(String, String)] = [
        ("pymrtd/DG1_BSI_TR03105-5.bin", "DG1"), ("pymrtd/DG1_ETSI_TR103200.bin", "DG1"),
        ("pymrtd/DG14_BSI_TR03105-5.bin", "DG14"), ("pymrtd/DG14_ETSI_TR103200.bin", "DG14"),
        ("pymrtd/DG15_ETSI_TR103200.bin", "DG15"),
        ("pymrtd/EF_SOD_BSI_TR03105-5.bin", "EF.SOD"), ("pymrtd/EF_SOD_ETSI_TR103200.bin", "EF.SOD"),
        ("eac-worked-example/EF_CardAccess.bin", "EF.CardAccess"), ("eac-worked-example/EF_CardSecurity.bin", "EF.CardSecurity"),
    ]

    @Test("every LDS vector round-trips byte for byte", arguments: vectors)
    func vectorRoundTrips(_ path: String, _ kind: String) throws {
        let bytes = try TestSupport.vector(path)
        let file = try LDSFile(bytes: bytes)
        #expect(file.name == kind)
        #expect(try file.encode() == bytes, "\(path)")
    }

    /// EF.COM of the Doc 9303-11 Appendix D.4 worked example: LDS 1.6, Unicode 4.0.0, DG1 and DG2.
    static let workedExampleCOM: [UInt8] = [0x60, 0x14, 0x5F, 0x01, 0x04] + Array("0106".utf8) + [0x5F, 0x36, 0x06] + Array("040000".utf8)
        + [0x5C, 0x02, 0x61, 0x75]

    @Test func efCOMOfTheWorkedExample() throws {
        let com = try EFCOM(bytes: Self.workedExampleCOM)
        #expect(com.ldsVersion == "0106" && com.ldsVersionDisplay == "1.6")
        #expect(com.unicodeVersionDisplay == "4.0.0")
        #expect(com.dataGroups.map(\.value) == [1, 2])
        #expect(com.findings.isEmpty)
        #expect(com.encode() == Self.workedExampleCOM)
        let built = try EFCOM(ldsVersion: "0106", unicodeVersion: "040000", dataGroups: [DataGroupNumber(2)!, DataGroupNumber(1)!])
        #expect(built.encode() == Self.workedExampleCOM)
        expectError(LDSError(.invalidValue, "EF.COM LDS version: '1.7' is not 4 digits")) { try EFCOM(ldsVersion: "1.7", dataGroups: []) }
    }

    @Test func dataGroupsWithoutAModelAreKeptAsTheirTLV() throws {
        // DG5 (displayed portrait): 65 L 02 01 01 5F40 L <image>; read and written back whole.
        let dg5: [UInt8] = [0x65, 0x0A, 0x02, 0x01, 0x01, 0x5F, 0x40, 0x04, 0xFF, 0xD8, 0xFF, 0xD9]
        let file = try LDSFile(bytes: dg5)
        #expect(file.name == "DG5" && file.dataGroup?.contents == "displayed portrait")
        #expect(try file.encode() == dg5)
        #expect(DataGroupNumber(2)?.tag == 0x75 && DataGroupNumber(2)?.fileIdentifier == 0x0102 && DataGroupNumber(tag: 0x76)?.value == 4)
        #expect(DataGroupNumber(17) == nil && DataGroupNumber(tag: 0x77) == nil)
    }

    @Test func dg1KeepsANonMinimalLengthForm() throws {
        // A chip that wrote "81 5B" for the 91-byte DG1 must get "81 5B" back, or the SOD hash would not match.
        let dg1 = try TestSupport.vector("pymrtd/DG1_BSI_TR03105-5.bin")
        let stretched = [0x61, 0x81] + dg1.dropFirst(1)
        #expect(try DG1(bytes: stretched).encode() == stretched)
        #expect(try DG1(bytes: dg1).mrz.primaryIdentifier == "MUSTERMANN")
    }

    @Test func dg2FaceRecordRoundTripsAndExposesItsHeader() throws {
        let bytes = SampleDocument.dg2()
        #expect(bytes.first == 0x75)
        let dg2 = try DG2(bytes: bytes)
        #expect(dg2.encode() == bytes)
        #expect(dg2.group.instances.count == 1)
        let header = dg2.group.instances[0].header
        #expect(header.formatOwner == 0x0101 && header.formatType == 0x0008 && header.biometricType == 0x02)
        let face = try #require(dg2.faces.first?.images.first)
        #expect(face.width == 240 && face.height == 320 && face.imageDataTypeName == "JPEG" && face.genderName == "female")
        #expect(face.featurePoints.first?.major == 12 && face.featurePoints.first?.x == 100)
        #expect(face.imageData.prefix(2) == [0xFF, 0xD8])
        #expect(dg2.group.findings.isEmpty)
        // The record's own length fields: 14-byte header + 20 + 8 (one feature point) + 12 + image.
        let record = try #require(dg2.faces.first).encode()
        #expect(record.count == 14 + 20 + 8 + 12 + face.imageData.count)
        #expect(Array(record[8..<12]) == [0, 0, UInt8(record.count >> 8), UInt8(record.count & 0xFF)])
    }

    @Test func dg3FingerRecordsRoundTrip() throws {
        let fingers = [FingerImage(position: 2, width: 300, height: 400, imageData: Array(repeating: 0xA0, count: 64), quality: 80),
                       FingerImage(position: 7, width: 300, height: 400, imageData: Array(repeating: 0xB0, count: 32))]
        let record = FingerImageRecord(fingers: fingers, compressionAlgorithm: 2)
        let bytes = DG3(fingers: [record]).encode()
        #expect(bytes.first == 0x63)
        let dg3 = try DG3(bytes: bytes)
        #expect(dg3.encode() == bytes)
        let read = try #require(dg3.fingerRecords.first)
        #expect(read == record)
        #expect(read.compressionName == "WSQ")
        #expect(read.fingers.map(\.positionName) == ["right index finger", "left index finger"])
        #expect(record.encode().count == 32 + 2 * 14 + 64 + 32)
        // Two fingers in one record: subtype 00 (no information); one finger: its hand and finger.
        let subtypes = { (dg3: DG3) in dg3.group.instances.map { $0.header.value(BiometricHeaderTemplate.biometricSubtypeTag).map(Array.init) } }
        #expect(subtypes(dg3) == [[0x00]])
        let leftRing = FingerImageRecord(fingers: [FingerImage(position: 9, width: 1, height: 1, imageData: [1], quality: 1)], compressionAlgorithm: 2)
        #expect(subtypes(try DG3(bytes: DG3(fingers: [leftRing, record]).encode())) == [[0x12], [0x00]])
        #expect((0...15).map { DG3.biometricSubtype(position: UInt8($0)) }
                == [0, 0x05, 0x09, 0x0D, 0x11, 0x15, 0x06, 0x0A, 0x0E, 0x12, 0x16, 0, 0, 0, 0, 0])
    }

    @Test func laterRecordEditionsAreKeptAsBytes() throws {
        // A 19794-5:2011 record ("030") is not parsed, but the data group still reads and encodes back.
        var record = FacialRecord(images: [FaceImage(imageData: [1, 2, 3], imageDataType: .jpeg2000, width: 1, height: 1)]).encode()
        record[4...6] = [0x30, 0x33, 0x30]
        let header = BiometricHeaderTemplate(biometricType: 2, formatType: 8)
        let group = BiometricInformationGroupTemplate(instances: [BiometricInformationTemplate(header: header, dataBlock: .unparsed(record, reason: ""))])
        let bytes = DG2(group: group).encode()
        let dg2 = try DG2(bytes: bytes)
        #expect(dg2.faces.isEmpty)
        guard case .unparsed(let kept, let reason) = dg2.group.instances[0].dataBlock else { Issue.record("parsed"); return }
        #expect(kept == record && reason.contains("030"))
        #expect(dg2.encode() == bytes)
    }

    @Test func dg11AndDG12RoundTripWithTheirTagLists() throws {
        var dg11 = DG11()
        dg11[.fullName] = "ERIKSSON<<ANNA<MARIA"
        dg11[.fullDateOfBirth] = "19740812"
        dg11[.placeOfBirth] = "ZENITH<UTOPIA"
        dg11.otherNames = ["ANNA<ERIKSDOTTER", "MARIA<SVENSSON"]
        dg11[.personalNumber] = "123456789"
        let bytes11 = dg11.encode()
        #expect(bytes11.first == 0x6B)
        let read11 = try DG11(bytes: bytes11)
        #expect(read11.encode() == bytes11)
        #expect(read11[.fullName] == "ERIKSSON<<ANNA<MARIA")
        #expect(read11.otherNames == ["ANNA<ERIKSDOTTER", "MARIA<SVENSSON"])
        #expect(read11.tagList == [0x5F0E, 0x5F2B, 0x5F11, 0x5F0F, 0x5F10])
        #expect(read11.findings.isEmpty)

        var dg12 = DG12()
        dg12[.issuingAuthority] = "UTOPIA PASSPORT OFFICE"
        dg12[.dateOfIssue] = "20240131"
        dg12[.personalizationDateTime] = "20240131120000"
        dg12.setBytes(.imageOfFront, [0xFF, 0xD8, 0xFF, 0xD9])
        dg12.otherPersons = ["CHILD<<ONE"]
        let bytes12 = dg12.encode()
        let read12 = try DG12(bytes: bytes12)
        #expect(read12.encode() == bytes12)
        #expect(read12[.issuingAuthority] == "UTOPIA PASSPORT OFFICE")
        #expect(read12.bytes(.imageOfFront) == [0xFF, 0xD8, 0xFF, 0xD9])
        #expect(read12.otherPersons == ["CHILD<<ONE"])
        #expect(read12.tagList.contains(0x5F1A))
    }

    @Test func dg11TagListDisagreementIsAFinding() throws {
        // 6B { 5C 02 5F0E, 5F10 03 "123" }: the list names the full name, the file holds the personal number.
        let bytes: [UInt8] = [0x6B, 0x0A, 0x5C, 0x02, 0x5F, 0x0E, 0x5F, 0x10, 0x03, 0x31, 0x32, 0x33]
        let dg11 = try DG11(bytes: bytes)
        #expect(dg11.encode() == bytes)
        #expect(dg11[.personalNumber] == "123")
        #expect(dg11.findings.count == 2)
    }

    @Test func dg14OfTheBSIReferenceDataHoldsCAAndTAInfos() throws {
        let dg14 = try DG14(bytes: TestSupport.vector("pymrtd/DG14_BSI_TR03105-5.bin"))
        let infos = dg14.securityInfos
        #expect(infos.infos.count == 3)
        let key = try #require(infos.chipAuthenticationPublicKeyInfos.first)
        #expect(key.protocolIdentifier.securityProtocolName == "id-PK-ECDH")
        #expect(key.chipAuthenticationPublicKey.ecDomain?.isExplicit == true)
        let ca = try #require(infos.chipAuthenticationInfos.first)
        #expect(ca.protocolIdentifier.securityProtocolName == "id-CA-ECDH-3DES-CBC-CBC" && ca.version == 1 && ca.keyId == nil)
        #expect(infos.terminalAuthenticationInfos.first?.version == 1)
        #expect(infos.unknownInfos.isEmpty)
    }

    @Test func dg15HoldsAnRSAActiveAuthenticationKey() throws {
        let dg15 = try DG15(bytes: TestSupport.vector("pymrtd/DG15_ETSI_TR103200.bin"))
        #expect(try dg15.publicKey.description == "RSA 1024")
    }

    @Test func efCardAccessOfTheWorkedExample() throws {
        let access = try EFCardAccess(bytes: TestSupport.vector("eac-worked-example/EF_CardAccess.bin"))
        let infos = access.securityInfos
        #expect(infos.infos.map(\.typeName) == ["TerminalAuthenticationInfo", "ChipAuthenticationInfo", "PACEInfo",
                                                "ChipAuthenticationDomainParameterInfo", "SecurityInfo", "SecurityInfo"])
        let pace = try #require(infos.paceInfos.first)
        #expect(pace.protocolIdentifier.securityProtocolName == "id-PACE-ECDH-GM-AES-CBC-CMAC-128")
        #expect(pace.version == 2 && pace.parameterId == 13)
        #expect(PACEInfo.standardizedDomainParameterName(13) == "brainpoolP256r1")
        #expect(infos.chipAuthenticationInfos.first?.keyId == 1)
        guard case .domainParameters(let domain) = infos.infos[3] else { Issue.record("not a domain parameter info"); return }
        #expect(domain.kind == .chipAuthentication && domain.standardizedParameterId == 13 && domain.identifier == 1)
        #expect(infos.unknownInfos.map { $0.protocolIdentifier.securityProtocolName } == ["id-CI", "id-PT"])
    }

    @Test func efCardSecurityIsSignedAndHoldsTheChipKey() throws {
        let security = try EFCardSecurity(bytes: TestSupport.vector("eac-worked-example/EF_CardSecurity.bin"))
        #expect(security.signedData.verify().isValid)
        let key = try #require(security.securityInfos.chipAuthenticationPublicKeyInfos.first)
        #expect(key.protocolIdentifier == .EAC.pkECDH)
        #expect(key.chipAuthenticationPublicKey.algorithm.algorithm == .EAC.standardizedDomainParameters)
        #expect(!security.securityInfos.unknownInfos.isEmpty, "RestrictedIdentificationInfo entries are kept raw")
    }

    @Test func builtSecurityInfosKeepTheirOrderOrSortForDER() throws {
        let infos = SecurityInfos([
            .activeAuthentication(ActiveAuthenticationInfo(signatureAlgorithm: [0, 4, 0, 127, 0, 7, 1, 1, 4, 1, 3])),
            .terminalAuthentication(TerminalAuthenticationInfo(version: 1, efCVCA: .init(fid: [0x01, 0x1C], sfid: [0x1C]))),
            .pace(PACEInfo(protocolIdentifier: [0, 4, 0, 127, 0, 7, 2, 2, 4, 2, 2], parameterId: 13)),
        ])
        let dg14 = DG14(securityInfos: infos)
        let bytes = try dg14.encode()
        let read = try DG14(bytes: bytes)
        #expect(read.securityInfos == infos, "order as built")
        #expect(try read.encode() == bytes)
        #expect(read.securityInfos.activeAuthenticationInfos.first?.signatureAlgorithm.securityProtocolName == "ecdsa-plain-SHA256")
        #expect(read.securityInfos.terminalAuthenticationInfos.first?.efCVCA?.fid == [0x01, 0x1C])
        let sorted = try infos.sortedForDER()
        #expect(sorted.infos.map(\.typeName) == ["PACEInfo", "TerminalAuthenticationInfo", "ActiveAuthenticationInfo"])
    }
}

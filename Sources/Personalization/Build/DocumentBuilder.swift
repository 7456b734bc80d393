import ChipAccess
import CVC
import Foundation
import LDS
import PKICore
import SmartCard
import SwiftASN1

/// Everything one chip receives, in the order the line writes it: the master file's files, the LDS1 application's
/// files, and the secrets and keys that go in by PUT DATA.
///
/// ```
/// MF         EF.ATR/INFO 2F01   EF.CardAccess 011C (PACEInfo)   EF.CardSecurity 011D (signed SecurityInfos)
/// LDS1       EF.COM 011E   EF.DG1 … EF.DG15 0101 …   EF.SOD 011D   EF.CVCA 011C
/// PUT DATA   MRZ secret, CAN, PIN, Chip Authentication key, Active Authentication key (and its hash),
///            trust points (newest first), the chip's date
/// ```
public struct ChipContent: Sendable {
    public struct File: Sendable, Hashable {
        public enum Place: String, Sendable, Hashable { case masterFile, application }
        public let place: Place
        public let identifier: UInt16
        public let name: String
        public let bytes: [UInt8]
    }

    public var files: [File]
    /// Each data group's bytes, as EF.SOD hashes them.
    public var dataGroups: [Int: [UInt8]]
    public var mrz: MRZ
    public var can: String?
    public var pin: String?
    public var keys: ChipKeys
    public var activeAuthenticationHash: HashAlgorithm?
    /// Newest first; at most two (TR-03110-3 §2.6).
    public var trustPoints: [CVCertificate]
    /// The date of personalization, the chip's first current date.
    public var chipDate: CVDate?
    public var sod: [UInt8]?

    public func file(_ name: String) -> File? { files.first { $0.name == name } }
}

/// Builds a chip's content from a validated order, the domain's chip profile and the document's fresh keys, and
/// signs its security objects through the Document Signer.
public struct DocumentBuilder: Sendable {
    public let profile: ChipProfile
    /// The CVCA certificates the chip trusts, newest first (from the domain's CVCA: current, then previous).
    public let trustPoints: [CVCertificate]
    public let clock: any PKIClock

    public init(profile: ChipProfile, trustPoints: [CVCertificate] = [], clock: any PKIClock = SystemClock()) throws {
        try profile.validate()
        if profile.terminalAuthentication {
            guard (1...2).contains(trustPoints.count) else {
                throw PersonalizationError(.invalidProfile, "the profile has Terminal Authentication: give the CVCA's trust points (one or two), not \(trustPoints.count)")
            }
            for point in trustPoints where point.role != .cvca {
                throw PersonalizationError(.invalidProfile, "trust point \(point.chr) is a \(point.role) certificate, not a CVCA's")
            }
        }
        self.profile = profile
        self.trustPoints = profile.terminalAuthentication ? trustPoints.sorted { $0.body.effectiveDate > $1.body.effectiveDate } : []
        self.clock = clock
    }

    /// The data groups, EF.COM, EF.CardAccess and EF.CVCA: everything but the signed files.
    public func content(for order: ValidatedOrder, keys: ChipKeys) throws -> ChipContent {
        let wanted = Set(profile.dataGroups)
        var groups: [Int: [UInt8]] = [1: DG1(mrz: order.mrz).encode()]
        let imageType: FaceImage.ImageDataType = order.photoHeader.format == .jpeg ? .jpeg : .jpeg2000
        groups[2] = DG2(faces: [FacialRecord(images: [FaceImage(
            imageData: order.photo, imageDataType: imageType, width: UInt16(order.photoHeader.width), height: UInt16(order.photoHeader.height),
            gender: Self.gender(order.mrz.sex))])]).encode()
        if !order.fingers.isEmpty {
            guard wanted.contains(3) else { throw PersonalizationError(.invalidOrder, "fingerprints: the domain's chip profile writes no DG3") }
            // One record per compression: 19794-4 declares the algorithm per record (2 WSQ, 4 JPEG, 5 JPEG 2000).
            let byFormat = Dictionary(grouping: order.fingers, by: \.header.format)
            var records: [FingerImageRecord] = []
            for format in [ImageFormat.wsq, .jpeg, .jpeg2000] {
                guard let fingers = byFormat[format] else { continue }
                records.append(FingerImageRecord(fingers: fingers.map {
                    FingerImage(position: $0.position, width: UInt16($0.header.width), height: UInt16($0.header.height), imageData: $0.image)
                }, compressionAlgorithm: format == .wsq ? 2 : format == .jpeg ? 4 : 5))
            }
            groups[3] = DG3(fingers: records).encode()
        }
        if let dg11 = order.dg11, wanted.contains(11) { groups[11] = dg11.encode() }
        if let dg12 = order.dg12, wanted.contains(12) { groups[12] = dg12.encode() }

        let paceInfo = try profile.paceInfo()
        var chipSecurityInfos: [SecurityInfo] = []
        if let key = keys.chipAuthentication, let protocolIdentifier = try profile.chipAuthenticationProtocol() {
            chipSecurityInfos.append(.chipAuthentication(ChipAuthenticationInfo(protocolIdentifier: protocolIdentifier, version: 1)))
            chipSecurityInfos.append(.chipAuthenticationPublicKey(try Self.publicKeyInfo(key)))
        }
        if profile.terminalAuthentication {
            chipSecurityInfos.append(.terminalAuthentication(TerminalAuthenticationInfo(version: 1)))
        }
        var dg14Infos = chipSecurityInfos
        if let paceInfo { dg14Infos.append(.pace(paceInfo)) }
        if let key = keys.activeAuthentication, key.publicKey.isEC, let settings = profile.activeAuthentication,
           let hash = HashAlgorithm(rawValue: settings.hash.lowercased()) {
            dg14Infos.append(.activeAuthentication(ActiveAuthenticationInfo(signatureAlgorithm: try Self.plainECDSA(hash))))
        }
        if wanted.contains(14), !dg14Infos.isEmpty { groups[14] = try DG14(securityInfos: SecurityInfos(dg14Infos).sortedForDER()).encode() }
        if let key = keys.activeAuthentication {
            groups[15] = try DG15(subjectPublicKeyInfo: key.publicKey.subjectPublicKeyInfo).encode()
        }
        for (number, bytes) in groups {
            if let limit = profile.maximumSize(of: number), bytes.count > limit {
                throw PersonalizationError(.invalidOrder, "DG\(number) would be \(bytes.count) bytes, more than the profile's \(limit)")
            }
        }

        var files: [ChipContent.File] = [ChipContent.File(place: .masterFile, identifier: 0x2F01, name: "EF.ATR/INFO", bytes: ATRInfo.eMRTD.encoded)]
        if let paceInfo {
            files.append(ChipContent.File(place: .masterFile, identifier: 0x011C, name: "EF.CardAccess",
                                          bytes: try EFCardAccess(securityInfos: SecurityInfos([.pace(paceInfo)])).encode()))
        }
        let com = try EFCOM(ldsVersion: profile.ldsVersion, unicodeVersion: profile.unicodeVersion,
                            dataGroups: groups.keys.sorted().compactMap { DataGroupNumber($0) }).encode()
        files.append(ChipContent.File(place: .application, identifier: 0x011E, name: "EF.COM", bytes: com))
        for number in groups.keys.sorted() {
            files.append(ChipContent.File(place: .application, identifier: 0x0100 + UInt16(number), name: "EF.DG\(number)", bytes: groups[number] ?? []))
        }
        if !trustPoints.isEmpty {
            files.append(ChipContent.File(place: .application, identifier: 0x011C, name: "EF.CVCA", bytes: try EFCVCA(trustPoints: trustPoints).encoded))
        }
        let hash = try profile.activeAuthentication.flatMap { settings -> HashAlgorithm? in
            guard keys.activeAuthentication?.publicKey.isEC == true else { return nil }
            guard let value = HashAlgorithm(rawValue: settings.hash.lowercased()) else {
                throw PersonalizationError(.invalidProfile, "activeAuthentication.hash: '\(settings.hash)'")
            }
            return value
        }
        return ChipContent(
            files: files, dataGroups: groups, mrz: order.mrz, can: order.can, pin: order.pin, keys: keys, activeAuthenticationHash: hash,
            trustPoints: trustPoints, chipDate: trustPoints.isEmpty ? nil : try CVDate(clock.now()), sod: nil)
    }

    /// Signs EF.SOD over the data groups and, for a PACE chip with Chip Authentication, EF.CardSecurity over the
    /// chip's SecurityInfos; both with the Document Signer, both read back and verified before they are used.
    public func sign(_ content: ChipContent, with sodSigner: SODSigner) throws -> ChipContent {
        var signed = content
        let sod: [UInt8]
        do {
            sod = try sodSigner.sign(dataGroups: content.dataGroups).encode()
        } catch let error as CodedErrorDescribing {
            throw PersonalizationError(.signingFailed, "EF.SOD: \(error.reasonText)")
        }
        signed.sod = sod
        var files = content.files
        files.append(ChipContent.File(place: .application, identifier: 0x011D, name: "EF.SOD", bytes: sod))
        if profile.pace != nil, let key = content.keys.chipAuthentication, let protocolIdentifier = try profile.chipAuthenticationProtocol(),
           let paceInfo = try profile.paceInfo() {
            var infos: [SecurityInfo] = [
                .pace(paceInfo), .chipAuthentication(ChipAuthenticationInfo(protocolIdentifier: protocolIdentifier, version: 1)),
                .chipAuthenticationPublicKey(try Self.publicKeyInfo(key)),
            ]
            if profile.terminalAuthentication { infos.append(.terminalAuthentication(TerminalAuthenticationInfo(version: 1))) }
            let builder = SignedDataBuilder(
                eContentType: .EAC.securityObject, content: try SecurityInfos(infos).sortedForDER().encode(),
                signerCertificate: sodSigner.documentSigner, digest: sodSigner.hash, identification: sodSigner.identification,
                signingTime: sodSigner.includeSigningTime ? clock.now() : nil)
            let bytes: [UInt8]
            do {
                let signedData = try builder.sign(with: sodSigner.signer, algorithm: sodSigner.signatureAlgorithm)
                bytes = try signedData.contentInfoDER()
                // Read back as a terminal reads it, and check the signature with the DS certificate.
                let reread = try EFCardSecurity(bytes: bytes)
                let report = reread.signedData.verify(signerCertificate: sodSigner.documentSigner)
                guard report.isValid else {
                    throw PersonalizationError(.signingFailed, "EF.CardSecurity does not verify with the DS certificate after signing: \(report)")
                }
            } catch let error as CodedErrorDescribing {
                throw PersonalizationError(.signingFailed, "EF.CardSecurity: \(error.reasonText)")
            }
            files.insert(ChipContent.File(place: .masterFile, identifier: 0x011D, name: "EF.CardSecurity", bytes: bytes),
                         at: files.firstIndex { $0.place == .application } ?? files.endIndex)
        }
        signed.files = files
        return signed
    }

    /// ChipAuthenticationPublicKeyInfo with standardized domain parameters by ID (TR-03110-3 §A.2.1.1), the form
    /// of the 9303-11 Appendix I example.
    static func publicKeyInfo(_ key: ChipKeys.ChipAuthenticationKey) throws -> ChipAuthenticationPublicKeyInfo {
        let algorithm = AlgorithmIdentifier(algorithm: .EAC.standardizedDomainParameters, parameters: try ASN1Any(erasing: key.parameterId))
        return ChipAuthenticationPublicKeyInfo(
            protocolIdentifier: .EAC.pkECDH,
            chipAuthenticationPublicKey: SubjectPublicKeyInfo(algorithm: algorithm, subjectPublicKey: ASN1BitString(bytes: ArraySlice(key.publicPoint))))
    }

    /// ecdsa-plain-SHAn (TR-03111 §5.2.1), the signature algorithm of ECDSA Active Authentication.
    static func plainECDSA(_ hash: HashAlgorithm) throws -> ASN1ObjectIdentifier {
        let suffix: UInt
        switch hash {
        case .sha224: suffix = 2
        case .sha256: suffix = 3
        case .sha384: suffix = 4
        case .sha512: suffix = 5
        default: throw PersonalizationError(.invalidProfile, "activeAuthentication.hash: \(hash) is not allowed for ECDSA (9303-11 §6.1)")
        }
        return try ASN1ObjectIdentifier(elements: [0, 4, 0, 127, 0, 7, 1, 1, 4, 1, suffix])
    }

    /// ISO/IEC 19794-5 gender: 1 male, 2 female, 0 unspecified.
    static func gender(_ sex: String) -> UInt8 {
        switch sex {
        case "M": 1
        case "F": 2
        default: 0
        }
    }
}

/// Errors of the layers below, for messages that keep their reason without their module's prefix.
protocol CodedErrorDescribing: Error {
    var reasonText: String { get }
}

extension PKIError: CodedErrorDescribing { var reasonText: String { reason } }
extension LDSError: CodedErrorDescribing { var reasonText: String { reason } }
extension PersonalizationError: CodedErrorDescribing { var reasonText: String { reason } }

import ChipAccess
import CVC
import Foundation
import LDS
import PKICore
import SmartCard
import SwiftASN1

/// The inspection of an eMRTD at the border, in the order of ICAO Doc 9303-11 §4 and §7 (JMRTD's reader and BSI
/// TR-03105-5.1 check the same order):
///
/// ```
/// 1  EF.CardAccess (master file, in plain)        PACE offered?          EF.ATR/INFO: extended length?
/// 2  PACE with the MRZ or the CAN, else BAC with the MRZ
/// 3  SELECT the LDS1 application; EF.COM, EF.SOD, the data groups they list (DG3/DG4 later)
/// 4  Chip Authentication with DG14's key (or the PACE-CAM check against EF.CardSecurity's key)
/// 5  Terminal Authentication with the IS certificate chain the chip's EF.CVCA names; then DG3/DG4 as granted
/// 6  Active Authentication with DG15's key
/// 7  passive authentication through the trust source (the NPKD), which also binds DG14 and DG15 to the issuer
/// ```
/// Never throws: a refusal, a transport failure or a malformed file is a failed step with its reason, and the
/// steps that depended on it are "not checked".
public struct InspectionSystem: Sendable {
    public enum Password: Sendable {
        case mrz(BACKey)
        case can(String)
    }

    /// An inspection system's certificate chain, CVCA first, and the key of its last (IS) certificate.
    public struct TerminalCredentials: Sendable {
        public let chain: [CVCertificate]
        public let key: any Signer

        public init(chain: [CVCertificate], key: any Signer) {
            self.chain = chain
            self.key = key
        }
    }

    public var password: Password
    /// The inspection system's chains, one per CVCA whose documents it reads (its own country's and the foreign
    /// ones its DVCA holds certificates of): the chip's EF.CVCA picks the one to use.
    public var terminals: [TerminalCredentials]
    /// Who verifies the data: in process against a trust source, or the NPKD's service.
    public var passiveAuthentication: any PassiveAuthenticationService
    /// Whether to read DG3 and DG4 after Terminal Authentication.
    public var readBiometrics = true

    public init(password: Password, terminal: TerminalCredentials? = nil, passiveAuthentication: PassiveAuthentication) {
        self.init(password: password, terminal: terminal, passiveAuthenticationService: LocalPassiveAuthentication(passiveAuthentication))
    }

    public init(password: Password, terminal: TerminalCredentials? = nil, passiveAuthenticationService: any PassiveAuthenticationService) {
        self.init(password: password, terminals: terminal.map { [$0] } ?? [], passiveAuthenticationService: passiveAuthenticationService)
    }

    public init(password: Password, terminals: [TerminalCredentials], passiveAuthenticationService: any PassiveAuthenticationService) {
        self.password = password
        self.terminals = terminals
        self.passiveAuthentication = passiveAuthenticationService
    }

    static let selectMasterFile = CommandAPDU(ins: 0xA4, p1: 0x00, p2: 0x0C, data: [0x3F, 0x00])
    static let selectApplication = CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01])

    /// Inspects the document on `transport` (a reader's card, or a chip in process).
    public func inspect(_ transport: any CardTransport) -> InspectionReport {
        var run = Run(system: self, plain: transport)
        run.perform()
        return run.report
    }

    /// One inspection's state as it goes through the steps.
    struct Run {
        let system: InspectionSystem
        let plain: any CardTransport
        var report = InspectionReport()
        var secure: SecureMessagingTransport?
        var chunkSize = 0xDF
        var paceOutcome: PACETerminal.Outcome?
        /// Whether PACE ran with the Chip Authentication Mapping, whose proof (DO'8A') is then required.
        var paceChipAuthenticationMapping = false
        var bacKey: BACKey?
        var terminalEphemeralKey: [UInt8]?
        var chipIdentifier: [UInt8]?
        var securityInfos: SecurityInfos?
        /// EF.CardAccess's SecurityInfos, compared with EF.CardSecurity's when that is read.
        var cardAccessInfos: SecurityInfos?
        /// EF.CardSecurity as read for the PACE-CAM check, whose signature is checked after passive authentication.
        var cardSecurity: EFCardSecurity?

        init(system: InspectionSystem, plain: any CardTransport) {
            self.system = system
            self.plain = plain
        }

        mutating func step<T>(_ name: String, _ body: (inout Run) throws -> (InspectionReport.Verdict, String, T)) -> T? {
            let start = ContinuousClock.now
            defer {
                let elapsed = ContinuousClock.now - start
                report.durations[name] = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            }
            do {
                let (verdict, detail, value) = try body(&self)
                report.steps.add(name, Self.status(verdict), detail)
                return value
            } catch {
                report.steps.add(name, .failed, Self.reason(error))
                return nil
            }
        }

        static func status(_ verdict: InspectionReport.Verdict) -> VerificationReport.Status {
            switch verdict {
            case .passed: .passed
            case .failed: .failed
            case .notChecked: .notChecked
            }
        }

        static func reason(_ error: any Error) -> String {
            if let coded = error as? any CodedError { return coded.reason }
            return "\(error)"
        }

        mutating func perform() {
            let paceInfos = readCardAccess()
            readATRInfo()
            guard openChip(paceInfos) else { return }
            let files = readFiles()
            chipAuthentication(files)
            terminalAuthentication(files)
            activeAuthentication(files)
            passiveAuthentication()
            cardSecuritySignature()
            compareMRZ()
        }

        // MARK: 1 The master file

        mutating func readCardAccess() -> [PACEInfo] {
            step("EF.CardAccess") { run in
                _ = try? run.plain.send(InspectionSystem.selectMasterFile)
                let reader = ElementaryFileReader(run.plain)
                let bytes: [UInt8]
                do {
                    bytes = try reader.read(0x011C, name: "EF.CardAccess")
                } catch let error as SmartCardError where error.statusWord == .fileNotFound {
                    return (.notChecked, "absent: the chip offers no PACE", [])
                }
                let all = try EFCardAccess(bytes: bytes).securityInfos
                run.cardAccessInfos = all
                let infos = all.paceInfos
                return (.passed, "\(infos.count) PACEInfo(s)", infos)
            } ?? []
        }

        mutating func readATRInfo() {
            _ = step("EF.ATR/INFO") { run -> (InspectionReport.Verdict, String, Void) in
                let bytes: [UInt8]
                do {
                    bytes = try ElementaryFileReader(run.plain).read(0x2F01, size: 256, name: "EF.ATR/INFO")
                } catch let error as SmartCardError where error.statusWord == .fileNotFound || error.statusWord == .securityStatusNotSatisfied {
                    return (.notChecked, "absent: short reads of 223 bytes", ())
                }
                let info = try ATRInfo(encoded: bytes)
                // A file with neither card capabilities nor the extended length sizes tells nothing it should: its
                // objects are not those of Doc 9303-10 §3.11.4 (reads stay short, the inspection goes on).
                if info.cardCapabilities == nil && info.maximumCommandLength == nil {
                    let tags = info.otherObjects.map { String($0.tag, radix: 16, uppercase: true) }.joined(separator: ", ")
                    return (.failed, "neither card capabilities (47) nor extended length information (7F66)\(tags.isEmpty ? "" : "; objects \(tags)"): reads of 223 bytes", ())
                }
                if info.supportsExtendedLength, let response = info.maximumResponseLength, response > 0x100 {
                    // Room for the secure messaging objects around the data.
                    run.chunkSize = min(response - 64, 0xFF00)
                    return (.passed, "extended length: reads of \(run.chunkSize) bytes", ())
                }
                return (.passed, "no extended length: reads of 223 bytes", ())
            }
        }

        /// EF.CardAccess is not signed; EF.CardSecurity holds its SecurityInfos too, signed (Doc 9303-11 §9.2.1,
        /// TR-03110-3 A.1.2): one missing or changed there means PACE ran on parameters the issuer did not sign.
        mutating func compareCardAccess(with security: EFCardSecurity) {
            guard let cardAccess = cardAccessInfos else { return }
            let signed = Set(security.securityInfos.infos.compactMap { try? SecurityInfos([$0]).encode() })
            let missing = cardAccess.infos.filter { info in (try? SecurityInfos([info]).encode()).map { !signed.contains($0) } ?? true }
            if missing.isEmpty {
                report.steps.add("EF.CardAccess in EF.CardSecurity", .passed, "EF.CardSecurity holds all \(cardAccess.infos.count) SecurityInfo(s) of EF.CardAccess")
            } else {
                report.steps.add("EF.CardAccess in EF.CardSecurity", .failed,
                                 "EF.CardSecurity lacks \(missing.count) of EF.CardAccess's SecurityInfos (\(missing.map(\.protocolIdentifier.description).joined(separator: ", ")))")
            }
        }

        // MARK: 2 Access

        mutating func openChip(_ paceInfos: [PACEInfo]) -> Bool {
            if let parameters = paceInfos.lazy.compactMap({ try? PACEParameters($0) }).first {
                let password: PACEPassword
                switch system.password {
                case .mrz(let key): password = .mrz(key)
                case .can(let can): password = .can(can)
                }
                let outcome: PACETerminal.Outcome? = step("PACE") { run in
                    let outcome = try PACETerminal(parameters: parameters, password: password).authenticate(over: run.plain)
                    return (.passed, "\(parameters.mapping) \(parameters.cipher) on \(parameters.domain) with the \(password.name)", outcome)
                }
                if let outcome {
                    paceOutcome = outcome
                    paceChipAuthenticationMapping = parameters.mapping == .chipAuthentication
                    secure = outcome.transport
                    chipIdentifier = try? TerminalAuthentication.chipIdentifier(paceChipPublicKey: outcome.chipPublicKey,
                                                                                  domain: parameters.domain)
                    if parameters.mapping == .chipAuthentication { terminalEphemeralKey = outcome.terminalPublicKey }
                    report.access = "PACE \(parameters.mapping) \(parameters.cipher) (\(password.name))"
                    return step("SELECT LDS1 application") { run in
                        guard let secure = run.secure else { return (.failed, "no session", false) }
                        _ = try secure.sendSuccessfully(InspectionSystem.selectApplication, "SELECT eMRTD application")
                        return (.passed, "A0000002471001", true)
                    } ?? false
                }
            }
            // BAC: when PACE is not offered, or failed (9303-11 §4.2: a terminal may fall back).
            guard case .mrz(let key) = system.password else {
                report.steps.add("BAC", .notChecked, "no MRZ given: BAC needs it (the CAN opens PACE only)")
                return false
            }
            return step("BAC") { run in
                _ = try run.plain.sendSuccessfully(InspectionSystem.selectApplication, "SELECT eMRTD application")
                run.secure = try BasicAccessControl.authenticate(over: run.plain, key: key)
                run.bacKey = key
                run.chipIdentifier = TerminalAuthentication.chipIdentifier(key)
                run.report.access = "BAC"
                return (.passed, "3DES session with the MRZ's keys", true)
            } ?? false
        }

        // MARK: 3 Files

        struct Files {
            var dg14: DG14?
            var dg15: DG15?
            var listed: Set<Int> = []
        }

        mutating func read(_ identifier: UInt16, _ name: String) throws -> [UInt8] {
            guard let secure, !secure.isClosed else { throw SmartCardError(.transportFailure, "\(name): the secure messaging session is closed") }
            return try ElementaryFileReader(secure, chunkSize: chunkSize).read(identifier, name: name)
        }

        mutating func readFiles() -> Files {
            var files = Files()
            report.efCOM = step("EF.COM") { run in
                let bytes = try run.read(0x011E, "EF.COM")
                let com = try EFCOM(bytes: bytes)
                files.listed.formUnion(com.dataGroups.map(\.value))
                return (.passed, "lists \(com.dataGroups.map(\.description).joined(separator: ", "))", bytes)
            }
            report.efSOD = step("EF.SOD") { run in
                let bytes = try run.read(0x011D, "EF.SOD")
                let sod = try EFSOD(bytes: bytes)
                let numbers = sod.securityObject.dataGroupHashValues.map(\.dataGroupNumber)
                files.listed.formUnion(numbers)
                return (.passed, "hashes of DG\(numbers.map(String.init).joined(separator: ", DG"))", bytes)
            }
            for number in files.listed.sorted() where number != 3 && number != 4 {
                readDataGroup(number)
            }
            if let dg14 = report.dataGroups[14] {
                files.dg14 = step("DG14 decoded") { _ in
                    let decoded = try DG14(bytes: dg14)
                    // A SecurityInfo under a protocol we know that does not decode as that protocol's structure
                    // (a ChipAuthenticationInfo without its version, …): DG14 is malformed, not merely extended.
                    let broken = decoded.securityInfos.infos.compactMap { info -> String? in
                        if case .unknown(let unknown) = info, let note = unknown.note { return note }
                        return nil
                    }
                    guard broken.isEmpty else { return (.failed, broken.joined(separator: "; "), decoded) }
                    return (.passed, "SecurityInfos", decoded)
                }
            }
            if let dg15 = report.dataGroups[15] {
                files.dg15 = step("DG15 decoded") { _ in (.passed, "Active Authentication public key", try DG15(bytes: dg15)) }
            }
            return files
        }

        mutating func readDataGroup(_ number: Int) {
            _ = step("DG\(number) read") { run -> (InspectionReport.Verdict, String, Void) in
                let bytes = try run.read(UInt16(0x0100 + number), "DG\(number)")
                run.report.dataGroups[number] = bytes
                return (.passed, "\(bytes.count) bytes", ())
            }
            // What Doc 9303-10 fixes of the group's encoding (a signed group can still be malformed).
            if let bytes = report.dataGroups[number], DataGroupEncoding.checks(number) {
                let problems = DataGroupEncoding.problems(number, bytes)
                report.steps.add("DG\(number) encoding", problems.isEmpty ? .passed : .failed,
                                 problems.isEmpty ? "as Doc 9303-10 describes it" : problems.joined(separator: "; "))
            }
        }

        // MARK: 4 Chip Authentication

        mutating func chipAuthentication(_ files: Files) {
            if let outcome = paceOutcome, paceChipAuthenticationMapping {
                _ = step("PACE-CAM") { run -> (InspectionReport.Verdict, String, Void) in
                    _ = try run.secure?.sendSuccessfully(InspectionSystem.selectMasterFile, "SELECT MF")
                    let security = try EFCardSecurity(bytes: run.read(0x011D, "EF.CardSecurity"))
                    run.cardSecurity = security
                    run.compareCardAccess(with: security)
                    _ = try run.secure?.sendSuccessfully(InspectionSystem.selectApplication, "SELECT eMRTD application")
                    guard let info = security.securityInfos.chipAuthenticationPublicKeyInfos.first else {
                        // Nothing to check the mapping against: the chip is not proven, and PACE-CAM chips must name it.
                        run.report.chipGenuine = .failed
                        return (.failed, "EF.CardSecurity names no Chip Authentication public key", ())
                    }
                    let key = try ChipAuthentication.ChipKey(info)
                    guard let curve = key.curve else { return (.failed, "a DH key under PACE-CAM", ()) }
                    do {
                        try PACE.verifyChipAuthenticationMapping(outcome, chipStaticPublicKey: key.publicPoint, curve: curve)
                    } catch {
                        run.report.chipGenuine = .failed
                        throw error
                    }
                    run.report.chipGenuine = .passed
                    return (.passed, "the mapping key is the one EF.CardSecurity names (its signature: see below)", ())
                }
                return
            }
            guard let dg14 = files.dg14 else {
                report.steps.add("Chip Authentication", .notChecked, "no DG14: the chip does not support it")
                return
            }
            let infos = dg14.securityInfos
            guard let keyInfo = infos.chipAuthenticationPublicKeyInfos.first else {
                if infos.chipAuthenticationInfos.isEmpty {
                    report.steps.add("Chip Authentication", .notChecked, "DG14 has no Chip Authentication public key")
                } else {
                    // DG14 announces the protocol but names no key for it: the signed data contradicts itself.
                    report.steps.add("Chip Authentication", .failed, "DG14 has a ChipAuthenticationInfo but no ChipAuthenticationPublicKeyInfo")
                }
                return
            }
            // Chip Authentication versions 1 (EAC1) to 3 (TR-03110-3 A.1.1.2); another one is a malformed DG14.
            if let unknown = infos.chipAuthenticationInfos.first(where: { !(1...3).contains($0.version) }) {
                report.steps.add("Chip Authentication", .failed, "DG14's ChipAuthenticationInfo has version \(unknown.version), not 1, 2 or 3")
                return
            }
            _ = step("Chip Authentication") { run -> (InspectionReport.Verdict, String, Void) in
                let key = try ChipAuthentication.ChipKey(keyInfo)
                let protocolIdentifier = infos.chipAuthenticationInfos.first(where: { $0.keyId == keyInfo.keyId })?.protocolIdentifier
                    ?? infos.chipAuthenticationInfos.first?.protocolIdentifier
                    // 9303-11 §9.2.5: without ChipAuthenticationInfo, 3DES is assumed.
                    ?? Self.defaultChipAuthenticationProtocol(dh: key.curve == nil)
                guard let secure = run.secure else { return (.failed, "no session", ()) }
                do {
                    run.terminalEphemeralKey = try ChipAuthentication.authenticate(over: secure, chipKey: key, protocolIdentifier: protocolIdentifier)
                    // The chip answers under the new keys only if it holds DG14's private key; a read proves it.
                    _ = try secure.sendSuccessfully(ElementaryFileReader.select(0x011E), "SELECT EF.COM under the new keys")
                } catch {
                    run.report.chipGenuine = .failed
                    run.terminalEphemeralKey = nil
                    throw error
                }
                run.report.chipGenuine = .passed
                return (.passed, "\(protocolIdentifier) with DG14's key on \(key.domain): the chip answers under the new keys", ())
            }
        }

        /// id-CA-ECDH-3DES-CBC-CBC or id-CA-DH-3DES-CBC-CBC.
        static func defaultChipAuthenticationProtocol(dh: Bool) -> ASN1ObjectIdentifier {
            dh ? [0, 4, 0, 127, 0, 7, 2, 2, 3, 1, 1] : [0, 4, 0, 127, 0, 7, 2, 2, 3, 2, 1]
        }

        // MARK: 5 Terminal Authentication

        mutating func terminalAuthentication(_ files: Files) {
            let wantsBiometrics = files.listed.contains(3) || files.listed.contains(4)
            guard !system.terminals.isEmpty else {
                if wantsBiometrics { report.steps.add("Terminal Authentication", .notChecked, "no inspection-system certificate given: DG3/DG4 not read") }
                return
            }
            guard terminalEphemeralKey != nil, let chipIdentifier else {
                report.steps.add("Terminal Authentication", .notChecked, "needs Chip Authentication (or PACE-CAM) first, which did not succeed")
                return
            }
            let outcome: CertificateHolderAuthorizationTemplate.InspectionSystemRights?? = step("Terminal Authentication") { run in
                guard let secure = run.secure, let ephemeral = run.terminalEphemeralKey else { return (.failed, "no session", nil) }
                // EF.CVCA is 011C (short identifier 1C) in every LDS (9303-10 §3.11.3); a TerminalAuthenticationInfo
                // that names another file describes a chip that is not what its signed data says.
                if let file = Self.terminalAuthenticationFile(files.dg14), file.fid != [0x01, 0x1C] || (file.sfid.map { $0 != [0x1C] } ?? false) {
                    let named = "FID \(file.fid.hexString)" + (file.sfid.map { ", SFID \($0.hexString)" } ?? "")
                    return (.failed, "DG14's TerminalAuthenticationInfo names EF.CVCA as \(named), not 011C / 1C", nil)
                }
                let efCVCA = try EFCVCA(encoded: ElementaryFileReader(secure).read(0x011C, size: EFCVCA.size, name: "EF.CVCA"))
                guard let (credentials, certificates) = run.system.terminals.lazy.compactMap({ credentials in
                    (try? TerminalAuthentication.certificatesToSend(credentials.chain, trustPoints: efCVCA.references)).map { (credentials, $0) }
                }).first else {
                    let held = run.system.terminals.compactMap { $0.chain.first?.chr }.joined(separator: ", ")
                    return (.failed, "none of the inspection system's chains (\(held)) reaches the chip's trust points (\(efCVCA.references.joined(separator: ", ")))", nil)
                }
                try TerminalAuthentication.authenticate(over: secure, certificates: certificates, terminalKey: credentials.key,
                                                        chipIdentifier: chipIdentifier, terminalEphemeralKey: ephemeral)
                let rights = CVCertificatePath(credentials.chain).effectiveAuthorization?.inspectionSystemRights ?? []
                run.report.biometricAccess = rights.description
                return (.passed, "\(certificates.map(\.chr).joined(separator: " → ")) under trust point \(efCVCA.references.joined(separator: ", ")): \(rights)", rights)
            }
            guard let granted = outcome ?? nil, system.readBiometrics else { return }
            for (number, right) in [(3, CertificateHolderAuthorizationTemplate.InspectionSystemRights.readDG3), (4, .readDG4)] where files.listed.contains(number) {
                // A group the chain does not grant is not asked for: the chip would refuse it, and that is no fault.
                guard granted.contains(right) else {
                    report.steps.add("DG\(number) read", .notChecked, "not granted by the inspection system's certificates (\(granted))")
                    continue
                }
                readDataGroup(number)
            }
        }

        /// The EF.CVCA file a TerminalAuthenticationInfo of DG14 names, if any.
        static func terminalAuthenticationFile(_ dg14: DG14?) -> TerminalAuthenticationInfo.FileID? {
            for info in dg14?.securityInfos.infos ?? [] {
                if case .terminalAuthentication(let ta) = info, let file = ta.efCVCA { return file }
            }
            return nil
        }

        // MARK: 6 Active Authentication

        mutating func activeAuthentication(_ files: Files) {
            guard let dg15 = files.dg15 else {
                if report.chipGenuine == .notChecked && files.dg14 == nil && !paceChipAuthenticationMapping {
                    report.steps.add("Active Authentication", .notChecked, "no DG15: the chip does not support it")
                }
                return
            }
            let hash = Self.activeAuthenticationHash(files.dg14?.securityInfos.activeAuthenticationInfos.first)
            _ = step("Active Authentication") { run -> (InspectionReport.Verdict, String, Void) in
                guard let secure = run.secure else { return (.failed, "no session", ()) }
                do {
                    try ActiveAuthentication.authenticate(over: secure, publicKey: dg15.publicKey, hash: hash)
                } catch {
                    run.report.chipGenuine = .failed
                    throw error
                }
                if run.report.chipGenuine == .notChecked { run.report.chipGenuine = .passed }
                return (.passed, "the chip signed a fresh challenge with DG15's key", ())
            }
        }

        /// The hash of ECDSA Active Authentication from DG14's ActiveAuthenticationInfo (ecdsa-with-SHA*).
        static func activeAuthenticationHash(_ info: ActiveAuthenticationInfo?) -> HashAlgorithm {
            switch info?.signatureAlgorithm.description {
            case "1.2.840.10045.4.3.1": .sha224
            case "1.2.840.10045.4.3.3": .sha384
            case "1.2.840.10045.4.3.4": .sha512
            default: .sha256
            }
        }

        // MARK: 7 Passive authentication

        mutating func passiveAuthentication() {
            guard let sod = report.efSOD else {
                report.steps.add("passive authentication", .notChecked, "EF.SOD was not read")
                return
            }
            let start = ContinuousClock.now
            let verdict: PassiveAuthenticationVerdict
            do {
                verdict = try system.passiveAuthentication.verify(sod: sod, dataGroups: report.dataGroups, efCOM: report.efCOM)
            } catch {
                report.steps.add("passive authentication", .notChecked, "could not be made: \(Self.reason(error))")
                return
            }
            let elapsed = ContinuousClock.now - start
            for check in verdict.checks {
                report.steps.add("PA \(check.name)", check.status, check.detail)
            }
            let failures = verdict.checks.filter { $0.status == .failed }.map(\.name)
            // A CSCA the trust source does not hold is not evidence of forgery: the data is "not verified" (the
            // officer checks by other means), unless something else failed too.
            let onlyUnknownCSCA = failures == [PassiveAuthentication.Check.dsIssuedByCSCA] && !verdict.issuerFound
            report.dataGenuine = verdict.isGenuine ? .passed : failures.isEmpty || onlyUnknownCSCA ? .notChecked : .failed
            let summary = verdict.isGenuine ? "the data groups read are those the issuer signed"
                : report.dataGenuine == .failed ? "failed: \(failures.joined(separator: ", "))"
                : "not verified: the issuer's CSCA is not known to the trust source"
            report.steps.add("passive authentication", Self.status(report.dataGenuine), "\(summary) (\(verdict.source))")
            // What EF.SOD lists but could not be read (DG3/DG4 aside, which Terminal Authentication may withhold)
            // leaves the document unproven: a chip that hides DG14 or DG15 must not pass as genuine.
            if let listed = try? EFSOD(bytes: sod).securityObject.dataGroupHashValues.map(\.dataGroupNumber) {
                let missing = listed.filter { ![3, 4].contains($0) && report.dataGroups[$0] == nil }
                if !missing.isEmpty {
                    report.steps.add("data groups complete", .failed, "EF.SOD lists DG\(missing.map(String.init).joined(separator: ", DG")), which could not be read")
                    if report.dataGenuine == .passed { report.dataGenuine = .notChecked }
                }
            }
            report.durations["passive authentication"] = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            // DG14 and DG15 carry the chip's keys: if their hashes fail, what the keys proved proves nothing.
            for number in [14, 15] where verdict.checks.first(where: { $0.name == PassiveAuthentication.Check.dataGroupHash(number) })?.status == .failed {
                report.chipGenuine = .failed
            }
        }

        /// The key the PACE-CAM check relied on is authentic only if EF.CardSecurity is signed by a Document Signer
        /// passive authentication verified: the chip's own DS, as EF.SOD names it (9303-11 §4.4.3.5.1, 9303-10 §3.11.4).
        mutating func cardSecuritySignature() {
            guard let security = cardSecurity else { return }
            let cms = security.signedData.verify(signerCertificate: nil)
            guard cms.isValid else {
                let failed = cms.checks.filter { $0.status == .failed }.map { "\($0.name): \($0.detail)" }.joined(separator: "; ")
                report.steps.add("EF.CardSecurity signature", .failed, "does not verify: \(failed)")
                report.chipGenuine = .failed
                return
            }
            let signer = security.signedData.embeddedSignerCertificate
            let documentSigner = report.efSOD.flatMap { try? EFSOD(bytes: $0).documentSignerCertificate }
            if let signer, signer == documentSigner {
                if report.dataGenuine == .passed {
                    report.steps.add("EF.CardSecurity signature", .passed, "signed by EF.SOD's Document Signer, which passive authentication verified")
                    return
                }
                report.steps.add("EF.CardSecurity signature", .notChecked, "signed by EF.SOD's Document Signer, which passive authentication did not verify")
            } else {
                report.steps.add("EF.CardSecurity signature", .notChecked,
                                 "signed by \(signer.map { "\($0.subject)" } ?? "an unnamed signer"), not by EF.SOD's Document Signer: its chain is not checked")
            }
            // The mapping key is then not shown to be the issuer's: the chip is not proven genuine.
            if report.chipGenuine == .passed { report.chipGenuine = .notChecked }
        }

        // MARK: The MRZ

        mutating func compareMRZ() {
            guard case .mrz(let key) = system.password, let dg1 = report.dataGroups[1] else { return }
            _ = step("MRZ") { _ -> (InspectionReport.Verdict, String, Void) in
                let mrz = try DG1(bytes: dg1).mrz
                let read = try BACKey(documentNumber: mrz.documentNumber, dateOfBirth: mrz.dateOfBirth, dateOfExpiry: mrz.dateOfExpiry)
                guard read == key else {
                    return (.failed, "DG1's document number, birth and expiry dates differ from the MRZ given", ())
                }
                return (.passed, "DG1 matches the MRZ given", ())
            }
        }
    }
}

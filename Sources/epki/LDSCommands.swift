import ArgumentParser
import Foundation
import LDS
import PKICore
import SwiftASN1

// `epki lds`, `epki sod` and `epki pa`: the chip's data groups, its security object, and passive authentication.

struct LDSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lds", abstract: "Build and inspect LDS files (DG1 from an MRZ, EF.COM; any data group, EF.SOD, EF.CardAccess).",
        subcommands: [DG1Command.self, COMCommand.self, Show.self])

    struct DG1Command: LDSSubcommand {
        static let configuration = CommandConfiguration(
            commandName: "dg1", abstract: "Build DG1 from the MRZ lines, or from the fields (check digits computed).",
            discussion: """
                From lines:  epki lds dg1 --mrz 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<' 'L898902C36UTO7408122F1204159ZE184226B<<<<<10' --out DG1.bin
                From fields: epki lds dg1 --format td3 --document-code P --issuing-state UTO --surname Eriksson --given-names 'Anna Maria' \\
                             --document-number L898902C3 --nationality UTO --birth-date 740812 --sex F --expiry-date 120415 \\
                             --optional-data ZE184226B --out DG1.bin
                """)

        @Option(parsing: .upToNextOption, help: "The MRZ lines (2 for TD2/TD3, 3 for TD1); quote them, '<' is special to shells.")
        var mrz: [String] = []

        @Option(help: "td1, td2 or td3 (with the field options).") var format: String?
        @Option(name: .customLong("document-code"), help: "P, I, ID, AC, V…") var documentCode: String?
        @Option(name: .customLong("issuing-state")) var issuingState: String?
        @Option(help: "Primary identifier.") var surname: String?
        @Option(name: .customLong("given-names"), help: "Secondary identifier.") var givenNames: String = ""
        @Option(name: .customLong("document-number")) var documentNumber: String?
        @Option var nationality: String?
        @Option(name: .customLong("birth-date"), help: "YYMMDD.") var birthDate: String?
        @Option(help: "M, F or X (unspecified).") var sex: String = "<"
        @Option(name: .customLong("expiry-date"), help: "YYMMDD.") var expiryDate: String?
        @Option(name: .customLong("optional-data"), help: "TD3 personal number, TD2/TD1 optional data.") var optionalData: String = ""
        @Option(name: .customLong("optional-data-2"), help: "TD1 line-2 optional data.") var optionalData2: String = ""

        @Flag(name: .customLong("allow-check-digit-errors"), help: "Write the DG1 even when the given lines have wrong check digits.")
        var allowCheckDigitErrors = false

        @Option(help: "Where to write DG1.") var out: String

        func validate() throws {
            guard mrz.isEmpty != (format == nil) else {
                throw ValidationError("give either --mrz LINE... or --format with the field options")
            }
        }

        func execute() throws {
            let zone: MRZ
            if !mrz.isEmpty {
                zone = try MRZ(lines: mrz)
                if !zone.isValid && !allowCheckDigitErrors {
                    throw CLIFailure(message: "the MRZ is not valid: \(zone.findings.joined(separator: "; ")) (--allow-check-digit-errors writes it anyway)")
                }
            } else {
                guard let format, let mrzFormat = MRZFormat(name: format) else {
                    throw ValidationError("--format must be td1, td2 or td3")
                }
                func required(_ value: String?, _ option: String) throws -> String {
                    guard let value else { throw ValidationError("--\(option) is required with --format") }
                    return value
                }
                zone = try MRZ(fields: MRZFields(
                    format: mrzFormat, documentCode: try required(documentCode, "document-code"),
                    issuingState: try required(issuingState, "issuing-state"), primaryIdentifier: try required(surname, "surname"),
                    secondaryIdentifier: givenNames, documentNumber: try required(documentNumber, "document-number"),
                    nationality: try required(nationality, "nationality"), dateOfBirth: try required(birthDate, "birth-date"), sex: sex,
                    dateOfExpiry: try required(expiryDate, "expiry-date"), optionalData: optionalData, optionalData2: optionalData2))
            }
            let bytes = DG1(mrz: zone).encode()
            try IO.write(bytes, to: out)
            print("DG1 (\(zone.format), \(bytes.count) bytes) written to \(out)")
            zone.lines.forEach { print("  \($0)") }
            for finding in zone.findings { print("  warning: \(finding)") }
        }
    }

    struct COMCommand: LDSSubcommand {
        static let configuration = CommandConfiguration(commandName: "com", abstract: "Build EF.COM listing the data groups present.")

        @Option(name: .customLong("dg"), help: "A data group number present (repeat).") var dataGroups: [Int]
        @Option(name: .customLong("lds-version"), help: "LDS version, e.g. 1.7 or 1.8.") var ldsVersion = "1.7"
        @Option(name: .customLong("unicode-version")) var unicodeVersion = "4.0.0"
        @Option(help: "Where to write EF.COM.") var out: String

        func execute() throws {
            let numbers = try dataGroups.map { number -> DataGroupNumber in
                guard let dataGroup = DataGroupNumber(number) else { throw ValidationError("--dg \(number) is not a data group (1…16)") }
                return dataGroup
            }
            let versions = try LDSVersionInfo(ldsVersion: ldsVersion, unicodeVersion: unicodeVersion)
            let com = try EFCOM(ldsVersion: versions.ldsVersion, unicodeVersion: versions.unicodeVersion, dataGroups: numbers)
            let bytes = com.encode()
            try IO.write(bytes, to: out)
            print("EF.COM (LDS \(com.ldsVersionDisplay), \(com.dataGroups.map(\.description).joined(separator: " "))) written to \(out)")
        }
    }

    struct Show: LDSSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe an LDS file: EF.COM, DG1–DG16, EF.SOD, EF.CardAccess or EF.CardSecurity (recognised by its tag).")
        @Argument var file: String
        @Flag(help: "Print JSON.") var json = false

        func execute() throws {
            let bytes = try IO.read(file, what: "LDS file")
            let object = try LDSDescribe.file(LDSFile(bytes: bytes), bytes: bytes)
            if json { try IO.printJSON(object) } else { LDSDescribe.printTree(object) }
        }
    }
}

struct SODCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sod", abstract: "Sign and inspect EF.SOD, the document security object; serve SOD signing to lines.",
        subcommands: [Sign.self, Show.self, SODServeCommand.self, SODLineCommand.self])

    struct Sign: LDSSubcommand {
        static let configuration = CommandConfiguration(
            abstract: "Hash the data groups into an LDS security object and sign it as EF.SOD with a Document Signer.",
            discussion: "The SOD is read back and verified (signature and every data group hash) before it is written.")

        @Option(name: .customLong("ds-cert"), help: "The Document Signer certificate (embedded in the SOD).") var dsCertificate: String
        @Option(help: "Encrypted PKCS#8 key file, or a PKCS#11 URI (pkcs11:token=...;object=...).") var key: String
        @Option(name: .customLong("dg"), help: "N=FILE: data group N as it will be written to the chip (repeat).") var dataGroups: [String]
        @Option(name: .customLong("lds-version"), help: "1.7 writes a v0 security object; 1.8 a v1 with LDSVersionInfo.") var ldsVersion = "1.7"
        @Option(name: .customLong("unicode-version"), help: "Unicode version for a v1 security object.") var unicodeVersion = "4.0.0"
        @Option(help: "Data group hash: sha256, sha384 or sha512.") var hash = "sha256"
        @Option(help: "Signature algorithm (ecdsa-sha256, rsa-pss-sha256, …); the key's default when omitted.") var algorithm: String?
        @Option(help: "Signer identifier: issuer-serial (default) or ski.") var sid = "issuer-serial"
        @Flag(name: .customLong("no-signing-time"), help: "Leave out the signingTime attribute.") var noSigningTime = false
        @Option(help: "The CSCA certificate: check once that it issued the DS certificate before signing.") var csca: String?
        @Option(help: "Where to write EF.SOD.") var out: String
        @OptionGroup var passphrase: PassphraseOptions
        @OptionGroup var pin: PINOptions

        func execute() throws {
            let certificate = try IO.decode(dsCertificate, what: "DS certificate") { bytes in try Certificate(bytes: bytes) }
            if let csca {
                let issuer = try IO.decode(csca, what: "CSCA certificate") { bytes in try Certificate(bytes: bytes) }
                guard try certificate.isSignatureValid(issuerKey: issuer.publicKey) else {
                    throw CLIFailure(message: "the DS certificate \(certificate.subject) is not signed by the key of \(issuer.subject)")
                }
            }
            let groups = try LDSOptions.dataGroups(dataGroups)
            guard let hashAlgorithm = HashAlgorithm(rawValue: hash.lowercased()) else {
                throw ValidationError("--hash must be sha256, sha384 or sha512")
            }
            let signatureAlgorithm = try algorithm.map { name -> SignatureAlgorithm in
                guard let value = SignatureAlgorithm(name: name) else {
                    throw ValidationError("--algorithm '\(name)' is not one of \(SignatureAlgorithm.allNames.joined(separator: ", "))")
                }
                return value
            }
            let identification: SignedDataBuilder.SignerIdentification
            switch sid.lowercased() {
            case "issuer-serial", "issuerandserialnumber": identification = .issuerAndSerialNumber
            case "ski", "subjectkeyidentifier": identification = .subjectKeyIdentifier
            default: throw ValidationError("--sid must be issuer-serial or ski")
            }
            let versions = try LDSVersionInfo(ldsVersion: ldsVersion, unicodeVersion: unicodeVersion)
            // LDS 1.8 introduced LDSVersionInfo; earlier versions write the v0 object without it.
            let versionInfo = versions.ldsVersion >= "0108" ? versions : nil
            let signer = try IO.loadSigner(key, passphrase: passphrase, pin: pin)
            let sodSigner = try SODSigner(
                signer: signer, documentSigner: certificate, hash: hashAlgorithm, signatureAlgorithm: signatureAlgorithm,
                ldsVersionInfo: versionInfo, identification: identification, includeSigningTime: !noSigningTime)
            let sod = try sodSigner.sign(dataGroups: groups)
            let bytes = try sod.encode()
            try IO.write(bytes, to: out)
            let object = sod.securityObject
            print("EF.SOD (\(bytes.count) bytes) written to \(out): LDS security object v\(object.version), \(hashAlgorithm), "
                  + "\(groups.keys.sorted().map { "DG\($0)" }.joined(separator: " ")); signed by \(certificate.subject); verified after signing")
        }
    }

    struct Show: LDSSubcommand {
        static let configuration = CommandConfiguration(abstract: "Describe EF.SOD: the data group hashes, the signer and the DS certificate.")
        @Argument var file: String
        @Flag(help: "Print JSON.") var json = false

        func execute() throws {
            let bytes = try IO.read(file, what: "EF.SOD")
            let object = LDSDescribe.sod(try EFSOD(bytes: bytes), bytes: bytes)
            if json { try IO.printJSON(object) } else { LDSDescribe.printTree(object) }
        }
    }
}

struct PACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pa", abstract: "Passive authentication of the data read from a chip.", subcommands: [VerifyPA.self])

    struct VerifyPA: LDSSubcommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Verify EF.SOD and the data groups against trusted CSCAs; exit 0 only when the document is genuine.",
            discussion: """
                Every check is listed as passed, failed, not checked or warning, with the reason: the CMS signature, the DS \
                certificate's signature by a CSCA (link certificates included), the DS dates at signing time, revocation, each \
                data group's hash, EF.COM and the Document Type List.
                """)

        @Option(help: "EF.SOD as read from the chip.") var sod: String
        @Option(name: .customLong("dg"), help: "N=FILE: data group N as read (repeat).") var dataGroups: [String] = []
        @Option(help: "EF.COM as read, to check against the security object.") var com: String?
        @Option(help: "A trusted CSCA or link certificate (PEM, DER or a PEM bundle; repeat).") var csca: [String] = []
        @Option(name: .customLong("trust-dir"), help: "A directory of trusted CSCA/link certificates (.pem .cer .crt .der) and CRLs (.crl).")
        var trustDirectory: String?
        @Option(help: "A CRL of a trusted CSCA (repeat).") var crl: [String] = []
        @Option(name: .customLong("ds-cert"), help: "The DS certificate, for SODs that do not embed it.") var dsCertificate: String?
        @Option(help: "Verify as of this time (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ) instead of now.") var at: String?
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard !csca.isEmpty || trustDirectory != nil else {
                throw ValidationError("give the trusted CSCAs with --csca CERT... or --trust-dir DIR")
            }
        }

        func execute() throws {
            var certificates: [Certificate] = []
            var crls: [CertificateRevocationList] = []
            for path in csca { certificates += try LDSOptions.certificates(IO.read(path, what: "CSCA certificate"), path: path) }
            for path in crl { crls.append(try IO.decode(path, what: "CRL") { bytes in try CertificateRevocationList(bytes: bytes) }) }
            if let trustDirectory {
                let (found, foundCRLs) = try LDSOptions.trustDirectory(trustDirectory)
                certificates += found
                crls += foundCRLs
            }
            let clock: any PKIClock = try at.map { FixedClock(try LDSOptions.date($0)) } ?? SystemClock()
            let verifier = PassiveAuthentication(trustSource: StaticTrustSource(cscas: certificates, crls: crls), clock: clock)
            let result = verifier.verify(
                sod: try IO.read(sod, what: "EF.SOD"), dataGroups: try LDSOptions.dataGroups(dataGroups),
                efCOM: try com.map { try IO.read($0, what: "EF.COM") },
                documentSigner: try dsCertificate.map { try IO.decode($0, what: "DS certificate") { bytes in try Certificate(bytes: bytes) } })
            if json { print(try result.jsonString()) } else { print(result) }
            guard result.isGenuine else {
                let reasons = result.failures.map { "\($0.name): \($0.detail)" }
                throw CLIFailure(message: "the document is NOT genuine" + (reasons.isEmpty ? " (a required check was not passed)" : ": " + reasons.joined(separator: "; ")))
            }
        }
    }
}

/// A command whose LDS errors are reported like every other error: one line on stderr, exit status 1.
/// (The top-level handler knows PKICore's and the store's error types; LDSError is turned into that form here.)
protocol LDSSubcommand: ParsableCommand {
    func execute() throws
}

extension LDSSubcommand {
    func run() throws {
        do {
            try execute()
        } catch let error as LDSError {
            throw CLIFailure(message: "error: \(error.reason)")
        }
    }
}

/// Parsing shared by the LDS commands.
enum LDSOptions {
    /// `N=FILE` pairs into number → bytes.
    static func dataGroups(_ specifications: [String]) throws -> [Int: [UInt8]] {
        var groups: [Int: [UInt8]] = [:]
        for specification in specifications {
            let parts = specification.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let number = Int(parts[0].uppercased().replacingOccurrences(of: "DG", with: "")),
                  DataGroupNumber(number) != nil else {
                throw ValidationError("--dg '\(specification)' is not N=FILE with N from 1 to 16")
            }
            guard groups[number] == nil else { throw ValidationError("--dg \(number) is given twice") }
            groups[number] = try IO.read(parts[1], what: "DG\(number)")
        }
        return groups
    }

    /// Every certificate of a PEM bundle, or the one DER certificate.
    static func certificates(_ bytes: [UInt8], path: String) throws -> [Certificate] {
        if let text = String(bytes: bytes.prefix(4096), encoding: .utf8), text.contains("-----BEGIN ") {
            let blocks = try PEM.decodeAll(bytes).filter { $0.label == "CERTIFICATE" }
            guard !blocks.isEmpty else { throw PKIError(.missingInput, "'\(path)' holds no CERTIFICATE block") }
            return try blocks.map { try Certificate(bytes: $0.der) }
        }
        return [try Certificate(bytes: bytes)]
    }

    static func trustDirectory(_ path: String) throws -> ([Certificate], [CertificateRevocationList]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
            throw PKIError(.fileError, "cannot read the trust directory '\(path)'")
        }
        var certificates: [Certificate] = []
        var crls: [CertificateRevocationList] = []
        for name in names.sorted() {
            let file = URL(fileURLWithPath: path).appendingPathComponent(name).path
            switch URL(fileURLWithPath: name).pathExtension.lowercased() {
            case "pem", "cer", "crt", "der": certificates += try Self.certificates(IO.read(file, what: "certificate"), path: file)
            case "crl": crls.append(try IO.decode(file, what: "CRL") { bytes in try CertificateRevocationList(bytes: bytes) })
            default: continue
            }
        }
        guard !certificates.isEmpty else { throw PKIError(.missingInput, "the trust directory '\(path)' holds no certificate") }
        return (certificates, crls)
    }

    static func date(_ text: String) throws -> Date {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withFullDate]
        if let date = formatter.date(from: text) { return date }
        throw ValidationError("--at '\(text)' is not YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")
    }
}

/// Descriptions of LDS files for `show`: JSON objects, printed as an indented tree in text mode.
enum LDSDescribe {
    static func file(_ file: LDSFile, bytes: [UInt8]) throws -> [String: Any] {
        var object: [String: Any] = ["file": file.name, "length": bytes.count]
        switch file {
        case .com(let com):
            object["ldsVersion"] = com.ldsVersionDisplay
            object["unicodeVersion"] = com.unicodeVersionDisplay
            object["dataGroups"] = com.dataGroups.map(\.description)
            object["findings"] = com.findings
        case .dg1(let dg1):
            object.merge(mrz(dg1.mrz)) { $1 }
        case .dg2(let dg2):
            object["instances"] = dg2.group.instances.map(instance)
            object["findings"] = dg2.group.findings
        case .dg3(let dg3):
            object["instances"] = dg3.group.instances.map(instance)
            object["findings"] = dg3.group.findings
        case .dg11(let dg11):
            var fields: [String: Any] = [:]
            for field in DG11.Field.allCases {
                if field == .proofOfCitizenship { if let value = dg11.bytes(field) { fields[field.name] = "\(value.count) bytes" } }
                else if let value = dg11[field] { fields[field.name] = value }
            }
            if !dg11.otherNames.isEmpty { fields["other names"] = dg11.otherNames }
            object["fields"] = fields
            object["tagList"] = dg11.tagList.map(BERTLV.tagHex)
            object["findings"] = dg11.findings
        case .dg12(let dg12):
            var fields: [String: Any] = [:]
            for field in DG12.Field.allCases {
                if field == .imageOfFront || field == .imageOfRear { if let value = dg12.bytes(field) { fields[field.name] = "\(value.count) bytes" } }
                else if let value = dg12[field] { fields[field.name] = value }
            }
            if !dg12.otherPersons.isEmpty { fields["other persons"] = dg12.otherPersons }
            object["fields"] = fields
            object["tagList"] = dg12.tagList.map(BERTLV.tagHex)
            object["findings"] = dg12.findings
        case .dg14(let dg14):
            object["securityInfos"] = dg14.securityInfos.infos.map(securityInfo)
        case .dg15(let dg15):
            object["algorithm"] = dg15.subjectPublicKeyInfo.algorithm.algorithm.displayName
            object["publicKey"] = (try? dg15.publicKey.description) ?? "not usable by OpenSSL"
        case .sod(let sod):
            object.merge(self.sod(sod, bytes: bytes)) { $1 }
        case .cardAccess(let access):
            object["securityInfos"] = access.securityInfos.infos.map(securityInfo)
        case .cardSecurity(let security):
            object["securityInfos"] = security.securityInfos.infos.map(securityInfo)
            object["signer"] = signer(security.signedData)
        case .otherDataGroup(let number, let tlv):
            object["contents"] = number.contents
            object["valueLength"] = tlv.value.count
        }
        return object
    }

    static func mrz(_ mrz: MRZ) -> [String: Any] {
        var object: [String: Any] = [
            "format": mrz.format.rawValue, "lines": mrz.lines, "documentCode": mrz.documentCode, "issuingState": mrz.issuingState,
            "primaryIdentifier": mrz.primaryIdentifier, "secondaryIdentifier": mrz.secondaryIdentifier,
            "documentNumber": mrz.documentNumber, "nationality": mrz.nationality, "dateOfBirth": mrz.dateOfBirth, "sex": mrz.sex,
            "dateOfExpiry": mrz.dateOfExpiry, "optionalData": mrz.optionalData,
            "checkDigits": mrz.checkDigits.map { ["field": $0.field, "found": String($0.found), "valid": $0.isValid] as [String: Any] },
            "findings": mrz.findings,
        ]
        if mrz.format == .td1 { object["optionalData2"] = mrz.optionalData2 }
        return object
    }

    static func instance(_ template: BiometricInformationTemplate) -> [String: Any] {
        let header = template.header
        var object: [String: Any] = [
            "formatOwner": header.formatOwner.map { String(format: "%04X", $0) } ?? "absent",
            "formatType": header.formatType.map { String(format: "%04X", $0) } ?? "absent",
        ]
        if let type = header.biometricType { object["biometricType"] = String(format: "%02X", type) }
        if let subtype = header.biometricSubtype { object["biometricSubtype"] = String(format: "%02X", subtype) }
        if let created = header.creationDateTime { object["created"] = created }
        switch template.dataBlock {
        case .face(let record):
            object["record"] = "ISO/IEC 19794-5 face record"
            object["images"] = record.images.map { image in
                ["imageType": image.imageDataTypeName, "width": Int(image.width), "height": Int(image.height), "gender": image.genderName,
                 "faceImageType": image.faceImageTypeName, "featurePoints": image.featurePoints.count, "imageBytes": image.imageData.count] as [String: Any]
            }
        case .finger(let record):
            object["record"] = "ISO/IEC 19794-4 finger image record"
            object["compression"] = record.compressionName
            object["resolution"] = Int(record.horizontalImageResolution)
            object["fingers"] = record.fingers.map { finger in
                ["position": finger.positionName, "width": Int(finger.width), "height": Int(finger.height), "quality": Int(finger.quality),
                 "imageBytes": finger.imageData.count] as [String: Any]
            }
        case .unparsed(let bytes, let reason):
            object["record"] = "\(bytes.count) bytes, not parsed (\(reason))"
        }
        return object
    }

    static func securityInfo(_ info: SecurityInfo) -> [String: Any] {
        var object: [String: Any] = ["type": info.typeName, "protocol": info.protocolIdentifier.description,
                                     "protocolName": info.protocolIdentifier.securityProtocolName]
        switch info {
        case .chipAuthentication(let value):
            object["version"] = value.version
            if let keyId = value.keyId { object["keyId"] = keyId }
        case .chipAuthenticationPublicKey(let value):
            let spki = value.chipAuthenticationPublicKey
            object["keyAlgorithm"] = spki.algorithm.algorithm.securityProtocolName
            if let curve = spki.ecDomain?.curve { object["curve"] = curve.rawValue }
            if spki.algorithm.algorithm == .EAC.standardizedDomainParameters, let parameters = spki.algorithm.parameters,
               let id = try? Int(berASN1Any: parameters) {
                object["standardizedDomainParameters"] = "\(id) (\(PACEInfo.standardizedDomainParameterName(id) ?? "unknown"))"
            }
            if let keyId = value.keyId { object["keyId"] = keyId }
        case .pace(let value):
            object["version"] = value.version
            if let id = value.parameterId {
                object["parameterId"] = id
                if let name = PACEInfo.standardizedDomainParameterName(id) { object["domainParameters"] = name }
            }
        case .domainParameters(let value):
            object["domainParameter"] = value.domainParameter.algorithm.securityProtocolName
            if let id = value.standardizedParameterId { object["standardizedDomainParameters"] = "\(id) (\(PACEInfo.standardizedDomainParameterName(id) ?? "unknown"))" }
            if let id = value.identifier { object[value.kind == .pace ? "parameterId" : "keyId"] = id }
        case .terminalAuthentication(let value):
            object["version"] = value.version
            if let file = value.efCVCA { object["efCVCA"] = file.fid.hexString + (file.sfid.map { " (SFI \($0.hexString))" } ?? "") }
        case .activeAuthentication(let value):
            object["version"] = value.version
            object["signatureAlgorithm"] = value.signatureAlgorithm.securityProtocolName
        case .unknown(let value):
            object["length"] = value.encoded.count
            if let note = value.note { object["note"] = note }
        }
        return object
    }

    static func signer(_ signedData: SignedData) -> [String: Any] {
        var object: [String: Any] = ["eContentType": signedData.encapContentInfo.eContentType.description,
                                     "certificates": signedData.certificates.count]
        if let info = signedData.signerInfos.first {
            object["signerIdentifier"] = info.sid.description
            object["digestAlgorithm"] = info.digestAlgorithm.algorithm.displayName
                + (info.digestAlgorithm.parameters == nil ? "" : " (with parameters)")
            object["signatureAlgorithm"] = (try? SignatureAlgorithm(algorithmIdentifier: info.signatureAlgorithm,
                                                                    digestHint: HashAlgorithm(oid: info.digestAlgorithm.algorithm)).description)
                ?? info.signatureAlgorithm.algorithm.displayName
            object["signedAttributes"] = info.signedAttributes?.map { $0.attrType.displayName } ?? []
            if let time = info.signingTime { object["signingTime"] = Time.iso8601(time) }
        }
        if let ds = signedData.embeddedSignerCertificate {
            object["documentSigner"] = [
                "subject": ds.subject.description, "issuer": ds.issuer.description, "serialNumber": ds.serialNumberHex,
                "notBefore": Time.iso8601(ds.notBefore), "notAfter": Time.iso8601(ds.notAfter),
                "publicKey": (try? ds.publicKey.description) ?? "unreadable",
                "documentTypes": ds.documentTypeList?.documentTypes ?? [],
            ] as [String: Any]
        }
        return object
    }

    static func sod(_ sod: EFSOD, bytes: [UInt8]) -> [String: Any] {
        let object = sod.securityObject
        var lso: [String: Any] = [
            "version": object.version,
            "hashAlgorithm": object.hash?.description ?? object.hashAlgorithm.algorithm.description,
            "hashAlgorithmParameters": object.hashAlgorithm.parameters == nil ? "absent" : (object.hashAlgorithm.parameters == .null ? "NULL" : "other"),
            "dataGroupHashes": object.dataGroupHashValues.map { ["dataGroup": $0.dataGroupNumber, "hash": $0.hashValue.hexString] as [String: Any] },
        ]
        if let info = object.ldsVersionInfo {
            lso["ldsVersion"] = info.ldsVersionDisplay
            lso["unicodeVersion"] = info.unicodeVersionDisplay
        }
        var deviations = sod.deviations + object.findings
        if let encoded = try? sod.encode(), encoded != bytes, bytes.first == 0x77 {
            deviations.append("not DER as received: re-encoding gives other bytes")
        }
        return ["file": "EF.SOD", "length": bytes.count, "securityObject": lso, "signer": signer(sod.signedData), "deviations": deviations]
    }

    /// Prints nested objects as an indented tree; keys sorted, except that the file name comes first.
    static func printTree(_ object: [String: Any], indent: String = "") {
        let keys = object.keys.sorted { lhs, rhs in
            if lhs == "file" { return true }
            if rhs == "file" { return false }
            return lhs < rhs
        }
        for key in keys {
            guard let value = object[key] else { continue }
            // An empty list would print a bare heading (and casts as a list of any element type).
            if let list = value as? [Any], list.isEmpty { continue }
            switch value {
            case let nested as [String: Any]:
                print("\(indent)\(key):")
                printTree(nested, indent: indent + "  ")
            case let list as [[String: Any]]:
                print("\(indent)\(key):")
                for item in list {
                    let inline = item.keys.sorted().compactMap { k -> String? in
                        guard let v = item[k], !(v is [Any]), !(v is [String: Any]) else { return nil }
                        return "\(k)=\(v)"
                    }.joined(separator: " ")
                    print("\(indent)  - \(inline)")
                    let nested = item.filter { $0.value is [Any] || $0.value is [String: Any] }
                    if !nested.isEmpty { printTree(nested, indent: indent + "    ") }
                }
            case let list as [String]:
                print("\(indent)\(key):")
                list.forEach { print("\(indent)  \($0)") }
            case let list as [Any]:
                print("\(indent)\(key): \(list.map { "\($0)" }.joined(separator: ", "))")
            default:
                print("\(indent)\(key): \(value)")
            }
        }
    }
}

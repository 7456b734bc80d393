import Foundation
import PKICore

/// Passive authentication (Doc 9303-11 §5.1): proves that the data groups read from a chip are those its
/// issuing State signed, and says check by check why when they are not.
///
/// Checks, in order (names are `Check` constants, stable for tools reading the JSON):
/// 1. EF.SOD is readable; its eContentType (id-data is a deviation, reported as a warning); the security object.
/// 2. The CMS SignedData: signer identifier, content type and message digest attributes, the signature
///    (PKICore's `SignedData.verify`, reported with the prefix "CMS ").
/// 3. The DS certificate: key usage; signature by a CSCA of the trust source, via link certificates too; its
///    validity and private key usage period at the time of signing (the signingTime attribute when present,
///    otherwise the clock's now); revocation through the CSCA's CRL; the Document Type List against DG1.
/// 4. Every data group read against its hash in the security object (hashing the bytes as read, never a
///    re-encoding); a data group read but not listed is unsigned and fails.
/// 5. EF.COM, when given, against the security object's data group list; DG1's MRZ check digits.
///
/// With no trust source the chain is "not checked" and the document cannot be genuine; the rest still runs,
/// which is how the public test SODs, whose CSCAs are not published, are checked.
public struct PassiveAuthentication: Sendable {
    public enum Check {
        public static let sod = "EF.SOD"
        public static let contentType = "eContentType"
        public static let securityObject = "LDS security object"
        public static let cmsPrefix = "CMS "
        public static let cmsSignature = "CMS signature"
        public static let dsCertificate = "DS certificate"
        public static let dsKeyUsage = "DS key usage"
        public static let dsIssuedByCSCA = "DS issued by CSCA"
        public static let cscaLink = "CSCA link"
        public static let dsValidity = "DS validity at signing"
        public static let dsPrivateKeyUsagePeriod = "DS private key usage period"
        public static let dsRevocation = "DS revocation"
        public static let documentType = "document type"
        public static let efCOM = "EF.COM"
        public static let mrz = "DG1 MRZ"
        static let hashSuffix = " hash"
        /// The CMS checks under their names here ("CMS signature"), composed once.
        static let cms = SignedData.CheckNames(prefix: cmsPrefix)
        /// "DG1 hash" … "DG16 hash", composed once.
        static let dataGroupHashes = (0...16).map { "DG\($0)\(hashSuffix)" }

        /// "DG2 hash".
        public static func dataGroupHash(_ number: Int) -> String {
            dataGroupHashes.indices.contains(number) ? dataGroupHashes[number] : "DG\(number)\(hashSuffix)"
        }
    }

    public let trustSource: (any TrustSource)?
    public let clock: any PKIClock
    private let cache: ChainCache?

    /// `trustSource` nil verifies everything but the DS chain and revocation (reported as not checked).
    /// `cacheChainResults` keeps verified DS chains (not revocation, which is asked every time), for verifiers that
    /// see many documents of one DS; a trust source whose CSCAs change (a CSCA withdrawn from the NPKD) needs a
    /// new verifier, or no cache.
    public init(trustSource: (any TrustSource)?, clock: any PKIClock = SystemClock(), cacheChainResults: Bool = true) {
        self.trustSource = trustSource
        self.clock = clock
        self.cache = cacheChainResults ? ChainCache() : nil
    }

    /// Verifies EF.SOD as read and the data groups read (number → bytes). `efCOM` is checked when given;
    /// `documentSigner` is for SODs that do not embed their DS certificate. Never throws: an unreadable SOD is a
    /// failed check.
    public func verify(
        sod sodBytes: [UInt8], dataGroups: [Int: [UInt8]], efCOM: [UInt8]? = nil, documentSigner given: Certificate? = nil
    ) -> PassiveAuthenticationResult {
        var report = VerificationReport(subject: "Passive authentication")
        let sod: EFSOD
        do {
            sod = try EFSOD(bytes: sodBytes)
        } catch {
            report.add(Check.sod, .failed, "unreadable: \(error)")
            addDataGroupsNotVerifiable(dataGroups, to: &report)
            return PassiveAuthenticationResult(report: report, securityObject: nil, documentSigner: given, issuer: nil)
        }
        return verify(sod: sod, dataGroups: dataGroups, efCOM: efCOM, documentSigner: given, report: report)
    }

    public func verify(
        sod: EFSOD, dataGroups: [Int: [UInt8]], efCOM: [UInt8]? = nil, documentSigner given: Certificate? = nil
    ) -> PassiveAuthenticationResult {
        verify(sod: sod, dataGroups: dataGroups, efCOM: efCOM, documentSigner: given,
               report: VerificationReport(subject: "Passive authentication"))
    }

    private func verify(
        sod: EFSOD, dataGroups: [Int: [UInt8]], efCOM: [UInt8]?, documentSigner given: Certificate?, report start: VerificationReport
    ) -> PassiveAuthenticationResult {
        var report = start
        report.checks.reserveCapacity(16 + dataGroups.count)
        let object = sod.securityObject
        addSecurityObjectChecks(sod, to: &report)

        // The DS certificate: given, or embedded and named by the SignerInfo.
        let ds = given ?? sod.documentSignerCertificate
        let cached = ds.flatMap { cache?.entry(for: $0) }
        let facts = cached?.facts ?? ds.map(DocumentSignerFacts.init)
        if let facts {
            let summary = facts.summary
            report.add(Check.dsCertificate, .passed, deferred: "\(given == nil ? "embedded" : "given"): \(summary)")
            // RFC 5280 §4.1.1.2: the outer signatureAlgorithm MUST be the TBSCertificate's signature field (TR-03105-5.1
            // LDS_H_51); a certificate where they differ is malformed, whatever its signature says.
            if let ds, ds.signatureAlgorithm != ds.tbsCertificate.signature {
                report.add(Check.dsCertificate, .failed,
                           "signatureAlgorithm \(ds.signatureAlgorithm.algorithm) differs from the TBSCertificate's signature field \(ds.tbsCertificate.signature.algorithm)")
            }
        } else {
            let embedded = sod.signedData.certificates.count
            report.add(Check.dsCertificate, .failed,
                       "no DS certificate: \(embedded) embedded certificate(s), none named by the SignerInfo (\(sod.signerInfo.map { "\($0.sid)" } ?? "no SignerInfo"))")
        }

        // The CMS signature and signed attributes.
        sod.signedData.verify(signerCertificate: ds, signerKey: facts?.key, into: &report, names: Check.cms)

        var issuer: Certificate?
        // DG1 is read once, for the document type and the MRZ check.
        let dg1 = dataGroups[1].map { bytes in Result { try DG1(bytes: bytes) } }
        if let ds, let facts {
            let signingTime = sod.signingTime
            let time = signingTime ?? clock.now()
            report.checks.append(facts.keyUsage)
            let trustSource = self.trustSource  // one copy of the existential for both checks
            issuer = addChain(ds, facts: facts, cached: cached?.outcome, trustSource: trustSource, to: &report)
            addValidity(facts, at: time, fromAttribute: signingTime != nil, to: &report)
            addRevocation(ds, issuer: issuer, trustSource: trustSource, to: &report)
            addDocumentType(facts, dg1: dg1, to: &report)
        }

        addDataGroupHashes(object, dataGroups: dataGroups, to: &report)
        if let efCOM { addEFCOM(efCOM, object: object, to: &report) }
        addMRZ(dg1, to: &report)
        return PassiveAuthenticationResult(report: report, securityObject: sod, documentSigner: ds, issuer: issuer)
    }

    // MARK: - Checks

    private func addSecurityObjectChecks(_ sod: EFSOD, to report: inout VerificationReport) {
        let object = sod.securityObject
        report.add(Check.sod, .passed, deferred: {
            let version = object.ldsVersionInfo.map { ", LDS \($0.ldsVersionDisplay), Unicode \($0.unicodeVersionDisplay)" } ?? ""
            return "LDS security object v\(object.version), \(object.hash?.description ?? object.hashAlgorithm.algorithm.description), "
                + "data groups \(object.dataGroupNumbers.map(String.init).joined(separator: ", "))\(version)"
        }())
        for deviation in sod.deviations where !deviation.contains("eContentType") {
            report.add(Check.sod, .warning, deviation)
        }
        if sod.signedData.encapContentInfo.eContentType == .CMS.data {
            report.add(Check.contentType, .warning, "deviation: id-data instead of id-icao-mrtd-security-ldsSecurityObject (2.23.136.1.1.1)")
        } else {
            report.add(Check.contentType, .passed, "id-icao-mrtd-security-ldsSecurityObject")
        }
        for finding in object.findings {
            report.add(Check.securityObject, .warning, finding)
        }
        // RFC 5652 §5.3: SignerInfo version 1 names the signer by issuerAndSerialNumber, version 3 by
        // subjectKeyIdentifier; another pairing is a malformed SignedData (BSI TR-03105-5.1 LDS_H_84, LDS_H_85).
        if let signer = sod.signerInfo {
            switch (signer.version, signer.sid) {
            case (1, .issuerAndSerialNumber), (3, .subjectKeyIdentifier): break
            case (let version, .issuerAndSerialNumber):
                report.add(Check.cms.signer, .failed, "SignerInfo version \(version) with issuerAndSerialNumber (RFC 5652: version 1)")
            case (let version, .subjectKeyIdentifier):
                report.add(Check.cms.signer, .failed, "SignerInfo version \(version) with subjectKeyIdentifier (RFC 5652: version 3)")
            }
        }
    }

    private func addChain(
        _ ds: Certificate, facts: DocumentSignerFacts, cached: DocumentSignerChain.Outcome?, trustSource: (any TrustSource)?,
        to report: inout VerificationReport
    ) -> Certificate? {
        guard let trustSource else {
            report.add(Check.dsIssuedByCSCA, .notChecked, "no CSCA certificates given: the DS certificate's issuer \(ds.issuer) cannot be checked")
            return nil
        }
        let outcome: DocumentSignerChain.Outcome
        if let cached {
            outcome = cached
        } else {
            outcome = DocumentSignerChain.evaluate(ds, trustSource: trustSource)
            cache?.keep(outcome, facts: facts, for: ds)
        }
        for check in outcome.checks { report.add(check.name, check.status, check.detail) }
        return outcome.issuer
    }

    private func addValidity(_ ds: DocumentSignerFacts, at time: Date, fromAttribute: Bool, to report: inout VerificationReport) {
        @Sendable func when() -> String {
            fromAttribute ? "signed at \(Time.iso8601(time)) (signingTime attribute)" : "no signingTime attribute; checked at \(Time.iso8601(time)) (now)"
        }
        let (notBeforeText, notAfterText) = (ds.notBeforeText, ds.notAfterText)
        if time < ds.notBefore {
            report.add(Check.dsValidity, .failed, "the DS certificate was not yet valid: \(when()), notBefore \(notBeforeText)")
        } else if time > ds.notAfter {
            report.add(Check.dsValidity, .failed, "the DS certificate had expired: \(when()), notAfter \(notAfterText)")
        } else {
            report.add(Check.dsValidity, .passed, deferred: "\(when()), within \(notBeforeText) – \(notAfterText)")
        }
        if fromAttribute && time > clock.now().addingTimeInterval(86_400) {
            report.add(Check.dsValidity, .warning, "the signingTime \(Time.iso8601(time)) lies in the future")
        }

        switch ds.usagePeriod {
        case .absent:
            report.add(Check.dsPrivateKeyUsagePeriod, .warning, "no PrivateKeyUsagePeriod extension (Doc 9303-12 requires one in DS certificates)")
        case .unreadable:
            report.add(Check.dsPrivateKeyUsagePeriod, .failed, "the PrivateKeyUsagePeriod extension cannot be read")
        case .period(let start, let end, let period):
            let inside = (start.map { time >= $0 } ?? true) && (end.map { time <= $0 } ?? true)
            if inside {
                report.add(Check.dsPrivateKeyUsagePeriod, .passed, deferred: "\(when()), within \(period)")
            } else if fromAttribute {
                report.add(Check.dsPrivateKeyUsagePeriod, .failed, "outside the DS private key usage period: \(when()), period \(period)")
            } else {
                // Without a signing date the current time says nothing: documents outlive the three-month usage period.
                report.add(Check.dsPrivateKeyUsagePeriod, .warning,
                           "the signing date is unknown (no signingTime attribute) and now is outside the usage period \(period)")
            }
        }
    }

    private func addRevocation(_ ds: Certificate, issuer: Certificate?, trustSource: (any TrustSource)?, to report: inout VerificationReport) {
        guard let trustSource else {
            report.add(Check.dsRevocation, .notChecked, "no trust source: no CRL to consult")
            return
        }
        guard let issuer else {
            report.add(Check.dsRevocation, .notChecked, "the issuing CSCA is not established, so its CRL cannot be chosen")
            return
        }
        switch trustSource.revocationStatus(of: ds, issuedBy: issuer) {
        case .revoked(let date):
            report.add(Check.dsRevocation, .failed, "the DS certificate (serial \(ds.serialNumberHex)) is revoked since \(Time.iso8601(date)) by the CRL of \(issuer.subject)")
        case .notRevoked(let number, let nextUpdate):
            let crl = "CRL" + (number?.value.map { " number \($0)" } ?? "") + (nextUpdate.map { ", next update \(Time.iso8601($0))" } ?? "")
            report.add(Check.dsRevocation, .passed, "not revoked (\(crl))")
            if let nextUpdate, nextUpdate < clock.now() {
                report.add(Check.dsRevocation, .warning, "the CRL is out of date: its next update was due \(Time.iso8601(nextUpdate))")
            }
        case .unknown(let reason):
            report.add(Check.dsRevocation, .notChecked, reason)
        }
    }

    private func addDocumentType(_ ds: DocumentSignerFacts, dg1: Result<DG1, any Error>?, to report: inout VerificationReport) {
        guard let dg1 else {
            report.add(Check.documentType, .notChecked, "DG1 not read")
            return
        }
        guard case .success(let read) = dg1 else {
            report.add(Check.documentType, .notChecked, "DG1 cannot be read, so its document code is unknown")
            return
        }
        let code = read.mrz.documentCode
        switch ds.documentTypes {
        case .absent:
            report.add(Check.documentType, .warning, "the DS certificate has no Document Type List (Doc 9303-12 requires one); document code \(code)")
        case .unreadable:
            report.add(Check.documentType, .failed, "the DS certificate's Document Type List cannot be read")
        case .list(let list, let types):
            let allowed = list.allows(documentCode: code)
            report.add(Check.documentType, passed: allowed,
                       deferred: "document code \(code) is \(allowed ? "" : "not ")in the DS Document Type List (\(types))")
        }
    }

    private func addDataGroupHashes(_ object: LDSSecurityObject, dataGroups: [Int: [UInt8]], to report: inout VerificationReport) {
        let hash = object.hash
        for number in dataGroups.keys.sorted() {
            let bytes = dataGroups[number] ?? []
            let name = Check.dataGroupHash(number)
            guard let dataGroup = DataGroupNumber(number) else {
                report.add(name, .failed, "DG\(number) is not a data group number (1…16)")
                continue
            }
            guard let expected = object.hashValue(for: number) else {
                report.add(name, .failed, "\(dataGroup) was read but the security object does not list it: an unsigned data group")
                continue
            }
            guard let hash else {
                report.add(name, .failed, "\(dataGroup) cannot be checked: hash algorithm \(object.hashAlgorithm.algorithm.description) is not supported")
                continue
            }
            let actual: [UInt8]
            do {
                actual = try hash.hash(bytes)
            } catch {
                report.add(name, .failed, "\(dataGroup) cannot be checked: \(error)")
                continue
            }
            if actual == expected {
                let count = bytes.count
                report.add(name, .passed, deferred: "\(dataGroup): \(hash) of the \(count) bytes read matches the security object")
            } else {
                report.add(name, .failed, "\(dataGroup) does not match its hash: \(hash) of the \(bytes.count) bytes read is \(actual.hexString), the security object says \(expected.hexString)")
            }
            if let first = bytes.first, UInt32(first) != dataGroup.tag {
                report.add(name, .warning, "\(dataGroup) starts with tag \(BERTLV.tagHex(UInt32(first))), expected \(BERTLV.tagHex(dataGroup.tag))")
            }
        }
        for number in object.dataGroupNumbers.sorted() where dataGroups[number] == nil {
            report.add(Check.dataGroupHash(number), .notChecked, "DG\(number) is listed in the security object but was not read")
        }
    }

    private func addDataGroupsNotVerifiable(_ dataGroups: [Int: [UInt8]], to report: inout VerificationReport) {
        for number in dataGroups.keys.sorted() {
            report.add(Check.dataGroupHash(number), .notChecked, "DG\(number): no readable security object to check it against")
        }
    }

    private func addEFCOM(_ bytes: [UInt8], object: LDSSecurityObject, to report: inout VerificationReport) {
        let com: EFCOM
        do {
            com = try EFCOM(bytes: bytes)
        } catch {
            report.add(Check.efCOM, .failed, "unreadable: \(error)")
            return
        }
        let listed = Set(com.dataGroups.map(\.value))
        let signed = Set(object.dataGroupNumbers)
        let unsigned = listed.subtracting(signed).sorted()
        let unlisted = signed.subtracting(listed).sorted()
        if !unsigned.isEmpty {
            // EF.COM is not signed: announcing a data group the SOD does not cover points to an added file.
            report.add(Check.efCOM, .failed, "EF.COM lists \(unsigned.map { "DG\($0)" }.joined(separator: ", ")), which the security object does not cover")
        }
        if !unlisted.isEmpty {
            report.add(Check.efCOM, .warning, "the security object covers \(unlisted.map { "DG\($0)" }.joined(separator: ", ")), which EF.COM does not list")
        }
        if unsigned.isEmpty && unlisted.isEmpty {
            report.add(Check.efCOM, .passed, "lists the same data groups as the security object (LDS \(com.ldsVersionDisplay))")
        }
        if let info = object.ldsVersionInfo, info.ldsVersion != com.ldsVersion {
            report.add(Check.efCOM, .warning, "EF.COM says LDS \(com.ldsVersionDisplay), the security object LDS \(info.ldsVersionDisplay)")
        }
        for finding in com.findings { report.add(Check.efCOM, .warning, finding) }
    }

    private func addMRZ(_ dg1: Result<DG1, any Error>?, to report: inout VerificationReport) {
        guard let dg1 else { return }
        switch dg1 {
        case .success(let read):
            let mrz = read.mrz
            let findings = mrz.findings
            if findings.isEmpty {
                report.add(Check.mrz, .passed, deferred: "\(mrz.format), document \(mrz.documentNumber), check digits correct")
            } else {
                report.add(Check.mrz, .warning, findings.joined(separator: "; "))
            }
        case .failure(let error):
            report.add(Check.mrz, .warning, "DG1 cannot be read as an MRZ: \(error)")
        }
    }
}

import Foundation
import PKICore
import SwiftASN1

/// Checks certificates, CRLs and signed lists against ICAO Doc 9303-12 (Tables 5, 6, 9 and 10, §9, §10) and
/// ICAO's PKD upload checks, listing every deviation with the rule it breaks.
///
/// The CSCA lints what it produces before releasing it (any error stops the release); the NPKD lints what it
/// imports and records the findings.
public enum ProfileLinter {
    public enum CertificateKind: String, Sendable, CaseIterable {
        case csca, link, documentSigner = "ds", masterListSigner = "mls", deviationListSigner = "dls"
        /// SPOC TLS certificates (Doc 9303-12 §7.2.1): not eMRTD certificates, so Table 6 does not apply to them;
        /// they are checked against their own profile.
        case spocClient = "spoc-client", spocServer = "spoc-server"

        /// The SPOC role of a SPOC TLS kind, nil for the eMRTD kinds.
        public var spocRole: SPOCTLSRole? {
            switch self {
            case .spocClient: .client
            case .spocServer: .server
            default: nil
            }
        }
    }

    public enum ListKind: String, Sendable {
        case masterList, deviationList
    }

    public struct Finding: Hashable, Sendable, Codable, CustomStringConvertible {
        public enum Severity: String, Sendable, Codable { case error, warning }
        public let severity: Severity
        /// Where the rule comes from, e.g. "9303-12 Table 6: KeyUsage".
        public let rule: String
        public let message: String
        public var description: String { "[\(severity.rawValue)] \(rule): \(message)" }
    }

    /// Guesses what a certificate is meant to be, as the PKD does: EKU for list signers and SPOC TLS certificates
    /// (server before client when both are carried), cA for CSCAs (self-issued) and link certificates, Document
    /// Signer otherwise.
    public static func kind(of certificate: Certificate) -> CertificateKind {
        if let eku = certificate.extendedKeyUsage?.purposes {
            if eku.contains(.ICAO.cscaMasterListSigningKey) { return .masterListSigner }
            if eku.contains(.ICAO.deviationListSigningKey) { return .deviationListSigner }
            let roles = SPOCTLSProfile.roles(of: certificate).map(\.role)
            if roles.contains(.server) { return .spocServer }
            if roles.contains(.client) { return .spocClient }
        }
        if certificate.basicConstraints?.isCertificateAuthority == true {
            return certificate.isSelfIssued && certificate.extensions[NameChange.oid] == nil ? .csca : .link
        }
        return .documentSigner
    }

    // MARK: - Certificates

    public static func lint(_ certificate: Certificate, as kind: CertificateKind? = nil, issuer: Certificate? = nil) -> [Finding] {
        let kind = kind ?? self.kind(of: certificate)
        var findings: [Finding] = []
        func error(_ rule: String, _ message: String) { findings.append(Finding(severity: .error, rule: rule, message: message)) }
        func warning(_ rule: String, _ message: String) { findings.append(Finding(severity: .warning, rule: rule, message: message)) }
        let tbs = certificate.tbsCertificate

        if tbs.version != 2 { error("9303-12 Table 5: version", "must be v3") }
        let serial = certificate.serialNumber
        if serial.first.map({ $0 & 0x80 != 0 }) ?? true { error("9303-12 Table 5: serialNumber", "must be positive") }
        if serial.count > 20 { error("9303-12 Table 5: serialNumber", "\(serial.count) octets; at most 20") }
        if serial.count > 1, serial.first == 0, serial.dropFirst().first.map({ $0 & 0x80 == 0 }) == true {
            error("PKD check: serialNumber", "not minimally encoded")
        }
        for deviation in certificate.encodingDeviations where deviation.contains("DER") || deviation.contains("default") {
            error("9303-12 Table 5: DER", deviation)
        }
        if tbs.issuerUniqueID != nil || tbs.subjectUniqueID != nil { error("9303-12 Table 5: uniqueIdentifiers", "issuerUniqueID and subjectUniqueID are forbidden") }
        lintName(certificate.issuer, "issuer", error)
        lintName(certificate.subject, "subject", error)
        if let a = certificate.issuer.countryName, let b = certificate.subject.countryName, a != b {
            error("9303-12 Table 5: countryName", "issuer country \(a) differs from subject country \(b)")
        }
        for (name, time) in [("notBefore", tbs.validity.notBefore), ("notAfter", tbs.validity.notAfter)] where !time.followsYear2050Rule {
            error("9303-12 Table 5: validity", "\(name) \(time) is GeneralizedTime before 2050")
        }
        lintAlgorithm(certificate.signatureAlgorithm, "signatureAlgorithm", error, warning)
        if let role = kind.spocRole {
            lintSPOCTLS(certificate, role: role, issuer: issuer, error, warning)
            lintSignature(certificate, issuer: issuer, error)
            return findings
        }
        lintKey(tbs.subjectPublicKeyInfo, error)

        let extensions = certificate.extensions
        let forbiddenEverywhere: [(ASN1ObjectIdentifier, String)] = [
            (.X509Extension.policyMappings, "PolicyMappings"), (.X509Extension.nameConstraints, "NameConstraints"),
            (.X509Extension.policyConstraints, "PolicyConstraints"), (.X509Extension.subjectDirectoryAttributes, "SubjectDirectoryAttributes"),
            (.X509Extension.freshestCRL, "FreshestCRL"), (.X509Extension.netscapeCertType, "Netscape certificate type"),
        ]
        for (oid, name) in forbiddenEverywhere where extensions[oid] != nil { error("9303-12 Table 6: \(name)", "forbidden in every certificate") }
        var seen = Set<ASN1ObjectIdentifier>()
        for ext in extensions where !seen.insert(ext.oid).inserted { error("RFC 5280 §4.2", "extension \(ext.oid.displayName) appears twice") }

        // Table 6: m = mandatory, o = optional, x = forbidden; c = critical, nc = non-critical.
        typealias Rule = (oid: ASN1ObjectIdentifier, name: String, presence: Character, critical: Bool)
        let ca = kind == .csca || kind == .link
        let isListSigner = kind == .masterListSigner || kind == .deviationListSigner
        let rules: [Rule] = [
            (AuthorityKeyIdentifier.oid, "AuthorityKeyIdentifier", kind == .csca ? "o" : "m", false),
            (SubjectKeyIdentifier.oid, "SubjectKeyIdentifier", ca ? "m" : "o", false),
            (KeyUsage.oid, "KeyUsage", "m", true),
            (PrivateKeyUsagePeriod.oid, "PrivateKeyUsagePeriod", isListSigner ? "o" : "m", false),
            (CertificatePolicies.oid, "CertificatePolicies", "o", false),
            (SubjectAlternativeName.oid, "SubjectAltName", "m", false),
            (IssuerAlternativeName.oid, "IssuerAltName", "m", false),
            (BasicConstraints.oid, "BasicConstraints", ca ? "m" : "x", true),
            (ExtendedKeyUsage.oid, "ExtendedKeyUsage", isListSigner ? "m" : "x", true),
            (CRLDistributionPoints.oid, "CRLDistributionPoints", "m", false),
            (NameChange.oid, "NameChange", ca ? "o" : "x", false),
            (DocumentTypeList.oid, "DocumentTypeList", kind == .documentSigner ? "m" : "x", false),
        ]
        for rule in rules {
            let ext = extensions[rule.oid]
            switch (rule.presence, ext) {
            case ("m", nil): error("9303-12 Table 6: \(rule.name)", "mandatory in a \(kind.rawValue.uppercased()) certificate, missing")
            case ("x", .some): error("9303-12 Table 6: \(rule.name)", "forbidden in a \(kind.rawValue.uppercased()) certificate")
            case (_, .some(let present)) where present.critical != rule.critical:
                error("9303-12 Table 6: \(rule.name)", rule.critical ? "must be critical" : "must not be critical")
            default: break
            }
        }
        do {
            if let usage = try extensions.value(KeyUsage.self) {
                let expected: KeyUsage = ca ? [.keyCertSign, .cRLSign] : .digitalSignature
                if usage != expected { error("9303-12 Table 6: KeyUsage", "is \(usage), must be \(expected)") }
            }
            if ca, let constraints = try extensions.value(BasicConstraints.self) {
                if !constraints.isCertificateAuthority { error("9303-12 Table 6: BasicConstraints", "cA must be TRUE") }
                if constraints.pathLengthConstraint != 0 { error("9303-12 Table 6: BasicConstraints", "pathLenConstraint must be 0") }
            }
            if let usage = try extensions.value(ExtendedKeyUsage.self), isListSigner {
                let wanted: ASN1ObjectIdentifier = kind == .masterListSigner ? .ICAO.cscaMasterListSigningKey : .ICAO.deviationListSigningKey
                if !usage.purposes.contains(wanted) { error("9303-12 §7.1.1.3: ExtendedKeyUsage", "must contain \(wanted)") }
            }
            if let period = try extensions.value(PrivateKeyUsagePeriod.self), period.notBefore == nil, period.notAfter == nil {
                error("9303-12 Table 6: PrivateKeyUsagePeriod", "needs notBefore or notAfter")
            }
            if let points = try extensions.value(CRLDistributionPoints.self) {
                for uri in points.uris where !(uri.hasPrefix("http://") || uri.hasPrefix("https://") || uri.hasPrefix("ldap://")) {
                    error("9303-12 Table 6: CRLDistributionPoints", "'\(uri)' is not an ldap, http or https URI")
                }
            }
            if kind != .csca, let aki = certificate.authorityKeyIdentifier, let issuerSKI = issuer?.subjectKeyIdentifier, aki != issuerSKI {
                error("9303-12 Table 6: AuthorityKeyIdentifier", "does not match the issuer's subjectKeyIdentifier")
            }
            if let ext = extensions[NameChange.oid], Array(ext.value) != [0x05, 0x00] {
                error("9303-12 §7.1.1.5: NameChange", "value must be NULL")
            }
            if kind == .documentSigner, let list = try extensions.value(DocumentTypeList.self), list.documentTypes.isEmpty {
                error("9303-12 §7.1.1.6: DocumentTypeList", "lists no document type")
            }
        } catch {
            findings.append(Finding(severity: .error, rule: "RFC 5280 §4.2", message: "an extension cannot be decoded: \(error)"))
        }
        lintSignature(certificate, issuer: issuer, error)
        return findings
    }

    static func lintSignature(_ certificate: Certificate, issuer: Certificate?, _ error: (String, String) -> Void) {
        if let issuer, let key = try? issuer.publicKey, (try? certificate.isSignatureValid(issuerKey: key)) != true {
            error("RFC 5280 §4.1.1.3: signature", "does not verify with the issuer's key")
        }
    }

    static func lintName(_ name: DistinguishedName, _ field: String, _ error: (String, String) -> Void) {
        let country = name.attributes.filter { $0.type == .NameAttributes.countryName }
        if country.isEmpty { error("9303-12 §7.1.1.1: \(field)", "countryName is missing") }
        for attribute in country {
            if !attribute.isPrintableString { error("9303-12 Table 5: \(field)", "countryName must be PrintableString") }
            if let value = attribute.stringValue, value.uppercased() != value || value.count != 2 {
                error("9303-12 Table 5: \(field)", "countryName '\(value)' must be two upper-case letters")
            }
        }
        for attribute in name.attributes where attribute.type == .NameAttributes.serialNumber && !attribute.isPrintableString {
            error("9303-12 Table 5: \(field)", "serialNumber must be PrintableString")
        }
        if name.commonName == nil { error("9303-12 §7.1.1.1: \(field)", "commonName is missing") }
    }

    static func lintAlgorithm(_ identifier: AlgorithmIdentifier, _ field: String, _ error: (String, String) -> Void, _ warning: (String, String) -> Void) {
        guard let algorithm = try? SignatureAlgorithm(algorithmIdentifier: identifier) else {
            error("9303-12 §4.1.6: \(field)", "\(identifier.algorithm.displayName) is not an allowed signature algorithm")
            return
        }
        if algorithm.hash == .sha1 { error("9303-12 §4.1.6: \(field)", "SHA-1 is not allowed; only SHA-224 to SHA-512") }
        if algorithm.isECDSA, identifier.parameters != nil { warning("RFC 5758: \(field)", "ECDSA AlgorithmIdentifier must omit parameters") }
        if case .rsaPKCS1v15 = algorithm, identifier.parameters != .null { warning("RFC 4055: \(field)", "RSA AlgorithmIdentifier must carry NULL") }
    }

    static func lintKey(_ spki: SubjectPublicKeyInfo, _ error: (String, String) -> Void) {
        guard let domain = spki.ecDomain else { return }
        switch domain {
        case .named(let oid): error("9303-12 §4.1.6: subjectPublicKeyInfo", "EC parameters must be explicit, not the named curve \(oid.displayName)")
        case .unreadable: error("9303-12 §4.1.6: subjectPublicKeyInfo", "EC parameters cannot be read")
        case .explicit(let parameters):
            if parameters.cofactor == nil { error("9303-12 §4.1.6: subjectPublicKeyInfo", "explicit EC parameters must include the cofactor") }
        }
        if spki.subjectPublicKey.bytes.first != 0x04 { error("9303-12 §4.1.6: subjectPublicKeyInfo", "EC points must be uncompressed") }
    }

    // MARK: - CRLs

    /// `checkingEntries: false` leaves the entries to the caller, who walks them anyway (the NPKD, while it indexes a
    /// million-entry CRL) and checks each with `lint(entry:)`; everything else is checked here.
    public static func lint(_ crl: CertificateRevocationList, issuer: Certificate? = nil, checkingEntries: Bool = true) -> [Finding] {
        var findings: [Finding] = []
        func error(_ rule: String, _ message: String) { findings.append(Finding(severity: .error, rule: rule, message: message)) }
        func warning(_ rule: String, _ message: String) { findings.append(Finding(severity: .warning, rule: rule, message: message)) }
        if crl.version != 1 { error("9303-12 Table 9: version", "must be v2") }
        lintName(crl.issuer, "issuer", error)
        lintAlgorithm(crl.signatureAlgorithm, "signatureAlgorithm", error, warning)
        if !crl.thisUpdate.followsYear2050Rule { error("9303-12 Table 9: thisUpdate", "GeneralizedTime before 2050") }
        if let next = crl.nextUpdate {
            if !next.followsYear2050Rule { error("9303-12 Table 9: nextUpdate", "GeneralizedTime before 2050") }
            if next.date.timeIntervalSince(crl.thisUpdate.date) > 90 * 86_400 + 1 {
                error("9303-12 §4.1.5: nextUpdate", "more than 90 days after thisUpdate")
            }
        } else {
            error("9303-12 Table 9: nextUpdate", "mandatory, missing")
        }
        if crl.authorityKeyIdentifier == nil { error("9303-12 Table 10: AuthorityKeyIdentifier", "mandatory, missing") }
        if let number = crl.crlNumber {
            if number.bytes.first.map({ $0 & 0x80 != 0 }) ?? true || number.bytes.count > 20 {
                error("9303-12 Table 10: cRLNumber", "must be non-negative and at most 20 octets")
            }
        } else {
            error("9303-12 Table 10: cRLNumber", "mandatory, missing")
        }
        for (oid, name) in [(ASN1ObjectIdentifier.X509Extension.deltaCRLIndicator, "deltaCRLIndicator"),
                            (.X509Extension.issuingDistributionPoint, "issuingDistributionPoint"), (.X509Extension.freshestCRL, "freshestCRL")]
        where crl.extensions[oid] != nil {
            error("9303-12 Table 10: \(name)", "forbidden")
        }
        if crl.hasRevokedCertificatesField, (try? crl.entryCount()) == 0 {
            error("9303-12 Table 9: revokedCertificates", "present but empty; omit it when nothing is revoked")
        }
        if checkingEntries {
            var reported = Set<String>()
            do {
                try crl.forEachEntry { entry in
                    for finding in lint(entry: entry) where reported.insert(finding.rule).inserted { findings.append(finding) }
                }
            } catch {
                findings.append(Finding(severity: .error, rule: "RFC 5280 §5.1", message: "\(error)"))
            }
        }
        if let issuer {
            if let aki = crl.authorityKeyIdentifier, let ski = issuer.subjectKeyIdentifier, aki != ski {
                error("9303-12 Table 10: AuthorityKeyIdentifier", "does not match the CSCA's subjectKeyIdentifier")
            }
            if let key = try? issuer.publicKey, (try? crl.isSignatureValid(issuerKey: key)) != true {
                error("RFC 5280 §5.1.1.3: signature", "does not verify with the CSCA's key")
            }
        }
        return findings
    }

    /// One CRL entry: Doc 9303-12 Table 10 forbids reasonCode, holdInstructionCode, invalidityDate and certificateIssuer.
    public static func lint(entry: RevokedCertificate) -> [Finding] {
        guard let extensions = entry.extensions else { return [] }
        let forbidden: [(ASN1ObjectIdentifier, String)] = [
            (.X509Extension.reasonCode, "reasonCode"), (.X509Extension.holdInstructionCode, "holdInstructionCode"),
            (.X509Extension.invalidityDate, "invalidityDate"), (.X509Extension.certificateIssuer, "certificateIssuer"),
        ]
        return forbidden.filter { extensions[$0.0] != nil }.map { _, name in
            // The PKD tolerates reasonCode in practice; the profile forbids it.
            name == "reasonCode"
                ? Finding(severity: .warning, rule: "9303-12 Table 10: entry \(name)", message: "forbidden by the profile (tolerated by the PKD)")
                : Finding(severity: .error, rule: "9303-12 Table 10: entry \(name)", message: "forbidden")
        }
    }

    // MARK: - Signed lists

    public static func lint(_ signed: SignedData, kind: ListKind) -> [Finding] {
        var findings: [Finding] = []
        func error(_ rule: String, _ message: String) { findings.append(Finding(severity: .error, rule: rule, message: message)) }
        func warning(_ rule: String, _ message: String) { findings.append(Finding(severity: .warning, rule: rule, message: message)) }
        let section = kind == .masterList ? "9303-12 §9" : "9303-12 §10"
        let wantedType: ASN1ObjectIdentifier = kind == .masterList ? .ICAO.cscaMasterList : .ICAO.deviationList
        if signed.version != 3 { error("\(section): SignedData", "version must be v3") }
        if signed.encapContentInfo.eContentType != wantedType { error("\(section): eContentType", "must be \(wantedType)") }
        if signed.crls != nil { error("\(section): crls", "forbidden") }
        if signed.signerInfos.count != 1 { warning("\(section): signerInfos", "one SignerInfo is recommended, found \(signed.signerInfos.count)") }
        guard let signerInfo = signed.signerInfos.first else {
            error("\(section): signerInfos", "no SignerInfo")
            return findings
        }
        if signerInfo.signingTime == nil { error("\(section): signedAttrs", "signingTime is mandatory") }
        switch signerInfo.sid {
        case .subjectKeyIdentifier: if signerInfo.version != 3 { error("RFC 5652 §5.3", "SignerInfo with a subjectKeyIdentifier must be v3") }
        case .issuerAndSerialNumber: if signerInfo.version != 1 { error("RFC 5652 §5.3", "SignerInfo with issuerAndSerialNumber must be v1") }
        }
        if !signerInfo.digestAlgorithm.hasNullOrAbsentParameters || signerInfo.digestAlgorithm.parameters == .null {
            warning("\(section): digestAlgorithm", "must omit parameters (verifiers accept NULL)")
        }
        if kind == .deviationList, signerInfo.unsignedAttributes != nil { error("\(section): unsignedAttrs", "forbidden") }
        guard let signer = signed.embeddedSignerCertificate else {
            error("\(section): certificates", "the signer's certificate must be included")
            return findings
        }
        let wantedEKU: ASN1ObjectIdentifier = kind == .masterList ? .ICAO.cscaMasterListSigningKey : .ICAO.deviationListSigningKey
        if signer.extendedKeyUsage?.purposes.contains(wantedEKU) != true { error("\(section): signer", "the signer certificate lacks EKU \(wantedEKU)") }
        if !signed.certificates.contains(where: { signer.mayBeIssued(by: $0) && $0 != signer }) {
            warning("\(section): certificates", "the CSCA certificate should be included")
        }
        let report = signed.verify(signerCertificate: signer)
        for check in report.checks where check.status == .failed { error("\(section): \(check.name)", check.detail) }
        return findings
    }
}

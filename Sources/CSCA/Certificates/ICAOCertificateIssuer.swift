import Foundation
import PKICore
import SwiftASN1

/// Issues the certificates of an ICAO Doc 9303-12 CSCA with the extensions Table 6 asks for each kind:
/// the self-signed CSCA, Document Signers, and the Master List and Deviation List signers; and the SPOC TLS
/// client and server certificates of §7.2.1.
///
/// The CSCA's policies, store and audit trail are built on top; this type only knows the profiles.
public struct ICAOCertificateIssuer: Sendable {
    public let signer: any Signer
    /// The CSCA certificate; nil while issuing the self-signed one.
    public let cscaCertificate: Certificate
    public let signatureAlgorithm: SignatureAlgorithm
    public let crlDistributionPoints: [String]

    public init(signer: any Signer, cscaCertificate: Certificate, signatureAlgorithm: SignatureAlgorithm? = nil, crlDistributionPoints: [String] = []) throws {
        guard try cscaCertificate.publicKey.isSameKey(as: signer.publicKey) else {
            throw CSCAError(.policyViolation, "the signing key is not the key of \(cscaCertificate.subject)")
        }
        self.signer = signer
        self.cscaCertificate = cscaCertificate
        self.signatureAlgorithm = signatureAlgorithm ?? signer.defaultAlgorithm
        self.crlDistributionPoints = crlDistributionPoints.isEmpty
            ? (try? cscaCertificate.extensions.value(CRLDistributionPoints.self))??.uris ?? [] : crlDistributionPoints
    }

    public var country: String { cscaCertificate.subject.countryName ?? "" }

    /// A self-signed CSCA certificate: KeyUsage keyCertSign+cRLSign and BasicConstraints cA/pathLen 0, both
    /// critical; SKI; Private Key Usage Period; SAN and IAN naming the country; CRL distribution points.
    /// Validity = key usage period + the longest DS validity (Doc 9303-12 §4.1, Appendix A).
    public static func selfSignedCSCA(
        subject: DistinguishedName, signer: some Signer, signatureAlgorithm: SignatureAlgorithm? = nil,
        keyUsageStart: Date, keyUsageYears: Int = 5, longestDocumentSignerValidityYears: Double = 10.25,
        crlDistributionPoints: [String], ecParameters: ECParameterEncoding = .explicit
    ) throws -> Certificate {
        guard let country = subject.countryName else {
            throw CSCAError(.policyViolation, "the CSCA name needs a countryName")
        }
        let keyUsageEnd = keyUsageStart.addingYears(Double(keyUsageYears))
        let notAfter = keyUsageEnd.addingYears(longestDocumentSignerValidityYears)
        let spki = try signer.publicKey.encoded(ecParameters: ecParameters)
        let keyIdentifier = try PublicKey(subjectPublicKeyInfo: spki).keyIdentifier
        var extensions = Extensions()
        try extensions.append(KeyUsage([.keyCertSign, .cRLSign]), critical: true)
        try extensions.append(BasicConstraints(isCertificateAuthority: true, pathLengthConstraint: 0), critical: true)
        try extensions.append(SubjectKeyIdentifier(keyIdentifier: keyIdentifier), critical: false)
        try extensions.append(AuthorityKeyIdentifier(keyIdentifier: keyIdentifier), critical: false)
        try extensions.append(PrivateKeyUsagePeriod(notBefore: keyUsageStart, notAfter: keyUsageEnd), critical: false)
        try extensions.append(SubjectAlternativeName([try countryDirectoryName(country)]), critical: false)
        try extensions.append(IssuerAlternativeName([try countryDirectoryName(country)]), critical: false)
        if !crlDistributionPoints.isEmpty {
            try extensions.append(CRLDistributionPoints(uris: crlDistributionPoints), critical: false)
        }
        let builder = try CertificateBuilder(
            issuer: subject, subject: subject, notBefore: keyUsageStart, notAfter: notAfter,
            subjectPublicKeyInfo: spki, extensions: extensions)
        return try builder.sign(with: signer, algorithm: signatureAlgorithm)
    }

    /// A Document Signer certificate: KeyUsage digitalSignature (critical), AKI, SKI, Private Key Usage Period
    /// (at most three months by default), Document Type List, SAN/IAN, CRL distribution points.
    /// Validity = usage period + document validity, never beyond the CSCA's.
    public func issueDocumentSigner(
        subject: DistinguishedName, publicKey: PublicKey, documentTypes: [String], keyUsageStart: Date,
        keyUsageMonths: Int = 3, documentValidityYears: Double = 10, ecParameters: ECParameterEncoding = .explicit,
        serialNumber: [UInt8]? = nil
    ) throws -> Certificate {
        let keyUsageEnd = keyUsageStart.addingMonths(keyUsageMonths)
        var extensions = try signerExtensions(subject: subject, publicKey: publicKey, ecParameters: ecParameters)
        try extensions.append(PrivateKeyUsagePeriod(notBefore: keyUsageStart, notAfter: keyUsageEnd), critical: false)
        try extensions.append(DocumentTypeList(documentTypes: documentTypes), critical: false)
        return try issue(subject: subject, publicKey: publicKey, notBefore: keyUsageStart,
                         notAfter: keyUsageEnd.addingYears(documentValidityYears), extensions: extensions, ecParameters: ecParameters,
                         serialNumber: serialNumber)
    }

    public enum ListSignerType: String, Sendable {
        case masterList = "mls"
        case deviationList = "dls"

        var extendedKeyUsage: ASN1ObjectIdentifier {
            self == .masterList ? .ICAO.cscaMasterListSigningKey : .ICAO.deviationListSigningKey
        }
    }

    /// A Master List Signer (EKU 2.23.136.1.1.3) or Deviation List Signer (EKU 2.23.136.1.1.8) certificate; the
    /// EKU is critical (Doc 9303-12 §7.1.1.3).
    public func issueListSigner(
        _ type: ListSignerType, subject: DistinguishedName, publicKey: PublicKey, notBefore: Date, validityYears: Double = 3,
        ecParameters: ECParameterEncoding = .explicit, serialNumber: [UInt8]? = nil
    ) throws -> Certificate {
        var extensions = try signerExtensions(subject: subject, publicKey: publicKey, ecParameters: ecParameters)
        try extensions.append(PrivateKeyUsagePeriod(notBefore: notBefore, notAfter: notBefore.addingYears(validityYears)), critical: false)
        try extensions.append(ExtendedKeyUsage([type.extendedKeyUsage]), critical: true)
        return try issue(subject: subject, publicKey: publicKey, notBefore: notBefore,
                         notAfter: notBefore.addingYears(validityYears), extensions: extensions, ecParameters: ecParameters,
                         serialNumber: serialNumber)
    }

    /// A SPOC TLS client or server certificate (Doc 9303-12 §7.2.1; CSN 36 9791): KeyUsage digitalSignature
    /// (critical; keyEncipherment too for RSA keys), the profile's EKU (non-critical), AKI, SKI, the dNSNames in
    /// subjectAltName (at least one for a server), CRL distribution points (mandatory), no BasicConstraints. The
    /// key is written with its named curve, which TLS stacks require; validity is 6 to 18 months from `notBefore`.
    public func issueSPOCTLS(
        _ profile: SPOCTLSProfile, subject: DistinguishedName, publicKey: PublicKey, dnsNames: [String], notBefore: Date,
        validityMonths: Int, serialNumber: [UInt8]? = nil
    ) throws -> Certificate {
        guard subject.countryName == country else {
            throw CSCAError(.policyViolation, "subject country \(subject.countryName ?? "none") differs from the CSCA's \(country)")
        }
        guard SPOCTLSProfile.validityMonths.contains(validityMonths) else {
            throw CSCAError(.policyViolation, "a SPOC TLS certificate is valid for 6 to 18 months (Doc 9303-12 Table 1), not \(validityMonths)")
        }
        if let problem = SPOCTLSProfile.keyProblem(publicKey) { throw CSCAError(.policyViolation, problem) }
        if profile.role == .server, dnsNames.isEmpty {
            throw CSCAError(.policyViolation, "a SPOC server certificate needs the host of the SPOC's URL as a dNSName (Doc 9303-12 §7.2.1)")
        }
        for host in dnsNames {
            if let problem = SPOCTLSProfile.dnsNameProblem(host) { throw CSCAError(.policyViolation, problem) }
        }
        guard !crlDistributionPoints.isEmpty else {
            throw CSCAError(.policyViolation, "a SPOC TLS certificate needs a CRL distribution point (Doc 9303-12 §7.2.1)")
        }
        let spki = try publicKey.encoded(ecParameters: .namedCurve)
        var extensions = Extensions()
        try extensions.append(SPOCTLSProfile.keyUsage(for: publicKey), critical: true)
        try extensions.append(ExtendedKeyUsage(profile.keyPurposes), critical: false)
        try extensions.append(AuthorityKeyIdentifier(keyIdentifier: cscaCertificate.subjectKeyIdentifier ?? (try signer.publicKey.keyIdentifier)), critical: false)
        try extensions.append(SubjectKeyIdentifier(keyIdentifier: try PublicKey(subjectPublicKeyInfo: spki).keyIdentifier), critical: false)
        if !dnsNames.isEmpty {
            try extensions.append(SubjectAlternativeName(dnsNames.map(GeneralName.dnsName)), critical: false)
        }
        try extensions.append(CRLDistributionPoints(uris: crlDistributionPoints), critical: false)
        return try issue(subject: subject, publicKey: publicKey, notBefore: notBefore, notAfter: notBefore.addingMonths(validityMonths),
                         extensions: extensions, ecParameters: .namedCurve, serialNumber: serialNumber)
    }

    private func signerExtensions(subject: DistinguishedName, publicKey: PublicKey, ecParameters: ECParameterEncoding) throws -> Extensions {
        guard subject.countryName == country else {
            throw CSCAError(.policyViolation, "subject country \(subject.countryName ?? "none") differs from the CSCA's \(country)")
        }
        var extensions = Extensions()
        try extensions.append(KeyUsage.digitalSignature, critical: true)
        try extensions.append(AuthorityKeyIdentifier(keyIdentifier: cscaCertificate.subjectKeyIdentifier ?? (try signer.publicKey.keyIdentifier)), critical: false)
        let spki = try publicKey.encoded(ecParameters: ecParameters)
        try extensions.append(SubjectKeyIdentifier(keyIdentifier: try PublicKey(subjectPublicKeyInfo: spki).keyIdentifier), critical: false)
        try extensions.append(SubjectAlternativeName([try Self.countryDirectoryName(country)]), critical: false)
        try extensions.append(IssuerAlternativeName([try Self.countryDirectoryName(country)]), critical: false)
        if !crlDistributionPoints.isEmpty {
            try extensions.append(CRLDistributionPoints(uris: crlDistributionPoints), critical: false)
        }
        return extensions
    }

    private func issue(subject: DistinguishedName, publicKey: PublicKey, notBefore: Date, notAfter: Date, extensions: Extensions,
                       ecParameters: ECParameterEncoding, serialNumber: [UInt8]?) throws -> Certificate {
        guard notAfter <= cscaCertificate.notAfter, notBefore >= cscaCertificate.notBefore else {
            throw CSCAError(.policyViolation, "validity \(Time.iso8601(notBefore))–\(Time.iso8601(notAfter)) reaches beyond the CSCA's (until \(Time.iso8601(cscaCertificate.notAfter)))")
        }
        let builder = try CertificateBuilder(
            serialNumber: serialNumber, issuer: cscaCertificate.subject, subject: subject, notBefore: notBefore, notAfter: notAfter,
            subjectPublicKeyInfo: try publicKey.encoded(ecParameters: ecParameters), extensions: extensions)
        return try builder.sign(with: signer, algorithm: signatureAlgorithm)
    }

    /// The directoryName Doc 9303-12 §7.1.1.2 puts in SAN and IAN: localityName holding the country code.
    static func countryDirectoryName(_ country: String) throws -> GeneralName {
        .directoryName(try DistinguishedName(attributes: [(.NameAttributes.localityName, country)]))
    }

    /// Signs a v2 CRL with AKI and cRLNumber (Doc 9303-12 Tables 9 and 10).
    public func issueCRL<Entries: Sequence>(number: UInt64, thisUpdate: Date, nextUpdate: Date, revoked: Entries) throws -> CertificateRevocationList
    where Entries.Element == RevokedCertificate {
        let builder = try CRLBuilder(
            issuer: cscaCertificate.subject, thisUpdate: thisUpdate, nextUpdate: nextUpdate,
            authorityKeyIdentifier: cscaCertificate.subjectKeyIdentifier ?? (try signer.publicKey.keyIdentifier),
            crlNumber: CRLNumber(number))
        return try builder.sign(entries: revoked, with: signer, algorithm: signatureAlgorithm)
    }
}

extension Date {
    /// Calendar arithmetic in UTC, as validity periods are counted.
    func addingYears(_ years: Double) -> Date {
        let whole = Int(years)
        let months = Int(((years - Double(whole)) * 12).rounded())
        return addingMonths(whole * 12 + months)
    }

    func addingMonths(_ months: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!  // UTC always exists
        return calendar.date(byAdding: .month, value: months, to: self) ?? self
    }
}

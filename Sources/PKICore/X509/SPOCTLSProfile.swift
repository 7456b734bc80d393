import Foundation
import SwiftASN1

/// The two sets of key purposes in use for the TLS certificates of a SPOC (the SOAP service through which States
/// exchange CV certificates over mutually authenticated TLS).
///
/// - `icao`: Doc 9303-12 §7.2.1 names id-icao-spocClient (2.23.136.1.1.10.1) and id-icao-spocServer
///   (2.23.136.1.1.10.2).
/// - `csn`: CSN 36 9791 (the Czech standard the EU Member States' SPOCs follow, and what EJBCA issues) names
///   1.2.203.7064.1.1.369791.1 (client) and .2 (server), each written together with id-kp-clientAuth or
///   id-kp-serverAuth.
public enum SPOCEKUFamily: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case icao
    case csn

    public var description: String { self == .icao ? "ICAO Doc 9303-12" : "CSN 36 9791" }
}

/// The side of the TLS connection a SPOC certificate authenticates: the client that sends a request, or the
/// server that receives it.
public enum SPOCTLSRole: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case client
    case server

    public var description: String { rawValue }
}

/// The profile of a SPOC TLS client or server certificate (Doc 9303-12 §7.2.1; CSN 36 9791; TR-03139 App. C),
/// and the check a SPOC runs on its peer's certificate.
///
/// What the standards ask of these certificates, in short:
/// - the subject carries the State's two-letter countryName and a commonName, for which "SPOC TLS client" or
///   "SPOC TLS server" is recommended; a peer compares the countryName with the State it expects;
/// - a server certificate names the host part of the SPOC's URL as a dNSName in subjectAltName;
/// - the extended key usage carries the SPOC purpose of the role (either family; epki writes the generic
///   id-kp-clientAuth / id-kp-serverAuth beside it in both, since TLS libraries such as OpenSSL and BoringSSL
///   refuse a certificate whose EKU lacks them);
/// - CRL distribution points are mandatory, and peers check revocation at every connection;
/// - client and server certificates are valid for 6 to 18 months;
/// - EC keys use named curves (the explicit-parameter rule of Doc 9303 is for CSCA, DS and SOD keys only).
public struct SPOCTLSProfile: Hashable, Sendable, CustomStringConvertible {
    public let role: SPOCTLSRole
    public let family: SPOCEKUFamily

    public init(role: SPOCTLSRole, family: SPOCEKUFamily) {
        self.role = role
        self.family = family
    }

    /// Validity of a SPOC client or server certificate, in months (Doc 9303-12 Table 1).
    public static let validityMonths: ClosedRange<Int> = 6...18

    /// The purpose that marks the SPOC role in this family: what a peer looks for.
    public var spocPurpose: ASN1ObjectIdentifier {
        switch (family, role) {
        case (.icao, .client): .ICAO.spocClient
        case (.icao, .server): .ICAO.spocServer
        case (.csn, .client): .CSN369791.tlsClient
        case (.csn, .server): .CSN369791.tlsServer
        }
    }

    /// The generic TLS purpose of the role (RFC 5280 §4.2.1.12).
    public var tlsPurpose: ASN1ObjectIdentifier {
        role == .client ? .KeyPurpose.clientAuth : .KeyPurpose.serverAuth
    }

    /// The key purposes written in a certificate of this profile: the SPOC purpose, then the generic TLS one.
    public var keyPurposes: [ASN1ObjectIdentifier] { [spocPurpose, tlsPurpose] }

    /// The commonName Doc 9303-12 §7.2.1 recommends.
    public var defaultCommonName: String { role == .client ? "SPOC TLS client" : "SPOC TLS server" }

    public var description: String { "SPOC TLS \(role) (\(family))" }

    /// The SPOC roles and families a certificate's extended key usage carries, ICAO family first. A certificate
    /// without extended key usage carries none; anyExtendedKeyUsage does not count.
    ///
    /// This reads the SPOC purposes only: whether the generic id-kp-clientAuth / id-kp-serverAuth is present as
    /// well is the TLS library's check, and the subject's country is the caller's.
    public static func roles(of certificate: Certificate) -> [(role: SPOCTLSRole, family: SPOCEKUFamily)] {
        profiles(of: certificate).map { ($0.role, $0.family) }
    }

    /// `roles(of:)` as profiles.
    public static func profiles(of certificate: Certificate) -> [SPOCTLSProfile] {
        guard let purposes = certificate.extendedKeyUsage?.purposes else { return [] }
        var found: [SPOCTLSProfile] = []
        for family in SPOCEKUFamily.allCases {
            for role in SPOCTLSRole.allCases {
                let profile = SPOCTLSProfile(role: role, family: family)
                if purposes.contains(profile.spocPurpose) { found.append(profile) }
            }
        }
        return found
    }

    /// Whether a certificate carries `role` in one of `families` (a SPOC configured per peer accepts one family
    /// or both).
    public static func carries(_ certificate: Certificate, role: SPOCTLSRole,
                               families: Set<SPOCEKUFamily> = Set(SPOCEKUFamily.allCases)) -> Bool {
        profiles(of: certificate).contains { $0.role == role && families.contains($0.family) }
    }

    /// The key usage the profile writes for a key: digitalSignature for the (EC)DHE suites, and for RSA keys
    /// keyEncipherment too, which the TLS_RSA_* suites of Doc 9303-12 Table 3 need.
    public static func keyUsage(for key: PublicKey) -> KeyUsage {
        key.isEC ? .digitalSignature : [.digitalSignature, .keyEncipherment]
    }

    /// The curves TLS peers can be relied on to support: BoringSSL (under swift-nio-ssl) knows only these and RSA.
    public static let tlsCurves: [ECCurve] = [.p256, .p384, .p521]

    /// The smallest RSA modulus accepted.
    public static let minimumRSABits = 2048

    /// Why a key cannot be a SPOC TLS key, or nil when it can.
    public static func keyProblem(_ key: PublicKey) -> String? {
        switch key.kind {
        case .ec(let curve, _):
            guard let curve else { return "the key's EC parameters name no curve epki knows; SPOC TLS keys use \(curveList)" }
            return curveProblem(curve)
        case .rsa(let bits):
            return bits < minimumRSABits ? "an RSA key of \(bits) bits is too short for TLS; at least \(minimumRSABits)" : nil
        }
    }

    /// Why keys of a specification cannot be SPOC TLS keys, or nil when they can (checked before one is generated).
    public static func keyProblem(_ specification: KeySpecification) -> String? {
        switch specification {
        case .ec(let curve, _): curveProblem(curve)
        case .rsa(let bits): bits < minimumRSABits ? "RSA keys of \(bits) bits are too short for TLS; at least \(minimumRSABits)" : nil
        }
    }

    /// Why TLS peers may fail to build a path through an issuing CA certificate (the CSCA, whose Doc 9303 profile
    /// differs from what TLS stacks accept), or an empty list. Findings, not refusals: the standard lets the CSCA
    /// issue SPOC certificates, and a peer may use another stack.
    /// - explicit EC parameters: OpenSSL 3 rejects them anywhere in a chain, the trust anchor included;
    /// - a curve other than P-256/P-384/P-521: BoringSSL cannot check the signatures it makes.
    public static func issuerProblems(_ issuer: Certificate) -> [String] {
        guard let key = try? issuer.publicKey, case .ec(let curve, let explicit) = key.kind else { return [] }
        var problems: [String] = []
        if explicit {
            problems.append("the issuer's EC key carries explicit parameters, which OpenSSL 3 refuses in a certificate chain")
        }
        if curve.map({ !tlsCurves.contains($0) }) ?? true {
            problems.append("the issuer's key is on \(curve?.rawValue ?? "an unknown curve"), whose signatures TLS peers on BoringSSL cannot check")
        }
        return problems
    }

    private static var curveList: String { tlsCurves.map(\.rawValue).joined(separator: ", ") + " or RSA" }

    private static func curveProblem(_ curve: ECCurve) -> String? {
        guard !tlsCurves.contains(curve) else { return nil }
        return "\(curve) is not usable for SPOC TLS: TLS peers on BoringSSL (swift-nio-ssl) support only \(curveList)"
    }

    /// Why `host` cannot be a dNSName naming a SPOC's host, or nil when it can: letters, digits and hyphens in
    /// dot-separated labels of at most 63 characters (an internationalized name goes in its ASCII "xn--" form);
    /// no scheme, port, path, wildcard or IP address.
    public static func dnsNameProblem(_ host: String) -> String? {
        if host.isEmpty { return "an empty dNSName" }
        if host.contains("://") || host.contains("/") || host.contains(":") {
            return "'\(host)' is not a host name; give the host part of the SPOC's URL only"
        }
        if host.utf8.count > 253 { return "'\(host)' is longer than 253 characters" }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        if labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) {
            return "'\(host)' is an IP address, not a dNSName"
        }
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63 else { return "'\(host)' has an empty or over-long label" }
            guard label.utf8.allSatisfy({ byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2D
            }) else {
                return "'\(host)' holds characters a dNSName cannot (letters, digits and '-' only; IDNs in their xn-- form)"
            }
            if label.hasPrefix("-") || label.hasSuffix("-") { return "'\(host)' has a label that begins or ends with '-'" }
        }
        return nil
    }

    /// Whether a validity period lies within 6 to 18 calendar months (UTC), with three days' grace at the short end
    /// for issuers that count a month as 30 days, and one day at the long end.
    public static func isValidityAllowed(notBefore: Date, notAfter: Date) -> Bool {
        var calendar = Calendar(identifier: .gregorian)
        guard let utc = TimeZone(identifier: "UTC") else { return false }
        calendar.timeZone = utc
        guard let shortest = calendar.date(byAdding: .month, value: validityMonths.lowerBound, to: notBefore),
              let longest = calendar.date(byAdding: .month, value: validityMonths.upperBound, to: notBefore) else { return false }
        return notAfter >= shortest.addingTimeInterval(-3 * 86_400) && notAfter <= longest.addingTimeInterval(86_400)
    }
}

import Foundation
import PKICore
import SPOC
import SwiftASN1
import TestSupport

/// A country's SPOC TLS PKI for the tests: a root CA (P-256, C = the country) that issues SPOC TLS client and
/// server certificates with the EKU, SAN and CDP the profile asks for, and its CRL. Certificates are valid around
/// *now* (openssl, Python and BoringSSL check them against the clock, faked or not).
struct SPOCTestPKI {
    static let clientAuth: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 3, 2]
    static let serverAuth: ASN1ObjectIdentifier = [1, 3, 6, 1, 5, 5, 7, 3, 1]
    static let icaoClient: ASN1ObjectIdentifier = [2, 23, 136, 1, 1, 10, 1]
    static let icaoServer: ASN1ObjectIdentifier = [2, 23, 136, 1, 1, 10, 2]
    static let csnClient: ASN1ObjectIdentifier = [1, 2, 203, 7064, 1, 1, 369791, 1]
    static let csnServer: ASN1ObjectIdentifier = [1, 2, 203, 7064, 1, 1, 369791, 2]

    let country: String
    let crlURL: String
    let rootSigner: SoftwareSigner
    let root: Certificate

    init(country: String, crlURL: String, notBefore: Date = Date().addingTimeInterval(-86_400 * 400)) throws {
        self.country = country
        self.crlURL = crlURL
        rootSigner = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        let name = try DistinguishedName(attributes: [(.NameAttributes.countryName, country), (.NameAttributes.commonName, "SPOC CA \(country)")])
        var extensions = Extensions()
        try extensions.append(KeyUsage([.keyCertSign, .cRLSign]), critical: true)
        try extensions.append(BasicConstraints(isCertificateAuthority: true, pathLengthConstraint: 0), critical: true)
        try extensions.append(SubjectKeyIdentifier(keyIdentifier: try rootSigner.publicKey.keyIdentifier), critical: false)
        root = try CertificateBuilder(issuer: name, subject: name, notBefore: notBefore, notAfter: notBefore.addingTimeInterval(86_400 * 365 * 6),
                                      subjectPublicKeyInfo: try rootSigner.publicKey.encoded(ecParameters: .namedCurve), extensions: extensions)
            .sign(with: rootSigner)
    }

    /// A SPOC TLS certificate: `purposes` as given (default: the role's ICAO EKU plus id-kp-*Auth), subject C
    /// `subjectCountry` (default: the PKI's), dNSName localhost and iPAddress 127.0.0.1 for a server.
    func issue(server: Bool, purposes: [ASN1ObjectIdentifier]? = nil, subjectCountry: String? = nil, notBefore: Date = Date().addingTimeInterval(-86_400),
               months: Double = 12, withCDP: Bool = true, ipAddress: Bool = true) throws -> (certificate: Certificate, key: PrivateKey) {
        let key = try PrivateKey.generate(.ec(.p256, parameters: .namedCurve))
        let subject = try DistinguishedName(attributes: [(.NameAttributes.countryName, subjectCountry ?? country),
                                                         (.NameAttributes.commonName, server ? "SPOC TLS server" : "SPOC TLS client")])
        var extensions = Extensions()
        try extensions.append(KeyUsage.digitalSignature, critical: true)
        try extensions.append(ExtendedKeyUsage(purposes ?? (server ? [Self.icaoServer, Self.serverAuth] : [Self.icaoClient, Self.clientAuth])), critical: false)
        try extensions.append(AuthorityKeyIdentifier(keyIdentifier: try rootSigner.publicKey.keyIdentifier), critical: false)
        // Reached by name or by address: the tests' SPOCs listen on 127.0.0.1, which needs no resolver.
        if server {
            let address = ipAddress ? try IPAddress.generalName("127.0.0.1") : nil
            try extensions.append(SubjectAlternativeName([.dnsName("localhost")] + (address.map { [$0] } ?? [])), critical: false)
        }
        if withCDP { try extensions.append(CRLDistributionPoints(uris: [crlURL]), critical: false) }
        let public_ = SoftwareSigner(key: key).publicKey
        let certificate = try CertificateBuilder(issuer: root.subject, subject: subject, notBefore: notBefore,
                                                 notAfter: notBefore.addingTimeInterval(86_400 * 30.5 * months),
                                                 subjectPublicKeyInfo: try public_.encoded(ecParameters: .namedCurve), extensions: extensions)
            .sign(with: rootSigner)
        return (certificate, key)
    }

    func crl(revoking revoked: [Certificate] = []) throws -> CertificateRevocationList {
        let now = Date()
        let entries = try revoked.map { try RevokedCertificate(serialNumber: Array($0.serialNumber), revocationDate: now.addingTimeInterval(-60)) }
        return try CRLBuilder(issuer: root.subject, thisUpdate: now.addingTimeInterval(-3_600), nextUpdate: now.addingTimeInterval(86_400 * 30),
                              authorityKeyIdentifier: try rootSigner.publicKey.keyIdentifier, crlNumber: CRLNumber(UInt64(revoked.count + 1)))
            .sign(entries: entries, with: rootSigner)
    }

    /// The key in the clear as PEM, for a peer nobody here wrote (curl, Python) in a temporary directory.
    static func plainPEM(_ key: PrivateKey) throws -> String {
        PEM.encode(try key.plainPKCS8ForSealing(), label: "PRIVATE KEY")
    }
}

/// A free TCP port on 127.0.0.1 (bound, read, released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    guard bound == 0 else { throw TestFailure("bind() failed") }
    let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    guard named == 0 else { throw TestFailure("getsockname() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

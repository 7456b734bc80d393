import Foundation
import PKICore
import SwiftASN1

/// The SPOC TLS certificate profile (Doc 9303-12 §7.2.1, CSN 36 9791, TR-03139 App. C): the checks that replace
/// Table 6 for `spoc-client` and `spoc-server` certificates. The name, serial, encoding, validity-time and
/// signature-algorithm checks of every certificate still apply.
extension ProfileLinter {
    static func lintSPOCTLS(_ certificate: Certificate, role: SPOCTLSRole, issuer: Certificate?,
                            _ fail: (String, String) -> Void, _ warn: (String, String) -> Void) {
        let section = "9303-12 §7.2.1"
        let kind = role == .client ? "SPOC-CLIENT" : "SPOC-SERVER"
        let extensions = certificate.extensions

        // Subject: C and CN are checked for every certificate; the CN "SPOC TLS client/server" is a SHOULD.
        let recommended = SPOCTLSProfile(role: role, family: .icao).defaultCommonName
        if let name = certificate.subject.commonName, name != recommended {
            warn("\(section): subject", "commonName '\(name)'; '\(recommended)' is recommended")
        }

        // Validity: 6 to 18 months (Table 1).
        if !SPOCTLSProfile.isValidityAllowed(notBefore: certificate.notBefore, notAfter: certificate.notAfter) {
            fail("9303-12 Table 1: validity", "\(Time.iso8601(certificate.notBefore))–\(Time.iso8601(certificate.notAfter)) is not 6 to 18 months")
        }

        // Key: TLS certificates name their curve (RFC 5480 §2.1.1 forbids specifiedCurve in PKIX); peers on
        // BoringSSL know only the NIST P curves and RSA.
        let spki = certificate.tbsCertificate.subjectPublicKeyInfo
        if spki.algorithm.algorithm == .PublicKeyAlgorithm.ecPublicKey {
            switch spki.ecDomain {
            case .named: break
            case .explicit: fail("RFC 5480 §2.1.1: subjectPublicKeyInfo", "a TLS certificate's EC key must name its curve, not carry explicit parameters")
            case .unreadable, nil: fail("RFC 5480 §2.1.1: subjectPublicKeyInfo", "EC parameters are missing or cannot be read")
            }
            if spki.subjectPublicKey.bytes.first != 0x04 { warn("RFC 5480 §2.2: subjectPublicKey", "EC points should be uncompressed") }
        }
        if let key = try? certificate.publicKey, let problem = SPOCTLSProfile.keyProblem(key) {
            warn("\(section): subjectPublicKeyInfo", problem)
        }

        // Extensions that mark eMRTD certificates have no place here.
        let forbidden: [(ASN1ObjectIdentifier, String)] = [
            (DocumentTypeList.oid, "DocumentTypeList"), (NameChange.oid, "NameChange"),
            (.X509Extension.policyMappings, "PolicyMappings"), (.X509Extension.policyConstraints, "PolicyConstraints"),
            (.X509Extension.nameConstraints, "NameConstraints"),
        ]
        for (oid, name) in forbidden where extensions[oid] != nil {
            fail("\(section): \(name)", "forbidden in a \(kind) certificate")
        }
        var seen = Set<ASN1ObjectIdentifier>()
        for ext in extensions where !seen.insert(ext.oid).inserted { fail("RFC 5280 §4.2", "extension \(ext.oid.displayName) appears twice") }
        for (oid, name) in [(AuthorityKeyIdentifier.oid, "AuthorityKeyIdentifier"), (SubjectKeyIdentifier.oid, "SubjectKeyIdentifier"),
                            (CRLDistributionPoints.oid, "CRLDistributionPoints"), (SubjectAlternativeName.oid, "SubjectAltName")]
        where extensions[oid]?.critical == true {
            fail("RFC 5280 §4.2.1: \(name)", "must not be critical")
        }

        do {
            if extensions[AuthorityKeyIdentifier.oid] == nil { fail("RFC 5280 §4.2.1.1: AuthorityKeyIdentifier", "mandatory, missing") }
            if let aki = certificate.authorityKeyIdentifier, let ski = issuer?.subjectKeyIdentifier, aki != ski {
                fail("RFC 5280 §4.2.1.1: AuthorityKeyIdentifier", "does not match the issuer's subjectKeyIdentifier")
            }

            // Key usage "depends on the cipher suite": digitalSignature for the (EC)DHE suites, keyEncipherment
            // for TLS_RSA_*; never a CA's bits.
            if let usage = try extensions.value(KeyUsage.self) {
                if extensions[KeyUsage.oid]?.critical != true { warn("RFC 5280 §4.2.1.3: KeyUsage", "should be critical") }
                if !usage.contains(.digitalSignature) { fail("\(section): KeyUsage", "is \(usage), must include digitalSignature") }
                if !usage.isDisjoint(with: [.keyCertSign, .cRLSign]) { fail("\(section): KeyUsage", "is \(usage); keyCertSign and cRLSign are for CAs") }
                if let key = try? certificate.publicKey, !key.isEC, !usage.contains(.keyEncipherment) {
                    warn("9303-12 Table 3: KeyUsage", "an RSA key without keyEncipherment cannot serve the TLS_RSA_* cipher suites")
                }
            } else {
                warn("RFC 5280 §4.2.1.3: KeyUsage", "missing")
            }

            if let constraints = try extensions.value(BasicConstraints.self), constraints.isCertificateAuthority {
                fail("\(section): BasicConstraints", "cA must be FALSE (or the extension absent) in a \(kind) certificate")
            }

            // Extended key usage: the role's SPOC purpose, of either family.
            if let usage = try extensions.value(ExtendedKeyUsage.self) {
                let carried = SPOCTLSProfile.profiles(of: certificate).filter { $0.role == role }
                if carried.isEmpty {
                    let wanted = SPOCEKUFamily.allCases.map { SPOCTLSProfile(role: role, family: $0).spocPurpose.description }
                    fail("\(section): ExtendedKeyUsage", "must contain \(wanted.joined(separator: " (ICAO) or ")) (CSN 36 9791)")
                }
                for profile in carried where !usage.purposes.contains(profile.tlsPurpose) {
                    if profile.family == .csn {
                        fail("CSN 36 9791: ExtendedKeyUsage", "\(profile.spocPurpose) is written together with \(profile.tlsPurpose.displayName)")
                    } else {
                        warn("\(section): ExtendedKeyUsage", "without \(profile.tlsPurpose.displayName), OpenSSL and BoringSSL peers refuse the certificate")
                    }
                }
            } else {
                fail("\(section): ExtendedKeyUsage", "mandatory in a \(kind) certificate, missing")
            }

            // subjectAltName: a server names the host of its URL.
            let san = try extensions.value(SubjectAlternativeName.self)
            if role == .server {
                let hosts = san?.dnsNames ?? []
                if hosts.isEmpty { fail("\(section): SubjectAltName", "a SPOC server certificate must carry the host of its URL as a dNSName") }
                for host in hosts {
                    if let problem = SPOCTLSProfile.dnsNameProblem(host) { fail("\(section): SubjectAltName", problem) }
                }
            }

            // CRL distribution points are mandatory; the EU asks for at least one HTTP point (TR-03139 C.2.2).
            if let points = try extensions.value(CRLDistributionPoints.self) {
                let uris = points.uris
                if uris.isEmpty { fail("\(section): CRLDistributionPoints", "names no URI") }
                for uri in uris where !(uri.hasPrefix("http://") || uri.hasPrefix("https://") || uri.hasPrefix("ldap://")) {
                    fail("\(section): CRLDistributionPoints", "'\(uri)' is not an ldap, http or https URI")
                }
                if !uris.isEmpty, !uris.contains(where: { $0.hasPrefix("http://") || $0.hasPrefix("https://") }) {
                    warn("TR-03139 C.2.2: CRLDistributionPoints", "EU SPOCs expect at least one HTTP distribution point")
                }
            } else {
                fail("\(section): CRLDistributionPoints", "mandatory, missing")
            }
        } catch let decoding {
            fail("RFC 5280 §4.2", "an extension cannot be decoded: \(decoding)")
        }
    }
}

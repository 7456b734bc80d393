import PKICore

/// Verifies a CV certificate chain CVCA (→ link CVCA …) → DV → terminal into a report of checks, following
/// TR-03110-3 §2.5 (certificate validation) and §2.7 (effective authorization):
///
/// - each signature with the issuer's key, DV and terminal keys taking the CVCA's domain parameters;
/// - CAR = the issuer's CHR, and the hierarchy of roles (a CVCA certifies CVCA link keys and DVs, a DV terminals);
/// - domain parameters where the profile wants them (self-signed CVCA: present; DV, terminal: absent);
/// - validity against the clock, whole GMT days. A CVCA certificate that only certifies the next CVCA key (a
///   superseded trust point) is not held to its expiration date, as the chip does not hold link certificates to
///   theirs;
/// - the effective authorization: the AND of all CHATs, which must share one terminal type.
public struct CVChainVerifier: Sendable {
    public let clock: any PKIClock

    public init(clock: any PKIClock = SystemClock()) {
        self.clock = clock
    }

    /// Verifies `certificate` through a path built from `pool` up to a self-signed CVCA in it.
    public func verify(_ certificate: CVCertificate, pool: CVCertificatePool) -> VerificationReport {
        do {
            return verify(path: try pool.path(to: certificate))
        } catch let error as CVCError {
            var report = VerificationReport(subject: "CV certificate \(certificate.chr)")
            report.add("chain", .failed, error.reason)
            return report
        } catch {
            var report = VerificationReport(subject: "CV certificate \(certificate.chr)")
            report.add("chain", .failed, "\(error)")
            return report
        }
    }

    /// Verifies a path given root first.
    public func verify(path: CVCertificatePath) -> VerificationReport {
        let certificates = path.certificates
        var report = VerificationReport(subject: "CV certificate \(certificates.last?.chr ?? "(none)")")
        guard let anchor = certificates.first else {
            report.add("chain", .failed, "no certificate given")
            return report
        }
        report.add("chain", .passed, certificates.map(\.chr).joined(separator: " → "))
        let today: CVDate? = try? CVDate(clock.now())

        if anchor.isSelfSigned && anchor.role == .cvca {
            report.add("trust anchor", .passed, "\(anchor.chr) is a self-signed CVCA certificate")
        } else {
            report.add("trust anchor", .failed, "\(anchor.chr) is not a self-signed CVCA certificate (CAR \(anchor.car), role \(anchor.role))")
        }

        // Each key goes to OpenSSL once, though the anchor's checks two signatures (its own and the next one).
        var keys: [Int: PublicKey] = [:]
        func issuerKey(_ index: Int) throws -> PublicKey {
            if let key = keys[index] { return key }
            let key = try certificates[index].publicKey.publicKey(inheriting: path.domainParameters(at: index))
            keys[index] = key
            return key
        }

        for (index, certificate) in certificates.enumerated() {
            let chr = certificate.chr
            let issuerIndex = max(index - 1, 0)
            let issuer = certificates[issuerIndex]
            let issuerParameters = path.domainParameters(at: issuerIndex)

            if index > 0 {
                report.add("issuer \(chr)", passed: certificate.car == issuer.chr, "CAR \(certificate.car), issuer CHR \(issuer.chr)")
            }

            // Signature, with the issuer's key and the domain parameters it holds or inherits.
            do {
                let verdict = try issuer.publicKey.verifySignature(
                    certificate.signature, for: certificate.body.encoded, using: issuerKey(issuerIndex),
                    orderLength: issuerParameters?.orderLength ?? 0)
                switch verdict {
                case .valid:
                    report.add("signature \(chr)", .passed, "\(issuer.publicKey.algorithm) by \(issuer.chr)")
                case .validWithDeviation(let deviation):
                    report.add("signature \(chr)", .passed, "\(issuer.publicKey.algorithm) by \(issuer.chr)")
                    report.add("signature encoding \(chr)", .warning, deviation)
                case .invalid:
                    report.add("signature \(chr)", .failed, "\(issuer.publicKey.algorithm) by \(issuer.chr): the signature does not verify")
                }
            } catch let error as CVCError {
                report.add("signature \(chr)", .failed, error.reason)
            } catch {
                report.add("signature \(chr)", .failed, "\(error)")
            }

            checkRole(certificate, issuer: issuer, index: index, into: &report)
            checkDomainParameters(certificate, index: index, path: path, into: &report)
            checkValidity(certificate, isSupersededCVCA: certificate.role == .cvca && index + 1 < certificates.count && certificates[index + 1].role == .cvca, today: today, into: &report)

            if !certificate.chat.hasValidLength {
                report.add("CHAT \(chr)", .failed, "\(certificate.chat.terminalType) needs \(certificate.chat.terminalType.authorizationLength ?? 0) byte(s) of authorization, found \(certificate.chat.relativeAuthorization.count)")
            } else if certificate.chat.terminalType != anchor.chat.terminalType {
                // Seen in real data: the BSI EAC worked example has an id-IS CVCA above id-AT DV and terminal
                // certificates. The signatures hold; only the rights cannot be combined.
                report.add("CHAT \(chr)", .warning, "terminal type \(certificate.chat.terminalType) differs from the CVCA's \(anchor.chat.terminalType)")
            }
        }

        if let effective = path.effectiveAuthorization {
            report.add("effective authorization", .passed, effective.description)
        } else if certificates.allSatisfy(\.chat.hasValidLength) {
            report.add("effective authorization", .notChecked, "the CHATs of the chain have different terminal types, so no rights combine")
        } else {
            report.add("effective authorization", .failed, "the CHATs of the chain do not combine")
        }
        return report
    }

    private func checkRole(_ certificate: CVCertificate, issuer: CVCertificate, index: Int, into report: inout VerificationReport) {
        let role = certificate.role
        let name = "role \(certificate.chr)"
        if index == 0 {
            if role != .cvca { report.add(name, .failed, "the first certificate is a \(role), not a CVCA") }
            return
        }
        switch (issuer.role, role) {
        case (.cvca, .cvca):
            report.add(name, .passed, "CVCA link certificate")
        case (.cvca, .domesticDV), (.cvca, .foreignDV):
            report.add(name, .passed, "\(role) certified by the CVCA")
        case (.domesticDV, .terminal), (.foreignDV, .terminal):
            report.add(name, .passed, "terminal certified by a \(issuer.role)")
        default:
            report.add(name, .failed, "a \(issuer.role) cannot certify a \(role)")
        }
    }

    private func checkDomainParameters(_ certificate: CVCertificate, index: Int, path: CVCertificatePath, into report: inout VerificationReport) {
        let name = "domain parameters \(certificate.chr)"
        let anchor = path.certificates[0]
        guard certificate.publicKey.isEC else {
            if anchor.publicKey.isEC {
                report.add(name, .failed, "an RSA key under an EC CVCA")
            }
            return
        }
        let own = certificate.publicKey.domainParameters
        if index == 0 {
            report.add(name, passed: own != nil, own.map { "\($0.displayName), included" } ?? "a self-signed CVCA certificate must carry its domain parameters")
            return
        }
        let inherited = path.domainParameters(at: index - 1)
        if certificate.role == .cvca {
            // Link certificates MAY carry parameters and MAY change the curve.
            if let parameters = own ?? inherited {
                report.add(name, .passed, "\(parameters.displayName), \(own == nil ? "inherited" : "included")")
            } else {
                report.add(name, .failed, "the key has no domain parameters and none are inherited")
            }
            return
        }
        guard let inherited else {
            report.add(name, .failed, "no CVCA above \(certificate.chr) has domain parameters to inherit")
            return
        }
        if let own {
            if own.describesSameCurve(as: inherited) {
                report.add(name, .warning, "\(certificate.role) certificates must not carry domain parameters (they match the CVCA's)")
            } else {
                report.add(name, .failed, "the certificate carries \(own.displayName), but DV and terminal keys use the CVCA's \(inherited.displayName)")
            }
        } else {
            report.add(name, .passed, "\(inherited.displayName), inherited from the CVCA")
        }
    }

    private func checkValidity(_ certificate: CVCertificate, isSupersededCVCA: Bool, today: CVDate?, into report: inout VerificationReport) {
        let name = "validity \(certificate.chr)"
        let period = "\(certificate.body.effectiveDate) to \(certificate.body.expirationDate)"
        guard let today else {
            report.add(name, .notChecked, "the clock's date cannot be written as a CV date")
            return
        }
        if today < certificate.body.effectiveDate {
            report.add(name, .failed, "not yet valid: valid \(period), checked on \(today)")
        } else if today > certificate.body.expirationDate {
            if isSupersededCVCA {
                report.add(name, .notChecked, "expired (\(period)), but it only certifies the next CVCA key, which TR-03110-3 §2.5 allows")
            } else {
                report.add(name, .failed, "expired: valid \(period), checked on \(today)")
            }
        } else {
            report.add(name, .passed, "\(period), checked on \(today)")
        }
    }
}

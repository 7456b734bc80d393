import PKICore

/// What a CA can say about a request before issuing, as a TR-03129 result code and a report of checks.
public struct CVRequestValidation: Sendable {
    /// `ok_cert_available` when the request may be certified (the code to return once the certificate is
    /// issued); otherwise the failure the SPOC or CA returns unchanged.
    public var resultCode: TR03129ResultCode
    /// The decoded request, unless it could not be read (`failure_syntax`).
    public var request: CVCertificateRequest?
    /// The certificate whose key made the outer signature, when there is one and it is known.
    public var outerCertificate: CVCertificate?
    public var report: VerificationReport

    public var isAccepted: Bool { resultCode == .okCertAvailable }
}

/// Checks a CV certificate request the way a CVCA or DV must before certifying it (TR-03110-3 C.2, TR-03129 §4),
/// without any state of its own: the caller gives the domain of its chain and the certificates allowed to
/// authenticate requests.
///
/// In order, each failure with its own result code:
/// 1. the request decodes strictly and its CHR is a well-formed reference → else `failure_syntax`;
/// 2. its key has the algorithm family and (EC) the domain parameters of the issuing chain; a request must carry
///    them → else `failure_domain_parameters`;
/// 3. the inner signature verifies with the requested key → else `failure_inner_signature`;
/// 4. an outer signature, when present or required:
///    - its CAR names a certificate among the authenticators → else `failure_request_not_accepted` (the key is not
///      registered with this CA, so there is nothing to check the signature against);
///    - it verifies with that certificate's key → else (or when missing but required) `failure_outer_signature`;
///    - that certificate is not expired → else `failure_expired`.
public struct CVRequestValidator: Sendable {
    /// The kind of key the issuing chain uses.
    public enum Domain: Hashable, Sendable, CustomStringConvertible {
        case rsa
        case ec(CVDomainParameters)

        public var description: String {
            switch self {
            case .rsa: "RSA"
            case .ec(let parameters): "EC \(parameters.displayName)"
            }
        }
    }

    public var domain: Domain
    /// Certificates whose keys may make outer signatures: registered DVs (successive requests), the national
    /// CVCA, foreign CVCAs (initial foreign DV requests), plus whatever is needed to find their domain parameters.
    public var authenticators: CVCertificatePool
    /// Successive requests must be authenticated; the caller knows which ones are.
    public var outerSignatureRequired: Bool
    public var clock: any PKIClock

    public init(domain: Domain, authenticators: CVCertificatePool, outerSignatureRequired: Bool = false, clock: any PKIClock = SystemClock()) {
        self.domain = domain
        self.authenticators = authenticators
        self.outerSignatureRequired = outerSignatureRequired
        self.clock = clock
    }

    /// The domain of an issuing certificate: RSA, or its EC parameters (its own or inherited through `pool`).
    public static func domain(of issuer: CVCertificate, in pool: CVCertificatePool) throws -> Domain {
        guard issuer.publicKey.isEC else { return .rsa }
        guard let parameters = try pool.domainParameters(for: issuer) else {
            throw CVCError(.domainParameters, "no domain parameters are known for \(issuer.chr)")
        }
        return .ec(parameters)
    }

    public func validate(_ bytes: [UInt8]) -> CVRequestValidation {
        do {
            return validate(try CVCertificateRequest(encoded: bytes))
        } catch {
            var report = VerificationReport(subject: "CV certificate request")
            report.add("syntax", .failed, (error as? CVCError)?.reason ?? "\(error)")
            return CVRequestValidation(resultCode: .failureSyntax, request: nil, outerCertificate: nil, report: report)
        }
    }

    public func validate(_ request: CVCertificateRequest) -> CVRequestValidation {
        var report = VerificationReport(subject: "CV certificate request \(request.chr)")
        func finish(_ code: TR03129ResultCode, _ outerCertificate: CVCertificate? = nil) -> CVRequestValidation {
            report.add("result", code.isSuccess ? .passed : .failed, code.rawValue)
            return CVRequestValidation(resultCode: code, request: request, outerCertificate: outerCertificate, report: report)
        }

        // 1. Syntax beyond decoding: the CHR becomes the new certificate's CHR, so it must be a real reference.
        do {
            _ = try CertificationAuthorityReference(encoded: CharacterString.encode(request.chr, "CHR"))
            report.add("syntax", .passed, "CHR \(request.chr)\(request.car.map { ", expected CAR \($0)" } ?? "")")
        } catch {
            report.add("syntax", .failed, (error as? CVCError)?.reason ?? "\(error)")
            return finish(.failureSyntax)
        }

        // 2. Domain parameters.
        let key = request.publicKey
        switch (domain, key.key) {
        case (.rsa, .rsa):
            report.add("domain parameters", .passed, "RSA, as the issuing chain")
        case (.ec(let expected), .ec(let own, _)):
            guard let own else {
                report.add("domain parameters", .failed, "the request carries no domain parameters; requests must always include them")
                return finish(.failureDomainParameters)
            }
            guard own.describesSameCurve(as: expected) else {
                report.add("domain parameters", .failed, "the request uses \(own.displayName), the CVCA \(expected.displayName)")
                return finish(.failureDomainParameters)
            }
            report.add("domain parameters", .passed, "\(own.displayName), the CVCA's")
        default:
            report.add("domain parameters", .failed, "a \(key.isEC ? "EC" : "RSA") key for a \(domain) chain")
            return finish(.failureDomainParameters)
        }

        // 3. Inner signature.
        do {
            let valid = try request.isInnerSignatureValid()
            report.add("inner signature", passed: valid, "\(key.algorithm) by the requested key\(valid ? "" : ": does not verify")")
            if !valid { return finish(.failureInnerSignature) }
        } catch {
            report.add("inner signature", .failed, (error as? CVCError)?.reason ?? "\(error)")
            return finish(.failureInnerSignature)
        }

        // 4. Outer signature.
        guard let outer = request.outer else {
            if outerSignatureRequired {
                report.add("outer signature", .failed, "required for this request, but the request is not authenticated")
                return finish(.failureOuterSignature)
            }
            report.add("outer signature", .notChecked, "none (an initial request may be unauthenticated)")
            return finish(.okCertAvailable)
        }
        let candidates = authenticators.certificates(holder: outer.car)
        guard !candidates.isEmpty else {
            report.add("outer CAR", .failed, "\(outer.car) is not a key registered with this CA")
            return finish(.failureRequestNotAccepted)
        }
        report.add("outer CAR", .passed, "\(outer.car) is registered")
        var signer: CVCertificate? = nil
        var problem = "does not verify"
        for candidate in candidates {
            do {
                let inherited = (try? authenticators.domainParameters(for: candidate)) ?? nil
                let fallback: CVDomainParameters? = if case .ec(let parameters) = domain { parameters } else { nil }
                if try request.isOuterSignatureValid(key: candidate.publicKey, inheriting: inherited ?? fallback) {
                    signer = candidate
                    break
                }
            } catch {
                problem = (error as? CVCError)?.reason ?? "\(error)"
            }
        }
        guard let signer else {
            report.add("outer signature", .failed, "by \(outer.car): \(problem)")
            return finish(.failureOuterSignature)
        }
        report.add("outer signature", .passed, "\(signer.publicKey.algorithm) by \(signer.chr)")
        if let today = try? CVDate(clock.now()), today > signer.body.expirationDate {
            report.add("outer certificate validity", .failed, "\(signer.chr) expired on \(signer.body.expirationDate)")
            return finish(.failureExpired, signer)
        }
        report.add("outer certificate validity", .passed, "\(signer.chr) valid until \(signer.body.expirationDate)")
        return finish(.okCertAvailable, signer)
    }
}

/// A set of CV certificates that finds each certificate's issuer by its CAR and builds paths to a trust anchor.
///
/// Stateless: the caller decides what goes in (the certificates given on the command line, the CVCA's store,
/// the foreign CVCAs registered with the SPOC). A trust anchor is a self-signed CVCA certificate in the pool.
public struct CVCertificatePool: Sendable {
    public private(set) var certificates: [CVCertificate]

    public init(_ certificates: [CVCertificate] = []) {
        self.certificates = certificates
    }

    public mutating func add(_ certificate: CVCertificate) {
        if !certificates.contains(certificate) { certificates.append(certificate) }
    }

    /// The certificates whose CHR is `chr`: a CVCA key can have a self-signed and a link certificate.
    public func certificates(holder chr: String) -> [CVCertificate] {
        certificates.filter { $0.chr == chr }
    }

    /// The path from a self-signed CVCA down to `certificate`, root first. Issuers are found by CAR = CHR; where a
    /// CVCA key has a self-signed certificate it ends the path, so the shortest path to a trust anchor is taken.
    public func path(to certificate: CVCertificate) throws -> CVCertificatePath {
        var path = [certificate]
        var current = certificate
        while !current.isSelfSigned {
            let candidates = certificates(holder: current.car).filter { !path.contains($0) }
            guard let issuer = candidates.first(where: \.isSelfSigned) ?? candidates.first else {
                throw CVCError(.unknownReference, "no certificate with CHR \(current.car) (the CAR of \(current.chr)) is known")
            }
            guard path.count < 16 else {
                throw CVCError(.unknownReference, "the path above \(certificate.chr) is longer than 16 certificates")
            }
            path.insert(issuer, at: 0)
            current = issuer
        }
        return CVCertificatePath(path)
    }

    /// The EC domain parameters of a certificate's key: its own, or inherited from the nearest CVCA above it.
    /// Nil for RSA keys.
    public func domainParameters(for certificate: CVCertificate) throws -> CVDomainParameters? {
        guard certificate.publicKey.isEC else { return nil }
        if let own = certificate.publicKey.domainParameters { return own }
        let path = try path(to: certificate)
        return path.domainParameters(at: path.certificates.count - 1)
    }
}

/// A certification path, trust anchor first: CVCA (→ link CVCA …) (→ DV (→ terminal)).
public struct CVCertificatePath: Hashable, Sendable {
    public let certificates: [CVCertificate]

    public init(_ certificates: [CVCertificate]) {
        self.certificates = certificates
    }

    public var anchor: CVCertificate? { certificates.first }
    public var leaf: CVCertificate? { certificates.last }

    /// The domain parameters that hold for the key of certificate `index`: its own, else those of the nearest
    /// certificate above it that carries some (a link certificate may change them; DV and terminal keys inherit).
    public func domainParameters(at index: Int) -> CVDomainParameters? {
        guard certificates.indices.contains(index), certificates[index].publicKey.isEC else { return nil }
        for candidate in certificates[...index].reversed() {
            guard candidate.publicKey.isEC else { return nil }
            if let parameters = candidate.publicKey.domainParameters { return parameters }
        }
        return nil
    }

    /// The effective authorization (TR-03110-3 §2.7): the bitwise AND of every CHAT on the path, role bits
    /// included. Nil when the CHATs do not combine (different terminal types or lengths).
    public var effectiveAuthorization: CertificateHolderAuthorizationTemplate? {
        guard var result = certificates.first?.chat else { return nil }
        for certificate in certificates.dropFirst() {
            guard let next = result.intersection(certificate.chat) else { return nil }
            result = next
        }
        return result
    }
}

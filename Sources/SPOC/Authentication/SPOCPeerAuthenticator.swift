import Foundation
import PKICore

/// Decides whether a TLS certificate speaks for a registered foreign SPOC (Doc 9303-12 §7.2.1, §8.3.2):
///
/// 1. the country is registered;
/// 2. the certificate chains, signature by signature, to the root registered for that country (through the
///    intermediates registered with it), and every certificate on the path is valid now;
/// 3. it carries the SPOC EKU of its role, of either family;
/// 4. its subject's countryName equals the country (a caller's `callerID`, or the State we meant to reach);
/// 5. a server certificate names the host we connected to in a SAN dNSName;
/// 6. it is not on the CRL of its distribution point (fetched and cached; no CDP, or no CRL to be had, refuses).
///
/// Any failure is `unauthorized` naming the check: the server answers HTTP 401, the client closes the connection.
public struct SPOCPeerAuthenticator: Sendable {
    public let clock: any PKIClock
    public let crls: CRLCache

    public init(clock: any PKIClock, crls: CRLCache = CRLCache()) {
        self.clock = clock
        self.crls = crls
    }

    public func authenticate(_ leafDER: [UInt8], as role: SPOCTLSRole, country: String, peer: ForeignSPOC?, host: String? = nil) async throws {
        guard let peer else { throw SPOCError(.unauthorized, "\(country) is not a registered SPOC") }
        let leaf: Certificate
        do { leaf = try Certificate(bytes: leafDER) } catch {
            throw SPOCError(.unauthorized, "the \(role) certificate cannot be read: \(error)")
        }
        let now = clock.now()
        let path = try chain(leaf, to: peer)
        for certificate in path where !(certificate.notBefore <= now && now <= certificate.notAfter) {
            throw SPOCError(.unauthorized, "\(certificate.subject) is valid \(Time.iso8601(certificate.notBefore)) – \(Time.iso8601(certificate.notAfter)), not now (\(Time.iso8601(now)))")
        }
        let purposes = leaf.extendedKeyUsage?.purposes ?? []
        guard SPOCTLSProfile.carries(leaf, role: role) else {
            throw SPOCError(.unauthorized, "\(leaf.subject) carries no SPOC \(role) extended key usage (ICAO 2.23.136.1.1.10.\(role == .client ? 1 : 2) or CSN 1.2.203.7064.1.1.369791.\(role == .client ? 1 : 2)); it has \(purposes.isEmpty ? "none" : purposes.map(\.description).joined(separator: ", "))")
        }
        guard leaf.subject.countryName == country else {
            throw SPOCError(.unauthorized, "the \(role) certificate's subject country is \(leaf.subject.countryName ?? "missing"), but it speaks for \(country)")
        }
        if role == .server, let host, !Self.certificate(leaf, names: host) {
            let names = Self.subjectAlternativeNames(leaf)
            throw SPOCError(.unauthorized, "the server certificate names \(names.isEmpty ? "no dNSName or iPAddress" : names.joined(separator: ", ")), not the SPOC's host \(host)")
        }
        guard path.count >= 2 else { throw SPOCError(.unauthorized, "\(leaf.subject) is itself the registered root; SPOC TLS certificates are issued by it") }
        let uris = ((try? leaf.extensions.value(CRLDistributionPoints.self)) ?? nil)?.uris ?? []
        guard let uri = uris.first(where: { $0.lowercased().hasPrefix("http") }) else {
            throw SPOCError(.unauthorized, "\(leaf.subject) has no HTTP CRL distribution point; its revocation status cannot be checked")
        }
        let revoked = try await crls.revokedSerials(uri: uri, issuer: path[1], now: now)
        if revoked.contains(Array(leaf.serialNumber)) {
            throw SPOCError(.unauthorized, "\(leaf.subject) (serial \(leaf.serialNumberHex)) is revoked (CRL \(uri))")
        }
    }

    /// Whether the certificate's SAN names `host`: a dNSName for a name, an iPAddress for an address literal.
    static func certificate(_ certificate: Certificate, names host: String) -> Bool {
        let names = ((try? certificate.extensions.value(SubjectAlternativeName.self)) ?? nil)?.names ?? []
        if let address = IPAddress.bytes(host) {
            return names.contains { IPAddress.bytes(of: $0) == address }
        }
        return names.contains { if case .dnsName(let name) = $0 { return name.lowercased() == host.lowercased() } else { return false } }
    }

    static func subjectAlternativeNames(_ certificate: Certificate) -> [String] {
        (((try? certificate.extensions.value(SubjectAlternativeName.self)) ?? nil)?.names ?? []).compactMap { name in
            if case .dnsName(let text) = name { return text }
            return IPAddress.bytes(of: name).map { "IP " + IPAddress.text($0) }
        }
    }

    /// The path leaf → … → registered root, each signature checked; the root must be the very certificate registered.
    func chain(_ leaf: Certificate, to peer: ForeignSPOC) throws -> [Certificate] {
        let root: Certificate
        do { root = try Certificate(bytes: peer.root) } catch {
            throw SPOCError(.unauthorized, "the root registered for \(peer.country) cannot be read: \(error)")
        }
        let intermediates = peer.intermediates.compactMap { try? Certificate(bytes: $0) }
        var path = [leaf]
        var current = leaf
        for _ in 0..<5 {
            if current == root { return path }
            let candidates = ([root] + intermediates).filter { $0.subject.isEquivalent(to: current.issuer) && $0 != current }
            guard let issuer = candidates.first(where: { (try? current.isSignatureValid(issuerKey: $0.publicKey)) == true }) else {
                throw SPOCError(.unauthorized, "\(current.subject) does not chain to the SPOC root registered for \(peer.country) (\(root.subject), SHA-256 \(peer.rootFingerprint.prefix(16))…)")
            }
            path.append(issuer)
            current = issuer
        }
        guard current == root else { throw SPOCError(.unauthorized, "no path of at most five certificates to the root registered for \(peer.country)") }
        return path
    }
}

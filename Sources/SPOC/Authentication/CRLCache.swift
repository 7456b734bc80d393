import Foundation
import NIOConcurrencyHelpers
import PKICore

/// CRLs fetched from the distribution points of peer certificates, kept until their nextUpdate (or `maximumAge`,
/// whichever is sooner) so that a TLS connection costs a download only when the CRL is due. The EU SPOC profile
/// wants the CRL checked at every connection; it is, against the newest copy that is still current.
public final class CRLCache: Sendable {
    public let maximumAge: TimeInterval
    private let entries = NIOLockedValueBox<[String: (crl: CertificateRevocationList, fetchedAt: Date, serials: Set<[UInt8]>)]>([:])
    private let fetch: @Sendable (URL) async throws -> [UInt8]

    /// `fetch` defaults to an HTTP GET; tests may serve CRLs from elsewhere.
    public init(maximumAge: TimeInterval = 3_600, fetch: (@Sendable (URL) async throws -> [UInt8])? = nil) {
        self.maximumAge = maximumAge
        self.fetch = fetch ?? { url in
            let response = try await HTTPExchange.send(.GET, url: url, maximumBytes: 64 << 20, timeout: .seconds(20))
            guard response.status == 200 else { throw SPOCError(.deliveryFailed, "\(url.absoluteString) answered HTTP \(response.status)") }
            return response.body
        }
    }

    /// The revoked serial numbers of the CRL at `uri`, issued by `issuer` and current at `now`: fetched, its
    /// signature and issuer checked, then kept.
    func revokedSerials(uri: String, issuer: Certificate, now: Date) async throws -> Set<[UInt8]> {
        if let cached = entries.withLockedValue({ $0[uri] }), Self.isCurrent(cached.crl, fetchedAt: cached.fetchedAt, now: now, maximumAge: maximumAge) {
            return cached.serials
        }
        guard let url = URL(string: uri) else { throw SPOCError(.unauthorized, "the CRL distribution point '\(uri)' is not a URL") }
        let bytes: [UInt8]
        do {
            bytes = try await fetch(url)
        } catch {
            // A copy that is still within its nextUpdate serves when the distribution point is briefly down.
            if let cached = entries.withLockedValue({ $0[uri] }), cached.crl.nextUpdate.map({ $0.date > now }) ?? false {
                return cached.serials
            }
            throw SPOCError(.unauthorized, "the revocation status is unknown: the CRL at \(uri) cannot be fetched (\(error))")
        }
        let crl: CertificateRevocationList
        do {
            crl = try CertificateRevocationList(bytes: try PEM.decodeIfPEM(bytes, label: "X509 CRL"))
        } catch {
            throw SPOCError(.unauthorized, "the CRL at \(uri) cannot be read: \(error)")
        }
        guard crl.issuer.isEquivalent(to: issuer.subject) else {
            throw SPOCError(.unauthorized, "the CRL at \(uri) is issued by \(crl.issuer), not by \(issuer.subject)")
        }
        guard (try? crl.isSignatureValid(issuerKey: issuer.publicKey)) == true else {
            throw SPOCError(.unauthorized, "the CRL at \(uri) does not verify under \(issuer.subject)")
        }
        if let next = crl.nextUpdate?.date, next < now {
            throw SPOCError(.unauthorized, "the CRL at \(uri) is out of date (nextUpdate \(Time.iso8601(next)))")
        }
        var serials: Set<[UInt8]> = []
        try crl.forEachEntry { serials.insert(Array($0.serialNumber)) }
        entries.withLockedValue { $0[uri] = (crl, now, serials) }
        return serials
    }

    /// Forgets every CRL (an operator revoked a peer certificate and wants it seen at once).
    public func clear() {
        entries.withLockedValue { $0.removeAll() }
    }

    static func isCurrent(_ crl: CertificateRevocationList, fetchedAt: Date, now: Date, maximumAge: TimeInterval) -> Bool {
        guard now.timeIntervalSince(fetchedAt) < maximumAge, now >= fetchedAt else { return false }
        return crl.nextUpdate.map { $0.date > now } ?? false
    }
}

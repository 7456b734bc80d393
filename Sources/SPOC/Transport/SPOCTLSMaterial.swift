import NIOSSL

/// Our SPOC TLS certificates and their private keys, held in memory only: the keys come decrypted from the key
/// provider when the service starts and are never written out in plaintext.
///
/// BoringSSL (swift-nio-ssl) handles NIST P-256/P-384/P-521 and RSA keys, not brainpool: SPOC TLS keys must be one
/// of those (TR-03139 lets SPOC TLS certificates use named curves whatever the CSCA uses).
public struct SPOCTLSMaterial: Sendable {
    public let identity: SPOCIdentity
    let serverKey: NIOSSLPrivateKey
    let clientKey: NIOSSLPrivateKey

    /// `serverKeyPKCS8` and `clientKeyPKCS8`: unencrypted PKCS#8 DER, straight from memory.
    public init(identity: SPOCIdentity, serverKeyPKCS8: [UInt8], clientKeyPKCS8: [UInt8]) throws {
        self.identity = identity
        do {
            serverKey = try NIOSSLPrivateKey(bytes: serverKeyPKCS8, format: .der)
            clientKey = try NIOSSLPrivateKey(bytes: clientKeyPKCS8, format: .der)
        } catch {
            throw SPOCError(.serviceFailure, "a SPOC TLS key is not usable by the TLS library (P-256/P-384/P-521 or RSA; BoringSSL has no brainpool): \(error)")
        }
    }

    func chain(leaf: [UInt8]) throws -> [NIOSSLCertificateSource] {
        do {
            return try ([leaf] + identity.chain).map { .certificate(try NIOSSLCertificate(bytes: $0, format: .der)) }
        } catch {
            throw SPOCError(.serviceFailure, "a SPOC TLS certificate is not usable by the TLS library: \(error)")
        }
    }

    /// TLS 1.2 or newer (Doc 9303-12 §8.3.2), a client certificate required, and the chain decision left to the
    /// SPOC's own checks (the registry changes while the service runs; BoringSSL cannot read brainpool roots).
    func serverConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: try chain(leaf: identity.serverCertificate),
                                                                     privateKey: .privateKey(serverKey))
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .noHostnameVerification
        return configuration
    }

    func clientConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = try chain(leaf: identity.clientCertificate)
        configuration.privateKey = .privateKey(clientKey)
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .noHostnameVerification
        // The peer's chain is the SPOC's own check; loading the system's CA bundle for every message cost 4.7 ms.
        configuration.trustRoots = .certificates([])
        return configuration
    }
}

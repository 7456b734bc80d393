import Foundation
import HummingbirdTLS
import NIOCore
import NIOSSL

/// The service's TLS: its certificate chain and key from PEM files, and client certificates always required; which
/// ones pass is the `LineVerifier`'s decision, taken in NIOSSL's verification callback during the handshake.
///
/// BoringSSL (swift-nio-ssl) has no brainpool curves: the TLS key and the lines' client certificates must be NIST
/// P-256/P-384 or RSA, whatever the Document Signer uses.
public struct TLSSettings: Sendable {
    public let certificateChainPEM: [UInt8]
    public let privateKeyPEM: [UInt8]

    public init(certificateChainPEM: [UInt8], privateKeyPEM: [UInt8]) {
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
    }

    public init(certificatePath: String, keyPath: String) throws {
        func read(_ path: String, _ what: String) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else { throw SODServiceError(.serviceFailure, "cannot read the \(what) '\(path)'") }
            return Array(data)
        }
        self.init(certificateChainPEM: try read(certificatePath, "TLS certificate"), privateKeyPEM: try read(keyPath, "TLS key"))
    }

    func channelConfiguration(verifier: LineVerifier, refused: @escaping @Sendable (SODServiceError) -> Void) throws -> TLSChannelConfiguration {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(certificateChainPEM)
        } catch {
            throw SODServiceError(.serviceFailure, "the TLS certificate is not usable PEM: \(error)")
        }
        do {
            key = try NIOSSLPrivateKey(bytes: privateKeyPEM, format: .pem)
        } catch {
            throw SODServiceError(.serviceFailure, "the TLS key is not a usable PEM key (an unencrypted P-256/P-384 or RSA key; BoringSSL has no brainpool): \(error)")
        }
        guard !chain.isEmpty else { throw SODServiceError(.serviceFailure, "the TLS certificate file holds no certificate") }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        // A client certificate is required; the callback below replaces BoringSSL's chain building.
        configuration.certificateVerification = .noHostnameVerification
        return TLSChannelConfiguration(tlsConfiguration: configuration) { certificates, promise in
            let der = certificates.compactMap { try? $0.toDERBytes() }
            switch verifier.verifyHandshake(chain: der) {
            case .success:
                promise.succeed(.certificateVerified)
            case .failure(let error):
                refused(error)
                promise.succeed(.failed)
            }
        }
    }
}

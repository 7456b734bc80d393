import Foundation
import HummingbirdTLS

/// TLS for the service from PEM files: the server's certificate chain and key, and optionally the CAs whose client
/// certificates are required (mutual TLS).
///
/// BoringSSL (swift-nio-ssl) has no brainpool curves: the service's TLS keys and client certificates must be NIST
/// P-256/P-384 or RSA, whatever the CSCAs use (reference: swift-stack.md §6).
public struct TLSSettings: Sendable {
    public let certificateChainPEM: [UInt8]
    public let privateKeyPEM: [UInt8]
    /// PEM bundle of CAs that issue client certificates; nil serves TLS without asking for one.
    public let clientCAPEM: [UInt8]?

    public init(certificateChainPEM: [UInt8], privateKeyPEM: [UInt8], clientCAPEM: [UInt8]? = nil) {
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
        self.clientCAPEM = clientCAPEM
    }

    /// Reads the three files (the client CA file is optional).
    public init(certificatePath: String, keyPath: String, clientCAPath: String? = nil) throws {
        func read(_ path: String, _ what: String) throws -> [UInt8] {
            guard let data = FileManager.default.contents(atPath: path) else { throw NPKDError(.serviceFailure, "cannot read the \(what) '\(path)'") }
            return Array(data)
        }
        self.init(certificateChainPEM: try read(certificatePath, "TLS certificate"), privateKeyPEM: try read(keyPath, "TLS key"),
                  clientCAPEM: try clientCAPath.map { try read($0, "client CA file") })
    }

    func configuration() throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(certificateChainPEM)
        } catch {
            throw NPKDError(.serviceFailure, "the TLS certificate is not usable PEM: \(error)")
        }
        do {
            key = try NIOSSLPrivateKey(bytes: privateKeyPEM, format: .pem)
        } catch {
            throw NPKDError(.serviceFailure, "the TLS key is not a usable PEM key (an unencrypted P-256/P-384 or RSA key; BoringSSL has no brainpool): \(error)")
        }
        guard !chain.isEmpty else { throw NPKDError(.serviceFailure, "the TLS certificate file holds no certificate") }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        if let clientCAPEM {
            let roots: [NIOSSLCertificate]
            do {
                roots = try NIOSSLCertificate.fromPEMBytes(clientCAPEM)
            } catch {
                throw NPKDError(.serviceFailure, "the client CA file is not usable PEM: \(error)")
            }
            guard !roots.isEmpty else { throw NPKDError(.serviceFailure, "the client CA file holds no certificate") }
            // Require a client certificate that chains to one of these CAs; clients are machines, not host names.
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(roots)
        }
        return configuration
    }
}

import Foundation
import LDS
import PKICore

/// The Document Signer behind the service: one key (software or PKCS#11, through the `Signer` seam) and its
/// certificate, with one `SODSigner` per signing configuration a request can ask for (data-group hash, LDS
/// version), made once and kept.
public struct DocumentSignerConfiguration: Sendable {
    public let signer: any Signer
    public let certificate: Certificate
    /// The CMS signature; nil takes the key's default (ECDSA with the curve's hash, RSASSA-PSS SHA-256).
    public var signatureAlgorithm: SignatureAlgorithm?
    public var identification: SignedDataBuilder.SignerIdentification
    public var includeSigningTime: Bool
    /// Each SOD is read back and verified before it is handed out (`SODSigner`); on by default.
    public var verifyAfterSigning: Bool

    public init(signer: any Signer, certificate: Certificate, signatureAlgorithm: SignatureAlgorithm? = nil,
                identification: SignedDataBuilder.SignerIdentification = .issuerAndSerialNumber, includeSigningTime: Bool = true,
                verifyAfterSigning: Bool = true) {
        self.signer = signer
        self.certificate = certificate
        self.signatureAlgorithm = signatureAlgorithm
        self.identification = identification
        self.includeSigningTime = includeSigningTime
        self.verifyAfterSigning = verifyAfterSigning
    }
}

final class DocumentSigners: Sendable {
    struct Key: Hashable, Sendable {
        let hash: HashAlgorithm
        let ldsVersionInfo: LDSVersionInfo?

        init(hash: HashAlgorithm, ldsVersionInfo: LDSVersionInfo?) {
            self.hash = hash
            self.ldsVersionInfo = ldsVersionInfo
        }

        init(_ request: SignRequest) {
            self.init(hash: request.hash, ldsVersionInfo: request.ldsVersionInfo)
        }
    }

    let configuration: DocumentSignerConfiguration
    let clock: any PKIClock
    let facts: SigningLines.SignerFacts
    private let signers = Locked<[Key: SODSigner]>([:])

    /// Checks at once that the key is the certificate's and signs the algorithm asked for.
    init(_ configuration: DocumentSignerConfiguration, clock: any PKIClock) throws {
        self.configuration = configuration
        self.clock = clock
        facts = SigningLines.SignerFacts(fingerprint: try SigningLines.fingerprint(configuration.certificate.derEncoded),
                                         serial: configuration.certificate.serialNumberHex, subject: configuration.certificate.subject.description)
        _ = try signer(for: Key(hash: .sha256, ldsVersionInfo: nil))
    }

    func signer(for key: Key) throws -> SODSigner {
        if let found = signers.withLock({ $0[key] }) { return found }
        let made: SODSigner
        do {
            made = try SODSigner(signer: configuration.signer, documentSigner: configuration.certificate, hash: key.hash,
                                 signatureAlgorithm: configuration.signatureAlgorithm, ldsVersionInfo: key.ldsVersionInfo,
                                 identification: configuration.identification, includeSigningTime: configuration.includeSigningTime,
                                 clock: clock, verifyAfterSigning: configuration.verifyAfterSigning)
        } catch let error as any OperatorFacingError {
            throw SODServiceError(.signingFailed, "the Document Signer cannot be used: \(error.reason)")
        }
        signers.withLock { $0[key] = made }
        return made
    }
}

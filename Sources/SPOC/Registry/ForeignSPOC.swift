import Foundation
import PKICore

/// A foreign SPOC as its State registered it with us (Doc 9303-12 §8: State, SPOC URL, SPOC CA certificate; the
/// EU form adds the SHA-256 fingerprint of the SPOC root), with what epki needs to talk to it.
public struct ForeignSPOC: Sendable, Hashable {
    /// The Doc 9303-3 code the State uses as `callerID`.
    public let country: String
    /// Where its service listens, and where asynchronous answers are pushed: never a URL taken from a message.
    public let url: String
    /// The root its SPOC TLS certificates chain to (its CSCA or a dedicated SPOC CA), DER.
    public let root: [UInt8]
    /// Further CA certificates between the root and its TLS certificates, DER (usually none).
    public let intermediates: [[UInt8]]
    /// The namespace we write to it in.
    public let namespace: SPOCNamespace
    /// The EKU family its certificates carry (`SPOCEKUFamily` of PKICore's SPOC TLS profile).
    public let ekuFamily: SPOCEKUFamily
    /// Whether its requests to our CVCA are answered at once or queued for an operator.
    public let mode: SPOCMode
    public let registeredAt: Date

    public init(country: String, url: String, root: [UInt8], intermediates: [[UInt8]] = [], namespace: SPOCNamespace, ekuFamily: SPOCEKUFamily,
                mode: SPOCMode, registeredAt: Date) {
        self.country = country
        self.url = url
        self.root = root
        self.intermediates = intermediates
        self.namespace = namespace
        self.ekuFamily = ekuFamily
        self.mode = mode
        self.registeredAt = registeredAt
    }

    /// SHA-256 of the root certificate, lower-case hex, as the registration form states it.
    public var rootFingerprint: String { (try? HashAlgorithm.sha256.hash(root).hexString) ?? "" }
}

/// Answer a foreign DV's request at once, or queue it for an operator's decision.
public enum SPOCMode: String, Sendable, Codable, CaseIterable {
    case sync
    case async
}

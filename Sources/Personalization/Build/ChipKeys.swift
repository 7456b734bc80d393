import Foundation
import PKICore

/// The keys one chip is made with: the static Chip Authentication key (DG14, EF.CardSecurity, PACE-CAM) and the
/// Active Authentication key (DG15). They are generated for this document only; their private parts go into the
/// chip and nowhere else: the line keeps them in memory until the chip answered the PUT DATA, and the journal keeps
/// only the public keys' digests, to void them when the card fails.
public struct ChipKeys: Sendable {
    public struct ChipAuthenticationKey: Sendable {
        public let curve: ECCurve
        public let parameterId: Int
        /// The private scalar, as PUT DATA 63 takes it.
        public let privateScalar: [UInt8]
        /// The uncompressed point 04 ‖ x ‖ y.
        public let publicPoint: [UInt8]
    }

    public let chipAuthentication: ChipAuthenticationKey?
    public let activeAuthentication: PrivateKey?

    /// Generates the keys `profile` asks for.
    public static func generate(for profile: ChipProfile) throws -> ChipKeys {
        var chipAuthentication: ChipAuthenticationKey?
        if let settings = profile.chipAuthentication, let curve = profile.chipAuthenticationCurve {
            let key = try PrivateKey.generate(.ec(curve, parameters: .namedCurve))
            chipAuthentication = ChipAuthenticationKey(
                curve: curve, parameterId: settings.parameterId, privateScalar: try key.ecPrivateScalar(),
                publicPoint: Array(key.publicKey.subjectPublicKeyInfo.subjectPublicKey.bytes))
        }
        let activeAuthentication = try profile.activeAuthentication.map { try PrivateKey.generate(KeySpecification($0.key)) }
        return ChipKeys(chipAuthentication: chipAuthentication, activeAuthentication: activeAuthentication)
    }

    /// SHA-256 of each public key: what the journal keeps of the keys.
    public var publicKeyDigests: [String: String] {
        var digests: [String: String] = [:]
        if let key = chipAuthentication { digests["chipAuthentication"] = (try? HashAlgorithm.sha256.hash(key.publicPoint))?.hexString }
        if let key = activeAuthentication { digests["activeAuthentication"] = (try? HashAlgorithm.sha256.hash(key.publicKey.derEncoded))?.hexString }
        return digests
    }
}

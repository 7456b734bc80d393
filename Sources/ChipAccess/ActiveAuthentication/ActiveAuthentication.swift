import PKICore
import SmartCard

/// Active Authentication (ICAO Doc 9303-11 §6.1): the chip signs the terminal's challenge with the private key whose
/// public key is DG15, proving the chip was not copied.
///
/// ```
/// INTERNAL AUTHENTICATE   00 88 00 00 08 RND.IFD 00        → signature
/// RSA    ISO/IEC 9796-2 scheme 1, partial recovery: J = 6A ‖ M1 ‖ H(M1 ‖ RND.IFD) ‖ trailer, signature = J^d mod n
///        trailer BC for SHA-1 (t = 1); 38CC SHA-224, 34CC SHA-256, 36CC SHA-384, 35CC SHA-512 (t = 2)
///        M1 = the first c − 4 bits of the chip's nonce, c = k − L_h − 8t − 4
/// ECDSA  plain r ‖ s over RND.IFD, the hash from DG14's ActiveAuthenticationInfo
/// ```
public enum ActiveAuthentication {
    public static func internalAuthenticate(_ challenge: [UInt8]) -> CommandAPDU {
        CommandAPDU(ins: 0x88, p1: 0, p2: 0, data: challenge, expectedLength: 256)
    }

    /// The terminal's side: a fresh challenge (unless given), the chip's signature checked with DG15's key.
    /// `hash` is the ECDSA hash DG14 announces; RSA signatures name theirs in the trailer.
    public static func authenticate(over transport: any CardTransport, publicKey: PublicKey, hash: HashAlgorithm = .sha256,
                                    challenge: [UInt8]? = nil) throws {
        let challenge = try challenge ?? SecureRandom.bytes(8)
        let signature = try transport.send(internalAuthenticate(challenge))
        guard signature.statusWord.isSuccess else {
            throw ChipAccessError(.refused, "Active Authentication: INTERNAL AUTHENTICATE refused: \(signature.statusWord)", statusWord: signature.statusWord)
        }
        guard try verify(signature.data, challenge: challenge, publicKey: publicKey, hash: hash) else {
            throw ChipAccessError(.authenticationFailed, "Active Authentication: the chip's signature does not verify with DG15's key: the chip may be a copy")
        }
    }

    public static func verify(_ signature: [UInt8], challenge: [UInt8], publicKey: PublicKey, hash: HashAlgorithm) throws -> Bool {
        switch publicKey.kind {
        case .ec(let curve, _):
            guard curve != nil else { throw ChipAccessError(.invalidValue, "Active Authentication: DG15's EC key is on a curve epki does not know") }
            guard let der = try? ECDSASignature(plain: signature).derEncoded else { return false }
            return try publicKey.isValidSignature(der, for: challenge, algorithm: .ecdsa(hash))
        case .rsa:
            return try verifyISO9796(signature, challenge: challenge, publicKey: publicKey)
        }
    }

    /// ISO/IEC 9796-2 scheme 1 with partial recovery: the representative recovered, its header, trailer and hash
    /// checked, and the hash compared with H(M1 ‖ RND.IFD).
    static func verifyISO9796(_ signature: [UInt8], challenge: [UInt8], publicKey: PublicKey) throws -> Bool {
        guard var representative = try? publicKey.rawRSARecover(signature) else { return false }
        guard let (hash, trailerLength) = trailer(representative) else { return false }
        guard representative.first == 0x6A else { return false }
        _ = representative.removeFirst()
        let digestLength = hash.digestLength
        guard representative.count > digestLength + trailerLength else { return false }
        let recovered = Array(representative.prefix(representative.count - digestLength - trailerLength))
        let digest = Array(representative.dropFirst(recovered.count).prefix(digestLength))
        return try hash.hash(recovered + challenge) == digest
    }

    /// The chip's side: the signature over `challenge` with the AA key (a fresh M1 for RSA unless given).
    public static func sign(_ challenge: [UInt8], key: PrivateKey, hash: HashAlgorithm, nonce: [UInt8]? = nil) throws -> [UInt8] {
        switch key.publicKey.kind {
        case .ec:
            return try SoftwareSigner(key: key).signPlainECDSA(challenge, hash: hash)
        case .rsa(let bits):
            let trailer: [UInt8] = hash == .sha1 ? [0xBC] : [Self.trailerByte(hash), 0xCC]
            let length = (bits + 7) / 8
            let recoverable = length - 1 - hash.digestLength - trailer.count
            guard recoverable > 0 else { throw ChipAccessError(.invalidValue, "an RSA-\(bits) key is too small for \(hash) in ISO/IEC 9796-2") }
            let m1 = try nonce.map { Array($0.prefix(recoverable)) } ?? SecureRandom.bytes(recoverable)
            // 6A: the representative stays below a modulus of whole bytes, and says "partial recovery".
            let representative: [UInt8] = [0x6A] + m1 + (try hash.hash(m1 + challenge)) + trailer
            return try key.rawRSASignature(representative)
        }
    }

    static func trailerByte(_ hash: HashAlgorithm) -> UInt8 {
        switch hash {
        case .sha1: 0x33
        case .sha224: 0x38
        case .sha256: 0x34
        case .sha384: 0x36
        case .sha512: 0x35
        }
    }

    /// The hash a 9796-2 trailer names and the trailer's length.
    static func trailer(_ representative: [UInt8]) -> (HashAlgorithm, Int)? {
        guard let last = representative.last else { return nil }
        if last == 0xBC { return (.sha1, 1) }
        guard last == 0xCC, representative.count >= 2 else { return nil }
        switch representative[representative.count - 2] {
        case 0x33: return (.sha1, 2)
        case 0x38: return (.sha224, 2)
        case 0x34: return (.sha256, 2)
        case 0x36: return (.sha384, 2)
        case 0x35: return (.sha512, 2)
        default: return nil
        }
    }
}

/// Random bytes from OpenSSL's CSPRNG: chip challenges, nonces and key halves of the access protocols.
public enum SecureRandom {
    public static func bytes(_ count: Int) throws -> [UInt8] {
        try OpenSSL.randomBytes(count)
    }
}

import CVC
import LDS
import PKICore
import SmartCard

/// Terminal Authentication version 1 (BSI TR-03110-1 §3.5, TR-03110-3 B.3 and B.11; ICAO Doc 9303-11 §7.1 and App. K):
/// the terminal proves to the chip that a CVCA the chip trusts authorized it, and with which rights; the chip then
/// opens DG3 (fingerprints) and DG4 (iris) as the effective CHAT allows. It runs inside the secure messaging of Chip
/// Authentication (or of PACE-CAM).
///
/// ```
/// for each certificate, from the one a trust point (EF.CVCA) verifies down to the terminal's:
///   MSE:Set DST              0C 22 81 B6 { 83 CAR }                   the key that verifies the next certificate
///   PSO:Verify Certificate   0C 2A 00 BE { 7F4E body ‖ 5F37 signature }   chained (CLA 1C) when long
/// MSE:Set AT                 0C 22 81 A4 { 83 CHR of the terminal }
/// GET CHALLENGE              0C 84 00 00 08                           → r_PICC
/// EXTERNAL AUTHENTICATE      0C 82 00 00 { s_PCD }                    s_PCD = Sign(SK_PCD, ID_PICC ‖ r_PICC ‖ Comp(PK_PCD))
/// ID_PICC = document number ‖ check digit (after BAC), Comp(the chip's ephemeral PACE key) (after PACE)
/// Comp(PK) = the x-coordinate of the terminal's ephemeral Chip Authentication key (of PACE's, after PACE-CAM alone)
/// ```
public enum TerminalAuthentication {
    /// Data of PSO:Verify Certificate longer than this go in a command chain, so that each command, wrapped in
    /// secure messaging, stays a short APDU for chips and readers without extended length.
    public static let chainingThreshold = 200

    /// Comp() of TR-03110-3 A.2.2.3: for an EC public key the x-coordinate of the uncompressed point 04 ‖ x ‖ y, for
    /// a DH public value its SHA-1, over the value as PACE encodes it (`PACE.encodedPublicKey`).
    ///
    /// With the domain given, that decides. Without it the two are told apart by form: an uncompressed point has an
    /// odd length and starts with 04, a DH public value at the length of p is even for every group of Doc 9303-11 —
    /// which a PACE DH value without its leading 00 bytes (one in 256) is not, so PACE's keys go with their domain.
    public static func compressed(_ key: [UInt8], domain: KeyAgreementDomain? = nil) throws -> [UInt8] {
        switch domain {
        case .dh?:
            guard !key.isEmpty else { throw ChipAccessError(.invalidValue, "Terminal Authentication: an empty DH public value") }
            return try HashAlgorithm.sha1.hash(key)
        case .ec?:
            guard key.count >= 3, key.count % 2 == 1, key[0] == 0x04 else {
                throw ChipAccessError(.invalidValue, "Terminal Authentication: a \(key.count)-byte EC public key that is not an uncompressed point")
            }
            return Array(key[1...((key.count - 1) / 2)])
        case nil:
            break
        }
        if key.count >= 3, key.count % 2 == 1, key[0] == 0x04 {
            return Array(key[1...((key.count - 1) / 2)])
        }
        guard key.count >= 64, key.count % 2 == 0 else {
            throw ChipAccessError(.invalidValue, "Terminal Authentication: a \(key.count)-byte public key that is neither an uncompressed EC point nor a DH public value")
        }
        return try HashAlgorithm.sha1.hash(key)
    }

    /// ID_PICC after BAC: the document number as the MRZ writes it (padded to nine) and its check digit.
    public static func chipIdentifier(_ key: BACKey) -> [UInt8] {
        Array((key.documentNumber + String(MRZCheckDigit.compute(key.documentNumber) ?? "0")).utf8)
    }

    /// ID_PICC after PACE: Comp() of the chip's ephemeral PACE public key; pass PACE's domain, which a DH value
    /// shorter than p needs (`compressed`).
    public static func chipIdentifier(paceChipPublicKey: [UInt8], domain: KeyAgreementDomain? = nil) throws -> [UInt8] {
        try compressed(paceChipPublicKey, domain: domain)
    }

    /// The data the terminal signs: ID_PICC ‖ r_PICC ‖ Comp(PK_PCD).
    public static func signedData(chipIdentifier: [UInt8], challenge: [UInt8], terminalEphemeralKey: [UInt8]) throws -> [UInt8] {
        chipIdentifier + challenge + (try compressed(terminalEphemeralKey))
    }

    /// The certificates to send for a chip that names `trustPoints` (EF.CVCA's CARs): `path` given CVCA first, from
    /// the last certificate issued by a trust point down to the terminal's. A chain that reaches no trust point
    /// of the chip is an error here, before any command is sent.
    public static func certificatesToSend(_ path: [CVCertificate], trustPoints: [String]) throws -> [CVCertificate] {
        guard let terminal = path.last else {
            throw ChipAccessError(.invalidValue, "Terminal Authentication: no certificate given")
        }
        // The last certificate a trust point verifies: a link certificate to a key the chip already trusts (a
        // trust-anchor update it made before) is skipped, since the chip refuses a key it holds.
        guard let start = path.lastIndex(where: { !$0.isSelfSigned && trustPoints.contains($0.car) }) else {
            throw ChipAccessError(
                .invalidValue,
                "Terminal Authentication: the chain to \(terminal.chr) (\(path.map(\.chr).joined(separator: " → "))) reaches none of the chip's trust points (\(trustPoints.joined(separator: ", ")))")
        }
        return Array(path[start...])
    }

    /// The whole exchange over the running secure messaging session. `certificates` are those to send (see
    /// `certificatesToSend`), the terminal's last; `terminalKey` holds the key of that last certificate.
    /// Throws a `ChipAccessError` naming the refused step and its status word; secure messaging stays up either way.
    public static func authenticate(over transport: any CardTransport, certificates: [CVCertificate], terminalKey: any Signer,
                                    chipIdentifier: [UInt8], terminalEphemeralKey: [UInt8]) throws {
        guard let terminal = certificates.last else {
            throw ChipAccessError(.invalidValue, "Terminal Authentication: no certificate given")
        }
        for certificate in certificates {
            try require(transport.send(CommandAPDU(ins: 0x22, p1: 0x81, p2: 0xB6, data: reference(certificate.car))),
                        "MSE:Set DST \(certificate.car)")
            try verifyCertificate(certificate, over: transport)
        }
        try require(transport.send(CommandAPDU(ins: 0x22, p1: 0x81, p2: 0xA4, data: reference(terminal.chr))), "MSE:Set AT \(terminal.chr)")
        let challenge = try transport.send(CommandAPDU(ins: 0x84, p1: 0, p2: 0, expectedLength: 8))
        try require(challenge, "GET CHALLENGE")
        guard challenge.data.count == 8 else {
            throw ChipAccessError(.invalidValue, "Terminal Authentication: GET CHALLENGE returned \(challenge.data.count) bytes, not 8")
        }
        let message = try signedData(chipIdentifier: chipIdentifier, challenge: challenge.data, terminalEphemeralKey: terminalEphemeralKey)
        let signature = try CVSigning.sign(message, with: terminalKey, algorithm: terminal.publicKey.algorithm)
        let answer = try transport.send(CommandAPDU(ins: 0x82, p1: 0, p2: 0, data: signature))
        guard answer.statusWord.isSuccess else {
            throw ChipAccessError(.authenticationFailed, "Terminal Authentication: EXTERNAL AUTHENTICATE refused: \(answer.statusWord)", statusWord: answer.statusWord)
        }
    }

    /// PSO:Verify Certificate, as one command or as a chain of short ones.
    static func verifyCertificate(_ certificate: CVCertificate, over transport: any CardTransport) throws {
        let data = try certificate.bodyAndSignature
        var offset = 0
        repeat {
            let end = data.count - offset > chainingThreshold ? offset + chainingThreshold : data.count
            let isLast = end == data.count
            let command = CommandAPDU(cla: isLast ? 0x00 : 0x10, ins: 0x2A, p1: 0x00, p2: 0xBE, data: Array(data[offset..<end]))
            try require(transport.send(command), "PSO:Verify Certificate \(certificate.chr)")
            offset = end
        } while offset < data.count
    }

    /// `83 <reference>`: a CAR or CHR as MSE names the key.
    static func reference(_ name: String) -> [UInt8] {
        DynamicAuthenticationData.tlv([0x83], Array(name.utf8))
    }

    private static func require(_ response: ResponseAPDU, _ what: String) throws {
        guard response.statusWord.isSuccess else {
            throw ChipAccessError(.refused, "Terminal Authentication: \(what) refused: \(response.statusWord)", statusWord: response.statusWord)
        }
    }
}

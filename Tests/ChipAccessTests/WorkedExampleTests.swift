import ChipAccess
import Foundation
import PKICore
import SmartCard
import Testing
import TestSupport

/// The worked examples of ICAO Doc 9303-11, reproduced byte for byte: Appendix D (BAC keys from the MRZ, the mutual
/// authentication, the session keys and the 3DES secure messaging APDUs of D.4).
@Suite struct WorkedExampleTests {
    static var examples: [String: Any] {
        get throws {
            let bytes = try TestSupport.vector("icao-9303-11-worked-examples/icao9303-11-worked-examples.json")
            return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        }
    }

    static func hex(_ object: [String: Any], _ key: String) throws -> [UInt8] {
        let text = try #require(object[key] as? String, "no \(key) in the worked example")
        return try #require([UInt8](hex: text), "\(key) is not hex")
    }

    /// What every PACE worked example prints once its shared secret K is known: KS_Enc and KS_MAC (AES-128), the
    /// terminal's token input over the chip's key (and the chip's over the terminal's, where the example prints it),
    /// and both tokens, each over the other side's public key.
    static func expectSessionKeysAndTokens(_ example: [String: Any], _ parameters: PACEParameters, sharedSecret: [UInt8],
                                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        func value(_ key: String) throws -> [UInt8] { try hex(example, key) }
        let keys = try PACE.sessionKeys(sharedSecret: sharedSecret, cipher: .aes128)
        #expect(keys.encryption == (try value("ksEnc")), sourceLocation: sourceLocation)
        #expect(keys.mac == (try value("ksMac")), sourceLocation: sourceLocation)
        #expect(try PACE.tokenInput(parameters, publicPoint: value("pkDhIC")) == value("tIFD_input"), sourceLocation: sourceLocation)
        if example["tIC_input"] != nil {
            #expect(try PACE.tokenInput(parameters, publicPoint: value("pkDhIFD")) == value("tIC_input"), sourceLocation: sourceLocation)
        }
        #expect(try PACE.token(keys, parameters, otherPublicPoint: value("pkDhIC")) == value("tIFD"), sourceLocation: sourceLocation)
        #expect(try PACE.token(keys, parameters, otherPublicPoint: value("pkDhIFD")) == value("tIC"), sourceLocation: sourceLocation)
    }

    static var bac: [String: Any] { get throws { try #require(try examples["appendixD_BAC"] as? [String: Any]) } }

    @Test func bacKeysFromTheMRZ() throws {
        let example = try Self.bac
        let key = try BACKey(documentNumber: "L898902C", dateOfBirth: "690806", dateOfExpiry: "940623")
        #expect(key.mrzInformation == example["mrzInformation"] as? String)
        #expect(try key.keySeed == Self.hex(example, "kSeed"))
        let keys = try key.keys
        #expect(keys.encryption == (try Self.hex(example, "kEnc_parityAdjusted")))
        #expect(keys.mac == (try Self.hex(example, "kMac_parityAdjusted")))
    }

    /// Both sides of the mutual authentication with the example's random values: the terminal's cryptogram, the
    /// chip's answer, and the session keys and SSC each side derives.
    @Test func bacMutualAuthentication() throws {
        let example = try Self.bac
        let keys = try BACKey(documentNumber: "L898902C<", dateOfBirth: "690806", dateOfExpiry: "940623").keys
        let terminal = try BasicAccessControl.TerminalExchange(
            keys: keys, rndIC: Self.hex(example, "rndIC"), rndIFD: Self.hex(example, "rndIFD"), kIFD: Self.hex(example, "kIFD"))
        let cryptogram = try terminal.cryptogram()
        #expect(cryptogram == (try Self.hex(example, "eIFD") + Self.hex(example, "mIFD")))
        let externalAuthenticate = try terminal.externalAuthenticate().encoded()
        #expect(externalAuthenticate == [0x00, 0x82, 0x00, 0x00, 0x28] + cryptogram + [0x28])

        let (response, chipSession) = try BasicAccessControl.chipRespond(
            to: cryptogram, keys: keys, rndIC: Self.hex(example, "rndIC"), kIC: Self.hex(example, "kIC"))
        #expect(response == (try Self.hex(example, "externalAuthenticateResponse_eIC_mIC")))
        let terminalSession = try terminal.session(chipResponse: response)
        for session in [terminalSession, chipSession] {
            #expect(session.keys.encryption == (try Self.hex(example, "ksEnc")))
            #expect(session.keys.mac == (try Self.hex(example, "ksMac")))
            #expect(session.sendSequenceCounter == (try Self.hex(example, "ssc")))
        }

        // A cryptogram made from another MRZ is refused by the chip with 6300.
        let wrong = try BACKey(documentNumber: "L898902C<", dateOfBirth: "690807", dateOfExpiry: "940623").keys
        let other = try BasicAccessControl.TerminalExchange(keys: wrong, rndIC: Self.hex(example, "rndIC"))
        let refused = #expect(throws: ChipAccessError.self) {
            try BasicAccessControl.chipRespond(to: other.cryptogram(), keys: keys, rndIC: Self.hex(example, "rndIC"))
        }
        #expect(refused?.code == .authenticationFailed && refused?.statusWord == .verificationFailed, "\(String(describing: refused))")
    }

    /// D.4: SELECT EF.COM and two READ BINARY commands protected by the terminal, checked by the chip, and the chip's
    /// protected responses read back — every APDU and every SSC as printed.
    @Test func tripleDESSecureMessagingAPDUs() throws {
        let example = try Self.bac
        let steps = try #require(try Self.examples["appendixD4_secureMessaging_3DES"] as? [[String: Any]])
        #expect(steps.count == 3)
        let keys = try SecureMessagingKeys(cipher: .tripleDES, encryption: Self.hex(example, "ksEnc"), mac: Self.hex(example, "ksMac"))
        var terminal = try SecureMessaging(keys: keys, sendSequenceCounter: Self.hex(example, "ssc"))
        var chip = terminal
        var contents: [UInt8] = []
        for step in steps {
            let name = step["step"] as? String ?? "?"
            let plain = try CommandAPDU(bytes: Self.hex(step, "plain"))
            let protected = try terminal.protect(plain)
            #expect(try protected.encoded() == Self.hex(step, "protectedCommand"), "\(name)")
            #expect(terminal.sendSequenceCounter == (try Self.hex(step, "sscUsed")), "\(name)")

            // The chip side reads the same command back and answers; its protected response is the printed one.
            let received = try chip.unprotect(command: CommandAPDU(bytes: protected.encoded()))
            #expect(received == plain, "\(name)")
            let answer = ResponseAPDU(data: try Self.hex(step, "plainResponseData"), statusWord: .success)
            let protectedResponse = try chip.protect(response: answer)
            #expect(protectedResponse.encoded == (try Self.hex(step, "protectedResponse")), "\(name)")

            let response = try terminal.unprotect(ResponseAPDU(bytes: Self.hex(step, "protectedResponse")), command: plain)
            #expect(response == answer, "\(name)")
            contents += response.data
        }
        #expect(contents == (try Self.hex(Self.examples, "efCOM_from_D4")))
    }
}

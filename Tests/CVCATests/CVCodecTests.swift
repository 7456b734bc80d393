import CVC
import CVCA
import Foundation
import PKICore
import Testing
import TestSupport

/// Building blocks and malformed input: every damaged certificate gives a typed error naming the tag and offset.
@Suite struct CVCodecTests {
    /// A TLV with the minimal length encoding.
    static func tlv(_ tag: [UInt8], _ value: [UInt8]) -> [UInt8] {
        let count = value.count
        let length: [UInt8] = count < 0x80 ? [UInt8(count)] : count < 0x100 ? [0x81, UInt8(count)] : [0x82, UInt8(count >> 8), UInt8(count & 0xFF)]
        return tag + length + value
    }

    /// The parts of the German ePassport CVCA, to reassemble with one thing wrong.
    struct Parts {
        var profile: [UInt8] = [0x5F, 0x29, 0x01, 0x00]
        var car: [UInt8]
        var publicKey: [UInt8]
        var chr: [UInt8]
        var chat: [UInt8]
        var effective: [UInt8]
        var expiration: [UInt8]
        var extensions: [UInt8] = []
        var signature: [UInt8]

        init() throws {
            let certificate = try CVCertificate(encoded: TestSupport.vector("openpace/DECVCAEPASS00102.cvcert"))
            car = CVCodecTests.tlv([0x42], Array(certificate.car.utf8))
            publicKey = try certificate.publicKey.encoded
            chr = CVCodecTests.tlv([0x5F, 0x20], Array(certificate.chr.utf8))
            chat = try certificate.chat.encoded
            effective = CVCodecTests.tlv([0x5F, 0x25], certificate.body.effectiveDate.encoded)
            expiration = CVCodecTests.tlv([0x5F, 0x24], certificate.body.expirationDate.encoded)
            signature = CVCodecTests.tlv([0x5F, 0x37], certificate.signature)
        }

        var body: [UInt8] { CVCodecTests.tlv([0x7F, 0x4E], profile + car + publicKey + chr + chat + effective + expiration + extensions) }
        var certificate: [UInt8] { CVCodecTests.tlv([0x7F, 0x21], body + signature) }
    }

    static func decodingError(_ bytes: [UInt8]) -> CVCAError? {
        do {
            _ = try CVCertificate(encoded: bytes)
            return nil
        } catch let error as CVCAError {
            return error
        } catch {
            Issue.record("not a CVCAError: \(error)")
            return nil
        }
    }

    @Test func reassembledPartsGiveTheOriginal() throws {
        #expect(try Parts().certificate == TestSupport.vector("openpace/DECVCAEPASS00102.cvcert"))
    }

    @Test func wrongOuterTag() throws {
        var bytes = try Parts().certificate
        bytes[1] = 0x22
        let error = Self.decodingError(bytes)
        #expect(error?.code == .unexpectedTag)
        #expect(error?.offset == 0)
        #expect(error?.reason.contains("expected 7F21 (CV Certificate) at offset 0, found 7F22") == true)
    }

    @Test func missingCHATNamesTheTagAndOffset() throws {
        var parts = try Parts()
        parts.chat = []
        let error = Self.decodingError(parts.certificate)
        #expect(error?.code == .unexpectedTag)
        // 7F21 82 xxxx and 7F4E 82 xxxx (five octets each), 5F29 01 00, then the fields up to the CHR: that is
        // where the CHAT should start.
        let offset = 5 + 5 + 4 + parts.car.count + parts.publicKey.count + parts.chr.count
        #expect(error?.offset == offset)
        #expect(error?.reason.contains("expected 7F4C (Certificate Holder Authorization Template) at offset \(offset), found 5F25 (Certificate Effective Date)") == true, "\(String(describing: error))")
    }

    @Test func fieldsOutOfOrder() throws {
        var parts = try Parts()
        swap(&parts.effective, &parts.expiration)
        #expect(Self.decodingError(parts.certificate)?.code == .unexpectedTag)
        var extra = try Parts()
        extra.extensions = Self.tlv([0x5F, 0x20], Array("EXTRA".utf8))
        let error = Self.decodingError(extra.certificate)
        #expect(error?.code == .unexpectedTag)
        #expect(error?.reason.contains("unexpected 5F20") == true)
    }

    @Test func lengthPastTheEndAndHugeLengths() throws {
        let original = try Parts().certificate
        // The outer length claims one byte more than there is.
        var longer = original
        longer[3] &+= 1
        let error = Self.decodingError(longer)
        #expect(error?.code == .malformedEncoding)
        #expect(error?.reason.contains("claims") == true)
        // 7F21 84 FFFFFFFF: four length octets, far beyond TR-03110's 65535.
        let huge: [UInt8] = [0x7F, 0x21, 0x84, 0xFF, 0xFF, 0xFF, 0xFF] + original.dropFirst(4)
        let hugeError = Self.decodingError(huge)
        #expect(hugeError?.code == .malformedEncoding)
        #expect(hugeError?.reason.contains("65535") == true)
        // 82 FFFF within the body: a length past the end, at the CAR's offset.
        var parts = try Parts()
        parts.car = [0x42, 0x82, 0xFF, 0xFF] + Array("DECVCA".utf8)
        let inner = Self.decodingError(parts.certificate)
        #expect(inner?.code == .malformedEncoding)
        #expect(inner?.offset == 14)
    }

    @Test func indefiniteAndNonMinimalLengths() throws {
        var parts = try Parts()
        parts.profile = [0x5F, 0x29, 0x81, 0x01, 0x00]
        let nonMinimal = Self.decodingError(parts.certificate)
        #expect(nonMinimal?.code == .malformedEncoding)
        #expect(nonMinimal?.reason.contains("encoded in 2 octets instead of 1") == true)
        let indefinite: [UInt8] = [0x7F, 0x21, 0x80, 0x00, 0x00]
        #expect(Self.decodingError(indefinite)?.reason.contains("indefinite") == true)
    }

    @Test func truncationAtEveryLengthIsATypedError() throws {
        for path in CVCertificateVectorTests.certificates {
            let bytes = try TestSupport.vector(path)
            for length in 0..<bytes.count {
                #expect(Self.decodingError(Array(bytes.prefix(length))) != nil, "\(path) cut at \(length)")
            }
        }
        let request = try TestSupport.vector("ejbca-cert-cvc/absp.req")
        for length in 0..<request.count {
            #expect(throws: CVCAError.self) { try CVCertificateRequest(encoded: Array(request.prefix(length))) }
        }
    }

    @Test func trailingBytesAreRefused() throws {
        let error = Self.decodingError(try Parts().certificate + [0x00])
        #expect(error?.code == .malformedEncoding)
        #expect(error?.reason.contains("1 bytes follow") == true)
    }

    /// Random damage never crashes: every input either decodes (and then re-encodes to itself) or throws CVCAError.
    @Test func randomMutationsNeverCrash() throws {
        var generator = SplitMix64(seed: 0x0CDC_2026)
        let inputs = try CVCertificateVectorTests.certificates.map { try TestSupport.vector($0) } + [try TestSupport.vector("ejbca-cert-cvc/absp.req")]
        var decoded = 0
        for input in inputs {
            for _ in 0..<300 {
                var bytes = input
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    let index = Int.random(in: 0..<bytes.count, using: &generator)
                    switch Int.random(in: 0..<3, using: &generator) {
                    case 0: bytes[index] = UInt8.random(in: 0...255, using: &generator)
                    case 1: bytes.remove(at: index)
                    default: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: index)
                    }
                    if bytes.isEmpty { bytes = [0x7F] }
                }
                do {
                    if input.first == 0x67 {
                        let request = try CVCertificateRequest(encoded: bytes)
                        #expect(try request.encoded == bytes)
                    } else {
                        let certificate = try CVCertificate(encoded: bytes)
                        #expect(try certificate.encoded == bytes)
                        _ = try? certificate.isSelfSignatureValid()
                    }
                    decoded += 1
                } catch is CVCAError {
                } catch {
                    Issue.record("\(error) is not a CVCAError")
                }
            }
        }
        // Mutations inside a signature or key still decode; most others do not.
        #expect(decoded > 0)
    }

    @Test func badDatesAreRefusedWithTheirOffset() throws {
        var parts = try Parts()
        parts.effective = Self.tlv([0x5F, 0x25], [0x01, 0x00, 0x01, 0x03, 0x00, 0x01])  // 2010-13-01
        let error = Self.decodingError(parts.certificate)
        #expect(error?.code == .invalidValue)
        #expect(error?.reason.contains("5F25") == true)
        parts.effective = Self.tlv([0x5F, 0x25], [0x01, 0x00, 0x01, 0x00, 0x00, 0x0A])
        #expect(Self.decodingError(parts.certificate)?.reason.contains("not six unpacked BCD digits") == true)
        parts.effective = Self.tlv([0x5F, 0x25], [0x01, 0x00, 0x01, 0x00, 0x01])
        #expect(Self.decodingError(parts.certificate)?.reason.contains("5 octets instead of 6") == true)
    }

    @Test func incompleteDomainParametersAndUnknownAlgorithm() throws {
        let certificate = try CVCertificate(encoded: TestSupport.vector("openpace/DECVCAEPASS00102.cvcert"))
        guard case .ec(let parameters?, let point) = certificate.publicKey.key else {
            Issue.record("expected domain parameters")
            return
        }
        let oid: [UInt8] = [0x06, 0x0A, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x02, 0x02, 0x03]
        var parts = try Parts()
        // 81 p, 82 a, 84 G, 85 r, 86 Y: b is missing.
        parts.publicKey = Self.tlv(
            [0x7F, 0x49],
            oid + Self.tlv([0x81], parameters.prime) + Self.tlv([0x82], parameters.a) + Self.tlv([0x84], parameters.basePoint)
                + Self.tlv([0x85], parameters.order) + Self.tlv([0x86], point))
        let error = Self.decodingError(parts.certificate)
        #expect(error?.code == .domainParameters)
        #expect(error?.reason.contains("found 81, 82, 84, 85, 86") == true)
        // 87 before 86.
        parts.publicKey = Self.tlv([0x7F, 0x49], oid + Self.tlv([0x87], [1]) + Self.tlv([0x86], point))
        #expect(Self.decodingError(parts.certificate)?.code == .domainParameters)
        // An id-TA arc that does not exist.
        var unknown = oid
        unknown[unknown.count - 1] = 0x09
        parts.publicKey = Self.tlv([0x7F, 0x49], unknown + Self.tlv([0x86], point))
        #expect(Self.decodingError(parts.certificate)?.code == .unsupportedAlgorithm)
        // A compressed point.
        parts.publicKey = Self.tlv([0x7F, 0x49], oid + Self.tlv([0x86], [0x02] + point[1...32]))
        #expect(Self.decodingError(parts.certificate)?.code == .invalidValue)
    }

    @Test func unassignedCharactersInReferences() throws {
        var parts = try Parts()
        parts.chr = Self.tlv([0x5F, 0x20], [0x44, 0x45, 0x01, 0x41])
        #expect(Self.decodingError(parts.certificate)?.reason.contains("unassigned character code 0x01") == true)
        parts.chr = Self.tlv([0x5F, 0x20], Array(repeating: 0x41, count: 17))
        #expect(Self.decodingError(parts.certificate)?.reason.contains("17 characters") == true)
        // ISO 8859-1 letters above 0x9F are fine and survive the round trip.
        parts.chr = Self.tlv([0x5F, 0x20], [0x44, 0x45, 0xC4, 0x30, 0x30, 0x30, 0x30, 0x31])
        #expect(try CVCertificate(encoded: parts.certificate).chr == "DEÄ00001")
    }

    @Test func extensionsAreKeptAsEncoded() throws {
        let sector = Self.tlv([0x73], [0x06, 0x09, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x01, 0x03, 0x02] + Self.tlv([0x80], Array(repeating: 0xAB, count: 32)))
        var parts = try Parts()
        parts.extensions = Self.tlv([0x65], sector)
        let certificate = try CVCertificate(encoded: parts.certificate)
        #expect(certificate.body.extensions?.extensions.count == 1)
        #expect(certificate.body.extensions?.extensions.first?.content.count == 34)
        #expect(try certificate.encoded == parts.certificate)
        // The signature covered the body without the extension, so it no longer verifies.
        #expect(try !certificate.isSelfSignatureValid())
        parts.extensions = Self.tlv([0x65], Self.tlv([0x73], Self.tlv([0x80], [1])))
        #expect(Self.decodingError(parts.certificate)?.code == .unexpectedTag)
        parts.extensions = Self.tlv([0x65], Self.tlv([0x53], [1]))
        #expect(Self.decodingError(parts.certificate)?.reason.contains("expected 73") == true)
    }

    @Test func datesAreUnpackedBCD() throws {
        let date = try CVDate(string: "2010-09-30")
        #expect(date.encoded == [0x01, 0x00, 0x00, 0x09, 0x03, 0x00])
        #expect(try CVDate(string: "100930") == date)
        #expect(date.description == "2010-09-30")
        #expect(try CVDate(year: 2026, month: 11, day: 30).adding(months: 3).description == "2027-02-28")
        #expect(try CVDate(year: 2027, month: 12, day: 31).adding(days: 1).description == "2028-01-01")
        #expect(throws: CVCAError.self) { try CVDate(year: 2100, month: 1, day: 1) }
        #expect(throws: CVCAError.self) { try CVDate(year: 2023, month: 2, day: 29) }
        #expect(throws: CVCAError.self) { try CVDate(string: "2024/01/01") }
        #expect(try CVDate(year: 2024, month: 2, day: 29).end == CVDate(year: 2024, month: 3, day: 1).start)
    }

    @Test func inspectionSystemTemplates() throws {
        typealias CHAT = CertificateHolderAuthorizationTemplate
        #expect(CHAT.inspectionSystem(role: .cvca, rights: [.readDG3, .readDG4]).authorizationHex == "C3")
        #expect(CHAT.inspectionSystem(role: .domesticDV, rights: [.readDG3, .readDG4]).authorizationHex == "83")
        #expect(CHAT.inspectionSystem(role: .foreignDV, rights: [.readDG3, .readDG4]).authorizationHex == "43")
        #expect(CHAT.inspectionSystem(role: .terminal, rights: [.readDG3, .readDG4]).authorizationHex == "03")
        let chat = CHAT.inspectionSystem(role: .terminal, rights: [.readDG4])
        #expect(try chat.encoded == [0x7F, 0x4C, 0x0E, 0x06, 0x09, 0x04, 0x00, 0x7F, 0x00, 0x07, 0x03, 0x01, 0x02, 0x01, 0x53, 0x01, 0x02])
        #expect(chat.isSubset(of: .inspectionSystem(role: .cvca, rights: [.readDG3, .readDG4])))
        #expect(!chat.isSubset(of: .inspectionSystem(role: .cvca, rights: [.readDG3])))
        #expect(CHAT.inspectionSystem(role: .cvca, rights: [.readDG3]).intersection(chat)?.authorizationHex == "00")
        #expect(throws: CVCAError.self) { try CHAT(terminalType: .authenticationTerminal, relativeAuthorization: [0x80]) }
    }

    @Test func algorithmNamesAndOIDs() throws {
        #expect(TerminalAuthenticationAlgorithm(name: "ECDSA_SHA_256") == .ecdsaSHA256)
        #expect(TerminalAuthenticationAlgorithm(name: "rsa-pss-sha256") == .rsaPSSSHA256)
        #expect(TerminalAuthenticationAlgorithm(name: "id-TA-RSA-v1-5-SHA-1") == .rsaV1_5SHA1)
        #expect(TerminalAuthenticationAlgorithm(name: "rsa-sha384") == nil)
        #expect(TerminalAuthenticationAlgorithm.ecdsaSHA512.oid.description == "0.4.0.127.0.7.2.2.2.2.5")
        #expect(TerminalAuthenticationAlgorithm.rsaPSSSHA512.oid.description == "0.4.0.127.0.7.2.2.2.1.6")
        for algorithm in TerminalAuthenticationAlgorithm.allCases {
            #expect(TerminalAuthenticationAlgorithm(oid: algorithm.oid) == algorithm)
            #expect(TerminalAuthenticationAlgorithm(algorithm.signatureAlgorithm) == algorithm)
            #expect(TerminalAuthenticationAlgorithm(name: algorithm.openPACEName) == algorithm)
        }
    }

    @Test func efCVCAHoldsTwoCARsPaddedTo36Bytes() throws {
        let file = try EFCVCA(references: ["DECVCAEPASS00102", "DECVCAEPASS00101"])
        let bytes = try file.encoded
        #expect(bytes.count == 36)
        #expect(Array(bytes.prefix(2)) == [0x42, 0x10])
        #expect(Array(bytes[18..<20]) == [0x42, 0x10])
        #expect(try EFCVCA(encoded: bytes) == file)
        let single = try EFCVCA(references: ["ZZCVCA00001"]).encoded
        #expect(single.count == 36)
        #expect(single[13...].allSatisfy { $0 == 0 })
        #expect(try EFCVCA(encoded: single).references == ["ZZCVCA00001"])
        #expect(throws: CVCAError.self) { try EFCVCA(references: ["A1", "B2", "C3"]) }
        var dirty = single
        dirty[30] = 1
        #expect(throws: CVCAError.self) { try EFCVCA(encoded: dirty) }
        #expect(throws: CVCAError.self) { try EFCVCA(encoded: single + [0]) }
        #expect(throws: CVCAError.self) { try EFCVCA(encoded: [UInt8](repeating: 0, count: 36)) }
        #expect(throws: CVCAError.self) { try EFCVCA(encoded: [0x5F, 0x20, 0x01, 0x41] + [UInt8](repeating: 0, count: 32)) }
    }

    @Test func efCVCAFromTrustPointsIsNewestFirst() throws {
        let chain = try CVChainTests.chain("brainpool")
        var newer = chain.cvca
        newer.body.chr = "ZZCVCA00002"
        newer.body.effectiveDate = try chain.cvca.body.effectiveDate.adding(months: 30)
        #expect(try EFCVCA(trustPoints: [chain.cvca, newer]).references == ["ZZCVCA00002", "ZZCVCA00001"])
    }
}

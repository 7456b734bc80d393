import Foundation
import PKICore
import SwiftASN1
import Testing
import TestSupport

@Suite struct CRLTests {
    @Test func realCostaRicaCRLVerifiesAgainstItsCSCA() throws {
        let crl = try CertificateRevocationList(bytes: TestSupport.vector("icao-pkd-samples/CR_CostaRicaCSCA_crl_18.crl"))
        let csca = try Certificate(bytes: TestSupport.vector("icao-pkd-samples/CR_CostaRicaCSCA_from_ICAO_ML.cer"))
        #expect(crl.version == 1)
        #expect(crl.crlNumber?.value == 18)
        #expect(crl.issuer.isEquivalent(to: csca.subject))
        #expect(crl.authorityKeyIdentifier == csca.subjectKeyIdentifier)
        #expect(try crl.signatureAlgorithmValue == .ecdsa(.sha384))
        #expect(crl.thisUpdate.description == "2025-07-03T00:00:00Z" || crl.thisUpdate.description.hasPrefix("2025-07-03"))
        #expect(try crl.entryCount() == 0)
        #expect(!crl.hasRevokedCertificatesField)
        #expect(try crl.isSignatureValid(issuerKey: csca.publicKey))
        // Another key does not verify it.
        let other = try PrivateKey.generate(.ec(.brainpoolP384r1, parameters: .explicit)).publicKey
        #expect(try !crl.isSignatureValid(issuerKey: other))
    }

    @Test func builtCRLIsVerifiedByOpenSSLAndIterates() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (root, _, signer) = try CertificateTests.makeChain(.ec(.p256, parameters: .namedCurve))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let entries = try (1...2_000).map { index in
            try RevokedCertificate(serialNumber: [0x10, UInt8(index >> 8), UInt8(index & 0xFF)], revocationDate: now)
        }
        let crl = try CRLBuilder(
            issuer: root.subject, thisUpdate: now, nextUpdate: now.addingTimeInterval(90 * 86_400),
            authorityKeyIdentifier: root.subjectKeyIdentifier!, crlNumber: CRLNumber(7)
        ).sign(entries: entries, with: signer)
        try TestSupport.write(crl.derEncoded, directory.appendingPathComponent("test.crl"))
        try TestSupport.write(root.pemEncoded, directory.appendingPathComponent("root.pem"))
        let verified = try TestSupport.run("openssl", ["crl", "-in", "test.crl", "-inform", "DER", "-CAfile", "root.pem", "-noout"], currentDirectory: directory)
        #expect(verified.output.contains("verify OK"), "\(verified.output)")
        // openssl prints the CRL number in hex, with or without 0x (3.0: "crlNumber=0x07").
        let number = try TestSupport.openssl(["crl", "-in", "test.crl", "-inform", "DER", "-noout", "-crlnumber"], in: directory).stdout
        let hex = number.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "crlNumber=", with: "")
        #expect(UInt64(hex.hasPrefix("0x") ? String(hex.dropFirst(2)) : hex, radix: 16) == 7, "\(number)")
        let text = try TestSupport.openssl(["crl", "-in", "test.crl", "-inform", "DER", "-noout", "-text"], in: directory).stdout
        #expect(text.contains("Version 2"))

        #expect(try crl.isSignatureValid(issuerKey: root.publicKey))
        #expect(try crl.entryCount() == 2_000)
        var seen: [ArraySlice<UInt8>] = []
        try crl.forEachEntry { seen.append($0.serialNumber) }
        #expect(seen == entries.map(\.serialNumber))
        #expect(crl.crlNumber == CRLNumber(7))
        // Round trip, from the DER and from the PEM: the CRL read back holds what the builder was given, and its
        // fields, serialized again, give the signed bytes back.
        let reparsed = [("DER", try CertificateRevocationList(bytes: crl.derEncoded)),
                        ("PEM", try CertificateRevocationList(bytes: Array(crl.pemEncoded.utf8)))]
        for (label, again) in reparsed {
            #expect(again.version == 1, "\(label)")
            #expect(again.issuer == root.subject, "\(label)")
            #expect(again.thisUpdate.date == now, "\(label)")
            #expect(again.nextUpdate?.date == now.addingTimeInterval(90 * 86_400), "\(label)")
            #expect(again.crlNumber == CRLNumber(7), "\(label)")
            #expect(again.authorityKeyIdentifier == root.subjectKeyIdentifier, "\(label)")
            #expect(try again.signatureAlgorithmValue == signer.defaultAlgorithm, "\(label)")
            #expect(again.signature == again.signatureAlgorithm, "\(label)")
            var entriesRead: [RevokedCertificate] = []
            try again.forEachEntry { entriesRead.append($0) }
            #expect(entriesRead == entries, "\(label)")
            #expect(entriesRead.allSatisfy { $0.revocationDate.date == now && $0.extensions == nil }, "\(label)")

            var tbs = DER.Serializer()
            try tbs.appendConstructedNode(identifier: .sequence) { coder in
                try coder.serialize(try #require(again.version))
                try coder.serialize(again.signature)
                try coder.serialize(again.issuer)
                try coder.serialize(again.thisUpdate)
                try coder.serialize(try #require(again.nextUpdate))
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    for entry in entriesRead { try coder.serialize(entry) }
                }
                try coder.serialize(again.extensions, explicitlyTaggedWithIdentifier: .init(tagWithNumber: 0, tagClass: .contextSpecific))
            }
            var whole = DER.Serializer()
            try whole.appendConstructedNode(identifier: .sequence) { coder in
                coder.serializeRawBytes(tbs.serializedBytes)
                try coder.serialize(again.signatureAlgorithm)
                try coder.serialize(again.signatureValue)
            }
            #expect(whole.serializedBytes == crl.derEncoded, "\(label)")
        }
    }

    @Test func emptyCRLOmitsRevokedCertificates() throws {
        let (root, _, signer) = try CertificateTests.makeChain(.ec(.p256, parameters: .namedCurve))
        let crl = try CRLBuilder(
            issuer: root.subject, thisUpdate: Date(), nextUpdate: Date().addingTimeInterval(86_400),
            authorityKeyIdentifier: root.subjectKeyIdentifier!, crlNumber: CRLNumber(1)
        ).sign(entries: [], with: signer)
        #expect(!crl.hasRevokedCertificatesField)
        #expect(try crl.isSignatureValid(issuerKey: root.publicKey))
    }

    @Test func damagedCRLsAreTypedErrorsNamingTheOffset() throws {
        let good = try TestSupport.vector("icao-pkd-samples/CR_CostaRicaCSCA_crl_18.crl")
        let cases: [(String, [UInt8], String)] = [
            ("truncated", Array(good.prefix(100)), "truncated: the SEQUENCE at offset 0 claims 346 content bytes but only 96 follow its 4-byte header"),
            ("gigabyte length", [0x30, 0x84, 0x7F, 0xFF, 0xFF, 0xFF] + good.dropFirst(4), "the SEQUENCE at offset 0 claims 2147483647 content bytes"),
            ("indefinite", [0x30, 0x80] + good.dropFirst(4), "indefinite length at offset 0"),
            ("wrong tag", [0x04] + good.dropFirst(), "starts with byte 0x4, where a DER SEQUENCE (0x30) begins"),
            ("text", Array("not a CRL at all".utf8), "the input is text (\"not a CRL at all\")"),
            ("trailing bytes", good + [0, 0], "2 bytes follow the CRL"),
            ("empty", [], "the input is empty"),
        ]
        for (label, bytes, fragment) in cases {
            expectError(PKIError(.malformedEncoding, fragment), "\(label)") { try CertificateRevocationList(bytes: bytes) }
        }
    }

    @Test func aBrokenEntryIsReportedWithItsPosition() throws {
        let (root, _, signer) = try CertificateTests.makeChain(.ec(.p256, parameters: .namedCurve))
        let entries = try (1...3).map { try RevokedCertificate(serialNumber: [UInt8($0)], revocationDate: Date()) }
        let crl = try CRLBuilder(
            issuer: root.subject, thisUpdate: Date(), nextUpdate: Date().addingTimeInterval(86_400),
            authorityKeyIdentifier: root.subjectKeyIdentifier!, crlNumber: CRLNumber(2)
        ).sign(entries: entries, with: signer)
        // Change the second entry's INTEGER tag (02) into an OCTET STRING tag (04).
        var bytes = crl.derEncoded
        let firstEntry = bytes.firstIndex(of: 0x30, after: 60, followedBy: [0x03 + 0x0F, 0x02, 0x01, 0x01]) ?? 0
        #expect(firstEntry > 0)
        let secondSerialTag = firstEntry + 2 + 0x12 + 2  // first entry (header 2, body 0x12), then the second's header
        #expect(bytes[secondSerialTag] == 0x02)
        bytes[secondSerialTag] = 0x04
        let damaged = try CertificateRevocationList(bytes: bytes)
        var iterator = damaged.entries()
        #expect(try iterator.next() != nil)
        do {
            _ = try iterator.next()
            Issue.record("the damaged entry parsed")
        } catch let error as PKIError {
            #expect(error.reason.contains("entry 1"), "\(error.reason)")
        }
        #expect(try !damaged.isSignatureValid(issuerKey: root.publicKey))
    }
}

extension Array where Element == UInt8 {
    /// The index of `first` at or after `start` whose following bytes are `rest`.
    func firstIndex(of first: UInt8, after start: Int, followedBy rest: [UInt8]) -> Int? {
        var index = start
        while index + rest.count < count {
            if self[index] == first, Array(self[(index + 1)...(index + rest.count)]) == rest { return index }
            index += 1
        }
        return nil
    }
}

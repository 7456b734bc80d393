import Foundation
import LDS
import PKICore
import Testing
import TestSupport

/// Damaged files must give an LDSError or PKIError naming what is wrong, never a trap: every prefix of every
/// vector, every single-bit flip in its first bytes, and some hand-made cases.
@Suite struct MalformedInputTests {
    static func samples() throws -> [(String, [UInt8])] {
        var samples = try DataGroupTests.vectors.map { ($0.0, try TestSupport.vector($0.0)) }
        samples.append(("sample DG1", try SampleDocument.dg1()))
        samples.append(("sample DG2", SampleDocument.dg2()))
        samples.append(("worked-example EF.COM", DataGroupTests.workedExampleCOM))
        let finger = FingerImageRecord(fingers: [FingerImage(position: 1, width: 2, height: 2, imageData: [1, 2, 3, 4])], compressionAlgorithm: 4)
        samples.append(("sample DG3", DG3(fingers: [finger]).encode()))
        var dg11 = DG11()
        dg11[.fullName] = "A<<B"
        dg11.otherNames = ["C<<D"]
        samples.append(("sample DG11", dg11.encode()))
        return samples
    }

    /// Reads `bytes` as whatever LDS file it claims to be and, when that works, encodes it again.
    static func attempt(_ bytes: [UInt8]) -> String? {
        do {
            _ = try LDSFile(bytes: bytes).encode()
            return nil
        } catch let error as LDSError {
            return error.reason
        } catch let error as PKIError {
            return error.reason
        } catch {
            return "unexpected error type \(type(of: error)): \(error)"
        }
    }

    @Test func everyTruncationIsATypedError() throws {
        for (name, bytes) in try Self.samples() {
            for length in 0..<bytes.count {
                let reason = Self.attempt(Array(bytes.prefix(length)))
                #expect(reason != nil, "\(name) truncated to \(length) bytes was accepted")
                #expect(reason?.hasPrefix("unexpected") != true, "\(name) at \(length): \(reason ?? "")")
            }
        }
    }

    @Test func bitFlipsNeverTrap() throws {
        for (name, bytes) in try Self.samples() {
            for index in 0..<min(bytes.count, 96) {
                for bit in [0, 3, 7] {
                    var damaged = bytes
                    damaged[index] ^= UInt8(1 << bit)
                    // Accepted or refused, but refused with one of the module errors.
                    if let reason = Self.attempt(damaged) {
                        #expect(!reason.hasPrefix("unexpected"), "\(name) flip at \(index): \(reason)")
                    }
                }
            }
        }
    }

    @Test func handMadeCasesNameTheProblem() throws {
        let cases: [([UInt8], String)] = [
            ([], "empty"),
            ([0x61, 0x05, 0x5F, 0x1F, 0x02, 0x41], "claims 5 bytes but only 4 remain"),
            ([0x61, 0x80, 0x00, 0x00], "indefinite length"),
            ([0x61, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00], "5-octet length"),
            ([0x61, 0x03, 0x5F, 0x1F, 0x00, 0x00], "follow"),
            ([0x61, 0x04, 0x5F, 0x1F, 0x01, 0x41], "MRZ"),
            ([0x61, 0x02, 0x5A, 0x00], "5F1F is missing"),
            ([0x75, 0x03, 0x02, 0x01, 0x01], "has tag 02, expected 7F61"),
            ([0x60, 0x02, 0x5C, 0x00], "LDS version"),
            ([0x6E, 0x02, 0x30, 0x00], "SET"),
            ([0x6F, 0x02, 0x30, 0x00], "DG15"),
            ([0x77, 0x03, 0x30, 0x01, 0x00], "CMS"),
            ([0x42, 0x00], "starts no LDS file"),
            ([0x6B, 0x04, 0x5F, 0x0E, 0x01, 0x41], "tag list"),
        ]
        for (bytes, fragment) in cases {
            let reason = Self.attempt(bytes)
            #expect(reason?.contains(fragment) == true, "\(bytes.hexString): \(reason ?? "accepted")")
        }
        // Offsets point into the file: the second DG11 element is cut short at offset 9.
        let dg11: [UInt8] = [0x6B, 0x0B, 0x5C, 0x02, 0x5F, 0x0E, 0x5F, 0x0E, 0x01, 0x41, 0x5F, 0x10, 0x05]
        #expect(Self.attempt(dg11)?.contains("offset 10") == true, "\(Self.attempt(dg11) ?? "")")
    }

    @Test func malformedFacialRecordIsNamed() throws {
        var record = FacialRecord(images: [FaceImage(imageData: [1, 2, 3], imageDataType: .jpeg, width: 1, height: 1)]).encode()
        record[11] &+= 1  // record length one too long
        expectError(LDSError(.malformed, "facial record: record length field says 50 bytes, the block holds 49")) { try FacialRecord(bytes: record) }
        let header = BiometricHeaderTemplate(biometricType: 2, formatType: 8)
        let group = BiometricInformationGroupTemplate(instances: [BiometricInformationTemplate(header: header, dataBlock: .unparsed(record, reason: ""))])
        do {
            _ = try DG2(bytes: DG2(group: group).encode())
            Issue.record("accepted")
        } catch let error as LDSError {
            #expect(error.reason.hasPrefix("DG2") && error.reason.contains("record length field"), "\(error.reason)")
        }
    }
}

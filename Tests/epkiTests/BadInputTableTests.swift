import Foundation
import Store
import Testing
import TestSupport

/// The bad-input table (BAD-INPUT.md): each CLI command that reads a file from outside, given that file spoiled in
/// each of seven ways, answers with a typed error naming what it could not read and where (`epki: error: …`, exit
/// status 1, no crash), and leaves the store exactly as it was (every table's rows compared before and after).
///
/// Inputs are real documents from `Vectors/` (ICAO's master list, Costa Rica's CSCA and CRL, German DS certificates,
/// BSI's EF.SOD and data groups, German CVCA certificates, a TR-03129 DV request), and a PKCS#10 request and an LDIF
/// entry made here. A domain UT with a CSCA and a CVCA receives the requests, and the NPKD holds the master list, so
/// that every command reaches its parser with a store to spoil.
@Suite(.serialized) struct BadInputTableTests {
    /// One command on one kind of input.
    struct Command: Sendable, CustomStringConvertible {
        let arguments: [String]
        let input: String
        /// A vector under Vectors/, or a file the fixture makes.
        let source: String
        let writesStore: Bool
        /// Tables where a refusal is recorded by design (the CVCA's request log of TR-03129 and the audit trail):
        /// each may gain one row, a refusal; every other table stays as it was.
        var recordsRefusal: [String] = []
        var description: String { "epki \(arguments.joined(separator: " ")) <\(input)>" }
    }

    /// A way to spoil the input.
    enum Mutation: String, CaseIterable, Sendable, CustomStringConvertible {
        case empty = "empty file"
        case truncatedHalf = "truncated at half"
        case truncatedLastByte = "last byte cut"
        case firstByteFlipped = "first byte flipped"
        case wrongFormat = "wrong format (a PNG image)"
        case deeplyNested = "deeply nested (100,000 open constructed headers)"
        case wrongEncoding = "wrong encoding (UTF-16 text)"

        var description: String { rawValue }

        func apply(_ bytes: [UInt8]) -> [UInt8] {
            switch self {
            case .empty: return []
            case .truncatedHalf: return Array(bytes.prefix(bytes.count / 2))
            case .truncatedLastByte: return Array(bytes.dropLast())
            case .firstByteFlipped:
                var spoiled = bytes
                spoiled[0] ^= 0xFF
                return spoiled
            case .wrongFormat:
                return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52] + Array(repeating: 0, count: 64)
            case .deeplyNested:
                // SEQUENCE, indefinite length, a hundred thousand times: a parser that recursed per level would blow its stack.
                return Array([[UInt8]](repeating: [0x30, 0x80], count: 100_000).joined())
            case .wrongEncoding:
                // The input as PEM (or as its text), written in UTF-16LE with a byte order mark.
                let text = String(decoding: bytes, as: UTF8.self).unicodeScalars.allSatisfy({ $0.isASCII })
                    ? String(decoding: bytes, as: UTF8.self)
                    : "-----BEGIN CERTIFICATE-----\n" + Data(bytes).base64EncodedString(options: .lineLength64Characters) + "\n-----END CERTIFICATE-----\n"
                return [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
            }
        }
    }

    static let commands: [Command] = [
        Command(arguments: ["cert", "show"], input: "CSCA certificate", source: "icao-pkd-samples/CR_CostaRicaCSCA_from_ICAO_ML.cer", writesStore: false),
        Command(arguments: ["lint"], input: "CSCA certificate", source: "icao-pkd-samples/CR_CostaRicaCSCA_from_ICAO_ML.cer", writesStore: false),
        Command(arguments: ["npkd", "import"], input: "CSCA certificate", source: "icao-pkd-samples/CR_CostaRicaCSCA_from_ICAO_ML.cer", writesStore: true),
        Command(arguments: ["cert", "show"], input: "DS certificate", source: "pymrtd/dsc_de_0130846f2b3e.cer", writesStore: false),
        Command(arguments: ["npkd", "import"], input: "DS certificate", source: "pymrtd/dsc_de_0130846f2b3e.cer", writesStore: true),
        Command(arguments: ["crl", "show"], input: "CRL", source: "icao-pkd-samples/CR_CostaRicaCSCA_crl_18.crl", writesStore: false),
        Command(arguments: ["lint"], input: "CRL", source: "icao-pkd-samples/CR_CostaRicaCSCA_crl_18.crl", writesStore: false),
        Command(arguments: ["npkd", "import"], input: "CRL", source: "icao-pkd-samples/CR_CostaRicaCSCA_crl_18.crl", writesStore: true),
        Command(arguments: ["npkd", "import"], input: "master list", source: "csca-trust-store/ICAO_MasterList_2025-07-23_allowlist.ml", writesStore: true),
        Command(arguments: ["cms", "verify"], input: "master list", source: "csca-trust-store/ICAO_MasterList_2025-07-23_allowlist.ml", writesStore: false),
        Command(arguments: ["npkd", "import"], input: "ICAO PKD LDIF", source: "made:dsc.ldif", writesStore: true),
        Command(arguments: ["sod", "show"], input: "EF.SOD", source: "pymrtd/EF_SOD_BSI_TR03105-5.bin", writesStore: false),
        Command(arguments: ["lds", "show"], input: "EF.SOD", source: "pymrtd/EF_SOD_BSI_TR03105-5.bin", writesStore: false),
        Command(arguments: ["lds", "show"], input: "DG1", source: "pymrtd/DG1_BSI_TR03105-5.bin", writesStore: false),
        Command(arguments: ["lds", "show"], input: "DG14", source: "pymrtd/DG14_BSI_TR03105-5.bin", writesStore: false),
        Command(arguments: ["cvc", "show"], input: "CV certificate", source: "openpace/DECVCAEPASS00102.cvcert", writesStore: false),
        Command(arguments: ["cvc", "show"], input: "CV request", source: "ejbca-cert-cvc/absp.req", writesStore: false),
        Command(arguments: ["cvc", "show"], input: "RSA CV certificate", source: "ejbca-cert-cvc/GO_CVCA_RSA2008.cvcert", writesStore: false),
        Command(arguments: ["lint"], input: "master list", source: "csca-trust-store/ICAO_MasterList_2025-07-23_allowlist.ml", writesStore: false),
        Command(arguments: ["lint"], input: "DS certificate", source: "pymrtd/dsc_de_0130846f2b3e.cer", writesStore: false),
        Command(arguments: ["cvca", "sign-request", "--domain", "UT", "--passphrase-file", "pass"], input: "CV request", source: "ejbca-cert-cvc/absp.req",
                writesStore: true, recordsRefusal: ["cvca_request", "audit_entry"]),
        Command(arguments: ["csca", "issue-ds", "--domain", "UT", "--passphrase-file", "pass", "--csr"], input: "PKCS#10 request", source: "made:ds.csr",
                writesStore: true),
    ]

    /// Every command × every mutation: 22 × 7 = 154 cases.
    static let cases: [(Command, Mutation)] = commands.flatMap { command in Mutation.allCases.map { (command, $0) } }

    /// The shared store and inputs, made once for the suite.
    final class Fixture: @unchecked Sendable {
        let home: URL
        let cli: GovernanceTests.CLI

        init() throws {
            home = try TestSupport.temporaryDirectory("epki-bad-input")
            cli = GovernanceTests.CLI(home: home)
            try cli.writeSecrets()
            try cli.ok(["csca", "init", "--domain", "UT", "--country", "UT", "--name", "CSCA UT", "--algorithm", "ec:P-256", "--crl-url", "http://pkd.example/UT.crl",
                        "--passphrase-file", "pass"])
            try cli.ok(["cvca", "init", "--domain", "UT", "--country", "UT", "--passphrase-file", "pass"])
            try cli.ok(["npkd", "import", TestSupport.vectorPath("csca-trust-store/ICAO_MasterList_2025-07-23_allowlist.ml")])
            try TestSupport.openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ds.key", "-out", "ds.csr",
                                     "-outform", "DER", "-subj", "/C=UT/CN=Document Signer"], in: home)
            let dsc = try TestSupport.vector("pymrtd/dsc_de_0130846f2b3e.cer")
            try TestSupport.write("""
                version: 1

                dn: cn=CN\\=Document Signer+sn=01,o=dsc,c=DE,dc=data,dc=download,dc=pkd,dc=icao,dc=int
                objectClass: top
                objectClass: person
                objectClass: pkdDownload
                objectClass: inetOrgPerson
                cn: CN=Document Signer
                sn: 01
                pkdVersion: 1
                userCertificate;binary:: \(Data(dsc).base64EncodedString())
                """, home.appendingPathComponent("dsc.ldif"))
        }

        func input(_ command: Command) throws -> [UInt8] {
            if command.source.hasPrefix("made:") { return try TestSupport.read(home.appendingPathComponent(String(command.source.dropFirst(5)))) }
            return try TestSupport.vector(command.source)
        }

        /// Every table's rows, in order: what "the store is unchanged" compares.
        func storeContents() throws -> [String: [String]] {
            let store = try EPKIStore(directory: home.appendingPathComponent("data"), create: false)
            defer { store.close() }
            return try store.read { db in
                var contents: [String: [String]] = [:]
                for table in try db.tableNames() {
                    // Some tables have no rowid: every row, as text, sorted.
                    contents[table] = try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map(\.description).sorted()
                }
                return contents
            }
        }
    }

    static let fixture = Result { try Fixture() }

    /// What one case's command did: its exit and output, and the store before and after (empty when it writes none).
    struct Outcome: Sendable {
        let name: String
        let result: TestSupport.ProcessResult
        let before: [String: [String]]
        let after: [String: [String]]
    }

    /// The blocking part of a case (the spoiled file written, the store read, epki run, the store read again) runs on
    /// a thread of its own (`TestSupport.onOwnThread`): it would otherwise hold a thread of the concurrency pool that
    /// services under test elsewhere in the suite need. The expectations stay in the test's task.
    @Test(arguments: cases)
    func aSpoiledInputIsATypedErrorAndChangesNothing(_ command: Command, _ mutation: Mutation) async throws {
        let outcome = try await TestSupport.onOwnThread { try Self.run(command, mutation) }
        let (name, result, before) = (outcome.name, outcome.result, outcome.before)
        // Exit 1 with the error on standard error: not a crash (a signal), not a usage error, not success.
        #expect(result.status == 1, "\(command) with \(mutation): exit \(result.status)\n\(result.output)")
        let message = result.stderr
        #expect(message.hasPrefix("epki: error: ") && !message.contains("Fatal error"), "\(command) with \(mutation): \(message)")
        // What: the structure it was reading; where: an offset, a line, the file, or that it is empty.
        let what = ["certificate", "CRL", "CMS", "CV ", "EF.", "LDS", "LDIF", "master list", "request", "DG", "data group", "PKCS", "TLV", "DER", "PEM", "file"]
        let whereWords = ["offset", "line", name, "empty", "bytes", "byte", "tag", "missing", "ends"]
        #expect(what.contains { message.contains($0) } && whereWords.contains { message.contains($0) }, "\(command) with \(mutation): \(message)")
        if command.writesStore {
            let after = outcome.after
            let changed = Set(after.keys).union(before.keys).filter { after[$0] != before[$0] }.sorted()
            #expect(Set(changed).isSubset(of: command.recordsRefusal), "\(command) with \(mutation) changed the store: \(changed)")
            for table in changed {
                // Only appended: the rows before are all still there, and one more, which records a failure.
                let added = (after[table] ?? []).filter { !(before[table] ?? []).contains($0) }
                #expect(Set(before[table] ?? []).isSubset(of: Set(after[table] ?? [])) && added.count == 1 && added[0].contains("failure"),
                        "\(command) with \(mutation): \(table) gained \(added)")
            }
        }
    }

    static func run(_ command: Command, _ mutation: Mutation) throws -> Outcome {
        let fixture = try Self.fixture.get()
        let name = "spoiled-\(command.input.replacingOccurrences(of: " ", with: "-").replacingOccurrences(of: "#", with: ""))-\(Mutation.allCases.firstIndex(of: mutation) ?? 0).bin"
        try TestSupport.write(mutation.apply(try fixture.input(command)), fixture.home.appendingPathComponent(name))
        defer { try? FileManager.default.removeItem(at: fixture.home.appendingPathComponent(name)) }
        let before = command.writesStore ? try fixture.storeContents() : [:]
        let result = try fixture.cli.run(command.arguments + [name])
        // BAD-INPUT.md is made from these lines: EPKI_BAD_INPUT_TABLE=FILE swift test --filter BadInputTableTests.
        if let table = ProcessInfo.processInfo.environment["EPKI_BAD_INPUT_TABLE"], let handle = FileHandle(forWritingAtPath: table) ?? {
            FileManager.default.createFile(atPath: table, contents: nil)
            return FileHandle(forWritingAtPath: table)
        }() {
            handle.seekToEndOfFile()
            let line = [command.arguments.joined(separator: " "), command.input, mutation.rawValue, "\(result.status)",
                        result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\n", with: " ")].joined(separator: "\t")
            handle.write(Data((line + "\n").utf8))
            try? handle.close()
        }
        return Outcome(name: name, result: result, before: before, after: command.writesStore ? try fixture.storeContents() : [:])
    }
}

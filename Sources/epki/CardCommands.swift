import ArgumentParser
import ChipAccess
import CVC
import Foundation
import LDS
import PKICore
import SmartCard
import VirtualChip

/// `epki card`: PC/SC readers and raw APDUs, for line staff and operators checking a reader or a chip.
struct CardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "card", abstract: "PC/SC readers and cards: list readers, send APDUs, watch for cards.",
        subcommands: [Readers.self, APDU.self, Watch.self])

    struct Readers: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the PC/SC readers, whether each holds a card, and its ATR.")
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let context = try PCSCTransport.Context()
            var rows: [[String: Any]] = []
            for reader in try context.readers() {
                let status = try context.status(of: reader)
                rows.append(["reader": reader, "card": status.present, "atr": status.present ? status.atr.hexString : ""])
            }
            if json { try IO.printJSON(rows); return }
            if rows.isEmpty { FileHandle.standardError.write(Data("no PC/SC reader (is pcscd running?)\n".utf8)) }
            for row in rows {
                let present = row["card"] as? Bool == true
                print("\(row["reader"] ?? "")\t\(present ? "card, ATR \(row["atr"] ?? "")" : "no card")")
            }
        }
    }

    struct APDU: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send APDUs (hex; spaces and colons allowed) to the card in a reader; prints each response and its status word's name.")
        @Option(help: "The reader (its name as `epki card readers` lists it); default: the first with a card.") var reader: String?
        @Argument(help: "Command APDUs in hex, e.g. 00A4040C07A0000002471001.") var apdus: [String]

        func run() throws {
            let context = try PCSCTransport.Context()
            let name = try reader ?? context.readers().first { (try? context.status(of: $0).present) == true }
            guard let name else { throw SmartCardError(.noCard, "no reader holds a card") }
            let transport = try PCSCTransport(context: context, reader: name)
            defer { transport.disconnect() }
            for text in apdus {
                let cleaned = text.filter { !$0.isWhitespace && $0 != ":" }
                guard let bytes = [UInt8](hex: cleaned) else { throw ValidationError("'\(text)' is not hex") }
                let command = try CommandAPDU(bytes: bytes)
                let response = try transport.send(command)
                print("> \(bytes.hexString)")
                print("< \(response.data.hexString)\(response.data.isEmpty ? "" : " ")\(response.statusWord)")
            }
        }
    }

    struct Watch: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a line whenever a card is inserted into or removed from a reader.")
        @Option(help: "Stop after this many seconds (default: run until interrupted).") var seconds: Double?

        func run() throws {
            let context = try PCSCTransport.Context()
            var known: [String: Bool] = [:]
            let deadline = seconds.map { Date().addingTimeInterval($0) }
            while deadline.map({ Date() < $0 }) ?? true {
                for reader in try context.readers() {
                    let present = try context.status(of: reader).present
                    if known[reader] != present {
                        print("\(Time.iso8601(Date())) \(reader): \(present ? "card inserted" : known[reader] == nil ? "no card" : "card removed")")
                        fflush(nil)
                        known[reader] = present
                    }
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }
}

/// `epki chip`: the virtual eMRTD chip, for testing personalization lines and inspection systems without a document.
struct ChipCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chip", abstract: "The virtual eMRTD chip: serve a document's LDS files as a card in pcscd (through vsmartcard's vpcd).",
        subcommands: [New.self, Serve.self])

    /// The document a chip gets from a folder of LDS files and key files: personalized and locked.
    struct DocumentOptions: ParsableArguments {
        @Option(help: "The folder of LDS files (EF.COM, EF.DG1 …, EF.SOD, EF.CardAccess, EF.CardSecurity, as Doc 9303-10 names them).")
        var files: String?
        @Option(help: "The MRZ (its lines joined), when it should differ from EF.DG1's.") var mrz: String?
        @Option(help: "The card access number for PACE.") var can: String?
        @Option(name: .customLong("ca-key"), help: "The Chip Authentication private key (encrypted PKCS#8; its public key is in DG14).")
        var chipAuthenticationKey: String?
        @Option(name: .customLong("aa-key"), help: "The Active Authentication private key (encrypted PKCS#8; its public key is DG15).")
        var activeAuthenticationKey: String?
        @Option(name: .customLong("trust-point"), help: "A CVCA certificate the chip trusts for Terminal Authentication (at most two).")
        var trustPoints: [String] = []
        @Option(help: "The chip's current date for Terminal Authentication (YYYY-MM-DD; default: the newest trust point's effective date).")
        var date: String?

        /// The state of a personalized, locked chip; nil without --files.
        func state(keyPassphrase: PassphraseOptions) throws -> ChipState? {
            guard let files else { return nil }
            var state = ChipState()
            state.files = try Serve.fileSystem(files)
            if state.files.masterFile[ChipFileSystem.efATRInfo] == nil {
                state.files.masterFile[ChipFileSystem.efATRInfo] = ATRInfo.eMRTD.encoded
            }
            let mrzFields: MRZ
            if let mrz {
                mrzFields = try MRZ(string: mrz)
            } else if let dg1 = state.files.application[ChipFileSystem.dataGroup(1)] {
                mrzFields = try DG1(bytes: dg1).mrz
            } else {
                throw ValidationError("give --mrz, or EF.DG1 in \(files)")
            }
            _ = try BACKey(documentNumber: mrzFields.documentNumber, dateOfBirth: mrzFields.dateOfBirth, dateOfExpiry: mrzFields.dateOfExpiry)
            state.mrz = ChipState.MRZSecret(documentNumber: mrzFields.documentNumber, dateOfBirth: mrzFields.dateOfBirth, dateOfExpiry: mrzFields.dateOfExpiry)
            if let can {
                guard !can.isEmpty, can.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw ValidationError("--can is digits, not '\(can)'") }
                state.can = can
            }
            if let path = chipAuthenticationKey {
                let key = try IO.loadPrivateKey(path, passphrase: keyPassphrase)
                guard case .ec(let curve?, _) = key.publicKey.kind else {
                    throw ValidationError("--ca-key \(path) is not an EC key on a named curve")
                }
                state.chipAuthentication = ChipState.StaticKey(curve: curve, privateKey: try key.ecPrivateScalar())
            }
            if let path = activeAuthenticationKey {
                state.activeAuthenticationKey = try IO.loadPrivateKey(path, passphrase: keyPassphrase).plainPKCS8ForSealing()
            }
            guard trustPoints.count <= 2 else { throw ValidationError("a chip holds at most two trust points, not \(trustPoints.count)") }
            for path in trustPoints {
                let certificate = try CVCertificate(encoded: IO.read(path, what: "CVCA certificate"))
                guard certificate.role == .cvca else { throw ValidationError("--trust-point \(path) is a \(certificate.role) certificate, not a CVCA's") }
                state.trustPoints.append(try certificate.encoded)
            }
            if let date {
                guard !trustPoints.isEmpty else { throw ValidationError("--date is the date of Terminal Authentication: give --trust-point too") }
                state.currentDate = try CVDate(string: date).description
            }
            state.lifecycle = .operational
            return state
        }
    }

    /// The passphrase of a chip's state file (never the key files' one, which `PassphraseOptions` gives).
    struct StatePassphraseOptions: ParsableArguments {
        @Option(name: .customLong("state-passphrase-file"), help: "File whose first line is the state file's passphrase.")
        var passphraseFile: String?
        @Option(name: .customLong("state-passphrase-env"), help: "Environment variable with the state file's passphrase (default: EPKI_CHIP_PASSPHRASE).")
        var passphraseEnvironment: String?

        func file(_ path: String) throws -> ChipStateFile {
            let passphrase: Passphrase
            if let passphraseFile {
                passphrase = try Passphrase.fromFile(passphraseFile)
            } else {
                passphrase = try Passphrase.fromEnvironment(passphraseEnvironment ?? "EPKI_CHIP_PASSPHRASE")
            }
            return ChipStateFile(path: path, passphrase: passphrase)
        }
    }

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a virtual chip's state file: blank (open for personalization), or personalized and locked from LDS and key files.",
            discussion: """
                Without --files the chip is blank, as it leaves the fab: a personalization line writes it through \
                `epki chip serve --state` with CREATE FILE, UPDATE BINARY and PUT DATA, then locks it. With --files it is \
                personalized from the folder (and --mrz, --can, --ca-key, --aa-key, --trust-point, --date) and locked at \
                once: the quickest way to put a given document in front of an inspection system. The state file is sealed \
                under its passphrase (--state-passphrase-file, --state-passphrase-env, or EPKI_CHIP_PASSPHRASE); key files \
                are read with --passphrase-file / --passphrase-env / EPKI_PASSPHRASE.
                """)
        @Option(help: "The chip's state file to write (sealed under the state passphrase).") var state: String
        @OptionGroup var statePassphrase: StatePassphraseOptions
        @OptionGroup var document: DocumentOptions
        @OptionGroup var passphrase: PassphraseOptions
        @Flag(help: "Replace an existing state file.") var force = false

        func run() throws {
            let file = try statePassphrase.file(state)
            if FileManager.default.fileExists(atPath: file.path) && !force {
                throw ValidationError("\(file.path) exists; give --force to replace it")
            }
            let state = try document.state(keyPassphrase: passphrase) ?? ChipState()
            // The state must make a chip before it is written: a key that does not load is refused here.
            let chip = try EMRTDChip(state: state)
            try file.save(state)
            if chip.lifecycle == .personalization {
                print("blank chip in \(file.path): open for personalization")
            } else {
                let files = state.files.application.count + state.files.masterFile.count
                var parts = ["\(files) files", "BAC"]
                if let pace = chip.pace { parts.append(pace.offered.map(\.description).joined(separator: ", ")) }
                if chip.chipAuthenticationKey != nil { parts.append("Chip Authentication") }
                if chip.activeAuthenticationKey != nil { parts.append("Active Authentication") }
                if let ta = chip.terminalAuthentication { parts.append("Terminal Authentication (\(ta.trustPoints.map(\.chr).joined(separator: ", ")), date \(ta.currentDate))") }
                print("personalized and locked chip in \(file.path): \(parts.joined(separator: "; "))")
            }
        }
    }

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve a chip made from a folder of LDS files, with BAC and PACE, as a card in the vpcd reader.",
            discussion: """
                The folder holds files named as Doc 9303-10 names them: EF.COM, EF.DG1 … EF.DG16, EF.SOD, EF.CardAccess, \
                EF.CardSecurity, EF.CVCA, EF.ATR (any extension, e.g. EF.DG1.bin). BAC and the MRZ password of PACE use the \
                document number, date of birth and date of expiry of --mrz, else of EF.DG1. PACE is offered as EF.CardAccess \
                says. The card stays in the reader until the command ends.
                """)
        @OptionGroup var document: DocumentOptions
        @Option(help: "Serve the chip of this state file instead, and save every change to it (personalization, trust points, date).")
        var state: String?
        @OptionGroup var statePassphrase: StatePassphraseOptions
        @OptionGroup var passphrase: PassphraseOptions
        @Option(help: "vpcd's address (host:port).") var vpcd: String = "127.0.0.1:35963"

        func run() throws {
            let chip: EMRTDChip
            if let state {
                guard document.files == nil else { throw ValidationError("give --state or --files, not both") }
                let file = try statePassphrase.file(state)
                chip = try EMRTDChip(state: file.load())
                chip.onPersistentChange = { state in
                    do {
                        try file.save(state)
                    } catch {
                        FileHandle.standardError.write(Data("epki: cannot save the chip state: \(error)\n".utf8))
                    }
                }
            } else if let made = try document.state(keyPassphrase: passphrase) {
                chip = try EMRTDChip(state: made)
            } else {
                throw ValidationError("give --files DIR (a document) or --state FILE (a chip made by `epki chip new`)")
            }
            let fileSystem = chip.files
            let parts = vpcd.split(separator: ":")
            guard parts.count == 2, let port = UInt16(parts[1]) else { throw ValidationError("--vpcd is host:port, not '\(vpcd)'") }
            let connection = try VPCDConnection(host: String(parts[0]), port: port)
            let protocols = chip.pace.map { $0.offered.map(\.description).joined(separator: ", ") } ?? "no PACE (no PACEInfo in EF.CardAccess)"
            if chip.lifecycle == .personalization {
                print("blank chip in vpcd at \(vpcd): open for personalization")
            } else {
                print("chip with \(fileSystem.application.count + fileSystem.masterFile.count) files in vpcd at \(vpcd): BAC, \(protocols)")
            }
            fflush(nil)
            do {
                try connection.serve(chip)
            } catch let error as VirtualChipError where error.code == .connectionClosed {
                print("vpcd closed the connection: the card is removed")
            }
        }

        /// The files of `directory` by their Doc 9303-10 names.
        static func fileSystem(_ directory: String) throws -> ChipFileSystem {
            var names: [String: (ChipFileSystem.Directory, UInt16)] = [
                "EF.COM": (.application, ChipFileSystem.efCOM), "EF.SOD": (.application, ChipFileSystem.efSOD),
                "EF.CVCA": (.application, ChipFileSystem.efCVCA), "EF.CardAccess": (.masterFile, ChipFileSystem.efCardAccess),
                "EF.CardSecurity": (.masterFile, ChipFileSystem.efCardSecurity), "EF.ATR": (.masterFile, ChipFileSystem.efATRInfo),
            ]
            for number in 1...16 { names["EF.DG\(number)"] = (.application, ChipFileSystem.dataGroup(number)) }
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
                throw PKIError(.fileError, "cannot read the folder '\(directory)'")
            }
            var fileSystem = ChipFileSystem()
            for entry in entries.sorted() {
                let base = entry.split(separator: ".").prefix(2).joined(separator: ".")
                guard let (place, identifier) = names[base] ?? names.first(where: { $0.key.caseInsensitiveCompare(base) == .orderedSame })?.value else {
                    FileHandle.standardError.write(Data("epki: note: \(entry) is not an LDS file name; left out\n".utf8))
                    continue
                }
                let bytes = try IO.read((directory as NSString).appendingPathComponent(entry), what: base)
                if place == .masterFile { fileSystem.masterFile[identifier] = bytes } else { fileSystem.application[identifier] = bytes }
            }
            guard !fileSystem.application.isEmpty else { throw ValidationError("no LDS file (EF.COM, EF.DG1 …) in \(directory)") }
            return fileSystem
        }
    }
}

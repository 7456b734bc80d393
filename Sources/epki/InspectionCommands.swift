import ArgumentParser
import CVC
import ChipAccess
import Foundation
import Inspection
import LDS
import NPKD
import PKICore
import SmartCard
import Store

/// `epki inspect`: read and verify the passport in a reader, as an officer or a gate does.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Read and verify the eMRTD in a reader: PACE or BAC, Chip, Terminal and Active Authentication, passive authentication.",
        discussion: """
            The order of Doc 9303-11: EF.CardAccess, PACE (else BAC), EF.COM, EF.SOD and the data groups, Chip Authentication \
            with DG14's key or the PACE-CAM check, Terminal Authentication with --is-chain/--is-key (then DG3/DG4), Active \
            Authentication with DG15's key, and passive authentication against the national PKD (--data-dir) or CSCA files \
            (--csca). Exit 0 when the document is genuine; 2 when it is read but not proven genuine (the report says why); \
            1 when it could not be read.
            """)

    @Option(help: "The reader (as `epki card readers` lists it); default: the first with a card.") var reader: String?
    @Option(help: "The MRZ as the officer typed or scanned it (its lines joined).") var mrz: String?
    @Option(help: "The card access number printed on the document (PACE).") var can: String?
    @Option(name: .customLong("csca"), help: "A trusted CSCA certificate (repeat); without it, --data-dir's NPKD is the trust source.")
    var cscas: [String] = []
    @Option(name: .customLong("data-dir"), help: "The NPKD's data directory, whose trusted CSCAs and CRLs passive authentication uses.")
    var dataDirectory: String?
    @Option(name: .customLong("is-chain"), help: "The inspection system's CV certificates, CVCA first, its own last (repeat).")
    var terminalChain: [String] = []
    @Option(name: .customLong("is-key"), help: "The inspection system's private key (encrypted PKCS#8).") var terminalKey: String?
    @Option(name: .customLong("out"), help: "Write the files read (EF.COM, EF.SOD, EF.DGn) into this folder.") var out: String?
    @Option(help: "Write the face (DG2) and fingerprint (DG3) images into this folder.") var images: String?
    @OptionGroup var passphrase: PassphraseOptions
    @Flag(help: "Print the report as JSON.") var json = false

    func validate() throws {
        guard (mrz == nil) != (can == nil) else { throw ValidationError("give the document's --mrz or its --can") }
        guard terminalChain.isEmpty == (terminalKey == nil) else { throw ValidationError("--is-chain and --is-key go together") }
    }

    func run() throws {
        let password: InspectionSystem.Password
        if let mrz {
            let fields = try MRZ(string: mrz)
            password = .mrz(try BACKey(documentNumber: fields.documentNumber, dateOfBirth: fields.dateOfBirth, dateOfExpiry: fields.dateOfExpiry))
        } else {
            password = .can(can ?? "")
        }
        let trustSource: (any TrustSource)?
        if !cscas.isEmpty {
            trustSource = StaticTrustSource(cscas: try cscas.flatMap { try LDSOptions.certificates(IO.read($0, what: "CSCA certificate"), path: $0) })
        } else if dataDirectory != nil || ProcessInfo.processInfo.environment["EPKI_HOME"] != nil {
            let store = try EPKIStore(directory: EPKIStore.defaultDirectory(dataDirectory), migrations: StoreOptions.migrations, create: false)
            trustSource = try NationalPKD(store: store, domain: NationalPKD.defaultDomain).trustSource
        } else {
            trustSource = nil
        }
        var terminal: InspectionSystem.TerminalCredentials?
        if let terminalKey {
            let chain = try terminalChain.map { path in try IO.decode(path, what: "CV certificate") { try CVCertificate(encoded: $0) } }
            terminal = .init(chain: chain, key: SoftwareSigner(key: try IO.loadPrivateKey(terminalKey, passphrase: passphrase)))
        }
        let system = InspectionSystem(password: password, terminal: terminal, passiveAuthentication: PassiveAuthentication(trustSource: trustSource))

        let context = try PCSCTransport.Context()
        let name: String
        if let reader {
            name = reader
        } else {
            guard let first = try context.readers().first(where: { (try? context.status(of: $0).present) == true }) else {
                throw CLIFailure(message: "no reader holds a card")
            }
            name = first
        }
        let transport = try PCSCTransport(context: context, reader: name)
        defer { transport.disconnect() }
        let report = system.inspect(transport)
        if json {
            print(report.jsonValue.string(pretty: true))
        } else {
            print(report)
        }
        if let out { try write(report, to: out) }
        if let images {
            try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
            for image in BiometricImages.extract(from: report.dataGroups) {
                // Biometric data is personal data: readable by the officer's account only.
                try IO.write(image.bytes, to: (images as NSString).appendingPathComponent(image.name), privateFile: true)
            }
        }
        if report.access == nil { throw ExitCode(1) }
        if report.summary != "genuine" { throw ExitCode(2) }
    }

    func write(_ report: InspectionReport, to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func file(_ name: String, _ bytes: [UInt8]) throws {
            try IO.write(bytes, to: (directory as NSString).appendingPathComponent(name))
        }
        if let com = report.efCOM { try file("EF.COM.bin", com) }
        if let sod = report.efSOD { try file("EF.SOD.bin", sod) }
        for (number, bytes) in report.dataGroups { try file("EF.DG\(number).bin", bytes) }
    }
}

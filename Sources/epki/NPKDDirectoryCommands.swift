import ArgumentParser
import Foundation
import NPKD

/// Where the directory is and as whom to bind: shared by `epki npkd publish` and `epki npkd sync`. The password is
/// read from a file (its first line), never taken on the command line, where `ps` and shell histories would show it.
struct DirectoryOptions: ParsableArguments {
    @Option(help: "The directory: ldap://HOST:PORT or ldaps://HOST:PORT.") var ldap: String
    @Option(help: "The base under which dc=data sits.") var base: String = "dc=download,dc=pkd,dc=icao,dc=int"
    @Option(name: .customLong("bind-dn"), help: "Bind as this DN (simple bind); anonymous without it.") var bindDN: String?
    @Option(name: .customLong("password-file"), help: "File whose first line is the bind password.") var passwordFile: String?

    func target() throws -> NationalPKD.DirectoryTarget {
        var password: [UInt8]?
        if let passwordFile {
            guard bindDN != nil else { throw ValidationError("--password-file needs --bind-dn") }
            guard let data = FileManager.default.contents(atPath: passwordFile) else {
                throw CLIFailure(message: "cannot read the password file \(passwordFile)")
            }
            password = Array(data.prefix { $0 != 0x0A && $0 != 0x0D })
        }
        return NationalPKD.DirectoryTarget(url: ldap, base: base, bindDN: bindDN, password: password)
    }
}

extension NPKDCommand {
    struct Publish: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish what the NPKD trusts to an LDAP directory in the ICAO PKD layout, or compare the two (--verify).",
            discussion: """
                Entries go under dc=data,BASE: c=XX, then o=csca (CSCA and link certificates), o=dsc (Document Signers), o=crl \
                (the current CRL of each trusted CSCA key), o=ml and o=dl (trusted master and deviation lists), with the ICAO \
                PKD's object classes (pkdDownload, pkdVersion...; the schema is scripts/ldap/icao-pkd.schema). Only what differs \
                is written: new entries added, changed ones replaced, ones no longer trusted (a revoked DSC) removed; what is \
                written carries the next pkdVersion. --verify writes nothing, prints the differences and exits 1 if any.
                """)
        @OptionGroup var options: NPKDOptions
        @OptionGroup var directory: DirectoryOptions
        @Flag(help: "Compare the directory with the store; change nothing.") var verify = false

        func run() throws {
            let pkd = try options.open(create: false)
            try pkd.refreshTrust()
            let target = try directory.target()
            if !verify { try pkd.prepareDirectory(target) }
            let report = try pkd.publish(to: target, dryRun: verify)
            if verify {
                for dn in report.added { print("missing: \(dn)") }
                for dn in report.modified { print("differs: \(dn)") }
                for dn in report.removed { print("not trusted: \(dn)") }
                print(report.isInSync ? "in sync: \(report)" : "differences: \(report)")
                if !report.isInSync { throw ExitCode(1) }
            } else {
                print("published: \(report)")
                for line in report.refused { print("  refused by the directory: \(line)") }
            }
        }
    }

    struct Sync: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import what an upstream directory in the ICAO PKD layout holds (certificates, CRLs, master and deviation lists).",
            discussion: """
                Every entry under BASE with a certificate, CRL or list is read (paged) and imported as one ICAO PKD LDIF \
                collection would be, in one transaction; what is already held is merged, not added again.
                """)
        @OptionGroup var options: NPKDOptions
        @OptionGroup var directory: DirectoryOptions

        func run() throws {
            let pkd = try options.open()
            let (summary, entries) = try pkd.sync(from: try directory.target())
            print("\(entries) directory entries read; \(summary)")
            for note in summary.notes.prefix(20) { print("  note: \(note)") }
        }
    }
}

// Section `npkdsync` (issue 18, items 3 and 4): publication to and sync from an OpenLDAP directory at collection scale.
//
//   The collection of section npkdimport (30,000 DSCs under 60 CSCAs, 60 CRLs) is generated and imported into an
//   upstream data directory (not timed), then published with `NationalPKD.publish` into a private slapd (Debian's,
//   mdb, scripts/ldap/icao-pkd.schema, a free port on 127.0.0.1; timed in this process, wall and CPU), published a
//   second time with nothing changed (the comparison alone), and synced into a fresh data directory that trusts the
//   same 60 CSCAs through the master list, in a child process (this executable, `--only npkd-ldap-sync URL BASE
//   PASSWORDFILE DATADIR`) that reports its time, CPU time and peak resident memory like the import child.
//   Reference: the LDAP transfer alone, `ldapsearch -E pr=1000/noprompt` of the same entries and attributes to
//   /dev/null (wall time of the process, best of 3). The issue's goal: the sync within the import goal (5 s) plus
//   that transfer time.

import Foundation
import NPKD
import PKICore

enum NPKDSyncBenchmarks {
    static let base = "dc=download,dc=pkd,dc=icao,dc=int"
    static let rootDN = "cn=admin,dc=download,dc=pkd,dc=icao,dc=int"

    /// A slapd of the benchmark's own, stopped by `stop()`.
    final class Slapd {
        let process: Process
        let url: String
        let passwordFile: String

        init(directory: URL) throws {
            let database = directory.appendingPathComponent("slapd-db")
            try FileManager.default.createDirectory(at: database, withIntermediateDirectories: true)
            let password = UUID().uuidString
            passwordFile = directory.appendingPathComponent("slapd.pw").path
            try Data(password.utf8).write(to: URL(fileURLWithPath: passwordFile))
            let schema = NPKDBenchmarks.repositoryRoot().appendingPathComponent("scripts/ldap/icao-pkd.schema").path
            let conf = directory.appendingPathComponent("slapd.conf")
            try """
                include /etc/ldap/schema/core.schema
                include /etc/ldap/schema/cosine.schema
                include /etc/ldap/schema/inetorgperson.schema
                include \(schema)
                modulepath /usr/lib/ldap
                moduleload back_mdb
                sizelimit unlimited
                database mdb
                maxsize 8589934592
                suffix "\(NPKDSyncBenchmarks.base)"
                rootdn "\(NPKDSyncBenchmarks.rootDN)"
                rootpw \(password)
                directory \(database.path)

                """.write(to: conf, atomically: true, encoding: .utf8)
            let port = Int.random(in: 20_000...60_000)
            url = "ldap://127.0.0.1:\(port)"
            process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/slapd")
            process.arguments = ["-d", "0", "-f", conf.path, "-h", "\(url)/"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<100 {
                if try runProcess("ldapsearch", ["-x", "-LLL", "-H", url, "-b", "", "-s", "base", "namingContexts"]).status == 0 { return }
                Thread.sleep(forTimeInterval: 0.1)
            }
            process.terminate()
            throw UsageError("slapd did not answer on \(url) (is Debian's slapd installed? scripts/setup.sh)")
        }

        var target: NationalPKD.DirectoryTarget {
            get throws {
                NationalPKD.DirectoryTarget(url: url, base: NPKDSyncBenchmarks.base, bindDN: NPKDSyncBenchmarks.rootDN,
                                            password: Array(try Data(contentsOf: URL(fileURLWithPath: passwordFile))))
            }
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// The child process: syncs into a data directory and reports on it.
    static func childSync(url: String, base: String, passwordFile: String, directory: String) throws {
        let pkd = try NPKDBenchmarks.openPKD(URL(fileURLWithPath: directory))
        let password = Array(try Data(contentsOf: URL(fileURLWithPath: passwordFile)))
        let baselineRSS = NPKDBenchmarks.procStatusKilobytes("VmRSS")
        let cpuStart = NPKDBenchmarks.processCPUSeconds()
        let clock = ContinuousClock.now
        let (summary, entries) = try pkd.sync(from: NationalPKD.DirectoryTarget(url: url, base: base, bindDN: rootDN, password: password))
        let elapsed = durationSeconds(ContinuousClock.now - clock)
        let cpu = NPKDBenchmarks.processCPUSeconds() - cpuStart
        print("RESULT seconds=\(elapsed) cpu=\(cpu) baselineRssKB=\(baselineRSS) hwmKB=\(NPKDBenchmarks.procStatusKilobytes("VmHWM")) "
              + "maxrssKB=0 entries=\(entries) certificates=\(summary.certificatesAddedTotal) crls=\(summary.crlsAdded)")
    }

    static func run(_ options: Options, sink: inout Int) throws -> String {
        var rows: [String] = []
        let directory = try temporaryDirectory("epki-npkd-sync")
        defer { if !options.keep { try? FileManager.default.removeItem(at: directory) } }
        let collection = try NPKDImportBenchmarks.generate(in: directory, now: Date())
        guard let signer = collection.masterListSigner else { throw UsageError("no master list signer") }
        log("npkdsync: collection generated in \(String(format: "%.1f", collection.generationSeconds)) s; importing it upstream (not timed)")
        let upstream = try NPKDBenchmarks.openPKD(directory.appendingPathComponent("upstream"))
        _ = try upstream.importBytes(collection.masterList, source: "cscas.ml", options: ImportOptions(trustSigners: [signer]))
        _ = try upstream.importFile(atPath: collection.ldifPath)

        let slapd = try Slapd(directory: directory)
        defer { slapd.stop() }
        let target = try slapd.target
        try upstream.prepareDirectory(target)
        log("npkdsync: publishing to \(slapd.url); load average \(NPKDImportBenchmarks.loadAverage())")
        var cpu = NPKDBenchmarks.processCPUSeconds()
        var clock = ContinuousClock.now
        let first = try upstream.publish(to: target)
        let publishSeconds = durationSeconds(ContinuousClock.now - clock)
        let publishCPU = NPKDBenchmarks.processCPUSeconds() - cpu
        guard first.refused.isEmpty, first.counts["dsc"] == collection.dsCertificates.count - collection.revokedDSCs else {
            throw UsageError("the publication did not check out: \(first)")
        }
        cpu = NPKDBenchmarks.processCPUSeconds()
        clock = ContinuousClock.now
        let second = try upstream.publish(to: target)
        let compareSeconds = durationSeconds(ContinuousClock.now - clock)
        let compareCPU = NPKDBenchmarks.processCPUSeconds() - cpu
        guard second.isInSync else { throw UsageError("a second publication changed something: \(second)") }

        // The transfer alone: the entries and attributes sync asks for, through a client nobody here wrote.
        var transfer = Double.infinity
        for _ in 0..<3 {
            let start = ContinuousClock.now
            let result = try runProcess("/bin/sh", ["-c", "ldapsearch -x -LLL -o ldif-wrap=no -E pr=1000/noprompt -H \"$0\" -D \"$1\" -y \"$2\" -b \"$3\" \"$4\" "
                                                    + NationalPKD.syncAttributes.map { "'\($0)'" }.joined(separator: " ") + " > /dev/null",
                                                    slapd.url, rootDN, slapd.passwordFile, base, NationalPKD.syncFilter])
            guard result.status == 0 else { throw UsageError("ldapsearch: \(result.output)") }
            transfer = min(transfer, durationSeconds(ContinuousClock.now - start))
        }

        let local = directory.appendingPathComponent("local")
        let pkd = try NPKDBenchmarks.openPKD(local)
        _ = try pkd.importBytes(collection.masterList, source: "cscas.ml", options: ImportOptions(trustSigners: [signer]))
        log("npkdsync: syncing in a child process; load average \(NPKDImportBenchmarks.loadAverage())")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        child.arguments = ["--only", "npkd-ldap-sync", slapd.url, base, slapd.passwordFile, local.path]
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        guard child.terminationStatus == 0, let line = output.split(separator: "\n").first(where: { $0.hasPrefix("RESULT ") }) else {
            throw UsageError("the sync child failed (status \(child.terminationStatus)): \(output)")
        }
        var result = NPKDImportBenchmarks.ChildResult()
        for pair in line.split(separator: " ").dropFirst() {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2, let v = Double(kv[1]) { result.fields[String(kv[0])] = v }
        }
        let entries = Int(result.fields["entries"] ?? 0)
        let added = Int(result.fields["certificates"] ?? 0)
        sink &+= added
        let published = first.added.count
        rows.append("| Publication of the trusted collection (\(first.counts["csca"] ?? 0) CSCAs, \((first.counts["dsc"] ?? 0).formatted()) DSCs, \(first.counts["crl"] ?? 0) CRLs, \(first.counts["ml"] ?? 0) ML; \(published.formatted()) entries with containers) into slapd, in process: wall / CPU | \(NPKDImportBenchmarks.seconds(publishSeconds)) / \(NPKDImportBenchmarks.seconds(publishCPU)) | — | — |")
        rows.append("| The same publication again, nothing changed (read back and compared): wall / CPU | \(NPKDImportBenchmarks.seconds(compareSeconds)) / \(NPKDImportBenchmarks.seconds(compareCPU)) | — | — |")
        rows.append("| LDAP transfer alone: `ldapsearch -E pr=1000` of the \(entries.formatted()) entries sync reads, to /dev/null (wall, best of 3) | \(NPKDImportBenchmarks.seconds(transfer)) | — | — |")
        rows.append("| Sync into a fresh store (the 60 CSCAs trusted through the master list): \(entries.formatted()) entries read, \(added.formatted()) certificates added; child process: wall / CPU | \(NPKDImportBenchmarks.seconds(result.seconds)) / \(NPKDImportBenchmarks.seconds(result.cpuSeconds)) | ≤ 5 s + transfer = \(NPKDImportBenchmarks.seconds(5 + transfer)) | \(NPKDBenchmarks.met(result.seconds <= 5 + transfer)) |")
        rows.append("| Peak RSS of the syncing process (VmHWM; \(NPKDImportBenchmarks.megabytes(result.baselineMB)) before) | \(NPKDImportBenchmarks.megabytes(result.peakMB)) | — | — |")
        return """
            ## npkdsync

            | Measurement | Result | Goal | Met |
            |---|---:|---:|---|
            \(rows.joined(separator: "\n"))
            """
    }
}

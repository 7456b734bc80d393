// Section `npkdimport` (issue 18): the NPKD's import at national scale, each part in a fresh data directory, each
// import in a child process (this executable, `--only npkd-crl-import FILE DATADIR`) that reports its time, its CPU
// time and its peak resident memory (VmHWM of /proc/self/status, which starts afresh at exec; ru_maxrss is printed
// too, but Linux carries the parent's high-water mark into it across posix_spawn).
//
//   1. A generated collection shaped like ICAO PKD collection 001: 60 CSCAs (50 P-256, 10 RSA-2048, from our own
//      ICAOCertificateIssuer), 500 Document Signer certificates under each (30,000, each with its own P-256 key,
//      explicit parameters, 8-octet serials), one CRL per CSCA revoking two of its DSCs, and one of them carrying
//      50,000 more entries (16-octet serials). Names, serials, validity and which DSCs are revoked are deterministic;
//      keys and ECDSA signatures are not. The 60 CSCAs arrive first in a master list whose signer is trusted
//      (importBytes in this process); the child then imports the collection's LDIF (folded, ICAO layout, one
//      pkdVersion per entry). Checked afterwards: 29,880 DSCs usable, 120 revoked, 60 CRLs current.
//      Reference: the same 30,000 DER certificates through d2i_X509 + X509_verify with their CSCA's key, and the 60
//      CRLs through d2i_X509_CRL + X509_CRL_verify (Sources/RawX509), in this process, on one thread.
//   2. One CRL of `--npkd-crl-entries` entries (1,000,000 by default), twice: 4-octet serials in ascending order (as
//      section npkd) and 16-octet pseudo-random serials in no order (as real CAs write them). The CSCA is trusted
//      first. Reference: `openssl crl -inform DER -CAfile CSCA -noout` (wall time of the process), and
//      d2i_X509_CRL + X509_CRL_verify + a walk over the entries through RawX509.

import CSCA
import Foundation
import ICAOProfile
import NPKD
import PKICore
import RawX509
import Store

enum NPKDImportBenchmarks {
    static let day: TimeInterval = 86_400
    static let dscsPerCSCA = 500
    static let bigCRLExtraEntries = 50_000
    /// 60 participants' country codes.
    static let countries = [
        "AD", "AE", "AL", "AM", "AR", "AT", "AU", "AZ", "BA", "BD", "BE", "BG", "BH", "BJ", "BR", "BW", "BY", "CA", "CH", "CL",
        "CN", "CO", "CR", "CY", "CZ", "DE", "DK", "DZ", "EC", "EE", "ES", "FI", "FR", "GB", "GE", "GH", "GR", "HR", "HU", "ID",
        "IE", "IL", "IN", "IS", "IT", "JP", "KR", "KZ", "LT", "LU", "LV", "MA", "MD", "MX", "MY", "NG", "NL", "NO", "NZ", "PL",
    ]

    /// splitmix64: the deterministic serial numbers.
    static func mix(_ seed: UInt64) -> UInt64 {
        var z = seed &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A positive serial of `length` octets (first octet 0x01...0x7F), from a seed.
    static func serial(seed: UInt64, length: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: length)
        var state = seed
        var index = 0
        while index < length {
            state = mix(state)
            for shift in stride(from: 0, to: 64, by: 8) where index < length {
                bytes[index] = UInt8(truncatingIfNeeded: state >> UInt64(shift))
                index += 1
            }
        }
        bytes[0] = max(1, bytes[0] & 0x7F)
        return bytes
    }

    struct Participant {
        let country: String
        let signer: SoftwareSigner
        let csca: Certificate
        let issuer: ICAOCertificateIssuer
    }

    struct Collection {
        var participants: [Participant] = []
        var dsCertificates: [[UInt8]] = []
        var issuerOfDS: [Int32] = []
        var crls: [(der: [UInt8], issuer: Int)] = []
        var masterList: [UInt8] = []
        var masterListSigner: Certificate?
        var revokedDSCs = 0
        var ldifPath = ""
        var ldifBytes = 0
        var generationSeconds = 0.0
    }

    // MARK: LDIF in the ICAO layout

    static let base = "dc=data,dc=download,dc=pkd,dc=icao,dc=int"

    /// The name as LDAP writes it (RFC 4514: last RDN first), escaped for use as an RDN value.
    static func escapedLDAPName(_ name: DistinguishedName) -> String {
        let text = name.rdns.reversed().map { $0.attributes.map(\.description).joined(separator: "+") }.joined(separator: ",")
        var out = ""
        for character in text {
            if character == "\\" || character == "," || character == "=" || character == "+" { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// Writes LDIF lines folded at 76 columns, buffering 1 MiB at a time.
    struct LDIFFile {
        let handle: FileHandle
        var buffer: [UInt8] = []
        var written = 0

        init(path: String) throws {
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                throw UsageError("cannot write \(path)")
            }
            self.handle = handle
            buffer.reserveCapacity(1 << 20)
        }

        mutating func line(_ text: String) throws {
            var rest = Substring(text)
            var first = true
            while !rest.isEmpty {
                if !first { buffer.append(0x20) }
                let width = first ? 76 : 75
                buffer.append(contentsOf: rest.prefix(width).utf8)
                buffer.append(0x0A)
                rest = rest.dropFirst(width)
                first = false
            }
            if buffer.count >= 1 << 20 { try flush() }
        }

        mutating func blank() throws { buffer.append(0x0A) }

        mutating func flush() throws {
            try handle.write(contentsOf: buffer)
            written += buffer.count
            buffer.removeAll(keepingCapacity: true)
        }

        mutating func close() throws {
            try flush()
            try handle.close()
        }
    }

    // MARK: Generation

    static func generate(in directory: URL, now: Date) throws -> Collection {
        let start = ContinuousClock.now
        var collection = Collection()
        let count = countries.count
        // The CSCAs: every sixth RSA-2048, the others P-256 with explicit parameters in the certificates.
        let participants = Slots<Participant>(count)
        let failure = Slots<String>(1)
        DispatchQueue.concurrentPerform(iterations: count) { index in
            do {
                let country = countries[index]
                let specification: KeySpecification = index % 6 == 5 ? .rsa(bits: 2048) : .ec(.p256, parameters: .namedCurve)
                let signer = SoftwareSigner(key: try PrivateKey.generate(specification))
                let csca = try ICAOCertificateIssuer.selfSignedCSCA(
                    subject: DistinguishedName(parsing: "C=\(country),O=Government of \(country),CN=CSCA \(country)"), signer: signer,
                    keyUsageStart: now.addingTimeInterval(-400 * day), crlDistributionPoints: ["https://pkd.example/\(country).crl"],
                    ecParameters: .explicit)
                participants.set(index, Participant(country: country, signer: signer, csca: csca,
                                                    issuer: try ICAOCertificateIssuer(signer: signer, cscaCertificate: csca)))
            } catch {
                failure.set(0, "CSCA \(index): \(error)")
            }
        }
        if let message = failure.all[0] { throw UsageError(message) }
        collection.participants = participants.all.compactMap { $0 }
        log("npkdimport: 60 CSCAs generated in \(ContinuousClock.now - start)")

        // The DSCs, 500 per CSCA, each with its own key.
        let certificates = Slots<[[UInt8]]>(count)
        let cscas = collection.participants
        DispatchQueue.concurrentPerform(iterations: count) { index in
            do {
                let participant = cscas[index]
                var ders: [[UInt8]] = []
                ders.reserveCapacity(dscsPerCSCA)
                for number in 0..<dscsPerCSCA {
                    let key = try PrivateKey.generate(.ec(.p256, parameters: .namedCurve))
                    let subject = try DistinguishedName(parsing: "C=\(participant.country),O=Government of \(participant.country),OU=Passports,CN=Document Signer \(number + 1)")
                    let certificate = try participant.issuer.issueDocumentSigner(
                        subject: subject, publicKey: key.publicKey, documentTypes: ["P"],
                        keyUsageStart: now.addingTimeInterval(-Double(10 + number % 200) * day), ecParameters: .explicit,
                        serialNumber: serial(seed: UInt64(index * 1_000_000 + number), length: 8))
                    ders.append(certificate.derEncoded)
                }
                certificates.set(index, ders)
            } catch {
                failure.set(0, "DSCs of CSCA \(index): \(error)")
            }
        }
        if let message = failure.all[0] { throw UsageError(message) }
        for (index, ders) in certificates.all.enumerated() {
            for der in ders ?? [] {
                collection.dsCertificates.append(der)
                collection.issuerOfDS.append(Int32(index))
            }
        }
        log("npkdimport: \(collection.dsCertificates.count) DSCs generated, \(ContinuousClock.now - start) so far")

        // One CRL per CSCA revoking its DSCs 8 and 302; the first carries 50,000 more entries.
        let thisUpdate = now.addingTimeInterval(-day)
        let revocationTime = try Time(thisUpdate.addingTimeInterval(-day))
        for (index, participant) in collection.participants.enumerated() {
            let revokedSerials = [7, 301].map { serial(seed: UInt64(index * 1_000_000 + $0), length: 8) }
            var entries = revokedSerials.map { RevokedCertificate(serialNumber: $0[...], revocationDate: revocationTime) }
            if index == 0 {
                entries += (0..<bigCRLExtraEntries).map {
                    RevokedCertificate(serialNumber: serial(seed: 0xC0FFEE_0000 + UInt64($0), length: 16)[...], revocationDate: revocationTime)
                }
            }
            let crl = try participant.issuer.issueCRL(number: 1, thisUpdate: thisUpdate, nextUpdate: thisUpdate.addingTimeInterval(30 * day),
                                                      revoked: entries)
            collection.crls.append((crl.derEncoded, index))
            collection.revokedDSCs += revokedSerials.count
        }

        // The master list of the 60 CSCAs, signed by a Master List Signer of a CSCA "UN".
        let unSigner = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        let unCSCA = try ICAOCertificateIssuer.selfSignedCSCA(
            subject: DistinguishedName(parsing: "C=UN,O=United Nations,CN=CSCA UN"), signer: unSigner,
            keyUsageStart: now.addingTimeInterval(-400 * day), crlDistributionPoints: ["https://pkd.example/UN.crl"], ecParameters: .explicit)
        let unIssuer = try ICAOCertificateIssuer(signer: unSigner, cscaCertificate: unCSCA)
        let mlsKey = SoftwareSigner(key: try PrivateKey.generate(.ec(.p256, parameters: .namedCurve)))
        let mls = try unIssuer.issueListSigner(.masterList, subject: DistinguishedName(parsing: "C=UN,CN=Master List Signer"),
                                               publicKey: mlsKey.publicKey, notBefore: now.addingTimeInterval(-20 * day))
        collection.masterList = try SignedDataBuilder(
            eContentType: .ICAO.cscaMasterList, content: try CscaMasterList(certificates: collection.participants.map(\.csca)).derEncoded,
            signerCertificate: mls, signingTime: now.addingTimeInterval(-day), additionalCertificates: [unCSCA]
        ).sign(with: mlsKey).contentInfoDER()
        collection.masterListSigner = mls

        // The LDIF: containers, then each country's DSCs and CRL, one pkdVersion per entry.
        let lastVersion = collection.dsCertificates.count + collection.crls.count
        collection.ldifPath = directory.appendingPathComponent(String(format: "icaopkd-001-complete-%06d.ldif", lastVersion)).path
        var file = try LDIFFile(path: collection.ldifPath)
        try file.line("version: 1")
        try file.blank()
        for line in ["dn: \(base)", "objectClass: top", "objectClass: domain", "dc: data"] { try file.line(line) }
        try file.blank()
        var version = 0
        var dsIndex = 0
        for (index, participant) in collection.participants.enumerated() {
            let country = participant.country
            for line in ["dn: c=\(country),\(base)", "objectClass: top", "objectClass: country", "c: \(country)"] { try file.line(line) }
            try file.blank()
            for organization in ["dsc", "crl"] {
                for line in ["dn: o=\(organization),c=\(country),\(base)", "objectClass: top", "objectClass: organization", "o: \(organization)"] {
                    try file.line(line)
                }
                try file.blank()
            }
            while dsIndex < collection.dsCertificates.count, collection.issuerOfDS[dsIndex] == Int32(index) {
                let der = collection.dsCertificates[dsIndex]
                let certificate = try Certificate(bytes: der)
                version += 1
                try file.line("dn: cn=\(escapedLDAPName(certificate.subject))+sn=\(certificate.serialNumberHex),o=dsc,c=\(country),\(base)")
                try file.line("pkdVersion: \(version)")
                try file.line("userCertificate;binary:: \(Data(der).base64EncodedString())")
                try file.line("sn: \(certificate.serialNumberHex)")
                try file.line("cn: \(certificate.subject.rdns.reversed().map { $0.attributes.map(\.description).joined(separator: "+") }.joined(separator: ","))")
                for objectClass in ["inetOrgPerson", "pkdDownload", "organizationalPerson", "person", "top"] {
                    try file.line("objectClass: \(objectClass)")
                }
                try file.blank()
                dsIndex += 1
            }
            let crl = collection.crls[index]
            version += 1
            try file.line("dn: cn=\(escapedLDAPName(participant.csca.subject)),o=crl,c=\(country),\(base)")
            try file.line("pkdVersion: \(version)")
            try file.line("certificateRevocationList;binary:: \(Data(crl.der).base64EncodedString())")
            for objectClass in ["cRLDistributionPoint", "pkdDownload", "top"] { try file.line("objectClass: \(objectClass)") }
            try file.blank()
        }
        try file.close()
        collection.ldifBytes = file.written
        collection.generationSeconds = durationSeconds(ContinuousClock.now - start)
        return collection
    }

    // MARK: The child's report

    struct ChildResult {
        var fields: [String: Double] = [:]
        var seconds: Double { fields["seconds"] ?? .nan }
        var cpuSeconds: Double { fields["cpu"] ?? .nan }
        var peakMB: Double { (fields["hwmKB"] ?? 0) / 1024 }
        var baselineMB: Double { (fields["baselineRssKB"] ?? 0) / 1024 }
        var maxrssMB: Double { (fields["maxrssKB"] ?? 0) / 1024 }
    }

    /// The load average (1, 5, 15 minutes) as /proc/loadavg gives it.
    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "n/a"
    }

    /// Runs `--only npkd-crl-import FILE DIR` in a child process and reads its RESULT line.
    static func importInChild(file: String, directory: URL) throws -> ChildResult {
        log("npkdimport: load average before the import: \(loadAverage())")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        child.arguments = ["--only", "npkd-crl-import", file, directory.path]
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        guard child.terminationStatus == 0, let line = output.split(separator: "\n").first(where: { $0.hasPrefix("RESULT ") }) else {
            throw UsageError("the import child failed (status \(child.terminationStatus)): \(output)")
        }
        var result = ChildResult()
        log("npkdimport: load average after the import: \(loadAverage())")
        for pair in line.split(separator: " ").dropFirst() {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2, let v = Double(kv[1]) { result.fields[String(kv[0])] = v }
        }
        return result
    }

    // MARK: The raw references

    static func rawCertificates(issuers: [[UInt8]], certificates: [[UInt8]], issuerIndex: [Int32]) throws -> raw_x509_result {
        func pack(_ items: [[UInt8]]) -> (bytes: [UInt8], offsets: [Int]) {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(items.reduce(0) { $0 + $1.count })
            var offsets = [0]
            for item in items {
                bytes += item
                offsets.append(bytes.count)
            }
            return (bytes, offsets)
        }
        let packedIssuers = pack(issuers)
        let packedCertificates = pack(certificates)
        let result = packedIssuers.bytes.withUnsafeBufferPointer { issuerBytes in
            packedIssuers.offsets.withUnsafeBufferPointer { issuerOffsets in
                packedCertificates.bytes.withUnsafeBufferPointer { certificateBytes in
                    packedCertificates.offsets.withUnsafeBufferPointer { certificateOffsets in
                        issuerIndex.withUnsafeBufferPointer { index in
                            raw_x509_parse_verify(issuerBytes.baseAddress, issuerOffsets.baseAddress, issuers.count, certificateBytes.baseAddress,
                                                  certificateOffsets.baseAddress, index.baseAddress, certificates.count)
                        }
                    }
                }
            }
        }
        guard result.ok == 1 else { throw UsageError("raw_x509_parse_verify: \(errorText(result))") }
        return result
    }

    static func rawCRL(_ crl: [UInt8], issuer: [UInt8]) throws -> raw_x509_result {
        let result = crl.withUnsafeBufferPointer { crlBytes in
            issuer.withUnsafeBufferPointer { issuerBytes in
                raw_crl_parse_verify(crlBytes.baseAddress, crl.count, issuerBytes.baseAddress, issuer.count)
            }
        }
        guard result.ok == 1 else { throw UsageError("raw_crl_parse_verify: \(errorText(result))") }
        return result
    }

    static func errorText(_ result: raw_x509_result) -> String {
        withUnsafeBytes(of: result.error) { raw in String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }

    static func seconds(_ value: Double) -> String { String(format: "%.2f s", value) }
    static func megabytes(_ value: Double) -> String { String(format: "%.0f MB", value) }

    // MARK: Run

    static func run(_ options: Options, sink: inout Int) throws -> String {
        var rows: [String] = []
        var notes: [String] = []
        var directories: [URL] = []
        defer {
            if options.keep { log("kept: \(directories.map(\.path).joined(separator: " "))") } else {
                for d in directories { try? FileManager.default.removeItem(at: d) }
            }
        }
        let now = Date()

        // 1. The collection.
        do {
            let directory = try temporaryDirectory("epki-npkd-collection")
            directories.append(directory)
            let collection = try generate(in: directory, now: now)
            let bigCRLBytes = collection.crls.first?.der.count ?? 0
            log("npkdimport: collection generated in \(String(format: "%.1f", collection.generationSeconds)) s: \(collection.dsCertificates.count) DSCs, \(collection.crls.count) CRLs, LDIF \(collection.ldifBytes) bytes")
            let dataDirectory = directory.appendingPathComponent("data")
            let pkd = try NPKDBenchmarks.openPKD(dataDirectory)
            guard let signer = collection.masterListSigner else { throw UsageError("no master list signer") }
            let listSummary = try pkd.importBytes(collection.masterList, source: "cscas.ml", options: ImportOptions(trustSigners: [signer]))
            guard listSummary.anchorsAdded == collection.participants.count else {
                throw UsageError("the master list gave \(listSummary.anchorsAdded) anchors, not \(collection.participants.count)")
            }
            if options.keep {
                // For a profiler: the data directory as the child finds it (run the child on a copy of it).
                try FileManager.default.copyItem(at: dataDirectory, to: directory.appendingPathComponent("data-before-import"))
            }
            log("npkdimport: importing the collection in a child process")
            let result = try importInChild(file: collection.ldifPath, directory: dataDirectory)
            let status = try pkd.status()
            let ds = status.certificates["ds"] ?? [:]
            let usable = (ds[TrustState.trusted.rawValue] ?? 0) + (ds[TrustState.nonConformantAccepted.rawValue] ?? 0)
            let revoked = ds[TrustState.revoked.rawValue] ?? 0
            guard usable == collection.dsCertificates.count - collection.revokedDSCs, revoked == collection.revokedDSCs,
                  status.currentCRLs == collection.crls.count else {
                throw UsageError("the collection did not import as expected: DS states \(ds), \(status.currentCRLs) current CRLs")
            }
            log("npkdimport: imported in \(seconds(result.seconds)), \(megabytes(result.peakMB)) peak; now the raw reference")
            var raw: [raw_x509_result] = []
            var rawCRLs: [raw_x509_result] = []
            for _ in 0..<3 {
                raw.append(try rawCertificates(issuers: collection.participants.map(\.csca.derEncoded), certificates: collection.dsCertificates,
                                               issuerIndex: collection.issuerOfDS))
                rawCRLs.append(contentsOf: try collection.crls.map { try rawCRL($0.der, issuer: collection.participants[$0.issuer].csca.derEncoded) })
            }
            let bestCertificates = raw.min { $0.cpuSeconds < $1.cpuSeconds } ?? raw_x509_result()
            guard bestCertificates.verified == collection.dsCertificates.count else {
                throw UsageError("OpenSSL verified \(bestCertificates.verified) of \(collection.dsCertificates.count) DSCs")
            }
            // The CRLs' best round: the 60 CRLs of each round summed, the best of three.
            let perRound = stride(from: 0, to: rawCRLs.count, by: collection.crls.count).map {
                rawCRLs[$0..<min($0 + collection.crls.count, rawCRLs.count)].reduce(0.0) { $0 + $1.cpuSeconds }
            }
            let crlCPU = perRound.min() ?? .nan
            let rawCPU = bestCertificates.cpuSeconds + crlCPU
            sink &+= Int(bestCertificates.verified)
            rows.append("| Collection import: \(collection.dsCertificates.count.formatted()) DSCs under \(collection.participants.count) CSCAs, \(collection.crls.count) CRLs (one of \((bigCRLExtraEntries + 2).formatted()) entries, \(bigCRLBytes / 1024) KiB), LDIF \(String(format: "%.1f", Double(collection.ldifBytes) / 1_048_576)) MiB; child process: wall / CPU | \(seconds(result.seconds)) / \(seconds(result.cpuSeconds)) | ≤ 5 s | \(NPKDBenchmarks.met(result.seconds <= 5)) |")
            rows.append("| Peak RSS of the importing process (VmHWM; \(megabytes(result.baselineMB)) before the import; ru_maxrss \(megabytes(result.maxrssMB))) | \(megabytes(result.peakMB)) | ≤ 200 MB | \(NPKDBenchmarks.met(result.peakMB <= 200)) |")
            rows.append("| Raw OpenSSL: d2i_X509 + X509_verify of the \(collection.dsCertificates.count.formatted()) DSCs with their CSCA's key, then d2i_X509_CRL + X509_CRL_verify of the \(collection.crls.count) CRLs (one thread, CPU, best of 3) | \(seconds(bestCertificates.cpuSeconds)) + \(seconds(crlCPU)) = \(seconds(rawCPU)) | — | — |")
            let verifyOnly = raw.map(\.verifyCPUSeconds).min() ?? .nan
            rows.append("| Raw OpenSSL, X509_verify alone over the parsed DSCs (the signature arithmetic; CPU, best of 3) | \(seconds(verifyOnly)) | — | — |")
            rows.append("| Import CPU / X509_verify alone (verify / import) | \(String(format: "%.1f× (%.3f)", result.cpuSeconds / verifyOnly, verifyOnly / result.cpuSeconds)) | — | — |")
            rows.append("| Import CPU / raw OpenSSL CPU (raw / import) | \(String(format: "%.1f× (%.3f)", result.cpuSeconds / rawCPU, rawCPU / result.cpuSeconds)) | — | — |")
            notes.append("collection: generated in \(String(format: "%.1f", collection.generationSeconds)) s; \(collection.dsCertificates.count / max(1, Int(result.seconds.rounded(.up)))) DSCs/s or more; per DSC \(String(format: "%.0f", result.seconds / Double(collection.dsCertificates.count) * 1e6)) µs of wall time, raw \(String(format: "%.0f", bestCertificates.cpuSeconds / Double(collection.dsCertificates.count) * 1e6)) µs")
        }

        // 2. One big CRL, two serial shapes.
        for shape in [(name: "4-octet ascending serials", length: 4, ascending: true), (name: "16-octet pseudo-random serials", length: 16, ascending: false)] {
            let directory = try temporaryDirectory("epki-npkd-bigcrl")
            directories.append(directory)
            let country = try NPKDBenchmarks.Country()
            let dataDirectory = directory.appendingPathComponent("data")
            let pkd = try NPKDBenchmarks.openPKD(dataDirectory)
            _ = try pkd.trust(country.csca)
            let entries = options.npkdCRLEntries
            let time = try Time(country.now.addingTimeInterval(-2 * day))
            let generation = ContinuousClock.now
            let length = shape.length
            let ascending = shape.ascending
            let big = try CRLBuilder(issuer: country.csca.subject, thisUpdate: country.now.addingTimeInterval(-day / 2),
                                     nextUpdate: country.now.addingTimeInterval(7 * day),
                                     authorityKeyIdentifier: country.csca.subjectKeyIdentifier ?? [], crlNumber: CRLNumber(2))
                .sign(entries: (0..<entries).lazy.map { index in
                    RevokedCertificate(serialNumber: (ascending ? NPKDBenchmarks.serial(index) : serial(seed: 0xB16_0000_0000 + UInt64(index), length: length))[...],
                                       revocationDate: time)
                }, with: country.cscaSigner)
            let der = big.derEncoded
            let crlPath = directory.appendingPathComponent("big.crl").path
            try Data(der).write(to: URL(fileURLWithPath: crlPath))
            let cscaPath = directory.appendingPathComponent("csca.pem").path
            try country.csca.pemEncoded.write(toFile: cscaPath, atomically: true, encoding: .utf8)
            log("npkdimport: built a CRL of \(entries) entries, \(shape.name) (\(der.count) bytes) in \(ContinuousClock.now - generation)")
            if options.keep { try FileManager.default.copyItem(at: dataDirectory, to: directory.appendingPathComponent("data-before-import")) }
            let result = try importInChild(file: crlPath, directory: dataDirectory)
            let imported = Int(result.fields["entries"] ?? 0)
            let probe = ascending ? NPKDBenchmarks.serial(entries / 2) : serial(seed: 0xB16_0000_0000 + UInt64(entries / 2), length: length)
            let hit = try pkd.revocation(issuer: country.csca.subjectKeyIdentifier?.hexString ?? "", serial: probe.hexString).status
            guard imported == entries, hit == .revoked else {
                throw UsageError("the big CRL import did not check out: \(imported) entries, probe \(hit)")
            }
            var rawBest = Double.infinity
            var cliBest = Double.infinity
            for _ in 0..<3 {
                let raw = try rawCRL(der, issuer: country.csca.derEncoded)
                guard raw.verified == 1, raw.parsed == entries else { throw UsageError("OpenSSL read \(raw.parsed) entries, verified \(raw.verified)") }
                rawBest = min(rawBest, raw.cpuSeconds)
                let start = ContinuousClock.now
                let cli = try runProcess(options.openssl, ["crl", "-inform", "DER", "-in", crlPath, "-CAfile", cscaPath, "-noout"])
                guard cli.status == 0, cli.output.contains("verify OK") else { throw UsageError("openssl crl -CAfile: \(cli.output)") }
                cliBest = min(cliBest, durationSeconds(ContinuousClock.now - start))
            }
            rows.append("| \(entries.formatted())-entry CRL, \(shape.name), \(String(format: "%.1f", Double(der.count) / 1_048_576)) MiB DER; child process: wall / CPU | \(seconds(result.seconds)) / \(seconds(result.cpuSeconds)) | ≤ 3 s | \(NPKDBenchmarks.met(result.seconds <= 3)) |")
            rows.append("| Peak RSS of that import (VmHWM; \(megabytes(result.baselineMB)) before; ru_maxrss \(megabytes(result.maxrssMB))) | \(megabytes(result.peakMB)) | ≤ 150 MB | \(NPKDBenchmarks.met(result.peakMB <= 150)) |")
            rows.append("| Raw OpenSSL on the same CRL: `openssl crl -inform DER -CAfile -noout` (wall, process) / d2i_X509_CRL + X509_CRL_verify + entry walk (CPU), best of 3 | \(seconds(cliBest)) / \(seconds(rawBest)) | — | — |")
            rows.append("| Import CPU / raw CPU (raw / import) | \(String(format: "%.1f× (%.3f)", result.cpuSeconds / rawBest, rawBest / result.cpuSeconds)) | — | — |")
        }

        return """
            ## npkdimport

            | Measurement | Result | Goal | Met |
            |---|---:|---:|---|
            \(rows.joined(separator: "\n"))

            \(notes.joined(separator: "\n"))
            """
    }
}

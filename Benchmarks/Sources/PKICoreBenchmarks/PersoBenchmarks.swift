// The perso section: the personalization line through a private pcscd with vpcd, blank virtual chips one after
// another on one and on two readers (the two slots of the vpcd reader). Per document: the time of each step
// (order, probe, keys, sign, write, lock, verify), the APDUs and bytes, and documents per minute per reader, with
// and without the card change. The write and lock steps are then replayed, the same APDU bytes, through a raw
// SCardTransmit loop in C onto a fresh blank chip: the ratio says what the line's own code adds to the card traffic.

import ChipAccess
import CVC
import Foundation
import Inspection
import LDS
import Personalization
import PKICore
import RawPCSC
import SmartCard
import Store
import VirtualChip

enum PersoBenchmarks {
    /// Records the commands after the probe, up to and including the lock, as the line sent them.
    final class RecordingTransport: CardTransport, @unchecked Sendable {
        let inner: any CardTransport
        var commands: [[UInt8]] = []
        var recording = false

        init(_ inner: any CardTransport) { self.inner = inner }

        func transmit(_ command: [UInt8]) throws -> [UInt8] {
            // The first CREATE FILE starts the write; the lock (PUT DATA DE AD) ends it.
            if command.count >= 2 && command[1] == 0xE0 && commands.isEmpty { recording = true }
            if recording { commands.append(command) }
            if command.count >= 4 && command[1] == 0xDA && command[2] == 0xDE && command[3] == 0xAD { recording = false }
            return try inner.transmit(command)
        }
    }

    struct Line {
        let line: PersonalizationLine
        let store: EPKIStore
    }

    /// The line with every key on `curve`: brainpoolP256r1 (the default profile, as an EU passport) or P-256 (PACE and
    /// CA with parameter id 12, AA, DS, CSCA and the EAC chain on it, as the passports of NIST-curve countries).
    static func makeLine(directory: URL, curve: ECCurve = .brainpoolP256r1) throws -> Line {
        let now = Date()
        let cscaSigner = SoftwareSigner(key: try PrivateKey.generate(.ec(curve, parameters: .namedCurve)))
        let name = try DistinguishedName(parsing: "C=UT,O=Utopia,CN=CSCA UT")
        var cscaExtensions = Extensions()
        try cscaExtensions.append(KeyUsage([.keyCertSign, .cRLSign]), critical: true)
        try cscaExtensions.append(BasicConstraints(isCertificateAuthority: true, pathLengthConstraint: 0), critical: true)
        try cscaExtensions.append(SubjectKeyIdentifier(keyIdentifier: cscaSigner.publicKey.keyIdentifier), critical: false)
        let csca = try CertificateBuilder(issuer: name, subject: name, notBefore: now.addingTimeInterval(-86_400), notAfter: now.addingTimeInterval(3_650 * 86_400),
                                          subjectPublicKeyInfo: cscaSigner.publicKey.subjectPublicKeyInfo, extensions: cscaExtensions).sign(with: cscaSigner)
        let dsKey = try PrivateKey.generate(.ec(curve, parameters: .namedCurve))
        var dsExtensions = Extensions()
        try dsExtensions.append(KeyUsage.digitalSignature, critical: true)
        try dsExtensions.append(AuthorityKeyIdentifier(keyIdentifier: cscaSigner.publicKey.keyIdentifier), critical: false)
        let ds = try CertificateBuilder(issuer: name, subject: try DistinguishedName(parsing: "C=UT,O=Utopia,CN=DS"), notBefore: now.addingTimeInterval(-86_400),
                                        notAfter: now.addingTimeInterval(3_650 * 86_400), subjectPublicKeyInfo: dsKey.publicKey.subjectPublicKeyInfo,
                                        extensions: dsExtensions).sign(with: cscaSigner)
        let specification = KeySpecification.ec(curve, parameters: .namedCurve)
        let cvcaSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        let dvSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        let isSigner = SoftwareSigner(key: try PrivateKey.generate(specification))
        let start = try CVDate(now.addingTimeInterval(-86_400))
        let cvca = try CVCertificateBuilder.selfSignedCVCA(
            signer: cvcaSigner, algorithm: .ecdsaSHA256, chr: CertificationAuthorityReference(countryCode: "UT", holderMnemonic: "CVCA", sequenceNumber: "00001"),
            rights: [0x03], effectiveDate: start, expirationDate: try start.adding(months: 36))
        let dv = try CVCertificateBuilder.documentVerifier(
            publicKey: CVPublicKey(dvSigner.publicKey, algorithm: .ecdsaSHA256, includeDomainParameters: false),
            chr: CertificationAuthorityReference(countryCode: "UT", holderMnemonic: "DVPL", sequenceNumber: "00001"), role: .domesticDV,
            rights: [0x03], effectiveDate: start, expirationDate: try start.adding(months: 3), issuer: cvca, issuerSigner: cvcaSigner)
        let terminal = try CVCertificateBuilder.terminal(
            publicKey: CVPublicKey(isSigner.publicKey, algorithm: .ecdsaSHA256, includeDomainParameters: false),
            chr: CertificationAuthorityReference(countryCode: "UT", holderMnemonic: "PLIS", sequenceNumber: "00001"),
            rights: [0x01], effectiveDate: start, expirationDate: try start.adding(months: 1), issuer: dv, issuerSigner: dvSigner,
            issuerDomainParameters: cvca.publicKey.domainParameters)
        let store = try EPKIStore(directory: directory.appendingPathComponent("data"), migrations: PersonalizationJournal.migrations)
        let journal = try PersonalizationJournal(store: store, domain: "bench")
        let credentials = InspectionSystem.TerminalCredentials(chain: [cvca, dv, terminal], key: isSigner)
        let line = PersonalizationLine(
            journal: journal, builder: try DocumentBuilder(profile: profile(curve), trustPoints: [cvca]),
            sodSigner: try SODSigner(signer: SoftwareSigner(key: dsKey), documentSigner: ds),
            readBack: BenchReadBack(csca: csca, terminal: credentials))
        return Line(line: line, store: store)
    }

    /// The default chip profile, or the same protocols on P-256.
    static func profile(_ curve: ECCurve) -> ChipProfile {
        guard curve == .p256 else { return ChipProfile() }
        return ChipProfile(pace: .init(parameterId: 12), chipAuthentication: .init(parameterId: 12), activeAuthentication: .init(key: "ec:P-256"))
    }

    /// The read-back of `epki perso`: inspection with TA, every data group compared.
    struct BenchReadBack: ChipReadBack {
        let csca: Certificate
        let terminal: InspectionSystem.TerminalCredentials

        func verify(_ content: ChipContent, transport: any CardTransport) throws -> ReadBackResult {
            let system = InspectionSystem(password: .can(content.can ?? ""), terminal: terminal,
                                          passiveAuthentication: PassiveAuthentication(trustSource: StaticTrustSource(cscas: [csca])))
            let report = system.inspect(transport)
            let equal = content.dataGroups.allSatisfy { report.dataGroups[$0.key] == $0.value }
            return ReadBackResult(passed: report.summary == "genuine" && equal, summary: report.summary)
        }
    }

    /// A passport-sized order: a 20 KB JPEG face and two 10 KB WSQ fingers.
    static func order(_ number: Int) -> DocumentOrder {
        let photo: [UInt8] = [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x02, 0x80, 0x01, 0xE0, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]
            + (0..<20_000).map { UInt8(($0 &* 31 &+ number) % 251) } + [0xFF, 0xD9]
        let finger: (Int) -> [UInt8] = { index in
            [0xFF, 0xA0, 0xFF, 0xA2, 0x00, 0x11, 0x00, 0xFF, 0x01, 0xF4, 0x01, 0x90] + [UInt8](repeating: 0, count: 11)
                + (0..<10_000).map { UInt8(($0 &+ index &+ number) % 239) }
        }
        var order = DocumentOrder(mrz: [], can: "123456", photo: photo, fingerprints: [.init(position: 1, image: finger(1)), .init(position: 6, image: finger(6))])
        order.mrz = nil
        order.fields = MRZFields(
            format: .td3, documentCode: "P", issuingState: "UTO", primaryIdentifier: "ERIKSSON", secondaryIdentifier: "ANNA MARIA",
            documentNumber: String(format: "B%08d", number), nationality: "UTO", dateOfBirth: "740812", sex: "F", dateOfExpiry: "320415")
        order.dg12 = ["issuingAuthority": "UTOPIA PASSPORT OFFICE"]
        return order
    }

    struct Document {
        let report: PersonalizationReport
        /// From the blank card being asked for to the card out of the reader.
        let withCardChange: Double
    }

    /// `count` documents on the slot at `port` (reader `reader`), one blank chip each.
    static func run(_ line: PersonalizationLine, first: Int, count: Int, port: UInt16, reader: String) throws -> [Document] {
        let context = try PCSCTransport.Context()
        var documents: [Document] = []
        for index in 0..<count {
            let started = ContinuousClock.now
            let chip = try EMRTDChip(state: ChipState())
            let connection = try VPCDConnection(port: port)
            connection.start(chip)
            try context.waitForCard(in: reader, milliseconds: 10_000)
            let transport = try PCSCTransport(context: context, reader: reader)
            let report = line.personalize(order(first + index), transport: transport, reader: reader)
            transport.disconnect()
            connection.stop()
            try context.waitForCard(in: reader, present: false, milliseconds: 10_000)
            guard report.succeeded else { throw UsageError("perso: \(report.line)") }
            documents.append(Document(report: report, withCardChange: durationSeconds(ContinuousClock.now - started)))
        }
        return documents
    }

    static func run(_ options: Options, sink: inout Int) throws -> String {
        let pcscd = try CardBenchmarks.PrivatePCSCD.shared(keep: options.keep)
        let directory = try temporaryDirectory("epki-bench-perso")
        defer { if !options.keep { try? FileManager.default.removeItem(at: directory) } }
        let made = try makeLine(directory: directory)
        let readers = ["Virtual PCD 00 00", "Virtual PCD 00 01"]
        let perReader = max(4, options.seconds * 2)

        // One reader; the first document's write is recorded for the raw replay.
        let context = try PCSCTransport.Context()
        // An earlier section's card may still be leaving the reader.
        for reader in readers { try context.waitForCard(in: reader, present: false, milliseconds: 10_000) }
        let chip = try EMRTDChip(state: ChipState())
        let connection = try VPCDConnection(port: pcscd.port)
        connection.start(chip)
        try context.waitForCard(in: readers[0], milliseconds: 10_000)
        let recorded = RecordingTransport(try PCSCTransport(context: context, reader: readers[0]))
        let first = made.line.personalize(order(0), transport: recorded, reader: readers[0])
        connection.stop()
        try context.waitForCard(in: readers[0], present: false, milliseconds: 10_000)
        guard first.succeeded else { throw UsageError("perso: \(first.line)") }

        // Two readers at once, a thread each.
        let slots = Slots<Result<[Document], any Error>>(2)
        let basePort = pcscd.port
        let group = DispatchGroup()
        let twoStarted = ContinuousClock.now
        for slot in 0..<2 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                slots.set(slot, Result { try run(made.line, first: 1_000 * (slot + 1), count: perReader, port: basePort + UInt16(slot), reader: readers[slot]) })
            }
        }
        group.wait()
        let twoWall = durationSeconds(ContinuousClock.now - twoStarted)
        let double = try slots.all.map { try ($0 ?? .failure(UsageError("perso: a reader's thread gave no result"))).get() }

        // One reader, each document followed by the raw replay of the recorded write and lock onto a fresh blank
        // chip (interleaved, so a change of machine load hits both sides alike).
        var single: [Document] = []
        var raw: [Double] = []
        for index in 0..<perReader {
            single += try run(made.line, first: 1 + index, count: 1, port: pcscd.port, reader: readers[0])
            let blank = try EMRTDChip(state: ChipState())
            let replay = try VPCDConnection(port: pcscd.port)
            replay.start(blank)
            try context.waitForCard(in: readers[0], milliseconds: 10_000)
            var error = [CChar](repeating: 0, count: 256)
            guard raw_pcsc_connect(readers[0], &error, error.count) == 1 else {
                throw UsageError("raw connect: \(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
            }
            let slice = try CardBenchmarks.rawSlice(recorded.commands, pcscd: pcscd)
            raw_pcsc_disconnect()
            replay.stop()
            try context.waitForCard(in: readers[0], present: false, milliseconds: 10_000)
            guard blank.lifecycle == .operational else { throw UsageError("perso: the raw replay did not lock the chip") }
            raw.append(slice.wall)
            sink &+= slice.apdus
        }

        func median(_ values: [Double]) -> Double { let sorted = values.sorted(); return sorted[sorted.count / 2] }
        func step(_ documents: [Document], _ name: String) -> Double { median(documents.map { $0.report.durations.first { $0.0 == name }?.1 ?? 0 }) }
        func total(_ documents: [Document]) -> Double { median(documents.map { $0.report.durations.reduce(0) { $0 + $1.1 } }) }
        let steps = ["order", "probe", "keys", "sign", "write", "lock", "verify"]
        guard let stats = first.statistics else { throw UsageError("perso: the first document has no card statistics") }
        let writeAndLock = median(single.map { doc in doc.report.durations.filter { $0.0 == "write" || $0.0 == "lock" }.reduce(0) { $0 + $1.1 } })
        let rawMedian = median(raw) * 1000
        let all2 = double.flatMap { $0 }
        var lines: [String] = []
        lines.append("### perso: documents per reader through pcscd + vpcd (\(perReader) documents per reader and run; medians)")
        lines.append("")
        lines.append("| readers | " + steps.map { "\($0) ms" }.joined(separator: " | ") + " | document ms | documents/min per reader, line only | with card change ms | documents/min per reader | documents/min, all readers |")
        lines.append("|---|" + steps.map { _ in "---:|" }.joined() + "---:|---:|---:|---:|---:|")
        let oneWall = single.reduce(0) { $0 + $1.withCardChange }
        lines.append("| 1 | " + steps.map { String(format: "%.1f", step(single, $0)) }.joined(separator: " | ")
                     + String(format: " | %.1f | %.0f | %.1f | %.0f | %.0f |", total(single), 60_000 / total(single), median(single.map(\.withCardChange)) * 1000,
                              Double(single.count) / oneWall * 60, Double(single.count) / oneWall * 60))
        lines.append("| 2 | " + steps.map { String(format: "%.1f", step(all2, $0)) }.joined(separator: " | ")
                     + String(format: " | %.1f | %.0f | %.1f | %.0f | %.0f |", total(all2), 60_000 / total(all2), median(all2.map(\.withCardChange)) * 1000,
                              Double(all2.count) / twoWall * 60 / 2, Double(all2.count) / twoWall * 60))
        lines.append("")
        lines.append("Per document: \(stats.commands) APDUs, \(stats.bytesSent) bytes sent, \(stats.bytesReceived) received by the line's writer "
                     + "(probe, files, secrets, lock; the read-back's traffic is the inspection's); \(recorded.commands.count) of them are the write and lock.")
        lines.append("")
        lines.append("| write + lock (\(recorded.commands.count) APDUs, \(recorded.commands.reduce(0) { $0 + $1.count }) bytes) | epki's line | raw SCardTransmit loop, same bytes | ratio raw/epki |")
        lines.append("|---|---:|---:|---:|")
        lines.append(String(format: "| median of %d | %.2f ms | %.2f ms | **%.3f** |", perReader, writeAndLock, rawMedian, rawMedian / writeAndLock))
        return lines.joined(separator: "\n")
    }
}

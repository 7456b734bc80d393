import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// An OpenLDAP slapd of the test's own (Debian's `slapd`): a slapd.conf in a temporary directory with the system's
/// core, cosine and inetOrgPerson schemas and the project's `scripts/ldap/icao-pkd.schema`, an mdb database, the
/// current user, the foreground (`-d 0`), a free port on 127.0.0.1. `ldapsearch` and `ldapadd` (ldap-utils), clients
/// nobody here wrote, read and fill it.
final class PrivateSlapd: @unchecked Sendable {
    static let suffix = "dc=pkd,dc=test"
    static let rootDN = "cn=admin,dc=pkd,dc=test"

    let directory: URL
    let port: UInt16
    let passwordFile: String
    private let process: Subprocess

    var url: String { "ldap://127.0.0.1:\(port)" }

    /// The environment of slapd and the clients: without libfaketime (the suite runs again a year and five years
    /// ahead; the directory's own clock has nothing to do with what is tested).
    static var environment: [String: String] {
        ProcessInfo.processInfo.environment.filter { $0.key != "LD_PRELOAD" && !$0.key.hasPrefix("FAKETIME") }
    }

    static var schemaPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/ldap/icao-pkd.schema").path
    }

    static func start() throws -> PrivateSlapd {
        let directory = try TestSupport.temporaryDirectory("epki-slapd")
        do {
            return try PrivateSlapd(directory: directory)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    private init(directory: URL) throws {
        self.directory = directory
        let database = directory.appendingPathComponent("db")
        try FileManager.default.createDirectory(at: database, withIntermediateDirectories: true)
        let password = UUID().uuidString
        passwordFile = directory.appendingPathComponent("password").path
        try TestSupport.write(password, URL(fileURLWithPath: passwordFile))
        let configuration = """
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include /etc/ldap/schema/inetorgperson.schema
            include \(Self.schemaPath)
            modulepath /usr/lib/ldap
            moduleload back_mdb
            pidfile \(directory.path)/slapd.pid
            sizelimit unlimited
            database mdb
            maxsize 4294967296
            suffix "\(Self.suffix)"
            rootdn "\(Self.rootDN)"
            rootpw \(password)
            directory \(database.path)

            """
        let conf = directory.appendingPathComponent("slapd.conf")
        try TestSupport.write(configuration, conf)
        let slapd = try TestSupport.locate("slapd")
        var attempt = 0
        while true {
            attempt += 1
            let candidate = UInt16.random(in: 20_000...60_000)
            guard Self.isFree(candidate) else { continue }
            let child = try Subprocess(slapd, ["-d", "0", "-f", conf.path, "-h", "ldap://127.0.0.1:\(candidate)/"], environment: Self.environment,
                                       standardOutput: directory.appendingPathComponent("slapd.out").path,
                                       standardError: directory.appendingPathComponent("slapd.log").path)
            if try Self.waitUntilAnswering(port: candidate, child: child) {
                port = candidate
                process = child
                return
            }
            child.signal(SIGTERM)
            child.wait()
            if attempt >= 5 {
                let log = (try? String(contentsOf: directory.appendingPathComponent("slapd.log"), encoding: .utf8)) ?? ""
                throw TestFailure("slapd did not start on 127.0.0.1 after \(attempt) ports: \(log.suffix(2000))")
            }
        }
    }

    /// Polls the root DSE with ldapsearch (Thread.sleep: the suite also runs under libfaketime) for up to 20 s.
    private static func waitUntilAnswering(port: UInt16, child: Subprocess) throws -> Bool {
        for _ in 0..<200 {
            guard child.isRunning else { return false }
            let probe = try TestSupport.run("ldapsearch", ["-x", "-LLL", "-H", "ldap://127.0.0.1:\(port)", "-b", "", "-s", "base", "namingContexts"],
                                            environment: environment)
            if probe.status == 0 { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    func stop() {
        process.signal(SIGTERM)
        process.wait()
        try? FileManager.default.removeItem(at: directory)
    }

    /// An entry as ldapsearch printed it.
    struct Entry {
        let dn: String
        let attributes: [String: [[UInt8]]]

        /// Values of `name` without case and with or without `;binary`.
        func values(_ name: String) -> [[UInt8]] {
            let wanted = name.lowercased()
            return attributes.filter { $0.key.lowercased() == wanted || $0.key.lowercased() == wanted + ";binary" }.flatMap(\.value)
        }

        func text(_ name: String) -> [String] { values(name).map { String(decoding: $0, as: UTF8.self) } }
    }

    /// `ldapsearch -LLL` bound as the root DN (its password from the file), output unwrapped, parsed entry by entry.
    func search(base: String = "dc=data,\(PrivateSlapd.suffix)", filter: String = "(objectClass=*)", attributes: [String] = []) throws -> [Entry] {
        let result = try TestSupport.run("ldapsearch", ["-x", "-LLL", "-o", "ldif-wrap=no", "-H", url, "-D", Self.rootDN, "-y", passwordFile,
                                                         "-b", base, filter] + attributes, environment: Self.environment)
        // 32: no such object, a directory nothing was published to yet.
        if result.status == 32 { return [] }
        guard result.status == 0 else { throw TestFailure("ldapsearch exited \(result.status): \(result.stderr)") }
        var entries: [Entry] = []
        for block in result.stdout.components(separatedBy: "\n\n") {
            var dn: String?
            var attributes: [String: [[UInt8]]] = [:]
            for line in block.split(separator: "\n") where !line.hasPrefix("#") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = String(line[..<colon])
                var rest = line[line.index(after: colon)...]
                let value: [UInt8]
                if rest.hasPrefix(":") {
                    rest = rest.dropFirst()
                    guard let decoded = Data(base64Encoded: rest.trimmingCharacters(in: .whitespaces)) else {
                        throw TestFailure("ldapsearch printed bad base64 for \(name)")
                    }
                    value = Array(decoded)
                } else {
                    value = Array(rest.dropFirst(rest.hasPrefix(" ") ? 1 : 0).utf8)
                }
                if name == "dn" { dn = String(decoding: value, as: UTF8.self) } else { attributes[name, default: []].append(value) }
            }
            if let dn { entries.append(Entry(dn: dn, attributes: attributes)) }
        }
        return entries
    }

    /// Loads LDIF with ldapadd (`-c`: going on past an entry that exists).
    func add(ldif: String) throws {
        let file = directory.appendingPathComponent("add-\(UUID().uuidString).ldif")
        try TestSupport.write(ldif, file)
        let result = try TestSupport.run("ldapadd", ["-x", "-H", url, "-D", Self.rootDN, "-y", passwordFile, "-f", file.path],
                                         environment: Self.environment)
        guard result.status == 0 else { throw TestFailure("ldapadd exited \(result.status): \(result.stderr.suffix(2000))") }
    }

    static func isFree(_ port: UInt16) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

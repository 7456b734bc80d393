import Foundation

/// Locations and peers shared by the test targets.
public enum TestSupport {
    /// The package root, found from this file's path.
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func vector(_ relativePath: String) throws -> [UInt8] {
        let url = packageRoot.appendingPathComponent("Vectors").appendingPathComponent(relativePath)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TestFailure("vector \(relativePath) is missing at \(url.path)")
        }
        return Array(data)
    }

    public static func vectorPath(_ relativePath: String) -> String {
        packageRoot.appendingPathComponent("Vectors").appendingPathComponent(relativePath).path
    }

    /// A fresh directory under the system's temporary directory, removed by the caller's `defer`.
    public static func temporaryDirectory(_ label: String = "epki-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    public struct ProcessResult: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public var output: String { stdout + stderr }
    }

    /// The Debian package of each outside program the tests call; `scripts/setup.sh` installs them all.
    public static let peerPackages: [String: String] = [
        "openssl": "openssl", "curl": "curl", "cvc-print": "openpace", "cvc-create": "openpace",
        "softhsm2-util": "softhsm2", "pkcs11-tool": "opensc", "opensc-tool": "opensc", "faketime": "faketime", "pcscd": "pcscd",
        "slapd": "slapd", "ldapsearch": "ldap-utils", "ldapadd": "ldap-utils",
    ]

    /// The path of `program`: itself when it holds a slash, else the first executable of that name on `searchPath`
    /// (PATH by default). A missing peer is a failure that names the Debian package to install.
    public static func locate(_ program: String, searchPath: String? = nil) throws -> String {
        if program.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: program) else { throw TestFailure("\(program) is not an executable file") }
            return program
        }
        // Daemons (pcscd) live in sbin, which a user's PATH may lack.
        let path = searchPath ?? ((ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/local/sbin:/usr/sbin:/sbin")
        let directories = path.split(separator: ":")
        for directory in directories where FileManager.default.isExecutableFile(atPath: "\(directory)/\(program)") {
            return "\(directory)/\(program)"
        }
        let package = peerPackages[program].map { "the Debian package \($0)" } ?? "its package"
        throw TestFailure("\(program) is not installed: the test needs \(package) (apt-get install \(peerPackages[program] ?? program); scripts/setup.sh installs every peer)")
    }

    /// The `epki` built from the current sources: the test targets that drive it depend on the executable, so
    /// SwiftPM builds it beside the test bundle. Never a binary from elsewhere, which could be stale.
    public static func epkiExecutable() throws -> String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("epki").path
        guard FileManager.default.isExecutableFile(atPath: beside) else {
            throw TestFailure("epki is not built beside the tests (\(beside)): run the tests with swift test, which builds it")
        }
        return beside
    }

    /// Runs a program (looked up on PATH) and collects its output. The output goes through files, so a chatty
    /// program never blocks on a full pipe, and the child is reaped with waitpid (`Subprocess`).
    @discardableResult
    public static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:],
                           currentDirectory: URL? = nil) throws -> ProcessResult {
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("epki-run-\(UUID().uuidString)")
        let (out, err) = (scratch.path + ".out", scratch.path + ".err")
        defer {
            try? FileManager.default.removeItem(atPath: out)
            try? FileManager.default.removeItem(atPath: err)
        }
        let child = try Subprocess(try locate(program), arguments, environment: env, currentDirectory: currentDirectory?.path,
                                   standardOutput: out, standardError: err)
        let status = child.wait()
        let stdout = FileManager.default.contents(atPath: out) ?? Data()
        let stderr = FileManager.default.contents(atPath: err) ?? Data()
        return ProcessResult(status: status, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Runs openssl and fails with its output when it exits non-zero.
    @discardableResult
    public static func openssl(_ arguments: [String], in directory: URL? = nil) throws -> ProcessResult {
        let result = try run("openssl", arguments, currentDirectory: directory)
        guard result.status == 0 else {
            throw TestFailure("openssl \(arguments.joined(separator: " ")) exited \(result.status): \(result.output)")
        }
        return result
    }

    /// Whether this process was built with AddressSanitizer (scripts/asan.sh builds the tests and epki with it).
    public static let isAddressSanitized: Bool = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__asan_init") != nil

    public static func write(_ bytes: [UInt8], _ url: URL) throws {
        try Data(bytes).write(to: url)
    }

    public static func write(_ text: String, _ url: URL) throws {
        try Data(text.utf8).write(to: url)
    }

    public static func read(_ url: URL) throws -> [UInt8] {
        Array(try Data(contentsOf: url))
    }
}

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension TestSupport {
    /// Checks a signature over `data` with `openssl dgst -verify` (used for issuer signatures on certificates with
    /// explicit EC parameters, which OpenSSL's chain building refuses; peers.md §4.3). Returns openssl's output.
    public static func opensslDgstVerify(data: [UInt8], signature: [UInt8], publicKeyPEM: String, hash: String,
                                         in directory: URL) throws -> ProcessResult {
        let id = UUID().uuidString.prefix(8)
        try write(data, directory.appendingPathComponent("tbs-\(id).der"))
        try write(signature, directory.appendingPathComponent("sig-\(id).bin"))
        try write(publicKeyPEM, directory.appendingPathComponent("pub-\(id).pem"))
        return try run("openssl", ["dgst", "-\(hash)", "-verify", "pub-\(id).pem", "-signature", "sig-\(id).bin", "tbs-\(id).der"],
                       currentDirectory: directory)
    }
}

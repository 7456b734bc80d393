import Foundation

/// schemathesis (PyPI), the contract tester nobody here wrote: it reads a service's own OpenAPI document, generates
/// requests from it (valid and invalid) and runs every check on the answers (`--checks all`: no 5xx, status codes
/// and bodies as documented, schema-valid requests accepted, schema-violating ones refused, 405 for undeclared
/// methods). `scripts/setup.sh` installs it into a virtual environment under `.build/peers/schemathesis`.
public enum Schemathesis {
    public static let version = "4.32.5"

    public static var executable: URL {
        TestSupport.packageRoot.appendingPathComponent(".build/peers/schemathesis/bin/st")
    }

    /// Runs `st run URL --checks all` with the suite's configuration (`Tests/Contract/schemathesis.toml`) and
    /// `parameters` fixed (e.g. the domain of a path), a fixed seed so that CI sees the same requests every time, and
    /// `arguments` (TLS client certificate and CA). Returns the result; its status is 0 when every check passed.
    public static func run(_ url: String, parameters: [String: String] = [:], examples: Int = 50, arguments: [String] = [],
                           in directory: URL) throws -> TestSupport.ProcessResult {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw TestFailure("schemathesis \(version) is not installed at \(executable.path): run scripts/setup.sh")
        }
        var configuration = try String(contentsOf: TestSupport.packageRoot.appendingPathComponent("Tests/Contract/schemathesis.toml"), encoding: .utf8)
        if !parameters.isEmpty {
            configuration += "\n[parameters]\n" + parameters.sorted { $0.key < $1.key }.map { "\($0.key) = \"\($0.value)\"" }.joined(separator: "\n") + "\n"
        }
        let file = directory.appendingPathComponent("schemathesis.toml")
        try TestSupport.write(configuration, file)
        return try TestSupport.run(executable.path, ["--config-file", file.path, "run", url, "--checks", "all", "--max-examples", "\(examples)",
                                                     "--seed", "20261207", "--report", "junit", "--report-dir", directory.appendingPathComponent("schemathesis-report").path]
                                   + arguments,
                                   environment: ["HOME": directory.path, "NO_COLOR": "1", "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"], currentDirectory: directory)
    }
}

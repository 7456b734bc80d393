import Foundation

/// A private SoftHSM2 token directory for one test process.
///
/// SoftHSM reads `SOFTHSM2_CONF` once, at `C_Initialize`, and a module is initialised once per process; so every
/// test in a process shares this directory. Tokens are created with `softhsm2-util` before the module loads.
public struct SoftHSM: Sendable {
    public static let modulePath = "/usr/lib/softhsm/libsofthsm2.so"
    public static let userPIN = "123456"
    public static let soPIN = "12345678"

    public let directory: URL
    public let configuration: URL
    public let pinFile: URL

    /// Creates a token directory with the given token labels; `export` sets SOFTHSM2_CONF for this process.
    public static func make(tokens labels: [String], export: Bool) throws -> SoftHSM {
        let directory = try TestSupport.temporaryDirectory("epki-softhsm")
        let tokens = directory.appendingPathComponent("tokens")
        try FileManager.default.createDirectory(at: tokens, withIntermediateDirectories: true)
        let configuration = directory.appendingPathComponent("softhsm2.conf")
        try TestSupport.write("""
            directories.tokendir = \(tokens.path)
            objectstore.backend = file
            log.level = ERROR
            slots.removable = false

            """, configuration)
        let pinFile = directory.appendingPathComponent("pin")
        try TestSupport.write(userPIN + "\n", pinFile)
        for label in labels {
            let result = try TestSupport.run("softhsm2-util", ["--init-token", "--free", "--label", label, "--so-pin", soPIN, "--pin", userPIN],
                                             environment: ["SOFTHSM2_CONF": configuration.path])
            guard result.status == 0 else { throw TestFailure("softhsm2-util --init-token \(label): \(result.output)") }
        }
        if export { setenv("SOFTHSM2_CONF", configuration.path, 1) }
        return SoftHSM(directory: directory, configuration: configuration, pinFile: pinFile)
    }

    /// The one token directory of this test process, with a token for keys and one for wrong-PIN tests.
    public static let shared: Result<SoftHSM, any Error> = Result { try make(tokens: ["epki-test", "epki-wrong-pin"], export: true) }

    public var environment: [String: String] { ["SOFTHSM2_CONF": configuration.path] }
}

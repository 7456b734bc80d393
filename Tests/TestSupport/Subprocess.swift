import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn and reaped with waitpid. Foundation's `Process` learns of a child's
/// exit through a run loop and a SIGCHLD source, and under libfaketime (the suite's runs a year and five years
/// ahead) that notice was seen to get lost, leaving `waitUntilExit` waiting for ever; waitpid cannot miss it.
public final class Subprocess: @unchecked Sendable {
    public let pid: pid_t
    private var status: Int32?

    /// Starts `path` with `arguments`; standard output and error go to the given files (created or truncated),
    /// standard input is /dev/null.
    public init(_ path: String, _ arguments: [String], environment: [String: String], currentDirectory: String? = nil,
                standardOutput: String = "/dev/null", standardError: String = "/dev/null") throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, standardOutput, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // Glibc's addchdir_np is not visible to Swift: a shell changes directory and execs the program.
        let (program, words) = currentDirectory.map { ("/bin/sh", ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0, path] + arguments) }
            ?? (path, [path] + arguments)
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        // The calling thread may be one of Dispatch's, which block most signals: the child starts with none
        // blocked and every signal at its default, as a program started from a shell would.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child = pid_t()
        let result = posix_spawn(&child, program, &actions, &attributes, argv, envp)
        guard result == 0 else { throw TestFailure("cannot start \(path): \(String(cString: strerror(result)))") }
        pid = child
    }

    /// Waits for the child and returns its exit status (128 + the signal when a signal ended it).
    @discardableResult
    public func wait() -> Int32 {
        if let status { return status }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
        let code = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        status = code
        return code
    }

    /// Whether the child still runs (it is reaped when it has ended).
    public var isRunning: Bool {
        if status != nil { return false }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, WNOHANG)
        guard result == pid else { return result == 0 }
        status = raw & 0x7F == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        return false
    }

    /// Whether a signal ended the child.
    public var wasSignalled: Bool { (status ?? 0) > 128 }

    public func signal(_ number: Int32) {
        if isRunning { kill(pid, number) }
    }
}

import Foundation
import Testing
import TestSupport

/// The outside programs the tests drive: each one named with its Debian package when it is missing, and each
/// package installed by `scripts/setup.sh`, so that a fresh machine gets them all.
@Suite struct TestPeerTests {
    @Test func aMissingPeerNamesItsPackage() throws {
        for (program, package) in [("curl", "curl"), ("cvc-print", "openpace"), ("softhsm2-util", "softhsm2")] {
            do {
                _ = try TestSupport.locate(program, searchPath: "/nonexistent")
                Issue.record("\(program) was found on an empty search path")
            } catch let failure as TestFailure {
                #expect(failure.description.contains("\(program) is not installed"), "\(failure)")
                #expect(failure.description.contains("apt-get install \(package)"), "\(failure)")
            }
        }
    }

    @Test func setupInstallsEveryPeer() throws {
        let script = String(decoding: try TestSupport.read(TestSupport.packageRoot.appendingPathComponent("scripts/setup.sh")), as: UTF8.self)
        let listed = try #require(script.split(separator: "\n").first { $0.hasPrefix("packages=(") })
        let packages = Set(listed.dropFirst("packages=(".count).dropLast().split(separator: " ").map(String.init))
        for (program, package) in TestSupport.peerPackages {
            #expect(packages.contains(package), "scripts/setup.sh does not install \(package), which provides \(program)")
            #expect(throws: Never.self) { try TestSupport.locate(program) }
        }
    }
}

import Foundation
import Testing
import TestSupport

/// The architecture's rule, read from the sources: no service module imports another; what two services share
/// lives in a module below them (ICAOProfile, LDS, PKICore, Store).
@Suite struct ModuleGraphTests {
    static let services: Set<String> = ["CSCA", "CVCA", "NPKD", "SPOC", "Personalization", "Inspection", "VirtualChip", "SODService"]

    /// The modules each file under `Sources/<module>` imports.
    static func imports(of module: String) throws -> [String: Set<String>] {
        let root = TestSupport.packageRoot.appendingPathComponent("Sources").appendingPathComponent(module)
        guard let files = FileManager.default.enumerator(atPath: root.path) else { return [:] }
        var found: [String: Set<String>] = [:]
        for case let file as String in files where file.hasSuffix(".swift") {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ").filter { !["@testable", "public", "internal", "package", "@_exported"].contains($0) }
                if words.count >= 2, words[0] == "import" { found[file, default: []].insert(String(words[1])) }
            }
        }
        return found
    }

    @Test func noServiceImportsAnother() throws {
        let present = try FileManager.default.contentsOfDirectory(atPath: TestSupport.packageRoot.appendingPathComponent("Sources").path)
        let services = Self.services.intersection(present)
        #expect(services.isSuperset(of: ["CSCA", "CVCA", "NPKD"]))
        for service in services.sorted() {
            for (file, modules) in try Self.imports(of: service) {
                let others = modules.intersection(Self.services.subtracting([service]))
                #expect(others.isEmpty, "Sources/\(service)/\(file) imports the service module(s) \(others.sorted())")
            }
        }
    }

    @Test func lowerLayersImportNoService() throws {
        for module in ["PKICore", "Store", "PKCS11", "LDS", "ICAOProfile", "CVC", "SmartCard", "ChipAccess"] {
            for (file, modules) in try Self.imports(of: module) {
                #expect(modules.isDisjoint(with: Self.services), "Sources/\(module)/\(file) imports \(modules.intersection(Self.services).sorted())")
            }
        }
    }
}

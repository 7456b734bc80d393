import CLibFuzzer
import Foundation

/// One harness: a parser (or a protocol endpoint) fed the bytes libFuzzer makes.
///
/// `run` must return normally for every input: a thrown error is the parser's answer and is swallowed here; a trap
/// (index out of range, overflow, force unwrap), a hang or a runaway allocation is what the fuzzer is after.
/// `seeds` are generated samples to start from, besides the files of `Vectors/` that scripts/fuzz.sh copies.
struct FuzzTarget: Sendable {
    let name: String
    let summary: String
    let run: @Sendable ([UInt8]) -> Void
    let seeds: @Sendable () throws -> [(name: String, bytes: [UInt8])]

    init(_ name: String, _ summary: String, seeds: @escaping @Sendable () throws -> [(name: String, bytes: [UInt8])] = { [] },
         run: @escaping @Sendable ([UInt8]) -> Void) {
        self.name = name
        self.summary = summary
        self.run = run
        self.seeds = seeds
    }
}

/// Every harness, in the order `scripts/fuzz.sh all` runs them.
enum Targets {
    static let all: [FuzzTarget] = PKICoreTargets.all + LDSTargets.all + TLVTargets.all + ICAOProfileTargets.all + NPKDTargets.all
        + CVCTargets.all + SPOCTargets.all + ChipTargets.all + SODServiceTargets.all

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// The harness chosen for this process; set once in `LLVMFuzzerInitialize`, before the first input.
nonisolated(unsafe) private var selected: FuzzTarget?

/// libFuzzer owns the command line, so the harness is named in the environment:
///
/// ```
/// EPKI_FUZZ_TARGET=crl  EPKIFuzz [libFuzzer flags] [corpus dirs | crash files]
/// EPKI_FUZZ_LIST=1      EPKIFuzz          prints "name<TAB>summary" per harness and exits
/// EPKI_FUZZ_SEEDS=dir   EPKIFuzz          writes the chosen harness's generated seeds into dir and exits
/// ```
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    // getenv, not ProcessInfo: the modes below end with exit(), and LeakSanitizer would report the environment
    // dictionary still held by this frame.
    func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
    if variable("EPKI_FUZZ_LIST") != nil {
        for target in Targets.all { print("\(target.name)\t\(target.summary)") }
        finish(0)
    }
    guard let name = variable("EPKI_FUZZ_TARGET"), let target = Targets.named(name) else {
        let known = Targets.all.map(\.name).joined(separator: " ")
        FileHandle.standardError.write(Data("EPKIFuzz: set EPKI_FUZZ_TARGET to one of: \(known)\n".utf8))
        finish(2)
    }
    if let directory = variable("EPKI_FUZZ_SEEDS") {
        finish(writeSeeds(of: target, into: directory))
    }
    selected = target
    return 0
}

/// Writes the generated seeds as `gen-NAME` files; 0 on success.
private func writeSeeds(of target: FuzzTarget, into directory: String) -> CInt {
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let seeds = try target.seeds()
        for seed in seeds {
            try Data(seed.bytes).write(to: URL(fileURLWithPath: directory).appendingPathComponent("gen-\(seed.name)"))
        }
        print("EPKIFuzz: \(seeds.count) generated seed(s) for \(target.name) in \(directory)")
        return 0
    } catch {
        FileHandle.standardError.write(Data("EPKIFuzz: seeds for \(target.name): \(error)\n".utf8))
        return 1
    }
}

/// Ends the process with stdout flushed (LeakSanitizer's exit check would otherwise end it before the flush).
private func finish(_ status: CInt) -> Never {
    fflush(nil)
    exit(status)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selected?.run(bytes)
    return 0
}

/// SwiftPM links the executable's own main (it renames the entry point and points `main` at it), so libFuzzer's main
/// is not the one that runs: this one hands the command line to libFuzzer's driver, which calls
/// `LLVMFuzzerInitialize` and then `LLVMFuzzerTestOneInput` as its own main would.
@main
enum EPKIFuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzerTestOneInput(data, size) })
    }
}

// swift-tools-version:6.1
import PackageDescription

// libFuzzer harnesses for every parser that reads outside bytes, in a package of their own so that `swift build` at
// the root never compiles them. Built and run by scripts/fuzz.sh, which gives -sanitize=fuzzer,address to swiftc and
// clang directly (see there why), and described in FUZZING.md. One executable, EPKIFuzz; the harness is chosen with
// EPKI_FUZZ_TARGET (libFuzzer owns the command line).
let package = Package(
    name: "epki-fuzz",
    dependencies: [
        .package(name: "epki", path: ".."),
        // The root package's pin; the harnesses parse BER themselves in places.
        .package(url: "https://github.com/apple/swift-asn1", exact: "1.7.4"),
    ],
    targets: [
        // libFuzzer's driver, declared for Swift: EPKIFuzz's main hands the command line to it.
        .target(name: "CLibFuzzer"),
        .executableTarget(
            name: "EPKIFuzz",
            dependencies: [
                "CLibFuzzer",
                .product(name: "PKICore", package: "epki"),
                .product(name: "LDS", package: "epki"),
                .product(name: "ICAOProfile", package: "epki"),
                .product(name: "NPKD", package: "epki"),
                .product(name: "CVC", package: "epki"),
                .product(name: "SPOC", package: "epki"),
                .product(name: "SmartCard", package: "epki"),
                .product(name: "ChipAccess", package: "epki"),
                .product(name: "VirtualChip", package: "epki"),
                .product(name: "Inspection", package: "epki"),
                .product(name: "Store", package: "epki"),
                .product(name: "SODService", package: "epki"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)

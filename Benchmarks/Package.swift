// swift-tools-version:6.1
import PackageDescription

// A separate package so that `swift build` at the root never compiles the benchmarks.
// Run from this directory:  swift run -c release PKICoreBenchmarks [--seconds N]
let package = Package(
    name: "epki-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "epki", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "PKICoreBenchmarks",
            dependencies: [
                .product(name: "PKICore", package: "epki"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)

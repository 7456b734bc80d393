// swift-tools-version:6.1
import PackageDescription

// A separate package so that `swift build` at the root never compiles the benchmarks.
// Run from this directory:  swift run -c release PKICoreBenchmarks [--only core,pkcs11,csca,lds,cvc,npkd,npkdimport,npkdsync,card,sod,spoc,admin] [--seconds N] ...
let package = Package(
    name: "epki-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "epki", path: ".."),
        // The same pin as the root package. Used only to bulk-insert the revoked certificates of the CRL benchmark
        // into the CSCA's store within one transaction.
        // The same pins as the root package. The spoc section builds its SPOC TLS certificates (EKU object
        // identifiers) and its own mutual-TLS client for the bare connection it times beside the SPOC's round trips.
        .package(url: "https://github.com/apple/swift-asn1", exact: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // The reference side of the PKCS#11 benchmark: C_SignInit + C_Sign through p11-kit, one session per thread.
        .target(
            name: "RawPKCS11",
            cSettings: [.unsafeFlags(["-I/usr/include/p11-kit-1"])],
            linkerSettings: [.linkedLibrary("p11-kit"), .linkedLibrary("pthread")]
        ),
        // The reference side of the card benchmark: SCardTransmit in a loop through pcsc-lite, over the same APDU bytes.
        // Its headers include each other as <pcsclite.h>, hence the search path (as the root package's CPCSCLite).
        .target(
            name: "RawPCSC",
            cSettings: [.unsafeFlags(["-I/usr/include/PCSC"])],
            linkerSettings: [.linkedLibrary("pcsclite")]
        ),
        // The reference sides of the SOD service benchmark: an EVP_DigestSign loop, and a mutual-TLS HTTPS load generator.
        .target(
            name: "RawTLS",
            linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto"), .linkedLibrary("pthread")]
        ),
        // The reference side of the NPKD import benchmark: d2i_X509 + X509_verify over the same DS certificates, and
        // d2i_X509_CRL + X509_CRL_verify over the same CRL.
        .target(
            name: "RawX509",
            linkerSettings: [.linkedLibrary("crypto")]
        ),
        .executableTarget(
            name: "PKICoreBenchmarks",
            dependencies: [
                "RawPKCS11",
                "RawX509",
                "RawTLS",
                "RawPCSC",
                .product(name: "PKICore", package: "epki"),
                .product(name: "PKCS11", package: "epki"),
                .product(name: "Store", package: "epki"),
                .product(name: "CSCA", package: "epki"),
                .product(name: "ICAOProfile", package: "epki"),
                .product(name: "LDS", package: "epki"),
                .product(name: "CVCA", package: "epki"),
                .product(name: "NPKD", package: "epki"),
                .product(name: "SmartCard", package: "epki"),
                .product(name: "ChipAccess", package: "epki"),
                .product(name: "VirtualChip", package: "epki"),
                .product(name: "CVC", package: "epki"),
                .product(name: "SODService", package: "epki"),
                .product(name: "Personalization", package: "epki"),
                .product(name: "Inspection", package: "epki"),
                .product(name: "SPOC", package: "epki"),
                .product(name: "ServiceWiring", package: "epki"),
                .product(name: "Administration", package: "epki"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)

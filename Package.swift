// swift-tools-version:6.1
import PackageDescription

// The design card fixes the top level; lower layers sit beside the services in Sources/.
// Dependencies are pinned to the versions this workplace mirrors (see README, "Building").
let swiftSettings: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "epki",
    products: [
        .library(name: "PKICore", targets: ["PKICore"]),
        .library(name: "PKCS11", targets: ["PKCS11"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "LDS", targets: ["LDS"]),
        .library(name: "ICAOProfile", targets: ["ICAOProfile"]),
        .library(name: "SmartCard", targets: ["SmartCard"]),
        .library(name: "ChipAccess", targets: ["ChipAccess"]),
        .library(name: "VirtualChip", targets: ["VirtualChip"]),
        .library(name: "Inspection", targets: ["Inspection"]),
        .library(name: "CSCA", targets: ["CSCA"]),
        .library(name: "CVC", targets: ["CVC"]),
        .library(name: "CVCA", targets: ["CVCA"]),
        .library(name: "NPKD", targets: ["NPKD"]),
        .library(name: "Personalization", targets: ["Personalization"]),
        .library(name: "SODService", targets: ["SODService"]),
        .library(name: "SPOC", targets: ["SPOC"]),
        .library(name: "ServiceWiring", targets: ["ServiceWiring"]),
        .library(name: "Administration", targets: ["Administration"]),
        .executable(name: "epki", targets: ["epki"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-asn1", exact: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        // The HTTP client of `epki inspect --npkd` (already resolved for Hummingbird's tests, so nothing new is built).
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        // The shared store for several active nodes (issue 19): PostgreSQL's wire protocol.
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        // Hummingbird's own; named because the NPKD service sets up its event loops itself.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // OpenSSL 3 does the arithmetic; only COpenSSLShims and PKICore/Crypto touch its types.
        .systemLibrary(
            name: "COpenSSL",
            path: "Sources/COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "COpenSSLShims", dependencies: ["COpenSSL"]),
        // ThreadSanitizer's annotations for the locks it cannot see (PKICore's Locked); empty outside TSan builds.
        .target(name: "CSanitizerHooks"),
        .target(
            name: "PKICore",
            dependencies: [
                "COpenSSL", "COpenSSLShims", "CSanitizerHooks",
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        // HSM keys through p11-kit: an HSM key is just another Signer.
        .systemLibrary(
            name: "CP11Kit",
            path: "Sources/CP11Kit",
            pkgConfig: "p11-kit-1",
            providers: [.apt(["libp11-kit-dev"])]
        ),
        .target(
            name: "PKCS11",
            dependencies: ["CP11Kit", "PKICore", .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: swiftSettings
        ),
        // The embedded store: SQLite through GRDB, one transaction per operation, the hash-chained audit trail.
        .target(
            name: "Store",
            dependencies: [
                "PKICore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LDS",
            dependencies: ["PKICore", .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: swiftSettings
        ),
        // PC/SC readers through pcsc-lite (pcscd; vsmartcard's vpcd for the virtual chip).
        // Its headers include each other as <pcsclite.h>, hence the search path below (pkg-config's flags would add
        // a -pthread that SwiftPM refuses with a warning).
        .systemLibrary(
            name: "CPCSCLite",
            path: "Sources/CPCSCLite",
            providers: [.apt(["libpcsclite-dev"])]
        ),
        // ISO/IEC 7816-4 APDUs and the CardTransport seam (PC/SC readers, the virtual chip in process).
        .target(
            name: "SmartCard",
            dependencies: ["PKICore", "CPCSCLite"],
            swiftSettings: swiftSettings + [.unsafeFlags(["-Xcc", "-I/usr/include/PCSC"])]
        ),
        // The chip access protocols of Doc 9303-11 and TR-03110, terminal and chip side from one implementation:
        // secure messaging, BAC (PACE, CA, TA and AA to follow), one folder per protocol.
        .target(
            name: "ChipAccess",
            dependencies: ["PKICore", "SmartCard", "LDS", "CVC", .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: swiftSettings
        ),
        // The inspection of an eMRTD at the border: access, files, CA/TA/AA, passive authentication into one report.
        .target(
            name: "Inspection",
            dependencies: ["PKICore", "SmartCard", "ChipAccess", "LDS", "CVC", .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: swiftSettings
        ),
        // A virtual eMRTD chip for lines and inspection systems to test against: in process, or in pcscd through vpcd.
        .target(
            name: "VirtualChip",
            dependencies: ["PKICore", "SmartCard", "ChipAccess", "LDS", "CVC", .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: swiftSettings
        ),
        // Doc 9303-12 data shared by the services: the profile linter, CSCA master lists and deviation lists.
        .target(
            name: "ICAOProfile",
            dependencies: ["PKICore", .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: swiftSettings
        ),
        // Services: none imports another; what two of them share lives in the layers above.
        .target(
            name: "CSCA",
            dependencies: ["PKICore", "ICAOProfile", "Store", .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: swiftSettings
        ),
        // BSI TR-03110 card-verifiable certificates and requests: data the CVCA service and the chip's Terminal
        // Authentication share.
        .target(
            name: "CVC",
            dependencies: ["PKICore", .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CVCA",
            dependencies: ["PKICore", "CVC", "Store", .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: swiftSettings
        ),
        // LDAP v3 through OpenLDAP's libldap: the NPKD publishes to and syncs from ICAO-PKD-shaped directories.
        .systemLibrary(
            name: "CLDAP",
            path: "Sources/CLDAP",
            providers: [.apt(["libldap-dev"])]
        ),
        .target(
            name: "NPKD",
            dependencies: [
                "PKICore", "ICAOProfile", "Store", "LDS", "CLDAP", "HTTPRoutes", .product(name: "SwiftASN1", package: "swift-asn1"),
                // GRDBSQLite: the SQLite C API itself, to bind a million CRL entries without boxing each value.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The personalization line: document orders and chip profiles → keys, data groups, security files, EF.SOD →
        // written into a chip through a CardTransport, locked, read back; a journal in the store per document.
        .target(
            name: "Personalization",
            dependencies: [
                "PKICore", "Store", "LDS", "CVC", "SmartCard", "ChipAccess",
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        // The SOD signing service for personalization lines (mutual TLS, registered lines, quotas, the batch signer).
        .target(
            name: "SODService",
            dependencies: [
                "PKICore", "LDS", "Store", "HTTPRoutes", .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // The single point of contact (ICAO Doc 9303-12 §8, CSN 36 9791): SOAP over mutual TLS between countries' SPOCs.
        // It imports no other service: the CLI wires the CVCA and the DVCA to its seams.
        .target(
            name: "SPOC",
            dependencies: [
                "PKICore", "CVC", "Store", .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // Where services meet without importing each other: the CVCA and the DVCA on the SPOC's seams.
        .target(
            name: "ServiceWiring",
            dependencies: ["SPOC", "CVCA", "CVC", "PKICore", "Store"],
            swiftSettings: swiftSettings
        ),
        // The administration API: an entry point beside the CLI, wiring the CSCA, the SPOC's queue and the store's
        // governance behind mutual TLS with officers' certificates.
        // What every HTTP service of the suite answers alike: 405 with Allow for a path served under other methods.
        .target(
            name: "HTTPRoutes",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Administration",
            dependencies: [
                "CSCA", "SPOC", "Store", "PKICore", "HTTPRoutes", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "epki",
            dependencies: [
                "PKICore", "PKCS11", "Store", "LDS", "ICAOProfile", "CSCA", "CVC", "CVCA", "NPKD", "SmartCard", "ChipAccess", "VirtualChip", "Inspection",
                "Personalization", "SODService", "SPOC", "ServiceWiring", "Administration", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: swiftSettings
        ),
        // Shared by the test targets only: vector paths and the external peers (openssl) they drive.
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "PKICoreTests",
            dependencies: ["PKICore", "TestSupport", .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StoreTests",
            dependencies: ["Store", "PKICore", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PKCS11Tests",
            dependencies: ["PKCS11", "PKICore", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LDSTests",
            dependencies: ["LDS", "PKICore", "TestSupport", .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CSCATests",
            dependencies: ["CSCA", "ICAOProfile", "PKICore", "Store", "TestSupport", .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "NPKDTests",
            dependencies: [
                // CSCA too: the import tests read lists and CRLs that a real CSCA of this suite signed.
                "NPKD", "ICAOProfile", "CSCA", "PKICore", "Store", "LDS", "TestSupport", .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CVCATests",
            // epki: the CLI tests drive the executable built from these sources.
            dependencies: ["CVC", "CVCA", "PKICore", "Store", "TestSupport", "epki"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "InspectionTests",
            // epki: `epki inspect` is tested here, against the virtual chip.
            dependencies: ["Inspection", "epki", "ChipAccess", "SmartCard", "VirtualChip", "PKICore", "LDS", "CVC", "NPKD", "Store", "TestSupport",
                           .product(name: "SwiftASN1", package: "swift-asn1")],
            exclude: ["TR03105/README.md"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ChipAccessTests",
            // epki: the `epki chip` commands are tested here, against the chip they serve.
            dependencies: ["ChipAccess", "SmartCard", "VirtualChip", "PKICore", "LDS", "CVC", "epki", "TestSupport", .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PersonalizationTests",
            // epki: `epki perso` is tested here through pcscd; Inspection and VirtualChip read the chips back.
            dependencies: ["Personalization", "Inspection", "VirtualChip", "ChipAccess", "SmartCard", "PKICore", "LDS", "CVC", "Store", "epki",
                           "TestSupport", .product(name: "SwiftASN1", package: "swift-asn1")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SODServiceTests",
            // epki: `epki sod serve` and `epki sod line` are tested here, with curl and openssl as the line's peers.
            dependencies: ["SODService", "LDS", "PKICore", "Store", "epki", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SPOCTests",
            // epki: two countries' `epki spoc serve` talk to each other; zeep is the SOAP client nobody here wrote.
            dependencies: ["SPOC", "ServiceWiring", "CVC", "CVCA", "CSCA", "PKICore", "Store", "epki", "TestSupport"],
            exclude: ["Peers"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "epkiTests",
            // Store: a test injects a store fault into the data directory the CLI works on, whichever engine holds it.
            dependencies: ["PKICore", "TestSupport", "epki", "Store"],
            swiftSettings: swiftSettings
        ),
    ]
)

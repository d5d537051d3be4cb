// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Daftar",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "daftar", targets: ["daftar"]),
        .library(name: "DaftarCore", targets: ["DaftarCore"]),
        .library(name: "DaftarStore", targets: ["DaftarStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
    ],
    targets: [
        // Pure: events, canonical JSON, hashes and seals, clocks, Persian folding. No I/O.
        .target(
            name: "DaftarCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // The SQLite file: the log, the version vector, projections, FTS5 search.
        .target(
            name: "DaftarStore",
            dependencies: ["DaftarCore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The command line: parse, call the library, print.
        .executableTarget(
            name: "daftar",
            dependencies: [
                "DaftarCore", "DaftarStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Benchmarks against raw-SQLite baselines: swift run -c release daftar-bench
        .executableTarget(
            name: "daftar-bench",
            dependencies: [
                "DaftarCore", "DaftarStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "DaftarCoreTests", dependencies: ["DaftarCore"]),
        .testTarget(
            name: "DaftarStoreTests",
            dependencies: ["DaftarCore", "DaftarStore", .product(name: "GRDB", package: "GRDB.swift")],
            resources: []
        ),
        .testTarget(name: "DaftarCLITests", dependencies: ["daftar"]),
    ],
    swiftLanguageModes: [.v6]
)

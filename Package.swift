// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Daftar",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "daftar", targets: ["daftar"]),
        .library(name: "DaftarCore", targets: ["DaftarCore"]),
        .library(name: "DaftarStore", targets: ["DaftarStore"]),
        .library(name: "DaftarSync", targets: ["DaftarSync"]),
        .library(name: "DaftarHub", targets: ["DaftarHub"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        // The team hub's log lives in PostgreSQL: postgres-nio's client and connection pool.
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        // Already there for postgres-nio; named for the TLS of the hub's first connection.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.25.0"),
        // Already there for Hummingbird; named so the client can classify NIOPosix's connection errors.
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        // Already there for Hummingbird; named for the HTTP parts a server's connection limits watch.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
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
        // Sync carriers: the Core's session over a Hummingbird server, an AsyncHTTPClient client
        // and bundle files. Knows storage only as DaftarCore's `EventLog`.
        .target(
            name: "DaftarSync",
            dependencies: [
                "DaftarCore",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The team hub: the sync protocol served over a log in PostgreSQL, by any number of
        // stateless processes; analysts' tokens, stored hashed. Knows the log as `EventLog`.
        .target(
            name: "DaftarHub",
            dependencies: [
                "DaftarCore", "DaftarSync",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What the command line and the reader both call beyond the store: a sync with a peer
        // told in the analyst's terms, past moments named in words, and the reader (a local web
        // app: its JSON API over Hummingbird and its plain HTML/CSS/JS, served from resources).
        .target(
            name: "DaftarApp",
            dependencies: [
                "DaftarCore", "DaftarStore", "DaftarSync",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("Web")]
        ),
        // A small W3C WebDriver client (HTTP + JSON to chromedriver): the reader's browser
        // tests and its benchmark drive headless Chromium with it.
        .target(
            name: "DaftarWebDriver",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The command line: parse, call the library, print.
        .executableTarget(
            name: "daftar",
            dependencies: [
                "DaftarCore", "DaftarStore", "DaftarSync", "DaftarApp", "DaftarHub",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // libFuzzer targets over what reads outside bytes (`.ci/fuzz` builds them with
        // -sanitize=fuzzer); built plainly, it replays inputs: the crashes ever found, in a test.
        .executableTarget(
            name: "daftar-fuzz", dependencies: ["DaftarCore"], path: "Tests/DaftarFuzz", exclude: ["Seeds", "Regressions"]
        ),
        // Benchmarks against raw-SQLite baselines: swift run -c release daftar-bench
        .executableTarget(
            name: "daftar-bench",
            dependencies: [
                "DaftarCore", "DaftarStore", "DaftarSync", "DaftarApp", "DaftarWebDriver", "DaftarHub",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        // What every test target shares: the repository's files and the built binary.
        .target(name: "DaftarTestSupport", path: "Tests/DaftarTestSupport"),
        .testTarget(name: "DaftarCoreTests", dependencies: ["DaftarCore", "DaftarTestSupport"]),
        .testTarget(
            name: "DaftarStoreTests",
            dependencies: ["DaftarCore", "DaftarStore", "DaftarTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            resources: []
        ),
        .testTarget(name: "DaftarCLITests", dependencies: ["daftar", "DaftarHub", "DaftarTestSupport"]),
        .testTarget(
            name: "DaftarSyncTests",
            dependencies: [
                "DaftarCore", "DaftarStore", "DaftarSync", "DaftarHub", "DaftarTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "DaftarReaderTests",
            dependencies: [
                "DaftarCore", "DaftarStore", "DaftarSync", "DaftarApp", "DaftarWebDriver", "DaftarTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

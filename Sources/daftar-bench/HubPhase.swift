import DaftarCore
import DaftarHub
import DaftarStore
import AsyncHTTPClient
import DaftarSync
import Foundation
import PostgresNIO
import Synchronization

/// A team through the hub: `size` replicas (each its own store) write annotations and sync
/// repeatedly through two hub processes (children of this one, so that each hub's peak RSS is
/// its own) on one PostgreSQL database, until every store's digest is equal. The server is the
/// one at `$DAFTAR_BENCH_POSTGRES`; the phase makes a database of its own there, dropped after.
extension Phase {
    static var benchPostgres: String? {
        ProcessInfo.processInfo.environment["DAFTAR_BENCH_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// One hub process: serves `$DAFTAR_HUB_DATABASE`, prints its port, runs until SIGTERM,
    /// then prints its peak RSS.
    func hubServer() async throws -> [Figure] {
        guard let url = ProcessInfo.processInfo.environment["DAFTAR_HUB_DATABASE"] else {
            throw DaftarError(.badInput, "the hub child needs DAFTAR_HUB_DATABASE")
        }
        let database = try HubDatabase(url: url)
        try await database.withClient(maximumConnections: 20) { client in
            let app = buildApplication(
                service: SyncService(log: HubLog(client: client)), authenticate: HubAnalysts(client: client).authenticator,
                host: "127.0.0.1", port: 0
            ) { port in
                FileHandle.standardOutput.write(Data("port \(port)\n".utf8))
            }
            try await app.runService()
        }
        return [Figure("hub", size, "hub_peak_rss", Self.peakRSS(), "MiB")]
    }

    /// Times each call of a transport, by kind.
    struct TimedTransport: SyncTransport {
        let base: HTTPTransport
        let times: Times

        final class Times: Sendable {
            let pulls = Mutex<[Double]>([])
            let pushes = Mutex<[Double]>([])
            let heads = Mutex<[Double]>([])
        }

        var peerName: String { base.peerName }

        func heads() async throws -> PeerHeads {
            let start = DispatchTime.now().uptimeNanoseconds
            defer { record(times.heads, start) }
            return try await base.heads()
        }

        func pull(_ request: PullRequest) async throws -> (Page, Int) {
            let start = DispatchTime.now().uptimeNanoseconds
            defer { record(times.pulls, start) }
            return try await base.pull(request)
        }

        func push(_ request: PushRequest) async throws -> PushReply {
            let start = DispatchTime.now().uptimeNanoseconds
            defer { record(times.pushes, start) }
            return try await base.push(request)
        }

        func record(_ list: borrowing Mutex<[Double]>, _ start: UInt64) {
            let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            list.withLock { $0.append(ms) }
        }
    }

    func hub() async throws -> [Figure] {
        guard let server = Self.benchPostgres else {
            throw DaftarError(.badInput, "the hub phase needs a PostgreSQL server: set DAFTAR_BENCH_POSTGRES=postgres://USER@HOST:PORT/postgres")
        }
        let name = "daftar_bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let adminURL = try HubDatabase.url(server, database: "postgres")
        let admin = try HubDatabase(url: adminURL)
        try await admin.withClient(maximumConnections: 1) { try await $0.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)")) }
        defer {
            // Dropped by a separate process: this one may be unwinding.
            let drop = Process()
            drop.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            drop.arguments = ["psql", adminURL, "-qc", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"]
            try? drop.run()
            drop.waitUntilExit()
        }
        let hubURL = try HubDatabase.url(server, database: name)
        let token = try await HubDatabase(url: hubURL).withClient(maximumConnections: 1) { client in
            try await HubSchema.migrate(client)
            return try await HubAnalysts(client: client).add("bench")
        }

        // Two hub processes on the database.
        var hubs: [(Process, FileHandle, Int)] = []
        defer { for (process, _, _) in hubs where process.isRunning { process.terminate() } }
        for _ in 0..<2 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            process.arguments = ["--child", "hub-server", "--dir", dir, "--size", "\(size)", "--seed", "\(seed)"]
            var environment = ProcessInfo.processInfo.environment
            environment["DAFTAR_HUB_DATABASE"] = hubURL
            process.environment = environment
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            guard let line = Self.readLine(pipe.fileHandleForReading), line.hasPrefix("port "), let port = Int(line.dropFirst(5)) else {
                throw DaftarError(.badInput, "a hub child did not start")
            }
            hubs.append((process, pipe.fileHandleForReading, port))
        }

        // The replicas: the first archives five generated articles; every one annotates each round.
        let stores = try (0..<size).map { try Store.open(at: dir + "/replica\($0).sqlite") }
        let corpus = try corpus()
        _ = try stores[0].ingest((0..<5).map { SourceFile(path: "a\($0).txt", name: "a\($0).txt", text: corpus.article($0, seed: seed)) })
        let times = TimedTransport.Times()
        // A connection per replica, as when each is its own process.
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: size)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let transports = hubs.map { TimedTransport(base: HTTPTransport(baseURL: "http://127.0.0.1:\($0.2)", token: token, client: http), times: times) }
        var (events, bytes) = (0, 0)
        let annotationsPerRound = 4, rounds = 5
        // Every replica syncs through one of the hubs, all at once.
        func syncAll(_ round: Int) async throws {
            let (e, b) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for (i, store) in stores.enumerated() {
                    group.addTask {
                        let report = try await SyncDriver.run(log: store, transport: transports[(i + round) % 2])
                        return (report.pulledEvents + report.pushedEvents, report.totalBytes)
                    }
                }
                return try await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
            }
            events += e
            bytes += b
        }
        var elapsed = 0.0
        // The articles reach the hub first, then every replica.
        elapsed += try await Self.seconds { _ = try await SyncDriver.run(log: stores[0], transport: transports[0]) }
        elapsed += try await Self.seconds { try await syncAll(0) }
        for round in 1...rounds {
            for (i, store) in stores.enumerated() {
                let articles = try store.articles()
                for k in 0..<annotationsPerRound where !articles.isEmpty {
                    let article = articles[(i + k) % articles.count].id
                    _ = try store.annotate(article: article, target: .positions(start: k * 7 + round, end: k * 7 + round + 6), note: "یادداشت \(i)-\(round)-\(k)")
                }
            }
            elapsed += try await Self.seconds { try await syncAll(round) }
        }
        // Until every store holds everything: at most as many rounds again.
        var converged = 0
        for round in (rounds + 1)...(2 * rounds + 2) {
            if Set(try stores.map { try $0.digest() }).count == 1 { break }
            elapsed += try await Self.seconds { try await syncAll(round) }
            converged += 1
        }
        guard Set(try stores.map { try $0.digest() }).count == 1 else {
            throw DaftarError(.badInput, "the replicas did not converge through the hub")
        }
        try await http.shutdown()
        let archived = try stores[0].versionVector().heads.values.reduce(0) { $0 + Int($1.seq) }

        var hubRSS = 0.0
        for (process, output, _) in hubs {
            process.terminate()
            let rest = String(decoding: output.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            for line in rest.split(separator: "\n") {
                if let figure = Figure(jsonLine: String(line)), figure.metric == "hub_peak_rss" { hubRSS = max(hubRSS, figure.value) }
            }
        }
        let pulls = times.pulls.withLock { $0 }, pushes = times.pushes.withLock { $0 }, heads = times.heads.withLock { $0 }
        return [
            Figure("hub", size, "replicas", Double(size), "replicas"),
            Figure("hub", size, "events_archived", Double(archived), "events"),
            Figure("hub", size, "events_per_s", Double(events) / elapsed, "events/s"),
            Figure("hub", size, "bytes_per_event", Double(bytes) / Double(max(events, 1)), "bytes"),
            Figure("hub", size, "pull_p50_ms", Self.percentile(pulls, 0.5), "ms"),
            Figure("hub", size, "pull_p99_ms", Self.percentile(pulls, 0.99), "ms"),
            Figure("hub", size, "push_p50_ms", Self.percentile(pushes, 0.5), "ms"),
            Figure("hub", size, "push_p99_ms", Self.percentile(pushes, 0.99), "ms"),
            Figure("hub", size, "heads_p99_ms", Self.percentile(heads, 0.99), "ms"),
            Figure("hub", size, "rounds_to_converge", Double(rounds + 1 + converged), "rounds"),
            Figure("hub", size, "hub_peak_rss", hubRSS, "MiB"),
        ]
    }
}

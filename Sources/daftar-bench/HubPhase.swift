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
    /// then prints what it measured itself: each request's time inside the hub (its access
    /// log's duration) by path, its CPU seconds and its peak RSS, and `end`. (It prints before
    /// letting go of its pool, which may wait on the database; the parent kills it after `end`.)
    func hubServer() async throws -> [Figure] {
        guard let url = ProcessInfo.processInfo.environment["DAFTAR_HUB_DATABASE"] else {
            throw DaftarError(.badInput, "the hub child needs DAFTAR_HUB_DATABASE")
        }
        let database = try HubDatabase(url: url)
        let served = Mutex<[String: [Double]]>([:])
        try await database.withClient(maximumConnections: 20) { client in
            let app = buildApplication(
                service: SyncService(log: HubLog(client: client)), authenticate: HubAnalysts(client: client).authenticator,
                host: "127.0.0.1", port: 0,
                onRunning: { port in FileHandle.standardOutput.write(Data("port \(port)\n".utf8)) },
                accessLog: { entry in served.withLock { $0[entry.path, default: []].append(entry.milliseconds) } })
            try await app.runService()
            var report = ""
            for (path, times) in served.withLock({ $0 }) { report += "served \(path) " + times.map { String(format: "%.2f", $0) }.joined(separator: " ") + "\n" }
            report += "cpu \(Self.cpuSeconds())\nrss \(Self.peakRSS())\nend\n"
            FileHandle.standardOutput.write(Data(report.utf8))
        }
        return []
    }

    /// CPU seconds (user and system) this process has used.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// CPU seconds used so far by this machine's PostgreSQL processes (the bench's server is
    /// on loopback): what a backend used is lost when it exits, but the hubs' pools keep theirs
    /// for the whole run.
    static func postgresCPUSeconds() -> Double {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var total = 0.0
        for pid in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(pid) != nil {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"),
                stat[stat.index(after: open)..<close] == "postgres"
            else { continue }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            // After the name: state is field 3, utime and stime fields 14 and 15.
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            total += (user + system) / ticks
        }
        return total
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
            hubs.append(try startServerChild("hub-server", environment: ["DAFTAR_HUB_DATABASE": hubURL]))
        }

        // The replicas: the first archives five generated articles; every one annotates each round.
        let stores = try (0..<size).map { try Store.open(at: dir + "/replica\($0).sqlite") }
        let corpus = try corpus()
        _ = try stores[0].ingest((0..<5).map { SourceFile(path: "a\($0).txt", name: "a\($0).txt", text: corpus.article($0, seed: seed)) })
        // A larger archive, when asked (`--hub-archive`): as many annotations more, written
        // by the first replica before the rounds, that every replica pulls.
        let label = events > 0 ? "hub+\(events)" : "hub"
        if events > 0, let article = try stores[0].articles().first?.id {
            for i in 0..<events {
                _ = try stores[0].annotate(article: article, target: .positions(start: i % 50, end: i % 50 + 5), note: "پیشینه \(i)")
            }
        }
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
        // Wall time and this process's CPU while syncing (not while annotating or comparing).
        var (elapsed, replicasCPU) = (0.0, 0.0)
        func timed(_ body: () async throws -> Void) async throws {
            let cpu = Self.cpuSeconds()
            elapsed += try await Self.seconds(body)
            replicasCPU += Self.cpuSeconds() - cpu
        }
        let postgresCPU = Self.postgresCPUSeconds()
        // The articles reach the hub first, then every replica.
        try await timed { _ = try await SyncDriver.run(log: stores[0], transport: transports[0]) }
        try await timed { try await syncAll(0) }
        for round in 1...rounds {
            for (i, store) in stores.enumerated() {
                let articles = try store.articles()
                for k in 0..<annotationsPerRound where !articles.isEmpty {
                    let article = articles[(i + k) % articles.count].id
                    _ = try store.annotate(article: article, target: .positions(start: k * 7 + round, end: k * 7 + round + 6), note: "یادداشت \(i)-\(round)-\(k)")
                }
            }
            try await timed { try await syncAll(round) }
        }
        // Until every store holds everything: at most as many rounds again.
        var converged = 0
        for round in (rounds + 1)...(2 * rounds + 2) {
            if Set(try stores.map { try $0.digest() }).count == 1 { break }
            try await timed { try await syncAll(round) }
            converged += 1
        }
        guard Set(try stores.map { try $0.digest() }).count == 1 else {
            throw DaftarError(.badInput, "the replicas did not converge through the hub")
        }
        try await http.shutdown()
        let databaseCPU = Self.postgresCPUSeconds() - postgresCPU
        let archived = try stores[0].versionVector().heads.values.reduce(0) { $0 + Int($1.seq) }

        // What the hubs measured themselves.
        var (hubRSS, hubCPU) = (0.0, 0.0)
        var served: [String: [Double]] = [:]
        for (process, output, _) in hubs {
            process.terminate()
            while let line = Self.readLine(output), line != "end" {
                let words = line.split(separator: " ")
                switch words.first {
                case "served": served[String(words[1]), default: []] += words.dropFirst(2).compactMap { Double($0) }
                case "cpu": hubCPU += Double(words[1]) ?? 0
                case "rss": hubRSS = max(hubRSS, Double(words[1]) ?? 0)
                default: break
                }
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let pulls = times.pulls.withLock { $0 }, pushes = times.pushes.withLock { $0 }, heads = times.heads.withLock { $0 }
        return [
            Figure(label, size, "replicas", Double(size), "replicas"),
            Figure(label, size, "events_archived", Double(archived), "events"),
            Figure(label, size, "events_per_s", Double(events) / elapsed, "events/s"),
            Figure(label, size, "bytes_per_event", Double(bytes) / Double(max(events, 1)), "bytes"),
            Figure(label, size, "pull_p50_ms", Self.percentile(pulls, 0.5), "ms"),
            Figure(label, size, "pull_p99_ms", Self.percentile(pulls, 0.99), "ms"),
            Figure(label, size, "push_p50_ms", Self.percentile(pushes, 0.5), "ms"),
            Figure(label, size, "push_p99_ms", Self.percentile(pushes, 0.99), "ms"),
            Figure(label, size, "heads_p99_ms", Self.percentile(heads, 0.99), "ms"),
            Figure(label, size, "rounds_to_converge", Double(rounds + 1 + converged), "rounds"),
            Figure(label, size, "hub_peak_rss", hubRSS, "MiB"),
            // Inside the hubs: from a request's arrival to its answer, without the replicas' queueing.
            Figure(label, size, "hub_pull_p50_ms", Self.percentile(served["/v1/pull"] ?? [0], 0.5), "ms"),
            Figure(label, size, "hub_pull_p99_ms", Self.percentile(served["/v1/pull"] ?? [0], 0.99), "ms"),
            Figure(label, size, "hub_push_p99_ms", Self.percentile(served["/v1/push"] ?? [0], 0.99), "ms"),
            Figure(label, size, "hub_heads_p99_ms", Self.percentile(served["/v1/heads"] ?? [0], 0.99), "ms"),
            // Where the two cores went: the hubs, PostgreSQL, and the replicas (this process).
            Figure(label, size, "cpu_hubs_s", hubCPU, "s"),
            Figure(label, size, "cpu_postgres_s", databaseCPU, "s"),
            Figure(label, size, "cpu_replicas_s", replicasCPU, "s"),
            // Events through the hub per CPU second of the hubs and PostgreSQL: the rate the
            // hub sustains when its replicas run on other machines.
            Figure(label, size, "events_per_hub_cpu_s", Double(events) / max(hubCPU + databaseCPU, 0.001), "events/s"),
        ]
    }
}

@testable import DaftarCore
@testable import DaftarHub
@testable import DaftarStore
import DaftarSync
import DaftarTestSupport
import Foundation
import PostgresNIO
import Testing

/// A PostgreSQL cluster of the test's own, on loopback, run by `.ci/postgres` (which finds
/// Debian's binaries and runs them as the postgres user when the tests run as root).
final class Cluster: Sendable {
    let directory: String
    let url: String

    private init(directory: String, url: String) {
        (self.directory, self.url) = (directory, url)
    }

    /// The binaries are installed (always expected under CI).
    static var installed: Bool {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return versions.contains { FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/\($0)/bin/initdb") }
    }

    static func script(_ arguments: [String]) throws -> String {
        // Output to files, not pipes: the server it starts outlives it.
        let outPath = NSTemporaryDirectory() + "cluster-\(UUID().uuidString).out", errPath = outPath + ".err"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outPath); try? FileManager.default.removeItem(atPath: errPath) }
        let process = try Spawned(
            executable: "/bin/bash", arguments: [Repository.root + "/.ci/postgres"] + arguments,
            directory: FileManager.default.currentDirectoryPath, environment: ProcessInfo.processInfo.environment,
            output: outPath, errors: errPath)
        let ended = process.waitUntilExit()
        let output = FileManager.default.contents(atPath: outPath) ?? Data()
        let errors = FileManager.default.contents(atPath: errPath) ?? Data()
        guard ended.status == 0, !ended.signaled else {
            throw HubFixtureError(description: ".ci/postgres \(arguments.joined(separator: " ")) failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func folder() throws -> String {
        let path = "/tmp/daftar-cluster-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A new primary.
    static func primary() throws -> Cluster {
        let directory = try folder()
        return Cluster(directory: directory, url: try script(["start", directory]))
    }

    /// A streaming standby of `primary`.
    static func standby(of primary: Cluster) throws -> Cluster {
        let directory = try folder()
        return Cluster(directory: directory, url: try script(["standby", directory, primary.url]))
    }

    /// The URL of `database` on this cluster.
    func url(_ database: String) -> String {
        String(url[..<url.range(of: "/", options: .backwards)!.lowerBound]) + "/" + database + "?sslmode=disable"
    }

    func kill() throws { _ = try Self.script(["kill", directory]) }
    func promote() throws { _ = try Self.script(["promote", directory]) }

    /// Stops it and removes its folder.
    func remove() {
        _ = try? Self.script(["stop", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A hub survives its database's machine: a primary with a streaming standby, the primary killed
/// mid-sync, the standby promoted and the hub pointed at it. The clients' next syncs resume from
/// their version vectors: events the standby lacks are sent again by the replicas holding them,
/// and nothing is lost or stored twice.
@Suite("Hub failover to a PostgreSQL standby", .enabled(if: HubFixture.underCI || Cluster.installed, "PostgreSQL's binaries are not installed (CI installs them)"))
struct HubFailoverTests {
    @Test("Kill the primary mid-sync, promote the standby, point the hub at it: the replicas converge, nothing lost or twice", .timeLimit(.minutes(8)))
    func failover() async throws {
        let primary = try Cluster.primary()
        defer { primary.remove() }
        let admin = try HubDatabase(url: primary.url("postgres"))
        try await admin.withClient(maximumConnections: 1) { try await $0.query("CREATE DATABASE hub") }
        let onPrimary = try HubDatabase(url: primary.url("hub"))
        let tokens = try await onPrimary.withClient(maximumConnections: 1) { client in
            try await HubSchema.migrate(client)
            var tokens: [String] = []
            for name in ["maryam", "reza", "sara"] { tokens.append(try await HubAnalysts(client: client).add(name)) }
            return tokens
        }
        let standby = try Cluster.standby(of: primary)
        defer { standby.remove() }

        let fixture = try SyncFixture()
        let stores = try (0..<3).map { i in
            let store = try fixture.open("analyst\(i)")
            let file = fixture.directory + "/\(i).txt"
            try SyncFixture.article(i).write(toFile: file, atomically: true, encoding: .utf8)
            _ = try store.ingest([try SourceFile.read(path: file)])
            return store
        }
        func annotateAll(_ round: Int) throws {
            for (i, store) in stores.enumerated() {
                for summary in try store.articles() {
                    _ = try store.annotate(article: summary.id, target: .positions(start: round, end: round + 5 + i), note: "دور \(round) از \(i)")
                }
            }
        }
        let syncAll: @Sendable (String, Bool) async throws -> Int = { url, tolerant in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for (i, store) in stores.enumerated() {
                    group.addTask {
                        do {
                            _ = try await SyncDriver.run(log: store, transport: HTTPTransport(baseURL: url, token: tokens[i], timeout: .seconds(10)))
                            return true
                        } catch where tolerant {
                            return false
                        }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
        }

        // Synced through the hub on the primary; then new work, and the primary dies mid-sync.
        // (Its pool is abandoned once the primary is dead: a scoped pool would wait for
        // connections that never come.)
        let (client, running) = try await onPrimary.startClient()
        defer { running.cancel() }
        // Deadlines short enough to see within the test, long enough for a loaded CI machine
        // (at 2 s, a token check that had to open a connection under the full suite's load
        // was told "busy" before the primary died).
        let log = HubLog(client: client, deadline: .seconds(8))
        try await HubTests.withHub(log, HubAnalysts(client: client, deadline: .seconds(8))) { url in
            try annotateAll(1)
            #expect(try await syncAll(url, false) == 3)
            #expect(try await syncAll(url, false) == 3)
            try annotateAll(2)
            async let syncing = syncAll(url, true)
            try await Task.sleep(for: .milliseconds(30))
            try primary.kill()
            _ = try await syncing
            // With its database gone, the hub says "try again" (503) within its deadline, the
            // token check included — not a 500, not a wait for the pool to give up.
            let started = ContinuousClock.now
            let answer = try await rawRequest(.GET, url + "/v1/heads", token: tokens[0])
            #expect(answer.status == 503, "\(answer)")
            #expect(ContinuousClock.now - started < .seconds(30), "the hub answered only after \(ContinuousClock.now - started)")
        }
        try standby.promote()

        // The hub pointed at the promoted standby: the replicas resume from their heads.
        let onStandby = try HubDatabase(url: standby.url("hub"))
        try await onStandby.withClient { client in
            let log = HubLog(client: client)
            try await HubTests.withHub(log, HubAnalysts(client: client)) { url in
                try annotateAll(3)
                for _ in 0..<2 { #expect(try await syncAll(url, false) == 3) }
                let digests = try Set(stores.map { try $0.digest() })
                #expect(digests.count == 1, "the replicas did not converge after the failover")
                let held = try stores[0].allEvents()
                #expect(try await log.count() == held.count, "the hub holds an event twice, or lacks one")
                #expect(try await log.heads() == stores[0].versionVector())
                // Every replica's own work is there: round 1 on its own article, rounds 2 and 3 on all three.
                #expect(try stores[1].annotationCount() == 3 + 9 + 9)
            }
        }
    }
}

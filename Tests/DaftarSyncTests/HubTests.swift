@testable import DaftarCore
@testable import DaftarHub
@testable import DaftarStore
import DaftarSync
import Foundation
import PostgresNIO
import Synchronization
import Testing

/// The team hub on a real PostgreSQL: its schema, the store's guarantees ported to the
/// database, several hub processes on one database, and a token per analyst.
@Suite("Team hub on PostgreSQL", .enabled(if: HubFixture.shouldRun, HubFixture.skipReason))
struct HubTests {
    /// Serves `log` over HTTP on loopback, tokens checked against `analysts`, while `body` runs.
    static func withHub<T>(
        _ log: HubLog, _ analysts: HubAnalysts, accessLog: (@Sendable (AccessLogEntry) -> Void)? = nil, _ body: (String) async throws -> T
    ) async throws -> T {
        try await withRunningServer({ onRunning in
            buildApplication(
                service: SyncService(log: log), authenticate: analysts.authenticator, host: "127.0.0.1", port: 0,
                onRunning: onRunning, accessLog: accessLog)
        }) { port in
            try await body("http://127.0.0.1:\(port)")
        }
    }

    @Test("Migrations are versioned: again is a no-op, a newer schema is refused unchanged")
    func migrations() async throws {
        try await HubFixture.withDatabase { database in
            try await database.withClient(maximumConnections: 2) { client in
                #expect(try await HubSchema.migrate(client) == (HubSchema.current, HubSchema.current))
                try await HubSchema.check(client)
                try await client.query("UPDATE hub_schema SET version = 99")
                let migrate = await #expect(throws: DaftarError.self) { try await HubSchema.migrate(client) }
                #expect(migrate?.message.contains("newer than this Daftar's") == true, "\(String(describing: migrate))")
                let check = await #expect(throws: DaftarError.self) { try await HubSchema.check(client) }
                #expect(check?.message.contains("upgrade daftar") == true)
                let version = try await client.query("SELECT version FROM hub_schema").decode(Int.self).gathered()
                #expect(version == [99])
            }
        }
    }

    @Test("Events are append-only in the database: no UPDATE, DELETE, TRUNCATE, gap or fork; heads move in the same statement")
    func appendOnly() async throws {
        let fixture = try SyncFixture()
        let a = try SyncPageTests.manyCommits(fixture, "a", annotations: 2)
        try await HubFixture.withDatabase { database in
            try await HubFixture.withLog(database) { log, _ in
                let stored = try await log.receive(ReceivePlanner.verify(a.allEvents()))
                #expect(try stored.stored == a.allEvents().count)
                #expect(try await log.heads() == a.versionVector())
                // Re-sent: a no-op.
                #expect(try await log.receive(ReceivePlanner.verify(a.allEvents())).stored == 0)
                let count = try await log.count()
                for statement in [
                    "UPDATE hub_events SET type = 'x' WHERE seq = 1",
                    "DELETE FROM hub_events WHERE seq = 1",
                    "TRUNCATE hub_events",
                    // A gap: seq 99 after the head.
                    "INSERT INTO hub_events(origin, seq, hash, prev, type, time, is_seal, body, bare, received) SELECT origin, 99, repeat('0', 64), hash, type, time, is_seal, body, bare, received FROM hub_events WHERE seq = 1",
                    // A second event at a held seq.
                    "INSERT INTO hub_events(origin, seq, hash, prev, type, time, is_seal, body, bare, received) SELECT origin, 1, repeat('1', 64), NULL, type, time, is_seal, body, bare, received FROM hub_events WHERE seq = 1",
                ] {
                    await #expect(throws: (any Error).self, "\(statement)") {
                        try await log.client.query(PostgresQuery(unsafeSQL: statement))
                    }
                }
                #expect(try await log.count() == count)
                #expect(try await log.heads() == a.versionVector())
            }
        }
    }

    @Test("The same pages received at once by two hub processes: every event stored once, none refused")
    func concurrentOverlappingReceives() async throws {
        let fixture = try SyncFixture()
        let stores = try (0..<3).map { try SyncPageTests.manyCommits(fixture, "s\($0)", annotations: 6) }
        let pages = try stores.map { try ReceivePlanner.verify($0.allEvents()) }
        let total = try stores.map { try $0.allEvents().count }.reduce(0, +)
        try await HubFixture.withDatabase { database in
            // 24 transactions on the same origins take turns; under the whole suite's load the
            // last has waited over the standard 30 s (this tests what is stored, not how fast).
            try await HubFixture.withLog(database, deadline: .seconds(300)) { log1, _ in
                try await HubFixture.withLog(database, deadline: .seconds(300)) { log2, _ in
                    // Each page 4 times through each process, all at once: 24 transactions racing.
                    let stored = try await withThrowingTaskGroup(of: Int.self) { group in
                        for page in pages {
                            for log in [log1, log2, log1, log2, log1, log2, log1, log2] {
                                group.addTask { try await log.receive(page).stored }
                            }
                        }
                        return try await group.reduce(0, +)
                    }
                    #expect(stored == total)
                    #expect(try await log1.count() == total)
                    var heads = VersionVector()
                    for store in stores { for (origin, head) in try store.versionVector().heads { heads.heads[origin] = head } }
                    #expect(try await log2.heads() == heads)
                }
            }
        }
    }

    @Test("Three analysts sync through two hub processes on one database, at once and overlapping; one is revoked, the others go on")
    func threeAnalystsTwoHubs() async throws {
        let fixture = try SyncFixture()
        let names = ["maryam", "reza", "sara"]
        let stores = try names.map { try fixture.open($0) }
        for (i, store) in stores.enumerated() {
            let file = fixture.directory + "/\(names[i]).txt"
            try SyncFixture.article(i).write(toFile: file, atomically: true, encoding: .utf8)
            _ = try store.ingest([try SourceFile.read(path: file)])
        }
        let lines = Mutex<[String]>([])
        let record: @Sendable (AccessLogEntry) -> Void = { entry in lines.withLock { $0.append(entry.line) } }
        try await HubFixture.withDatabase { database in
            // Two pools: two hub processes as far as PostgreSQL can tell.
            try await HubFixture.withLog(database) { log1, analysts1 in
                try await HubFixture.withLog(database) { log2, analysts2 in
                    var tokens: [String] = []
                    for name in names { tokens.append(try await analysts1.add(name)) }
                    try await Self.withHub(log1, analysts1, accessLog: record) { url1 in
                        try await Self.withHub(log2, analysts2, accessLog: record) { url2 in
                            let urls = [url1, url2]
                            let sync: @Sendable (_ analyst: Int, _ hub: Int) async throws -> SyncReport = { [tokens] i, hub in
                                try await SyncDriver.run(log: stores[i], transport: HTTPTransport(baseURL: urls[hub], token: tokens[i], timeout: .seconds(60)))
                            }
                            // Every analyst pushes the same pages through both hubs at once.
                            try await withThrowingTaskGroup(of: Void.self) { group in
                                for i in stores.indices {
                                    for hub in urls.indices { group.addTask { _ = try await sync(i, hub) } }
                                }
                                try await group.waitForAll()
                            }
                            // Each annotates every article, concurrently, then syncs through either hub.
                            for (i, store) in stores.enumerated() {
                                for summary in try store.articles() {
                                    _ = try store.annotate(article: summary.id, target: .positions(start: i, end: i + 8), note: "یادداشت \(names[i])")
                                }
                            }
                            for round in 0..<2 {
                                try await withThrowingTaskGroup(of: Void.self) { group in
                                    for i in stores.indices { group.addTask { _ = try await sync(i, (i + round) % 2) } }
                                    try await group.waitForAll()
                                }
                            }
                            for i in stores.indices { _ = try await sync(i, 0) }
                            let digests = try Set(stores.map { try $0.digest() })
                            #expect(digests.count == 1, "the analysts' stores differ")
                            #expect(try await log2.heads() == stores[0].versionVector())
                            #expect(try await log1.count() == stores[0].allEvents().count, "the hub holds an event twice, or lacks one")

                            // Sara's token revoked: refused at once, by either hub; the others go on.
                            try await analysts2.revoke("sara")
                            for hub in urls.indices {
                                let refused = await #expect(throws: (any Error).self) { _ = try await sync(2, hub) }
                                #expect("\(refused.map { String(describing: $0) } ?? "")".contains("401"))
                            }
                            _ = try stores[0].annotate(article: try stores[0].articles()[0].id, target: .positions(start: 20, end: 28), note: "پس از لغو")
                            _ = try await sync(0, 1)
                            _ = try await sync(1, 0)
                            #expect(try stores[0].digest() == stores[1].digest())
                            #expect(try stores[2].digest() != stores[1].digest())
                        }
                    }
                    // Every request logged with its analyst's name; never a token.
                    let logged = lines.withLock { $0 }
                    for name in names { #expect(logged.contains { $0.hasSuffix(" analyst=\(name)") }, "\(name) never logged") }
                    #expect(logged.contains { $0.contains(" 401 ") && !$0.contains("analyst=") })
                    for token in tokens { #expect(!logged.contains { $0.contains(token) }) }
                }
            }
        }
    }
}

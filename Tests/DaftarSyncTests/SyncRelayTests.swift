@testable import DaftarCore
@testable import DaftarStore
import DaftarSync
import Foundation
import Testing

/// The same rules whatever the log: stores sync through a relay that is a SQLite store, an
/// in-memory log, or the hub's log in PostgreSQL, over every carrier.
@Suite("Sync through a relay: every log × every carrier")
struct SyncRelayTests {
    enum LogKind: String, CaseIterable, CustomStringConvertible {
        case sqlite, memory, postgres
        var description: String { rawValue }

        /// The hub's log runs where PostgreSQL is (always under CI).
        static var available: [LogKind] { allCases.filter { $0 != .postgres || HubFixture.shouldRun } }
    }

    /// Runs `body` with a relay of this kind (the hub's log over a database of its own).
    static func withRelay<T: Sendable>(_ kind: LogKind, _ fixture: SyncFixture, _ body: (any EventLog) async throws -> T) async throws -> T {
        switch kind {
        case .sqlite: try await body(try fixture.open("relay", forWriting: false))
        case .memory: try await body(MemoryLog())
        case .postgres: try await HubFixture.withDatabase { database in try await HubFixture.withLog(database) { log, _ in try await body(log) } }
        }
    }

    @Test("Two analysts converge through the relay", arguments: LogKind.available, TransportKind.allCases)
    func convergeThroughRelay(log: LogKind, kind: TransportKind) async throws {
        let fixture = try SyncFixture()
        try await Self.withRelay(log, fixture) { relay in try await Self.converge(through: relay, fixture, kind) }
    }

    static func converge(through relay: any EventLog, _ fixture: SyncFixture, _ kind: TransportKind) async throws {
        let a = try SyncPageTests.manyCommits(fixture, "a", annotations: 3)
        let b = try fixture.open("b")
        try await withPeer(kind, serving: relay) { peer in
            let first = try await SyncDriver.run(log: a, transport: peer)
            #expect(first.inSync, "\(first.summary)")
            _ = try await SyncDriver.run(log: b, transport: peer)
            let article = try b.articles()[0].id
            _ = try b.annotate(article: article, target: .positions(start: 1, end: 6), note: "از ب")
            _ = try a.annotate(article: article, target: .positions(start: 2, end: 7), note: "از الف")
            for store in [a, b, a] {
                let report = try await SyncDriver.run(log: store, transport: peer)
                #expect(report.notDelivered(agreed: [:]).isEmpty, "\(report.summary)")
            }
            #expect(try a.digest() == b.digest())
            #expect(try await relay.heads() == a.versionVector())
        }
    }

    @Test("The relay refuses forgeries and freezes only on proof", arguments: LogKind.available, TransportKind.allCases)
    func relayRefusesForgeries(log: LogKind, kind: TransportKind) async throws {
        let fixture = try SyncFixture()
        try await Self.withRelay(log, fixture) { relay in try await Self.refuseForgeries(through: relay, fixture, kind) }
    }

    static func refuseForgeries(through relay: any EventLog, _ fixture: SyncFixture, _ kind: TransportKind) async throws {
        let (a, _) = try await SyncHostileTests.synced(fixture)
        try await withPeer(kind, serving: relay) { peer in
            _ = try await SyncDriver.run(log: a, transport: peer)
            let held = try await relay.heads()
            // An unsealed contradiction, and stripped payloads: refused, nothing changes.
            for page in [[try SyncHostileTests.forgedUnsealed(a)], try a.allEvents().map(\.withoutData)] {
                let error = await daftarError { _ = try await peer.push(page) }
                #expect(error != nil, "a forged page was accepted")
            }
            #expect(try await relay.heads() == held)
            #expect(try await relay.frozen().isEmpty)
            // A real fork proof: frozen, and passed on to the next store that pulls.
            let proof = try SyncHostileTests.realProof(of: a)
            _ = try await peer.push(PushRequest(events: [], forks: [proof]))
            #expect(Set(try await relay.frozen().keys) == [a.origin])
            let c = try fixture.open("c")
            let report = try await SyncDriver.run(log: c, transport: peer)
            #expect(try c.frozenOrigins() == [a.origin], "\(report.summary)")
        }
    }
}

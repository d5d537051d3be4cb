@testable import DaftarCore
@testable import DaftarStore
import DaftarSync
import Foundation
import Synchronization
import Testing

/// A failure the tests inject into a transport: the sync is "killed" there.
struct InjectedFailure: Error, CustomStringConvertible {
    var description: String
}

/// Decides where a ``FlakyTransport`` fails: at fixed calls, or at seeded random ones.
final class Faults: Sendable {
    enum Step: String, Sendable { case heads, pull, push }
    enum When: String, Sendable { case before, after }

    struct State {
        var calls: [Step: Int] = [:]
        var fixed: [(step: Step, number: Int, when: When)] = []
        var rng: SplitMix64? = nil
        var probability = 0.0
        var budget = 0
        var injected: [String] = []
        /// Events in the pulled pages handed back to the driver (which stores each whole).
        var pulledEvents = 0
        /// Events in pushes the peer answered.
        var pushedEvents = 0
    }

    private let state: Mutex<State>

    /// Fails at these calls (1-based per step), before sending or after the peer answered.
    init(failing fixed: [(Step, Int, When)]) {
        state = Mutex(State(fixed: fixed.map { (step: $0.0, number: $0.1, when: $0.2) }))
    }

    /// Fails each call with `probability`, before or after at random, `budget` times at most.
    init(seed: UInt64, probability: Double, budget: Int) {
        state = Mutex(State(rng: SplitMix64(seed: seed), probability: probability, budget: budget))
    }

    func check(_ step: Step, _ when: When) throws {
        try state.withLock { s throws(InjectedFailure) in
            if when == .before { s.calls[step, default: 0] += 1 }
            let number = s.calls[step, default: 0]
            var fail = s.fixed.contains { $0.step == step && $0.number == number && $0.when == when }
            if !fail, s.budget > 0, var rng = s.rng {
                fail = Double.random(in: 0..<1, using: &rng) < s.probability
                s.rng = rng
                if fail { s.budget -= 1 }
            }
            if fail {
                let what = "\(step.rawValue) #\(number) \(when.rawValue)"
                s.injected.append(what)
                throw InjectedFailure(description: "injected failure: \(what)")
            }
        }
    }

    func record(pulled: Int = 0, pushed: Int = 0) {
        state.withLock { $0.pulledEvents += pulled; $0.pushedEvents += pushed }
    }

    var pulledEvents: Int { state.withLock { $0.pulledEvents } }
    var injected: [String] { state.withLock { $0.injected } }
}

/// A transport that dies where ``Faults`` says, and asks for small pages so a sync takes many.
struct FlakyTransport: SyncTransport {
    var peerName: String { base.peerName }
    let base: any SyncTransport
    let faults: Faults
    var pageBytes = 1

    func heads() async throws -> PeerHeads {
        try faults.check(.heads, .before)
        let heads = try await base.heads()
        try faults.check(.heads, .after)
        return heads
    }

    func pull(_ request: PullRequest) async throws -> (Page, Int) {
        var request = request
        request.maxBytes = min(request.maxBytes, pageBytes)
        try faults.check(.pull, .before)
        let reply = try await base.pull(request)
        try faults.check(.pull, .after)  // the page was built and sent, but never arrives
        faults.record(pulled: reply.0.events.count)
        return reply
    }

    func push(_ request: PushRequest) async throws -> PushReply {
        try faults.check(.push, .before)
        let reply = try await base.push(request)
        try faults.check(.push, .after)  // the peer stored the page; its answer is lost
        faults.record(pushed: request.events.count)
        return reply
    }
}

@Suite("Sync: interrupted syncs and equivocation")
struct SyncRecoveryTests {
    /// A server store with many commits, and a client store with its own.
    static func pair(_ fixture: SyncFixture) throws -> (server: Store, client: Store) {
        let server = try SyncPageTests.manyCommits(fixture, "server", annotations: 12)
        let client = try fixture.open("client")
        _ = try client.ingest([SourceFile(path: "c", name: "client.txt", text: SyncFixture.article(5))])
        let article = try #require(try client.articles().first?.id)
        for i in 0..<5 {
            _ = try client.annotate(article: article, target: .positions(start: i, end: i + 6), note: "کارخواه \(i)")
        }
        return (server, client)
    }

    /// After a killed sync: the log verifies, holds whole pages only, nothing twice.
    static func expectIntact(_ store: Store, holding events: Int, of origin: ReplicaID, _ context: String) throws {
        _ = try store.verify()
        let held = try store.count(of: origin)
        #expect(held == events, "\(context): holds \(held) events of the peer, expected \(events) (whole pages)")
        #expect(try store.distinctDots() == (try store.count("events")), "\(context): an event is held twice")
    }

    @Test("A sync killed mid-transfer resumes with nothing lost or duplicated", arguments: TransportKind.allCases)
    func killedSyncResumes(kind: TransportKind) async throws {
        let fixture = try SyncFixture()
        let (server, client) = try Self.pair(fixture)
        let serverOwn = try server.count("events"), clientOwn = try client.count("events")
        try await withPeer(kind, serving: server) { peer in
            // Killed before the 4th pull: three whole pages stored.
            let faults = Faults(failing: [(.pull, 4, .before)])
            await #expect(throws: InjectedFailure.self) {
                try await SyncDriver.run(log: client, transport: FlakyTransport(base: peer, faults: faults))
            }
            #expect(faults.pulledEvents > 0)
            try Self.expectIntact(client, holding: faults.pulledEvents, of: server.origin, "killed during pulls")
            #expect(try server.count("events") == serverOwn, "nothing was pushed yet")

            // Killed after the peer stored the push, before its answer arrived.
            let lost = Faults(failing: [(.push, 1, .after)])
            await #expect(throws: InjectedFailure.self) {
                try await SyncDriver.run(log: client, transport: FlakyTransport(base: peer, faults: lost, pageBytes: .max))
            }
            #expect(try client.count(of: server.origin) == serverOwn, "the pulls completed")
            #expect(try server.count(of: client.origin) == clientOwn, "the peer stored the whole push")

            // Run again: it completes, re-sending nothing the peer acknowledged.
            let report = try await SyncDriver.run(log: client, transport: peer)
            #expect(report.moved == 0, "\(report.summary)")
            #expect(try client.digest() == server.digest())
            #expect(try client.count("events") == serverOwn + clientOwn && server.count("events") == serverOwn + clientOwn)
            #expect(try server.distinctDots() == server.count("events"))
            _ = try server.verify()
        }
    }

    /// STYLE 10: syncs killed at seeded random points (before a call, or after the peer
    /// acted but before its answer arrived) until one completes; then a normal sync.
    @Test("Syncs killed at random points converge", arguments: TransportKind.allCases)
    func randomlyKilledSyncsConverge(kind: TransportKind) async throws {
        for seed in TestSeeds.seeds(count: 2) {
            let fixture = try SyncFixture()
            let (server, client) = try Self.pair(fixture)
            let serverOwn = try server.count("events"), clientOwn = try client.count("events")
            try await withPeer(kind, serving: server) { peer in
                let faults = Faults(seed: seed, probability: 0.3, budget: 10)
                let flaky = FlakyTransport(base: peer, faults: faults)
                var completed = false
                for _ in 0..<100 where !completed {
                    do {
                        _ = try await SyncDriver.run(log: client, transport: flaky)
                        completed = true
                    } catch is InjectedFailure {
                        try Self.expectIntact(client, holding: faults.pulledEvents, of: server.origin, "seed \(seed) after \(faults.injected)")
                        let pushed = try server.count(of: client.origin)
                        #expect(pushed == 0 || pushed == clientOwn, "seed \(seed): the peer holds part of a push")
                        _ = try server.verify()
                    }
                }
                #expect(completed, "seed \(seed): never completed: \(faults.injected)")
                _ = try await SyncDriver.run(log: client, transport: peer)
                #expect(try client.digest() == server.digest(), "seed \(seed): \(faults.injected)")
                #expect(try client.count("events") == serverOwn + clientOwn, "seed \(seed)")
                #expect(try server.count("events") == serverOwn + clientOwn, "seed \(seed)")
                #expect(try client.distinctDots() == client.count("events") && server.distinctDots() == server.count("events"), "seed \(seed)")
            }
        }
    }

    // MARK: Equivocation end to end

    /// Four stores: `original` and its restored `copy` (same key) wrote different events
    /// after the backup; `other` learned the original's, `bystander` the copy's.
    struct Forked {
        let fixture: SyncFixture
        let original: Store
        let copy: Store
        let other: Store
        let bystander: Store
        /// Seq of the last event both histories share.
        let agreed: Int64
    }

    static func forked(_ kind: TransportKind) async throws -> Forked {
        let fixture = try SyncFixture()
        let original = try fixture.open("original")
        _ = try original.ingest(try SyncFixture.seedFiles())
        let agreed = try #require(try original.versionVector()[original.origin]?.seq)
        // A backup, restored later on the same machine: store file and key file.
        try original.backup(to: fixture.path("copy"))

        let other = try fixture.open("other")
        let bystander = try fixture.open("bystander")
        _ = try bystander.ingest([SourceFile(path: "z", name: "bystander.txt", text: SyncFixture.article(6))])
        let article = try original.articles()[0].id
        try await withPeer(kind, serving: original) { peer in
            _ = try await SyncDriver.run(log: other, transport: peer)
            _ = try other.annotate(article: article, target: .positions(start: 0, end: 10), note: "دیگری")
            // The original writes on after the backup, and other learns it.
            _ = try original.annotate(article: article, target: .positions(start: 2, end: 12), note: "اصل ۱")
            _ = try original.annotate(article: article, target: .positions(start: 4, end: 14), note: "اصل ۲")
            _ = try await SyncDriver.run(log: other, transport: peer)
        }
        // The restored copy writes something else at the same seqs.
        let copy = try fixture.open(at: fixture.path("copy"))
        #expect(copy.origin == original.origin)
        #expect(copy.identityNotice == nil)
        _ = try copy.annotate(article: article, target: .positions(start: 6, end: 16), note: "نسخهٔ بازگردانده")
        try await withPeer(kind, serving: copy) { peer in
            _ = try await SyncDriver.run(log: bystander, transport: peer)
        }
        #expect(try copy.versionVector()[copy.origin]?.seq == agreed + 1)
        #expect(try other.versionVector()[original.origin]?.seq == agreed + 2)
        return Forked(fixture: fixture, original: original, copy: copy, other: other, bystander: bystander, agreed: agreed)
    }

    @Test("A store restored from an old copy that wrote again is detected as equivocation", arguments: TransportKind.allCases)
    func restoredCopyIsEquivocation(kind: TransportKind) async throws {
        let f = try await Self.forked(kind)
        let x = f.original.origin
        let otherHeld = try f.other.versionVector()[x]
        let copyHeld = try f.copy.versionVector()[x]
        try await withPeer(kind, serving: f.other) { peer in
            // The restored copy syncs with a peer that has the original's later events.
            let report = try await SyncDriver.run(log: f.copy, transport: peer)
            #expect(report.forked == [x], "\(report.summary)")
            // Every other origin still synced, both ways.
            #expect(try f.copy.count(of: f.other.origin) == f.other.count(of: f.other.origin), "\(report.summary)")
            #expect(try f.other.count(of: f.bystander.origin) == f.bystander.count(of: f.bystander.origin), "\(report.summary)")
            // Neither side took the other's history of x.
            #expect(try f.other.versionVector()[x] == otherHeld)
            #expect(try f.copy.versionVector()[x] == copyHeld)
            _ = try f.copy.verify()
            _ = try f.other.verify()

            // A third store holding the copy's history syncs with the same peer: same result.
            let third = try await SyncDriver.run(log: f.bystander, transport: peer)
            #expect(third.forked == [x], "\(third.summary)")
            #expect(try f.bystander.count(of: f.other.origin) == f.other.count(of: f.other.origin))
            #expect(try f.bystander.versionVector()[x] == copyHeld)
        }
    }

    @Test("The equivocating origin is frozen in the store that syncs", arguments: TransportKind.allCases)
    func equivocatingOriginIsFrozen(kind: TransportKind) async throws {
        let f = try await Self.forked(kind)
        let x = f.original.origin
        try await withPeer(kind, serving: f.other) { peer in
            let fromCopy = try await SyncDriver.run(log: f.copy, transport: peer)
            #expect(fromCopy.forked == [x])
            #expect(try f.copy.frozenOrigins().contains(x), "the restored copy's sync reported \(x) as forked but did not freeze it")
            let fromBystander = try await SyncDriver.run(log: f.bystander, transport: peer)
            #expect(fromBystander.forked == [x])
            #expect(try f.bystander.frozenOrigins() == [x], "the bystander's sync reported \(x) as forked but did not freeze it")
        }
        // The other direction: the peer holding the original's history syncs with the copy.
        try await withPeer(kind, serving: f.copy) { peer in
            // The other store learned the proof when the copy pushed it: already frozen, and
            // the two stay apart on x.
            #expect(try f.other.frozenOrigins() == [x])
            let report = try await SyncDriver.run(log: f.other, transport: peer)
            #expect(!report.inSync, "\(report.summary)")
            #expect(report.notDelivered(agreed: try f.other.frozenAt())[x] == 2, "\(report.summary)")
        }
    }

    /// Causal delivery (DESIGN §3) across a fork: an event whose clock counts the original's
    /// events after the fork point depends on events the copy does not hold (it holds others
    /// at those seqs), so it must not be delivered to the copy.
    @Test("Events depending on the other side of a fork are not delivered", arguments: TransportKind.allCases)
    func dependentsOfTheOtherHistoryAreHeldBack(kind: TransportKind) async throws {
        let fixture = try SyncFixture()
        let original = try fixture.open("original")
        _ = try original.ingest(try SyncFixture.seedFiles())
        try original.backup(to: fixture.path("copy"))
        let article = try original.articles()[0].id
        let created = try original.annotate(article: article, target: .positions(start: 2, end: 12), note: "اصل").id
        let other = try fixture.open("other")
        let copy = try fixture.open(at: fixture.path("copy"))
        _ = try copy.annotate(article: article, target: .positions(start: 6, end: 16), note: "نسخه")
        try await withPeer(kind, serving: original) { peer in
            _ = try await SyncDriver.run(log: other, transport: peer)
        }
        // other edits the annotation the original created after the fork point: its event
        // depends on original's event at a seq where the copy holds a different event.
        _ = try other.edit(annotation: created, note: "ویرایش دیگری", motivation: nil)
        let dependent = try #require(try other.allEvents().last)
        #expect(dependent.clock[original.origin] == (try copy.versionVector()[copy.origin]?.seq))

        try await withPeer(kind, serving: other) { peer in
            let report = try await SyncDriver.run(log: copy, transport: peer)
            #expect(report.forked == [original.origin])
            #expect(try copy.count(of: other.origin) == 0, "the copy stored \(dependent.name), which depends on the original's history it does not hold")
        }
    }
}

@testable import DaftarCore
@testable import DaftarStore
import DaftarSync
import Foundation
import Synchronization
import Testing

/// Peers that lie (issue: sync that a lying peer cannot break). Each runs over every transport.
@Suite("Sync: lying peers cannot break it")
struct SyncHostileTests {
    /// A has the seeds and an annotation, synced to B.
    static func synced(_ fixture: SyncFixture) async throws -> (a: Store, b: Store) {
        let a = try fixture.open("a")
        _ = try a.ingest(try SyncFixture.seedFiles())
        _ = try a.annotate(article: try a.articles()[0].id, target: .positions(start: 0, end: 8), note: "اول")
        let b = try fixture.open("b")
        try b.receive(try a.allEvents())
        return (a, b)
    }

    /// One of `a`'s unsealed events rewritten, with recomputed `dataHash` and `hash`: what
    /// anyone holding a token can forge without `a`'s key.
    static func forgedUnsealed(_ a: Store) throws -> Event {
        let second = try #require(try a.allEvents().first { $0.origin == a.origin && $0.seq == 2 })
        #expect(!second.isSeal)
        return try Forge.altered(second) { envelope in
            var data = envelope["data"]!.objectValue!
            data["file"] = "forged.txt"
            envelope["data"] = .object(data)
        }
    }

    @Test("An unsealed event contradicting a held one is refused (422), freezes nothing, and A's next work still arrives", arguments: TransportKind.allCases)
    func forgedContradictionIsRefused(kind: TransportKind) async throws {
        let fixture = try SyncFixture()
        let (a, b) = try await Self.synced(fixture)
        let forged = try Self.forgedUnsealed(a)
        let before = try b.snapshot()
        try await withPeer(kind, serving: b) { peer in
            let error = await daftarError { _ = try await peer.push([forged]) }
            #expect(error?.code == (kind == .memory ? .invalidEvent : .refusedByPeer), "\(String(describing: error))")
            #expect(error?.message.contains(forged.name) == true, "the refusal should name \(forged.name): \(String(describing: error))")
            #expect(try b.frozenOrigins().isEmpty, "B froze A on an unsealed contradiction")
            #expect(try b.snapshot() == before)

            // A writes on and syncs: it arrives, and both say in sync.
            _ = try a.annotate(article: try a.articles()[0].id, target: .positions(start: 2, end: 9), note: "دوم")
            let report = try await SyncDriver.run(log: a, transport: peer)
            #expect(report.pushedEvents == 1 && report.inSync, "\(report.summary)")
            #expect(try b.digest() == a.digest())
        }
    }

    @Test("Over HTTP the forged contradiction is answered 422 naming the event")
    func forgedContradictionIs422() async throws {
        let fixture = try SyncFixture()
        let (a, b) = try await Self.synced(fixture)
        let forged = try Self.forgedUnsealed(a)
        try await withLiveServer(serving: b) { url in
            let response = try await rawRequest(.POST, url + "/v1/push", token: testToken, body: PushRequest(events: [forged]).bytes)
            #expect(response.status == 422, "\(response)")
            #expect(response.body.contains(forged.name), "\(response)")
        }
        #expect(try b.frozenOrigins().isEmpty)
    }

    @Test("Events stripped of their data are refused and nothing disappears downstream", arguments: TransportKind.allCases)
    func strippedEventsAreRefused(kind: TransportKind) async throws {
        let fixture = try SyncFixture()
        let (a, relay) = try await Self.synced(fixture)
        // Pushed stripped by a relay.
        let stripped = try a.allEvents().map { $0.type == "article.ingested" ? $0.withoutData : $0 }
        let downstream = try fixture.open("downstream")
        let before = try downstream.snapshot()
        try await withPeer(kind, serving: downstream) { peer in
            let error = await daftarError { _ = try await peer.push(stripped) }
            #expect(error?.code == (kind == .memory ? .invalidEvent : .refusedByPeer), "\(String(describing: error))")
            #expect(error?.message.contains("no data") == true, "\(String(describing: error))")
        }
        #expect(try downstream.snapshot() == before)

        // Served stripped by a relay: the pull is refused, nothing stored; an honest peer then delivers all.
        let liar = LyingLog(base: relay, lie: .stripData(type: "article.ingested"))
        try await withPeer(kind, serving: liar) { peer in
            let error = await daftarError { _ = try await SyncDriver.run(log: downstream, transport: peer) }
            #expect(error?.code == .invalidEvent, "\(String(describing: error))")
        }
        #expect(try downstream.snapshot() == before)
        try await withPeer(kind, serving: relay) { peer in
            let report = try await SyncDriver.run(log: downstream, transport: peer)
            #expect(report.inSync, "\(report.summary)")
        }
        #expect(try downstream.digest() == a.digest())
        #expect(try downstream.articles().count == a.articles().count)
    }

    @Test("A copy held without its payload takes the full event when a peer offers it", arguments: TransportKind.allCases)
    func payloadlessCopyIsRestored(kind: TransportKind) async throws {
        let fixture = try SyncFixture()
        let (a, _) = try await Self.synced(fixture)
        // As an earlier version stored what a stripping relay pushed.
        let old = try fixture.open("old")
        let stripped = try a.allEvents().map { $0.type == "article.ingested" ? $0.withoutData : $0 }
        try await old.writer.write { db in try old.append(stripped, db) }
        #expect(try old.articles().count < (try a.articles().count))
        #expect(try old.payloadless(limit: 100).count == stripped.filter { $0.data == nil }.count)
        try await withPeer(kind, serving: a) { peer in
            let report = try await SyncDriver.run(log: old, transport: peer)
            #expect(report.restoredEvents == stripped.filter { $0.data == nil }.count, "\(report.summary)")
            #expect(report.inSync)
        }
        #expect(try old.payloadless(limit: 100).isEmpty)
        #expect(try old.digest() == a.digest())
        _ = try old.verify()
    }

    @Test("A store holding payloadless copies still syncs: it never sends them", arguments: TransportKind.allCases)
    func payloadlessCopiesAreNotSent(kind: TransportKind) async throws {
        let fixture = try SyncFixture()
        let (a, _) = try await Self.synced(fixture)
        let old = try fixture.open("old")
        try await old.writer.write { db in try old.append(try a.allEvents().map { $0.type == "article.ingested" ? $0.withoutData : $0 }, db) }
        // Another replica's events, independent of the payloadless ones: they still flow.
        let other = try fixture.open("other")
        _ = try other.ingest([SourceFile(path: "o", name: "other.txt", text: SyncFixture.article(11))])
        try old.receive(try other.allEvents())
        let client = try fixture.open("client")
        try await withPeer(kind, serving: old) { peer in
            let report = try await SyncDriver.run(log: client, transport: peer)
            #expect(!report.inSync, "\(report.summary)")
        }
        #expect(try client.count(of: other.origin) == (try other.count("events")), "independent events should still arrive")
        #expect(try client.count(of: a.origin) == 0)
        _ = try client.verify()
    }

    @Test("A page cut in the middle is refused whole", arguments: TransportKind.allCases)
    func cutPageIsRefused(kind: TransportKind) async throws {
        let fixture = try SyncFixture()
        let (a, _) = try await Self.synced(fixture)
        let events = try a.allEvents()
        let cut = Array(events.prefix(3))  // the ingest commit is sealed only at its end
        #expect(!cut.last!.isSeal)
        let receiver = try fixture.open("receiver")
        try await withPeer(kind, serving: receiver) { peer in
            let error = await daftarError { _ = try await peer.push(cut) }
            #expect(error?.message.contains("seal") == true, "\(String(describing: error))")
        }
        #expect(try receiver.count("events") == 0)
    }

    /// Two validly sealed events at one dot of `a`'s: a real fork proof.
    static func realProof(of a: Store) throws -> ForkProof {
        let held = try a.allEvents().filter { $0.origin == a.origin }
        let original = held.last!
        let key = try Forge.identity(of: a)
        var before = VersionVector()
        for event in held.dropLast() { before[event.origin] = ChainHead(seq: event.seq, hash: event.hash) }
        let twin = EventComposer(identity: key, author: "a").compose(
            [EventDraft(type: "annotation.created", data: [
                "annotation": "11111111-1111-4111-8111-111111111111", "article": .string(try a.articles()[0].id), "note": "جعلی",
                "target": ["exact": "x", "prefix": "", "suffix": "", "start": 0, "end": 1], "motivation": "commenting", "tags": [],
            ])], on: before, time: original.time + 5)[0]
        return ForkProof(origin: a.origin, seq: original.seq, [original], [twin])
    }

    enum Claim: String, CaseIterable, CustomStringConvertible {
        case bare, unsealed, oneBranch, forgedSignature, valid
        var description: String { rawValue }
    }

    static func claim(_ kind: Claim, about a: Store) throws -> JSONValue {
        let proof = try realProof(of: a)
        var json = proof.json.objectValue!
        switch kind {
        case .bare:
            json["branches"] = nil
        case .unsealed:
            // A contradicting event with no seal: recomputed hash, key and signature dropped.
            let twin = proof.branches[1][0]
            let unsealed = try Forge.altered(twin) { $0["key"] = nil; $0["sig"] = nil }
            json["branches"] = .array([.array(proof.branches[0].map { .object($0.envelope) }), .array([.object(unsealed.envelope)])])
        case .oneBranch:
            json["branches"] = .array([.array(proof.branches[0].map { .object($0.envelope) })])
        case .forgedSignature:
            let other = Identity.generate()
            let resealed = try Forge.altered(proof.branches[1][0], signer: other) { $0["author"] = "mallory" }
            json["branches"] = .array([.array(proof.branches[0].map { .object($0.envelope) }), .array([.object(resealed.envelope)])])
        case .valid:
            break
        }
        return .object(json)
    }

    @Test("A fork claim is believed only with a valid proof", arguments: TransportKind.allCases, Claim.allCases)
    func forkClaimsNeedProof(kind: TransportKind, claim: Claim) async throws {
        let fixture = try SyncFixture()
        let (a, server) = try await Self.synced(fixture)
        let client = try fixture.open("client")
        let liar = LyingLog(base: server, lie: .claims([try Self.claim(claim, about: a)]))
        try await withPeer(kind, serving: liar) { peer in
            let report = try await SyncDriver.run(log: client, transport: peer)
            if claim == .valid {
                #expect(try client.frozenOrigins() == [a.origin], "\(report.summary)")
                #expect(report.frozenHere[a.origin] != nil)
                #expect(report.ignoredClaims.isEmpty)
            } else {
                #expect(try client.frozenOrigins().isEmpty, "\(claim): froze on a claim without a valid proof")
                #expect(report.ignoredClaims.map(\.origin) == [a.origin], "\(claim): \(report.ignoredClaims)")
                #expect(try client.digest() == server.digest(), "\(claim): A's events should still sync")
            }
        }
    }

    @Test("A peer that acknowledges pushes but never advances ends the sync with a message", arguments: TransportKind.allCases)
    func peerThatNeverAdvances(kind: TransportKind) async throws {
        let fixture = try SyncFixture()
        let (a, _) = try await Self.synced(fixture)
        let server = try fixture.open("server")
        let liar = LyingLog(base: server, lie: .neverAdvance)
        let pushes = PushCounter()
        try await withPeer(kind, serving: liar) { peer in
            let report = try await SyncDriver.run(log: a, transport: CountingTransport(base: peer, pushes: pushes))
            #expect(report.stopped == .peerDidNotAdvance(rounds: SyncSession.maxIdleRounds), "\(report.summary)")
            #expect(!report.inSync)
            #expect(report.notDelivered(agreed: [:])[a.origin] == (try a.versionVector()[a.origin]?.seq))
        }
        #expect(pushes.count <= SyncSession.maxIdleRounds + 1, "pushed \(pushes.count) times")
    }
}

final class PushCounter: Sendable {
    private let value = Mutex(0)
    var count: Int { value.withLock { $0 } }
    func add() { value.withLock { $0 += 1 } }
}

/// Counts pushes on the way through.
struct CountingTransport: SyncTransport {
    let base: any SyncTransport
    let pushes: PushCounter
    var peerName: String { base.peerName }
    func heads() async throws -> PeerHeads { try await base.heads() }
    func pull(_ request: PullRequest) async throws -> (Page, Int) { try await base.pull(request) }
    func push(_ request: PushRequest) async throws -> PushReply {
        pushes.add()
        return try await base.push(request)
    }
}



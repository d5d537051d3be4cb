@testable import DaftarCore
@testable import DaftarStore
import DaftarSync
import Foundation
import Testing

/// Pages as a receiver gets them: re-sent, out of order, or forged (DESIGN §2, §5).
@Suite("Sync: pages re-sent, re-ordered and forged")
struct SyncPageTests {
    /// A store with several commits of one origin: the seeds one by one, then annotations.
    static func manyCommits(_ fixture: SyncFixture, _ name: String, annotations: Int = 4) throws -> Store {
        let store = try fixture.open(name)
        for file in try SyncFixture.seedFiles() { _ = try store.ingest([file]) }
        let article = try #require(try store.articles().first?.id)
        for i in 0..<annotations {
            _ = try store.annotate(article: article, target: .positions(start: i * 3, end: i * 3 + 10), note: "یادداشت \(i)")
        }
        return store
    }

    /// `have` advanced past every event of `page`.
    static func advanced(_ have: VersionVector, by events: [Event]) -> VersionVector {
        var have = have
        for event in events { have[event.origin] = ChainHead(seq: event.seq, hash: event.hash) }
        return have
    }

    @Test("Duplicated and re-ordered pages are harmless", arguments: TransportKind.allCases)
    func duplicatedAndReorderedPages(kind: TransportKind) async throws {
        let fixture = try SyncFixture()
        let a = try Self.manyCommits(fixture, "a")
        let b = try fixture.open("b")
        try await withPeer(kind, serving: a) { peer in
            // The smallest budget: one sealed commit per page.
            let (first, _) = try await peer.pull(PullRequest(have: try b.versionVector(), maxBytes: 1))
            #expect(!first.events.isEmpty && first.more)
            let (second, _) = try await peer.pull(PullRequest(have: Self.advanced(try b.versionVector(), by: first.events), maxBytes: 1))
            #expect(!second.events.isEmpty)
            #expect(first.events.last!.seq < second.events.first!.seq)

            // A later page before an earlier one: refused, nothing stored.
            let empty = try b.snapshot()
            let error = await daftarError { _ = try b.receivePage(second.events, freezeForks: true) }
            #expect(error?.code == .invalidEvent, "\(String(describing: error))")
            #expect(error?.message.contains(second.events[0].name) == true, "the refusal should name the event: \(String(describing: error))")
            #expect(try b.snapshot() == empty)

            // In order, each twice: the repeat stores nothing.
            #expect(try b.receivePage(first.events, freezeForks: true).stored == first.events.count)
            #expect(try b.receivePage(first.events, freezeForks: true).stored == 0)
            let afterFirst = try b.snapshot()
            #expect(try b.receivePage(first.events, freezeForks: false).stored == 0)
            #expect(try b.snapshot() == afterFirst)
            #expect(try b.receivePage(second.events, freezeForks: true).stored == second.events.count)
            #expect(try b.receivePage(second.events + first.events, freezeForks: true).stored == 0)

            // The rest through the session: the same archive, nothing held twice.
            let report = try await SyncDriver.run(log: b, transport: peer)
            #expect(report.pulledEvents == (try a.count("events")) - first.events.count - second.events.count, "\(report.summary)")
            #expect(try b.digest() == a.digest())
            #expect(try b.count("events") == a.count("events"))
            #expect(try b.distinctDots() == b.count("events"))

            // A re-sent push is a no-op.
            let article = try #require(try b.articles().first?.id)
            _ = try b.annotate(article: article, target: .positions(start: 1, end: 9), note: "از b")
            let push = try b.page(after: try a.versionVector(), exclude: [])
            #expect(push.events.count == 1)
            #expect(try await peer.push(push.events).accepted == 1)
            let afterPush = try a.snapshot()
            let again = try await peer.push(push.events)
            #expect(again.accepted == 0)
            #expect(again.heads == (try a.versionVector()))
            #expect(try a.snapshot() == afterPush)
            #expect(try a.digest() == b.digest())
        }
    }

    /// STYLE 10: every page of a sync, delivered in a seeded random order with duplicates;
    /// a page that comes too early is refused whole and changes nothing.
    @Test("Pages delivered shuffled and duplicated converge", arguments: TransportKind.allCases)
    func shuffledPageDelivery(kind: TransportKind) async throws {
        for seed in TestSeeds.seeds(count: 2) {
            var rng = SplitMix64(seed: seed)
            let fixture = try SyncFixture()
            let a = try Self.manyCommits(fixture, "a", annotations: 3)
            let c = try fixture.open("c")
            // A second origin, partly depending on the first.
            _ = try c.ingest([SourceFile(path: "c", name: "c.txt", text: SyncFixture.article(7))])
            try c.receive(try a.allEvents().prefix(1).map { $0 })  // a's first commit is one event
            let article = try #require(try c.articles().first?.id)
            _ = try c.annotate(article: article, target: .positions(start: 0, end: 4), note: "c")
            try a.receive(try c.allEvents().filter { $0.origin == c.origin })
            let b = try fixture.open("b")

            try await withPeer(kind, serving: a) { peer in
                var pages: [[Event]] = []
                var have = try b.versionVector()
                while true {
                    let (page, _) = try await peer.pull(PullRequest(have: have, maxBytes: 1))
                    if page.events.isEmpty { break }
                    pages.append(page.events)
                    have = Self.advanced(have, by: page.events)
                    if !page.more { break }
                }
                #expect(pages.count >= 8, "seed \(seed): \(pages.count) pages")
                #expect(pages.map(\.count).reduce(0, +) == (try a.count("events")), "seed \(seed)")

                var deliveries = 0
                while try b.count("events") < a.count("events"), deliveries < 2_000 {
                    deliveries += 1
                    let page = pages.randomElement(using: &rng)!
                    let before = try b.snapshot()
                    do {
                        let stored = try b.receivePage(page, freezeForks: Bool.random(using: &rng)).stored
                        #expect(stored == 0 || stored == page.count, "seed \(seed): a page was stored in part")
                    } catch let error as DaftarError {
                        #expect(error.code == .invalidEvent, "seed \(seed): \(error)")
                        #expect(try b.snapshot() == before, "seed \(seed): a refused page changed the store")
                    }
                }
                #expect(try b.digest() == a.digest(), "seed \(seed): after \(deliveries) deliveries")
                #expect(try b.count("events") == a.count("events") && b.distinctDots() == b.count("events"), "seed \(seed)")
                #expect(try b.frozenOrigins().isEmpty, "seed \(seed)")
                _ = try b.verify()
            }
        }
    }

    // MARK: Forgeries

    /// Ways to forge a page. Each names the event that must be named in the refusal.
    enum Forgery: String, CaseIterable, Sendable, CustomStringConvertible {
        /// A seal whose signature was made by another key.
        case badSeal
        /// A seal carrying another replica's key (validly signed by it) for this origin.
        case originNotMatchingKey
        /// A new event in another replica's name, sealed with the forger's own key.
        case injectedInAnotherName
        /// An event whose `prev` was altered and whose hash was recomputed.
        case brokenChain
        /// A field changed without recomputing the hash.
        case tamperedContent

        var description: String { rawValue }
    }

    /// A page of a valid origin's events followed by the victim's, one of them forged.
    /// Returns the page and the forged event.
    static func forge(_ forgery: Forgery, victim: [Event], other: Identity) throws -> (page: [Event], forged: Event) {
        var events = victim
        switch forgery {
        case .badSeal:
            let i = try #require(events.lastIndex { $0.isSeal })
            // Signed by another key, but still presenting the victim's key.
            let victimKey = try #require(events[i].key)
            events[i] = try Forge.altered(events[i], rehash: false, signer: other) { _ in }
            events[i] = try Forge.altered(events[i], rehash: false) { $0["key"] = .string(victimKey) }
            return (events, events[i])
        case .originNotMatchingKey:
            let i = try #require(events.lastIndex { $0.isSeal })
            events[i] = try Forge.altered(events[i], rehash: false, signer: other) { _ in }
            return (events, events[i])
        case .injectedInAnotherName:
            let last = events.last!
            var clock = last.clock
            clock[last.origin] = last.seq + 1
            let injected = try Forge.altered(last, signer: other) { envelope in
                envelope["seq"] = .int(last.seq + 1)
                envelope["prev"] = .string(last.hash)
                envelope["clock"] = clock.json
                envelope["type"] = "annotation.deleted"
                envelope["data"] = ["annotation": "00000000-0000-4000-8000-000000000000"]
            }
            events.append(injected)
            return (events, injected)
        case .brokenChain:
            // An unsealed event in the middle of a commit: its prev now skips one event.
            let i = try #require(events.indices.first { $0 >= 2 && !events[$0].isSeal })
            events[i] = try Forge.altered(events[i]) { $0["prev"] = .string(events[i - 2].hash) }
            return (events, events[i])
        case .tamperedContent:
            let i = try #require(events.indices.first { $0 >= 1 && !events[$0].isSeal })
            events[i] = try Forge.altered(events[i], rehash: false) { $0["author"] = "mallory" }
            return (events, events[i])
        }
    }

    @Test("Forged events are refused, the page stored in nothing", arguments: TransportKind.allCases, Forgery.allCases)
    func forgedEventsRefused(kind: TransportKind, forgery: Forgery) async throws {
        let fixture = try SyncFixture()
        let victim = try fixture.open("victim")
        _ = try victim.ingest(try SyncFixture.seedFiles())  // one commit: seq 1…5, sealed at 5
        _ = try victim.annotate(article: try victim.articles()[0].id, target: .positions(start: 0, end: 8), note: "x")
        let bystander = try fixture.open("bystander")
        _ = try bystander.ingest([SourceFile(path: "y", name: "y.txt", text: SyncFixture.article(3))])
        let valid = try bystander.allEvents()  // independent and sealed: storable on its own
        let other = Identity.generate()

        let (forgedEvents, forged) = try Self.forge(forgery, victim: try victim.allEvents(), other: other)
        let page = valid + forgedEvents

        // Locally, with and without freezing forks.
        let receiver = try fixture.open("receiver")
        let before = try receiver.snapshot()
        for freeze in [true, false] {
            let error = await daftarError { _ = try receiver.receivePage(page, freezeForks: freeze) }
            #expect(error?.code == .invalidEvent, "\(forgery): \(String(describing: error))")
            #expect(error?.message.contains(forged.name) == true, "\(forgery): the refusal should name \(forged.name): \(String(describing: error))")
            #expect(try receiver.snapshot() == before, "\(forgery): something of the page was stored")
        }
        #expect(try receiver.frozenOrigins().isEmpty)
        // The valid part alone is accepted: the refusal was the forgery's.
        #expect(try receiver.receivePage(valid, freezeForks: true).stored == valid.count)

        // Pushed to a peer over the transport.
        let peerStore = try fixture.open("peer")
        let peerBefore = try peerStore.snapshot()
        try await withPeer(kind, serving: peerStore) { peer in
            let error = await daftarError { _ = try await peer.push(PushRequest(events: page)) }
            #expect(error?.code == (kind == .memory ? .invalidEvent : .refusedByPeer), "\(forgery) over \(kind): \(String(describing: error))")
            #expect(error?.message.contains(forged.name) == true, "\(forgery) over \(kind): should name \(forged.name): \(String(describing: error))")
        }
        #expect(try peerStore.snapshot() == peerBefore)
        #expect(try peerStore.frozenOrigins().isEmpty)
    }

    /// A validly sealed event at a dot the receiver holds with other content: equivocation.
    @Test("Reused seq with other content: that origin frozen, the others stored", arguments: TransportKind.allCases)
    func reusedSeqIsEquivocation(kind: TransportKind) async throws {
        let fixture = try SyncFixture()
        let a = try fixture.open("a")
        _ = try a.ingest(try SyncFixture.seedFiles())
        let article = try a.articles()[0].id
        _ = try a.annotate(article: article, target: .positions(start: 0, end: 8), note: "اصلی")
        let held = try a.allEvents()
        let original = held.last!

        // The same key, the same seq, other content: a second history of a's.
        let key = try Forge.identity(of: a)
        let before = Self.advanced(VersionVector(), by: held.dropLast())
        let twin = EventComposer(identity: key, author: "a").compose(
            [EventDraft(type: "annotation.created", data: [
                "annotation": "11111111-1111-4111-8111-111111111111", "article": .string(article), "note": "جعلی",
                "target": ["exact": "x", "prefix": "", "suffix": "", "start": 0, "end": 1], "motivation": "commenting", "tags": [],
            ])], on: before, time: original.time + 5)[0]
        #expect(twin.seq == original.seq && twin.hash != original.hash && twin.isSeal)
        try twin.verify()

        let c = try fixture.open("c")
        _ = try c.ingest([SourceFile(path: "c", name: "c.txt", text: SyncFixture.article(4))])
        let others = try c.allEvents()
        let page = [twin] + others

        // Without freezing, the page is refused and the origin named.
        let b = try fixture.open("b")
        try b.receive(held)
        let snapshot = try b.snapshot()
        let error = await daftarError { _ = try b.receivePage(page, freezeForks: false) }
        #expect(error?.code == .equivocation)
        #expect(error?.message.contains(a.origin.rawValue) == true, "\(String(describing: error))")
        #expect(try b.snapshot() == snapshot)

        // Freezing: a is frozen at what b holds, c's events are stored.
        let result = try b.receivePage(page, freezeForks: true)
        #expect(result.forked == [a.origin])
        #expect(result.stored == others.count)
        #expect(try b.frozenOrigins() == [a.origin])
        #expect(try b.versionVector()[a.origin] == ChainHead(seq: original.seq, hash: original.hash))
        #expect(try b.versionVector()[c.origin]?.seq == Int64(others.count))
        #expect(try b.annotations().map { $0.note.displayed?.value } == ["اصلی"])

        // The same over the transport: the peer reports the fork and stores the rest.
        let peerStore = try fixture.open("peer")
        try peerStore.receive(held)
        try await withPeer(kind, serving: peerStore) { peer in
            let reply = try await peer.push(PushRequest(events: page))
            #expect(reply.proven == [a.origin])
            #expect(reply.accepted == others.count)
            #expect(reply.heads[a.origin] == ChainHead(seq: original.seq, hash: original.hash))
        }
        #expect(try peerStore.frozenOrigins() == [a.origin])
        #expect(try peerStore.count(of: c.origin) == others.count)
    }
}

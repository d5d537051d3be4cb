@testable import DaftarCore
@testable import DaftarStore
import DaftarSync
import Foundation
import Testing

/// Replicas that work concurrently, then sync pairwise in seeded random orders through the real
/// session, store and transport, until a round moves nothing: they must all end with the same
/// digest, equal to a rebuild's (DESIGN §3); a concurrent note edit is a conflict everywhere
/// until one replica resolves it. Set DAFTAR_TEST_SEED to replay one seed.
@Suite("Sync: concurrent work converges")
struct SyncConvergenceTests {
    /// Stores and a transport to each; every sync goes through `SyncDriver.run`.
    final class Mesh {
        let stores: [Store]
        let peers: [any SyncTransport]
        let seed: UInt64
        var rng: SplitMix64
        /// What happened, for failure messages.
        var trail: [String] = []

        init(stores: [Store], peers: [any SyncTransport], seed: UInt64) {
            (self.stores, self.peers, self.seed) = (stores, peers, seed)
            rng = SplitMix64(seed: seed &+ 1)
        }

        /// Store `i` syncs with store `j` (i the client, j serving).
        @discardableResult
        func sync(_ i: Int, with j: Int) async throws -> SyncReport {
            let report = try await SyncDriver.run(log: stores[i], transport: peers[j])
            trail.append("\(i)↔\(j): \(report.moved)")
            #expect(report.forked.isEmpty, "seed \(seed): sync \(i)↔\(j) found a fork: \(report.summary)")
            return report
        }

        /// Pairwise syncs in random orders and directions until a whole round moves nothing.
        /// Returns the number of rounds.
        @discardableResult
        func quiesce() async throws -> Int {
            let pairs = stores.indices.flatMap { i in stores.indices.filter { $0 > i }.map { (i, $0) } }
            for round in 1...12 {
                var moved = 0
                for (a, b) in pairs.shuffled(using: &rng) {
                    let (client, server) = Bool.random(using: &rng) ? (a, b) : (b, a)
                    moved += try await sync(client, with: server).moved
                }
                if moved == 0 { return round }
            }
            Issue.record("seed \(seed): not quiescent after 12 rounds; trail \(trail.suffix(30))")
            return 12
        }
    }

    @Test("Two and three replicas converge", arguments: TransportKind.allCases, [2, 3])
    func concurrentWorkConverges(kind: TransportKind, replicas: Int) async throws {
        for seed in TestSeeds.seeds(count: 2) {
            do {
                try await run(kind: kind, replicas: replicas, seed: seed)
            } catch {
                Issue.record(error, "seed \(seed) (replay with DAFTAR_TEST_SEED=\(seed))")
            }
        }
    }

    func run(kind: TransportKind, replicas n: Int, seed: UInt64) async throws {
        var rng = SplitMix64(seed: seed)
        let fixture = try SyncFixture()
        let stores = try (0..<n).map { try fixture.open("replica\($0)") }
        let seeds = try SyncFixture.seedFiles()

        // Concurrent ingests: the seeds on 0; the same new article under different names on
        // 0 and 1; with three replicas, a seed under another name on 2.
        _ = try stores[0].ingest(seeds)
        let sharedText = SyncFixture.article(1)
        let shared = try #require(stores[0].ingest([SourceFile(path: "a", name: "shared-on-0.txt", text: sharedText)]).first?.articleID)
        #expect(try stores[1].ingest([SourceFile(path: "b", name: "shared-on-1.txt", text: sharedText)]).first?.articleID == shared)
        var renamedSeed: String? = nil
        if n == 3 {
            let seed0 = seeds[0]
            renamedSeed = try stores[2].ingest([SourceFile(path: "c", name: "renamed-on-2.txt", text: seed0.text, encoding: seed0.encoding)]).first?.articleID
        }

        try await withPeers(kind, serving: stores) { peers in
            let mesh = Mesh(stores: stores, peers: peers, seed: seed)
            try await mesh.quiesce()

            let articles = try stores[0].articles().map(\.id).sorted()
            let lengths = try Dictionary(uniqueKeysWithValues: articles.map { ($0, try stores[0].article($0).body.unicodeScalars.count) })

            // The note everyone will see in conflict: created on 0, known to 1, then edited
            // on both before they sync again.
            let contested = try stores[0].annotate(article: articles[0], target: .positions(start: 5, end: 25), note: "یادداشت نخست").id
            try await mesh.sync(1, with: 0)
            _ = try stores[0].edit(annotation: contested, note: "نظر تحلیلگر یکم", motivation: nil)
            _ = try stores[1].edit(annotation: contested, note: "نظر تحلیلگر دوم", motivation: nil)

            // Random concurrent work, with random partial syncs in between.
            let notes = ["", "مهم", "بررسی شود", "مهم"]
            let tags = ["روسیه", "روسيه", "ایران", "قفقاز"]
            var written = 0
            for _ in 0..<50 {
                let r = Int.random(in: 0..<n, using: &rng)
                let store = stores[r]
                let known = try store.annotations(includeDeleted: true).map(\.id).filter { $0 != contested }
                do {
                    switch Int.random(in: 0..<100, using: &rng) {
                    case 0..<22:
                        let article = articles.randomElement(using: &rng)!
                        let start = Int.random(in: 0..<(lengths[article]! - 20), using: &rng)
                        _ = try store.annotate(
                            article: article, target: .positions(start: start, end: start + Int.random(in: 1...15, using: &rng)),
                            note: notes.randomElement(using: &rng)!, tags: [tags.randomElement(using: &rng)!])
                    case 22..<40 where !known.isEmpty:
                        _ = try store.edit(annotation: known.randomElement(using: &rng)!, note: notes.randomElement(using: &rng)!, motivation: nil)
                    case 40..<55 where !known.isEmpty:
                        try store.setTags([tags.randomElement(using: &rng)!], on: .annotation(known.randomElement(using: &rng)!), add: Bool.random(using: &rng))
                    case 55..<65:
                        try store.setTags([tags.randomElement(using: &rng)!], on: .article(articles.randomElement(using: &rng)!), add: Bool.random(using: &rng))
                    case 65..<78 where !known.isEmpty:
                        let id = known.randomElement(using: &rng)!
                        try store.setDeleted(annotation: id, !(try store.annotation(id).deleted))
                    case 78..<84:
                        // Alias groups travel with sync like every event.
                        let spellings = Array(["شویگو", "شایگو", "شوئیگو"].shuffled(using: &rng).prefix(Int.random(in: 1...2, using: &rng)))
                        if spellings.count == 2 { try store.addAlias(spellings) } else { try store.removeAlias(spellings) }
                    default:
                        try await mesh.sync(r, with: (r + Int.random(in: 1..<n, using: &rng)) % n)
                        continue
                    }
                    written += 1
                } catch let error as DaftarError where error.code == .badInput || error.code == .notFound {
                    continue  // e.g. untagging a tag that is not there: nothing was written
                }
            }
            #expect(written > 15, "seed \(seed): too little happened")

            let rounds = try await mesh.quiesce()
            try expectConverged(stores, seed: seed, "after concurrent work (\(rounds) rounds)")

            // Both concurrent ingests are provenance of one article, everywhere.
            for (i, store) in stores.enumerated() {
                #expect(Set(try store.article(shared).sources.map(\.file)) == ["shared-on-0.txt", "shared-on-1.txt"],
                        "seed \(seed): replica \(i) lacks a provenance of the shared article")
                if let renamedSeed {
                    #expect(try store.article(renamedSeed).sources.map(\.file).contains("renamed-on-2.txt"), "seed \(seed): replica \(i)")
                }
                // The concurrent note edit is a conflict on every replica, with both values.
                let conflict = try #require(try store.conflicts().first { $0.id == contested },
                                            "seed \(seed): replica \(i) does not list the concurrent note edit as a conflict")
                #expect(Set(conflict.note.values.map(\.value)) == ["نظر تحلیلگر یکم", "نظر تحلیلگر دوم"], "seed \(seed): replica \(i)")
            }

            // One replica resolves every conflict; after syncing, none is left anywhere.
            let resolver = stores[Int.random(in: 0..<n, using: &rng)]
            for _ in 0..<100 {
                guard let view = try resolver.conflicts().first else { break }
                if view.note.inConflict || view.motivation.inConflict {
                    _ = try resolver.resolve(annotation: view.id, .write(
                        note: view.note.inConflict ? "حل شد" : nil, motivation: view.motivation.inConflict ? "commenting" : nil))
                } else {
                    _ = try resolver.resolve(annotation: view.id, .delete)
                }
            }
            #expect(try resolver.conflicts().isEmpty, "seed \(seed): the resolver still has conflicts")
            try await mesh.quiesce()
            try expectConverged(stores, seed: seed, "after resolving")
            for (i, store) in stores.enumerated() {
                #expect(try store.conflicts().map(\.id) == [], "seed \(seed): replica \(i) still lists conflicts after the resolution synced")
                #expect(try store.annotation(contested).note.displayed?.value == "حل شد", "seed \(seed): replica \(i)")
            }
        }
    }

    /// Same digest everywhere, equal to a rebuild's; same events, none twice; logs verify.
    func expectConverged(_ stores: [Store], seed: UInt64, _ when: String) throws {
        let digests = try stores.map { try $0.digest() }
        #expect(Set(digests).count == 1, "seed \(seed): digests differ \(when): \(digests.map { $0.prefix(12) })")
        let vvs = try stores.map { try $0.versionVector() }
        #expect(Set(vvs).count == 1, "seed \(seed): version vectors differ \(when): \(vvs)")
        for (i, store) in stores.enumerated() {
            #expect(try store.rebuild().digestAfter == digests[i], "seed \(seed): replica \(i): rebuild differs from incremental \(when)")
            #expect(try store.distinctDots() == (try store.count("events")), "seed \(seed): replica \(i) holds an event twice")
            _ = try store.verify()
        }
        #expect(Set(try stores.map { try $0.count("events") }).count == 1, "seed \(seed): event counts differ \(when)")
    }

    /// Stores that already agree: a sync moves only the version vectors.
    @Test("A sync between agreeing stores moves 0 events and under 2 KB", arguments: TransportKind.allCases)
    func agreeingStoresMoveOnlyHeads(kind: TransportKind) async throws {
        let fixture = try SyncFixture()
        let a = try fixture.open("a"), b = try fixture.open("b")
        _ = try a.ingest(SyncFixture.seedFiles())
        try await withPeers(kind, serving: [a, b]) { peers in
            #expect(try await SyncDriver.run(log: b, transport: peers[0]).pulledEvents == 5)
            let article = try #require(try b.articles().first?.id)
            _ = try b.annotate(article: article, target: .positions(start: 0, end: 10), note: "از دومی")
            #expect(try await SyncDriver.run(log: b, transport: peers[0]).pushedEvents == 1)

            for (client, server) in [(b, 0), (a, 1)] {
                let before = try client.snapshot()
                let report = try await SyncDriver.run(log: client, transport: peers[server])
                #expect(report.moved == 0, "\(report.summary)")
                #expect(report.totalBytes < 2048, "\(report.summary)")
                #expect(report.forked.isEmpty)
                #expect(try client.snapshot() == before)
            }
        }
    }

    /// The closing note's measurement: with two replicas, a no-change sync of a 10,000-event
    /// store moves under 2 KB; the initial sync of it is paged.
    @Test("A no-change sync of a 10,000-event store moves under 2 KB", arguments: TransportKind.allCases)
    func noChangeSyncOfALargeStore(kind: TransportKind) async throws {
        let fixture = try SyncFixture()
        let a = try fixture.open("a"), b = try fixture.open("b")
        // Events of a type this version does not project are still verified, stored and forwarded.
        let drafts = (0..<10_000).map { i in
            EventDraft(type: "test.filler", data: ["n": .int(Int64(i)), "text": .string(String(repeating: "ن", count: 200))])
        }
        try a.commit(drafts)
        _ = try b.ingest([SourceFile(path: "b", name: "b.txt", text: SyncFixture.article(2))])
        try await withPeers(kind, serving: [a, b]) { peers in
            let initial = try await SyncDriver.run(log: b, transport: peers[0])
            #expect(initial.pulledEvents == 10_000 && initial.pushedEvents == 1, "\(initial.summary)")
            #expect(initial.pages > 2, "a 10,000-event sync should take several pages: \(initial.summary)")
            #expect(try a.digest() == b.digest())
            #expect(try a.count("events") == 10_001 && b.count("events") == 10_001)

            let again = try await SyncDriver.run(log: b, transport: peers[0])
            #expect(again.moved == 0 && again.totalBytes < 2048, "\(again.summary)")
            let reverse = try await SyncDriver.run(log: a, transport: peers[1])
            #expect(reverse.moved == 0 && reverse.totalBytes < 2048, "\(reverse.summary)")
        }
    }
}

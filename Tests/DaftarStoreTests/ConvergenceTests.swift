import DaftarCore
@testable import DaftarStore
import Foundation
import Testing

/// Random histories of concurrent annotation work on three replicas, with partial syncs in
/// between, then every commit delivered to fresh stores in random causal orders through the
/// store's real append path (`receive`): all must end with the same digest, equal to a
/// rebuild's (DESIGN §3). Set DAFTAR_TEST_SEED to replay one seed.
@Suite("Convergence of annotations across replicas")
struct ConvergenceTests {
    static var seeds: [UInt64] {
        if let text = ProcessInfo.processInfo.environment["DAFTAR_TEST_SEED"], let seed = UInt64(text) { return [seed] }
        return (0..<3).map { _ in UInt64.random(in: 0...UInt64.max) }
    }

    /// Every local commit, in the order they happened: a valid causal order.
    final class History {
        var commits: [[Event]] = []
    }

    struct Replica {
        let store: Store
        var known: Int = 0  // log entries already recorded
    }

    @Test(arguments: seeds)
    func randomHistoriesConverge(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let fixture = try StoreFixture()
        let base = try fixture.open(at: fixture.directory + "/base.sqlite")
        let seedFiles = try StoreFixture.seedFiles()
        try base.ingest(seedFiles)
        let articleCommit = try base.allEvents()
        let articles = try base.articles().map(\.id)
        let bodies = try Dictionary(uniqueKeysWithValues: articles.map { ($0, try base.article($0).body.unicodeScalars.count) })

        let history = History()
        var replicas: [Replica] = []
        for i in 0..<3 {
            let store = try fixture.open(at: fixture.directory + "/replica\(i).sqlite")
            try store.receive(articleCommit)
            replicas.append(Replica(store: store, known: try store.count("events")))
        }

        /// Records the commit replica `r` just made.
        func record(_ r: Int) throws {
            let events = try replicas[r].store.allEvents()
            let fresh = Array(events[replicas[r].known...])
            replicas[r].known = events.count
            if !fresh.isEmpty { history.commits.append(fresh) }
        }

        /// Replica `r` receives everything `s` holds that it lacks, in causal order.
        func sync(_ r: Int, from s: Int) throws {
            let have = try replicas[r].store.versionVector(), theirs = try replicas[s].store.versionVector()
            for commit in history.commits {
                let origin = commit[0].origin
                if commit.last!.seq <= (theirs[origin]?.seq ?? 0), commit[0].seq > (have[origin]?.seq ?? 0) {
                    try replicas[r].store.receive(commit)
                }
            }
            replicas[r].known = try replicas[r].store.count("events")
        }

        let notes = ["", "مهم", "بررسی شود", "مهم"]  // equal values happen on purpose
        let tags = ["روسیه", "روسيه", "ایران", "قفقاز"]
        let motivations = ["commenting", "highlighting", "questioning"]
        let aliasSpellings = ["شویگو", "شایگو", "شوئیگو", "شويگو", "پوتین"]
        // One alias group from the start, so that the removes below have adds to work on
        // whatever the seed draws.
        try replicas[0].store.addAlias(["شویگو", "شایگو"])
        try record(0)
        func version(of seed: SourceFile, _ rng: inout SplitMix64) -> SourceFile {
            var edited = EditedText(seed.text)
            edited.deleteSentence(using: &rng)
            edited.insert(sentence: "خبر تازه شماره \(Int.random(in: 0..<1_000, using: &rng)) درباره همین گزارش.", using: &rng)
            edited.typo(using: &rng)
            return SourceFile(path: "v.txt", name: "version.txt", text: edited.text)
        }
        _ = try replicas[1].store.ingest([version(of: seedFiles[0], &rng)])
        try record(1)
        for _ in 0..<120 {
            let r = Int.random(in: 0..<3, using: &rng)
            let store = replicas[r].store
            let known = try store.annotations(includeDeleted: true).map(\.id)
            do {
                switch Int.random(in: 0..<100, using: &rng) {
                case 0..<20:
                    let article = articles.randomElement(using: &rng)!
                    let start = Int.random(in: 0..<(bodies[article]! - 20), using: &rng)
                    _ = try store.annotate(
                        article: article, target: .positions(start: start, end: start + Int.random(in: 1...15, using: &rng)),
                        note: notes.randomElement(using: &rng)!, tags: [tags.randomElement(using: &rng)!])
                case 20..<35 where !known.isEmpty:
                    _ = try store.edit(annotation: known.randomElement(using: &rng)!, note: notes.randomElement(using: &rng)!,
                                       motivation: Bool.random(using: &rng) ? motivations.randomElement(using: &rng)! : nil)
                case 35..<50 where !known.isEmpty:
                    try store.setTags([tags.randomElement(using: &rng)!], on: .annotation(known.randomElement(using: &rng)!), add: Bool.random(using: &rng))
                case 50..<60 where !known.isEmpty:
                    try store.setDeleted(annotation: known.randomElement(using: &rng)!, Bool.random(using: &rng))
                case 60..<72:
                    try store.setTags([tags.randomElement(using: &rng)!], on: .article(articles[Int.random(in: 0..<2, using: &rng)]), add: Bool.random(using: &rng))
                case 72..<80:
                    // Alias groups: an observed-remove set of links between spellings.
                    // An add names two or three spellings (one is refused, and the test must see adds).
                    let adding = Bool.random(using: &rng)
                    let spellings = Array(aliasSpellings.shuffled(using: &rng).prefix(Int.random(in: (adding ? 2 : 1)...3, using: &rng)))
                    if adding { try store.addAlias(spellings) } else { try store.removeAlias(spellings) }
                case 80..<84:
                    // A new version of a seed story: grouped with it (and with the other
                    // replicas' versions) the same way whatever order they arrive in.
                    _ = try store.ingest([version(of: seedFiles.randomElement(using: &rng)!, &rng)])
                case 84..<87:
                    // An analyst splits a version off (a split names the versions it saw).
                    let grouped = try store.articles().filter { $0.versions > 1 }
                    guard let article = grouped.randomElement(using: &rng) else { continue }
                    let versions = try store.versions(of: article.id)
                    try store.splitVersion(versions.randomElement(using: &rng)!.summary.id)
                default:
                    try sync(r, from: (r + Int.random(in: 1...2, using: &rng)) % 3)
                    continue
                }
            } catch let error as DaftarError where error.code == .badInput || error.code == .notFound {
                continue  // e.g. untagging a tag that is not there: nothing was written
            }
            try record(r)
        }

        // Quiesce: everyone syncs with everyone; all replicas agree.
        for _ in 0..<2 { for r in 0..<3 { for s in 0..<3 where s != r { try sync(r, from: s) } } }
        let replicaDigests = try Set(replicas.map { try $0.store.digest() })
        #expect(replicaDigests.count == 1, "seed \(seed): replicas disagree after syncing")

        // Fresh stores, random causal delivery orders, one commit at a time.
        var digests = replicaDigests
        for order in 0..<4 {
            let target = try fixture.open(at: fixture.directory + "/target\(order).sqlite")
            try target.receive(articleCommit)
            var pending = history.commits
            var delivered: [[Event]] = []
            if order == 0 { pending.reverse() }  // the worst order still waits for dependencies
            while !pending.isEmpty {
                let vv = try target.versionVector()
                let ready = pending.indices.filter { i in
                    let first = pending[i][0]
                    return first.seq == (vv[first.origin]?.seq ?? 0) + 1
                        && first.clock.entries.allSatisfy { o, n in o == first.origin || (vv[o]?.seq ?? 0) >= n }
                }
                let pick = try #require(ready.randomElement(using: &rng), "seed \(seed): no commit can be delivered")
                let commit = pending.remove(at: pick)
                #expect(try target.receive(commit) == commit.count)
                delivered.append(commit)
                if Int.random(in: 0..<5, using: &rng) == 0 {  // re-delivering is harmless
                    #expect(try target.receive(delivered.randomElement(using: &rng)!) == 0)
                }
            }
            let digest = try target.digest()
            #expect(try target.rebuild().digestAfter == digest, "seed \(seed): rebuild differs from incremental")
            digests.insert(digest)
        }
        #expect(digests.count == 1, "seed \(seed): \(digests.count) different digests")
        #expect(history.commits.count > 20, "seed \(seed): too little happened")
        #expect(history.commits.joined().contains { $0.is(.aliasAdded) }, "seed \(seed): no alias was made")
        #expect(history.commits.joined().filter { $0.is(.articleIngested) }.count >= 1, "seed \(seed): no version was archived")
    }
}

import DaftarCore
@testable import DaftarStore
import Foundation
import Testing

/// `--as-of`: a past view is derived from exactly the events held then, by the same rules,
/// and never disturbs the live projections.
@Suite("Views of the past")
struct PastViewTests {
    static let texts = [
        "عنوان یک\nپوتین و شویگو در مسکو دیدار کردند و درباره همکاری نظامی گفتند.",
        "عنوان دو\nتحریم‌های تازه علیه ایران و روسیه اعلام شد و بازار واکنش نشان داد.",
        "عنوان سه\nنشست قفقاز با حضور ارمنستان و آذربایجان در ایروان برگزار شد.",
    ]
    static let quotes = ["دیدار کردند", "اعلام شد", "برگزار شد"]

    /// Random histories of three replicas with partial syncs (seeded; the seed is in the test
    /// name): at every log position and every recorded version vector, the past view equals a
    /// store built from exactly those events, one article's view equals the whole past's, and
    /// "as of now" equals the live store.
    @Test(arguments: [11, 22, 33] as [UInt64])
    func pastViewsEqualStoresBuiltFromThoseEvents(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let fixture = try StoreFixture()
        let replicas = try (0..<3).map { try fixture.open(at: fixture.directory + "/r\($0).sqlite") }
        var recorded: [(Int, [ReplicaID: Int64])] = []
        for step in 0..<24 {
            let i = Int(rng.next() % 3)
            let store = replicas[i]
            switch rng.next() % 8 {
            case 0, 1:
                let t = Int(rng.next() % 3)
                let text = rng.next() % 3 == 0 ? Self.texts[t] + "\nنظرات کاربران\n\(step) نظر" : Self.texts[t]
                try store.ingest([try SourceFile.read(path: fixture.write("s\(step)/f\(t).txt", text))])
            case 2:
                guard let article = try store.articles().randomElement(using: &rng) else { continue }
                let body = try store.article(article.id).body
                guard let quote = Self.quotes.first(where: body.contains) else { continue }
                _ = try store.annotate(article: article.id, target: .quote(quote, prefix: nil, suffix: nil, occurrence: nil), note: "n\(step)")
            case 3:
                guard let view = try store.annotations().randomElement(using: &rng) else { continue }
                _ = try store.edit(annotation: view.id, note: "e\(step)", motivation: nil)
            case 4:
                guard let article = try store.articles().randomElement(using: &rng) else { continue }
                _ = try? store.setTags(["t\(step % 4)"], on: .article(article.id), add: rng.next() % 3 != 0)
            case 5:
                guard let view = try store.annotations(includeDeleted: true).randomElement(using: &rng) else { continue }
                if rng.next() % 2 == 0 {
                    _ = try? store.setTags(["t\(step % 4)"], on: .annotation(view.id), add: rng.next() % 3 != 0)
                } else {
                    try? store.setDeleted(annotation: view.id, !view.deleted)
                }
            default:
                let other = replicas[Int(rng.next() % 3)]
                try store.receive(try other.allEvents())
                if i == 0 { recorded.append((step, Self.seqs(try store.versionVector()))) }
            }
        }
        let store = replicas[0]
        try store.receive(try replicas[1].allEvents())
        let events = try store.allEvents()
        let liveDigest = try store.digest()
        func check(_ moment: PastMoment, _ held: [Event], _ label: String) throws {
            let past = try store.past(moment)
            let reference = try Store.inMemory(now: { 0 })
            try reference.writer.write { db in try reference.append(held, db) }
            #expect(try past.digest() == reference.digest(), "seed \(seed): \(label)")
            #expect(try past.articles().map(\.id) == reference.articles().map(\.id), "seed \(seed): \(label)")
            // Views read from the live index, filtered by what was held then.
            #expect(try store.articles(at: moment) == reference.articles(), "seed \(seed): \(label): list")
            #expect(try store.articles(limit: 2, at: moment) == reference.articles(limit: 2), "seed \(seed): \(label): list --limit 2")
            #expect(try store.tagCounts(at: moment).map { "\($0)" } == reference.tagCounts().map { "\($0)" }, "seed \(seed): \(label): tags")
            #expect(try store.conflicts(at: moment).map(\.id) == reference.conflicts().map(\.id), "seed \(seed): \(label): conflicts")
            for (words, tag) in [("شد", nil), ("پوتین", nil), ("n*", nil), ("e*", nil), ("شد", "t1"), ("n*", "t2")] as [(String, String?)] {
                func found(_ hits: [SearchHit]) -> Set<String> { Set(hits.map { "\($0.kind) \($0.id) \($0.annotation ?? "") \($0.file)" }) }
                let query = try SearchQuery(parsing: words)
                #expect(try found(store.search(query, filter: SearchFilter(tag: tag), limit: 100, at: moment))
                        == found(reference.search(query, filter: SearchFilter(tag: tag), limit: 100)), "seed \(seed): \(label): search \(words) #\(tag ?? "")")
            }
            for article in try past.articles() {
                // One article then, read from its own events in the live store.
                let one = try store.article(article.id, at: moment)
                #expect(one.detail == (try past.article(article.id)), "seed \(seed): \(label), article \(article.id.prefix(8))")
                #expect(one.annotations == (try past.annotations(article: article.id, includeDeleted: true)),
                        "seed \(seed): \(label), annotations of \(article.id.prefix(8))")
                #expect(one.tags == (try past.tags(of: .article(article.id))), "seed \(seed): \(label), tags of \(article.id.prefix(8))")
                #expect(one.original == (try past.originalText(article.id)), "seed \(seed): \(label), text of \(article.id.prefix(8))")
            }
        }
        for position in 0...events.count {
            try check(.position(Int64(position)), Array(events.prefix(position)), "position \(position)")
        }
        for (step, seqs) in recorded {
            try check(.covered(seqs), events.filter { $0.seq <= seqs[$0.origin] ?? 0 }, "version vector at step \(step)")
        }
        #expect(try store.past(.position(Int64(events.count))).digest() == liveDigest)
        #expect(try store.digest() == liveDigest, "the live view is untouched")
    }

    static func seqs(_ vv: VersionVector) -> [ReplicaID: Int64] { vv.heads.mapValues(\.seq) }

    @Test func changesSinceASyncListWhatItBrought() throws {
        let fixture = try StoreFixture()
        let a = try fixture.open(at: fixture.directory + "/a.sqlite")
        let b = try fixture.open(at: fixture.directory + "/b.sqlite")
        let article = try a.ingest([try SourceFile.read(path: fixture.write("a.txt", Self.texts[0]))])[0].articleID
        let view = try a.annotate(article: article, target: .quote("دیدار کردند", prefix: nil, suffix: nil, occurrence: nil), note: "اول")
        try b.receive(try a.allEvents())
        _ = try b.edit(annotation: view.id, note: "از b", motivation: nil)
        try b.ingest([try SourceFile.read(path: fixture.write("b.txt", Self.texts[1]))])
        _ = try a.edit(annotation: view.id, note: "از a", motivation: nil)

        try a.recordSyncStart(peer: "b")
        try a.receive(try b.allEvents().filter { $0.origin == b.identity!.origin })
        let changes = try a.changes(since: a.moment(beforeSync: "b"))
        #expect(changes.events == 2)
        #expect(changes.articles.map(\.isNew) == [false, true])
        #expect(changes.articles[0].events[0].summary.contains("«اول» → «از b»"))
        #expect(changes.articles[0].conflictsAppeared == [view.id])
        #expect(changes.articles[1].events[0].summary.contains("archived b.txt"))
        // Before that sync, the note was A's own.
        let before = try #require(try a.article(article, at: a.moment(beforeSync: "b")).annotations.first { $0.id == view.id })
        #expect(before.note.displayed?.value == "از a")
        #expect(!before.inConflict)
        #expect(try a.annotation(view.id).inConflict)
        #expect(throws: DaftarError.self) { try a.moment(beforeSync: "b", back: 2) }
    }
}

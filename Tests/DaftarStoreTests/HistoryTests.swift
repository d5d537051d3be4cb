import DaftarCore
@testable import DaftarStore
import Foundation
import Testing

/// `history`: every event that touched one thing, in causal order, with branches, the
/// conflict they made and the event that resolved it.
@Suite("History of one thing")
struct HistoryTests {
    @Test func concurrentEditsAreBranchesAndTheResolutionSaysWhatItSettled() throws {
        let fixture = try StoreFixture()
        let a = try fixture.open(at: fixture.directory + "/a.sqlite")
        let b = try fixture.open(at: fixture.directory + "/b.sqlite")
        let article = try a.ingest([try StoreFixture.seedFiles()[2]])[0].articleID
        let view = try a.annotate(article: article, target: .quote("شریک راهبردی ماست", prefix: nil, suffix: nil, occurrence: nil), note: "اول")
        try b.receive(try a.allEvents())
        _ = try b.edit(annotation: view.id, note: "از b", motivation: nil)
        try a.receive(try b.allEvents().filter { $0.origin == b.identity!.origin })  // the sync
        // A had not seen B's edit when it wrote its own: simulate with a store that had not.
        let c = try fixture.open(at: fixture.directory + "/c.sqlite")
        try c.receive(try a.allEvents().filter { $0.origin == a.identity!.origin })
        _ = try c.edit(annotation: view.id, note: "از c", motivation: nil)
        try a.receive(try c.allEvents().filter { $0.origin == c.identity!.origin })
        #expect(try a.annotation(view.id).inConflict)
        _ = try a.resolve(annotation: view.id, .write(note: "هر دو", motivation: nil))

        let history = try a.history(of: .annotation(view.id))
        #expect(history.map(\.type) == ["annotation.created", "annotation.edited", "annotation.edited", "annotation.edited"])
        #expect(history[0].summary.contains("annotated «شریک راهبردی ماست»"))
        #expect(history[1].concurrentWith.isEmpty)
        #expect(history[2].concurrentWith == [2] && history[2].conflictsWith == [2])
        #expect(history[3].resolves == [[2, 3]])
        #expect(history[3].summary.contains("→ «هر دو»"))
        #expect(history[3].replica == "this replica")
        // The same on the other store, once it holds the same events.
        try b.receive(try a.allEvents().filter { $0.origin != b.identity!.origin })
        #expect(try b.history(of: .annotation(view.id)).map(\.hash) == history.map(\.hash))
    }

    @Test func anArticlesHistoryHoldsItsCopiesTagsAndAnnotations() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        let text = "عنوان\nمتن خبر درباره همکاری"
        let article = try store.ingest([try SourceFile.read(path: fixture.write("a.txt", text))])[0].articleID
        try store.ingest([try SourceFile.read(path: fixture.write("b.txt", text + "\nنظرات کاربران\n۳ نظر"))])
        _ = try store.setTags(["همکاری"], on: .article(article), add: true)
        let view = try store.annotate(article: article, target: .quote("همکاری", prefix: nil, suffix: nil, occurrence: nil), note: "یادداشت")
        try store.setDeleted(annotation: view.id, true)
        let history = try store.history(of: .article(article))
        #expect(history.map(\.type) == ["article.ingested", "article.ingested", "article.tagged", "annotation.created", "annotation.deleted"])
        #expect(history[0].summary.contains("archived a.txt") && history[1].summary.contains("archived b.txt"))
        #expect(history.allSatisfy { $0.concurrentWith.isEmpty })
    }

    @Test func aStoreInMemoryIsAStore() throws {
        let store = try Store.inMemory(now: { 1_750_000_000_000 })
        let outcome = try store.ingest([SourceFile(path: "x.txt", name: "x.txt", text: "عنوان\nمتن پوتین")])
        #expect(try store.search(SearchQuery(parsing: "پوتین")).map(\.id) == [outcome[0].articleID])
        #expect(try store.verify().events == 1)
        #expect(store.path == Store.inMemoryPath)
    }
}

import DaftarCore
@testable import DaftarStore
import Foundation
import GRDB
import Synchronization
import Testing

/// A peer's page of N events of one annotation costs O(N) to receive, project and rebuild
/// (issue: cost that does not explode). Work is counted in SQL statements run — not timed: the
/// bench (`daftar-bench --phases hostile`) reports the times at 1,000 and 8,000 events.
@Suite("Hostile pages: work per event does not grow with the annotation's events")
struct HostileCostTests {
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case edits, tags, deletes, annotations
        var testDescription: String { rawValue }
    }

    static let text = "خبرگزاری‌ها گزارش دادند که نشست امروز در تهران برگزار شد و گفت‌وگوها ادامه دارد."

    /// A store holding one article and an annotation on it.
    static func source() throws -> (store: Store, article: String, annotation: String) {
        let store = try Store.inMemory()
        _ = try store.ingest([SourceFile(path: "a.txt", name: "a.txt", text: text)])
        let article = try store.articles()[0].id
        return (store, article, try store.annotate(article: article, target: .positions(start: 0, end: 10)).id)
    }

    /// `count` events of `kind` on the annotation (or, for annotations, on the article).
    static func drafts(_ kind: Kind, count: Int, article: String, annotation: String) -> [EventDraft] {
        (0..<count).map { i in
            let annotation = JSONValue.string(annotation)
            return switch kind {
            case .edits: EventDraft(.annotationEdited, ["annotation": annotation, "note": .string("یادداشت \(i)")])
            case .tags: EventDraft(.annotationTagged, ["annotation": annotation, "tag": .string("برچسب\(i)")])
            case .deletes: EventDraft(i % 2 == 0 ? .annotationDeleted : .annotationRestored, ["annotation": annotation])
            case .annotations:
                EventDraft(.annotationCreated, [
                    "annotation": .string("a-\(i)"), "article": .string(article),
                    "target": TextAnchor(body: Array(text.unicodeScalars), start: i % 20, end: i % 20 + 5).eventTarget,
                    "note": .string("n\(i)"), "motivation": "commenting", "tags": [],
                ])
            }
        }
    }

    /// The source's events, and a page of `count` events of `kind` by the same replica,
    /// composed without projecting them (as a peer that never looks at its own store would).
    static func page(_ kind: Kind, count: Int) throws -> (article: [Event], page: [Event]) {
        let (source, article, annotation) = try Self.source()
        let composer = EventComposer(identity: source.identity!, author: "hostile")
        let drafts = drafts(kind, count: count, article: article, annotation: annotation)
        return (try source.allEvents(), composer.compose(drafts, on: try source.versionVector(), time: 1_750_000_000_000))
    }

    /// SQL statements run by `body` on `store`'s connection.
    static func statements(on store: Store, _ body: () throws -> Void) throws -> Int {
        let count = Mutex(0)
        try store.writer.writeWithoutTransaction { db in db.trace { _ in count.withLock { $0 += 1 } } }
        try body()
        try store.writer.writeWithoutTransaction { db in db.trace(options: [], nil) }
        return count.withLock { $0 }
    }

    /// Statements to receive the page, and to rebuild the store after.
    static func work(_ kind: Kind, count: Int) throws -> (receive: Int, rebuild: Int, store: Store) {
        let (article, page) = try Self.page(kind, count: count)
        let store = try Store.inMemory()
        try store.receive(article)
        let receive = try statements(on: store) { try store.receive(page) }
        let rebuild = try statements(on: store) { _ = try store.rebuild() }
        return (receive, rebuild, store)
    }

    @Test("Four times the events cost at most about four times the statements", arguments: Kind.allCases)
    func linear(kind: Kind) throws {
        let small = try Self.work(kind, count: 100)
        let large = try Self.work(kind, count: 400)
        // Linear work is 4×; writing the state and tags after each event was ~16× for tags.
        #expect(Double(large.receive) / Double(small.receive) < 4.5, "receive: \(small.receive) → \(large.receive) statements")
        #expect(Double(large.rebuild) / Double(small.rebuild) < 4.5, "rebuild: \(small.rebuild) → \(large.rebuild) statements")
        // And what the page leaves is what it says.
        switch kind {
        case .edits: #expect(try large.store.annotations()[0].note.displayed?.value == "یادداشت 399")
        case .tags: #expect(try large.store.count("annotation_tags") == 400)
        case .deletes: #expect(try large.store.annotations(includeDeleted: true).map(\.deleted) == [false])
        case .annotations: #expect(try large.store.annotationCount() == 401)
        }
    }

    @Test("A page received at once projects as the same events committed one at a time", arguments: Kind.allCases)
    func batchedEqualsOneByOne(kind: Kind) throws {
        let (source, article, annotation) = try Self.source()
        for draft in Self.drafts(kind, count: 60, article: article, annotation: annotation) { try source.commit([draft]) }
        let receiver = try Store.inMemory()
        try receiver.receive(try source.allEvents())
        #expect(try receiver.digest() == source.digest())
        _ = try source.rebuild()
        #expect(try receiver.digest() == source.digest())
    }
}

import DaftarCore
import DaftarStore
import DaftarSync
import Foundation

/// Pages a hostile peer could push (issue: cost that does not explode): N edits, N distinct
/// tags, N deletes and restores of one annotation, and N annotations on one article — each
/// pushed as one page, signed by a replica with a key, into a store that holds the article.
/// The time per event to receive and project it, and to rebuild the store after, at each size;
/// the top level reports the growth of that time from the smallest size to the largest (≈1
/// when the work per event does not grow with the events already held for the annotation).
extension Phase {
    enum HostileKind: String, CaseIterable {
        case edits, tags, deletes, annotations
    }

    func hostile() async throws -> [Figure] {
        var figures: [Figure] = []
        for kind in HostileKind.allCases {
            let dir = self.dir + "/hostile-\(kind)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let (article, page) = try hostilePage(kind, count: size, dir: dir)
            let store = try Store.open(at: dir + "/receiver.sqlite")
            try store.receive(article)
            let bytes = PushRequest(events: page).bytes
            let service = SyncService(log: store)
            let receive = try await Self.secondsAsync { _ = try await service.push(bytes) }
            let rebuild = try Self.seconds { _ = try store.rebuild() }
            let name = kind.rawValue
            figures += [
                Figure("hostile", size, "\(name)_receive_us_per_event", receive / Double(page.count) * 1e6, "µs"),
                Figure("hostile", size, "\(name)_rebuild_us_per_event", rebuild / Double(page.count) * 1e6, "µs"),
                Figure("hostile", size, "\(name)_page_mb", Double(bytes.count) / 1e6, "MB"),
            ]
            try? FileManager.default.removeItem(atPath: dir)
        }
        figures.append(Figure("hostile", size, "peak_rss", Self.peakRSS(), "MiB"))
        return figures
    }

    /// The article's events (from a store that ingested one seed article and annotated it) and
    /// a page of `count` more events of `kind` by the same replica, composed without projecting
    /// them (as a peer that never looked at its own store would).
    func hostilePage(_ kind: HostileKind, count: Int, dir: String) throws -> (article: [Event], page: [Event]) {
        let source = try Store.open(at: dir + "/source.sqlite")
        let text = try corpus().article(0, seed: seed)
        _ = try source.ingest([SourceFile(path: "a.txt", name: "a.txt", text: text)])
        let article = try source.articles()[0].id
        let annotation = try source.annotate(article: article, target: .positions(start: 0, end: 12), note: "first").id
        let drafts: [EventDraft] = (0..<count).map { i in
            let id = JSONValue.string(annotation)
            switch kind {
            case .edits: return EventDraft(.annotationEdited, ["annotation": id, "note": .string("note \(i)")])
            case .tags: return EventDraft(.annotationTagged, ["annotation": id, "tag": .string("tag\(i)")])
            case .deletes: return EventDraft(i % 2 == 0 ? .annotationDeleted : .annotationRestored, ["annotation": id])
            case .annotations:
                return EventDraft(.annotationCreated, [
                    "annotation": .string(UUID().uuidString.lowercased()), "article": .string(article),
                    "target": TextAnchor(body: Array(text.unicodeScalars), start: i % 40, end: i % 40 + 6).eventTarget,
                    "note": .string("n\(i)"), "motivation": "commenting", "tags": [],
                ])
            }
        }
        let composer = EventComposer(identity: source.identity!, author: "hostile")
        let page = composer.compose(drafts, on: try source.versionVector(), time: Store.systemClock())
        return (try source.page(after: VersionVector(), exclude: [], maxBytes: .max).events, page)
    }

    static func secondsAsync(_ body: () async throws -> Void) async rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try await body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

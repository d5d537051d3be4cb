import DaftarCore
import DaftarStore
import Foundation
import GRDB

/// History: what one annotation's many edits cost (per event, it must stay flat), and what past
/// views cost against their live counterparts, on the ingested archive with 20,000 annotations.
extension Phase {
    static let annotationCount = 20_000
    static let revisions = 1_000

    /// The median of `runs` timings of `body`, in milliseconds.
    static func medianMS(runs: Int = 5, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<runs { times.append(try seconds(body) * 1000) }
        return times.sorted()[runs / 2]
    }

    func history() throws -> [Figure] {
        var figures = try oneAnnotationEdits()
        figures += try pastViews()
        figures.append(Figure("history", size, "peak_rss", Self.peakRSS(), "MiB"))
        return figures
    }

    /// One annotation edited 200, 800 and 2,000 times in a store of its own: an edit's cost
    /// at the end of the run, a rebuild of the whole log, and a peer's push of every edit in
    /// one page to an empty store (the case a lying peer can force).
    func oneAnnotationEdits() throws -> [Figure] {
        var figures: [Figure] = []
        var rebuildPerEvent: [Int: Double] = [:]
        let text = try corpus().article(0, seed: seed)
        for edits in [200, 800, 2_000] {
            let path = dir + "/edits-\(edits).sqlite"
            let store = try Store.open(at: path)
            let article = try store.ingest([SourceFile(path: "e.txt", name: "e.txt", text: text)])[0].articleID
            let view = try store.annotate(article: article, target: .positions(start: 0, end: 8), note: "0")
            var last = 0.0
            for i in 1...edits {
                let t = try Self.seconds { _ = try store.edit(annotation: view.id, note: "ویرایش \(i)", motivation: nil) }
                if i > edits - 100 { last += t }
            }
            let rebuild = try Self.seconds { _ = try store.rebuild() }
            let events = try DatabaseQueue(path: path, configuration: Self.readOnly).read { db in
                try Data.fetchAll(db, sql: "SELECT body FROM events ORDER BY position").map { try Event(bytes: $0) }
            }
            let receiver = try Store.open(at: dir + "/edits-\(edits)-received.sqlite")
            let receive = try Self.seconds { _ = try receiver.receive(events) }
            rebuildPerEvent[edits] = rebuild / Double(events.count)
            figures += [
                Figure("history", size, "edit_ms_after_\(edits)_edits", last / 100 * 1000, "ms"),
                Figure("history", size, "rebuild_\(edits)_edits_ms", rebuild * 1000, "ms"),
                Figure("history", size, "receive_\(edits)_edits_ms", receive * 1000, "ms"),
            ]
        }
        if let small = rebuildPerEvent[200], let large = rebuildPerEvent[2_000] {
            figures.append(Figure("history", size, "rebuild_per_event_2000_over_200", large / small, "×"))
        }
        return figures
    }

    /// Past views against their live counterparts on the ingested archive plus 20,000
    /// annotations, one of them with 1,000 revisions, and one recorded sync of 200 events.
    func pastViews() throws -> [Figure] {
        let store = try Store.open(at: storePath)
        // 20,000 annotations over the articles, created in commits of 500 (what an analyst's
        // years of work leave); their targets are the first words of each body.
        let heads = try DatabaseQueue(path: storePath, configuration: Self.readOnly).read { db in
            try Row.fetchAll(db, sql: "SELECT id, substr(body, 1, 60) FROM articles ORDER BY rowid LIMIT ?", arguments: [Self.annotationCount])
                .map { ($0[0] as String, $0[1] as String) }
        }
        var ids: [String] = []
        var drafts: [EventDraft] = []
        for n in 0..<Self.annotationCount {
            let (article, head) = heads[n % heads.count]
            let scalars = Array(head.unicodeScalars)
            let start = (n / heads.count) % 20, end = min(scalars.count, start + 12)
            let id = UUID().uuidString.lowercased()
            ids.append(id)
            drafts.append(EventDraft(.annotationCreated, [
                "annotation": .string(id), "article": .string(article), "note": .string("یادداشت \(n) درباره همکاری"),
                "motivation": "commenting", "tags": [.string("برچسب\(n % 50)")],
                "target": [
                    "exact": .string(String(String.UnicodeScalarView(scalars[start..<end]))),
                    "prefix": .string(String(String.UnicodeScalarView(scalars[0..<start]))),
                    "suffix": .string(String(String.UnicodeScalarView(scalars[end...]))),
                    "start": .int(Int64(start)), "end": .int(Int64(end)),
                ],
            ]))
            if drafts.count == 500 { try store.commit(drafts); drafts.removeAll() }
        }
        if !drafts.isEmpty { try store.commit(drafts) }

        // One annotation revised 1,000 times, in commits of 100; the moment half-way through.
        let revised = ids[0]
        let (article, _) = heads[0]
        var middle: Int64 = 0
        for start in stride(from: 0, to: Self.revisions, by: 100) {
            try store.commit((start..<start + 100).map { EventDraft(.annotationEdited, ["annotation": .string(revised), "note": .string("بازنویسی \($0)")]) })
            if start == Self.revisions / 2 { middle = Int64(try store.status().events) }
        }
        // One sync's worth of events (200: new annotations and edits), after its recorded start.
        try store.recordSyncStart(peer: "bench")
        let syncStart = Int64(try store.status().events)
        try store.commit((0..<200).map { i in
            EventDraft(.annotationEdited, ["annotation": .string(ids[(i * 97) % ids.count]), "note": .string("از همگام‌سازی \(i)")])
        })
        let moment = PastMoment.position(middle)

        // An article as most are (its share of the annotations), and the one holding the
        // annotation revised 1,000 times.
        let ordinary = heads[1].0
        let showLive = try Self.medianMS { _ = try store.article(ordinary); _ = try store.annotations(article: ordinary) }
        let showPast = try Self.medianMS { _ = try store.article(ordinary, at: moment) }
        let showRevisedLive = try Self.medianMS { _ = try store.article(article); _ = try store.annotations(article: article) }
        let showRevisedPast = try Self.medianMS { _ = try store.article(article, at: moment) }
        let historyTime = try Self.medianMS { _ = try store.history(of: .annotation(revised)) }
        let logTime = try Self.medianMS { _ = try store.log(after: middle - Int64(Self.revisions) / 2, limit: Self.revisions + 1) }
        let changesTime = try Self.medianMS { _ = try store.changes(since: store.moment(beforeSync: "bench")) }
        let logSyncTime = try Self.medianMS { _ = try store.log(after: syncStart) }
        let listLive = try Self.medianMS { _ = try store.articles(limit: 20) }
        let listPast = try Self.medianMS { _ = try store.articles(limit: 20, at: moment) }
        let query = try SearchQuery(parsing: "همکاری")
        let searchLive = try Self.medianMS { _ = try store.search(query) }
        let searchPast = try Self.medianMS { _ = try store.search(query, at: moment) }
        return [
            Figure("history", size, "show_live_ms", showLive, "ms"),
            Figure("history", size, "show_as_of_ms", showPast, "ms"),
            Figure("history", size, "show_as_of_ratio", showPast / showLive, "×"),
            Figure("history", size, "show_revised_live_ms", showRevisedLive, "ms"),
            Figure("history", size, "show_revised_as_of_ms", showRevisedPast, "ms"),
            Figure("history", size, "show_revised_as_of_ratio", showRevisedPast / showRevisedLive, "×"),
            Figure("history", size, "history_1000_revisions_ms", historyTime, "ms"),
            Figure("history", size, "log_1000_events_ms", logTime, "ms"),
            Figure("history", size, "history_ratio_to_log", historyTime / logTime, "×"),
            Figure("history", size, "changes_since_sync_ms", changesTime, "ms"),
            Figure("history", size, "log_since_sync_ms", logSyncTime, "ms"),
            Figure("history", size, "changes_ratio_to_log", changesTime / logSyncTime, "×"),
            Figure("history", size, "list_live_ms", listLive, "ms"),
            Figure("history", size, "list_as_of_ms", listPast, "ms"),
            Figure("history", size, "search_live_ms", searchLive, "ms"),
            Figure("history", size, "search_as_of_ms", searchPast, "ms"),
        ]
    }
}

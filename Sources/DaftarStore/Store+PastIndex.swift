import DaftarCore
import Foundation
import GRDB

/// Past views read from the live projections, filtered by what was held then, instead of
/// replaying the archive: an article's body never changes, so the live search index and
/// article rows answer for the past once restricted to the copies held at the moment; what
/// does change (annotations, tags) is folded from its own events at the moment. Only
/// whole-archive views (`digest`, `export`) replay, into a scratch store (``past(_:)``).
extension PastMoment {
    /// SQL that is true when the event at `alias.origin`, `alias.seq` is held at this moment.
    func heldSQL(_ alias: String) -> (sql: String, arguments: [any DatabaseValueConvertible]) {
        switch self {
        case .position(let limit):
            ("(SELECT e_.position FROM events e_ WHERE e_.origin = \(alias).origin AND e_.seq = \(alias).seq) <= ?", [limit])
        case .covered(let seqs):
            ("\(alias).seq <= coalesce(json_extract(?, '$.\"' || \(alias).origin || '\"'), 0)",
             [JSONValue.object(Dictionary(uniqueKeysWithValues: seqs.map { ($0.key.rawValue, JSONValue.int($0.value)) })).canonicalString])
        }
    }
}

/// One article as it was at a past moment.
public struct PastArticle: Sendable, Hashable {
    public var detail: ArticleDetail
    /// Folded tag → spelling.
    public var tags: [String: String]
    /// Its annotations then, deleted ones too, in reading order.
    public var annotations: [AnnotationView]
    /// The text of the copy it was shown as, verbatim.
    public var original: String?
}

extension Store {
    /// Articles held at `moment`, most recently added first: each story shown as its earliest
    /// copy held then (as a store holding exactly those events would show it).
    public func articles(limit: Int? = nil, at moment: PastMoment) throws -> [ArticleSummary] {
        if limit == 0 { return [] }
        return try writer.read { db in
            // Copies newest first, each only if it is its story's earliest held then.
            let held = moment.heldSQL("s"), heldOther = moment.heldSQL("s2")
            let rows = try Row.fetchCursor(db, sql: """
                SELECT \(Self.shownCopyColumns)
                FROM article_sources s JOIN articles a ON a.story = s.story
                WHERE \(held.sql) AND NOT EXISTS (
                    SELECT 1 FROM article_sources s2 WHERE s2.story = s.story AND (s2.time, s2.origin, s2.seq) < (s.time, s.origin, s.seq)
                        AND \(heldOther.sql))
                ORDER BY s.time DESC, s.origin DESC, s.seq DESC
                """, arguments: StatementArguments(held.arguments + heldOther.arguments))
            var shown: [Row] = []
            while let row = try rows.next() {
                // Past the limit, only rows tied with the last kept (ties are ordered by id).
                if let limit, shown.count >= limit, row[3] as Int64 != shown[limit - 1][3] as Int64 { break }
                shown.append(row.copy())
            }
            // As the live list: most recently added first, ties by id.
            let ordered = shown.sorted { a, b in
                let (ta, tb): (Int64, Int64) = (a[3], b[3])
                return ta != tb ? ta > tb : (a[1] as String) < (b[1] as String)
            }
            return try ordered.prefix(limit ?? ordered.count).map { row in try Self.summary(shownCopy: row, db) }
        }
    }

    /// The columns of a copy `s` of a story and its live row `a`, as ``summary(shownCopy:_:)``
    /// and ``copyText(shownCopy:_:)`` read them by position.
    static let shownCopyColumns = "s.story, s.article, s.file, s.time, s.origin, s.seq, a.id, a.title, a.published"

    /// The summary of a story shown as the copy in `row` (``shownCopyColumns``): the live row's
    /// title and date unless the copy is another (whose header may carry another date).
    static func summary(shownCopy row: Row, _ db: Database) throws -> ArticleSummary {
        let copy: String = row[1]
        var published: String? = row[8]
        if copy != row[6] as String, let text = try copyText(shownCopy: row, db) {
            published = ArticleText(parsing: text).published
        }
        return ArticleSummary(id: copy, title: row[7], published: published, file: row[2], added: row[3])
    }

    /// The text of the copy in `row` (a ``shownCopyColumns`` row), from its `article.ingested` event.
    static func copyText(shownCopy row: Row, _ db: Database) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT json_extract(body, '$.data.text') FROM events WHERE origin = ? AND seq = ?"),
                            arguments: [row[4] as String, row[5] as Int64])
    }

    /// One article as it was at `moment` — shown as its earliest copy held then, with the
    /// sources, tags and annotations it had then (deleted ones too) — read from its own
    /// events only. `id` is any copy's id.
    public func article(_ id: String, at moment: PastMoment) throws -> PastArticle {
        try writer.read { db in
            guard let story = try String.fetchOne(db, sql: "SELECT story FROM article_sources WHERE article = ? LIMIT 1", arguments: [id]),
                let live = try String.fetchOne(db, sql: "SELECT id FROM articles WHERE story = ?", arguments: [story])
            else { throw DaftarError(.notFound, "no article \(id)") }
            guard let shown = try Self.shownCopy(story: story, at: moment, db) else {
                throw DaftarError(.notFound, "article \(id.prefix(12)) was not in this archive then (\(moment))")
            }
            let summary = try Self.summary(shownCopy: shown, db)
            let body = try String.fetchOne(db, sql: "SELECT body FROM articles WHERE id = ?", arguments: [live]) ?? ""
            let held = moment.heldSQL("s")
            let sources = try Row.fetchAll(db, sql: """
                SELECT s.article, s.file, s.origin, s.seq, s.time, s.author FROM article_sources s
                WHERE s.story = ? AND \(held.sql) ORDER BY s.time, s.origin, s.seq
                """, arguments: StatementArguments([story] + held.arguments))
                .map { ArticleSource(article: $0[0], file: $0[1], origin: $0[2], seq: $0[3], time: $0[4], author: $0[5]) }
            let original = try Self.copyText(shownCopy: shown, db)
            let ids = try Set(String.fetchAll(db, sql: "SELECT id FROM annotations WHERE article = ?", arguments: [live]))
            // Placed in the body as the projection places them (the body is the same in every copy).
            let annotations = try annotationViews(at: moment, only: ids, db).map { view -> AnnotationView in
                var placed = view
                placed.article = summary.id
                placed.anchor = try Projector.placed(view, db).anchor
                return placed
            }.sorted { ($0.anchor.start, $0.id) < ($1.anchor.start, $1.id) }
            return PastArticle(
                detail: ArticleDetail(summary: summary, body: body, sources: sources),
                tags: try articleTags(of: live, at: moment, db).mapValues(\.display),
                annotations: annotations, original: original)
        }
    }

    /// Every annotation as it was at `moment` (of any article), in reading order per article.
    public func annotations(at moment: PastMoment) throws -> [AnnotationView] {
        try writer.read { db in
            try annotationViews(at: moment, db).sorted { ($0.article, $0.anchor.start, $0.id) < ($1.article, $1.anchor.start, $1.id) }
        }
    }

    /// The copy a story was shown as at `moment` (nil when no copy was held then).
    static func shownCopy(story: String, at moment: PastMoment, _ db: Database) throws -> Row? {
        let held = moment.heldSQL("s")
        return try Row.fetchOne(db, sql: """
            SELECT \(shownCopyColumns)
            FROM article_sources s JOIN articles a ON a.story = s.story
            WHERE s.story = ? AND \(held.sql) ORDER BY s.time, s.origin, s.seq LIMIT 1
            """, arguments: StatementArguments([story] + held.arguments))
    }

    /// Every annotation held at `moment`, folded from its events held then, keyed by the id
    /// of the article it was shown on then (its copy's id when no copy of it was held).
    func annotationViews(at moment: PastMoment, only ids: Set<String>? = nil, _ db: Database) throws -> [AnnotationView] {
        let held = moment.heldSQL("x")
        var views: [AnnotationView] = []
        func fold(_ events: [Event]) throws {
            if var view = AnnotationView.resolve(events) {
                view.article = try Self.shownThen(view.article, at: moment, db)
                views.append(view)
            }
        }
        if let ids {
            // A few annotations: each read by its index entry.
            let statement = try db.cachedStatement(sql: """
                SELECT e.body FROM annotation_events x JOIN events e ON e.origin = x.origin AND e.seq = x.seq
                WHERE x.annotation = ? AND \(held.sql)
                """)
            for id in ids.sorted() {
                try fold(Data.fetchAll(statement, arguments: StatementArguments([id] + held.arguments)).map { try Event(bytes: $0) })
            }
            return views
        }
        let rows = try Row.fetchCursor(db, sql: """
            SELECT x.annotation, e.body FROM annotation_events x JOIN events e ON e.origin = x.origin AND e.seq = x.seq
            WHERE \(held.sql) ORDER BY x.annotation
            """, arguments: StatementArguments(held.arguments))
        var current: String? = nil
        var events: [Event] = []
        while let row = try rows.next() {
            let id: String = row[0]
            if id != current {
                try fold(events)
                events.removeAll(keepingCapacity: true)
                current = id
            }
            events.append(try Event(bytes: row[1] as Data))
        }
        try fold(events)
        return views
    }

    /// The annotations that have events this moment does not hold: the others read then as
    /// they read now. Costs the events after the moment (or, for a version vector, the index).
    static func annotationsChanged(after moment: PastMoment, _ db: Database) throws -> Set<String> {
        switch moment {
        case .position(let limit):
            return Set(try String.fetchAll(db, sql: """
                SELECT DISTINCT x.annotation FROM events e JOIN annotation_events x ON x.origin = e.origin AND x.seq = e.seq
                WHERE e.position > ?
                """, arguments: [limit]))
        case .covered:
            let held = moment.heldSQL("x")
            return Set(try String.fetchAll(db, sql: "SELECT DISTINCT x.annotation FROM annotation_events x WHERE NOT (\(held.sql))",
                                           arguments: StatementArguments(held.arguments)))
        }
    }

    /// The id the article `copy` was shown as at `moment`: the earliest copy of its story held then.
    static func shownThen(_ copy: String, at moment: PastMoment, _ db: Database) throws -> String {
        guard let story = try String.fetchOne(db.cachedStatement(sql: "SELECT story FROM article_sources WHERE article = ? LIMIT 1"), arguments: [copy]),
            let shown = try shownCopy(story: story, at: moment, db)
        else { return copy }
        return shown[1]
    }

    /// The article tags held at `moment`, per article as shown then: one observed-remove set
    /// over the tag events of every copy held then.
    func articleTags(at moment: PastMoment, _ db: Database) throws -> [String: [String: ObservedRemoveSet.Entry]] {
        let held = moment.heldSQL("t")
        var byArticle: [String: [Event]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT t.article, e.body FROM article_tag_events t JOIN events e ON e.origin = t.origin AND e.seq = t.seq WHERE \(held.sql)
            """, arguments: StatementArguments(held.arguments)) {
            byArticle[try Self.shownThen(row[0], at: moment, db), default: []].append(try Event(bytes: row[1] as Data))
        }
        return byArticle.mapValues(Projector.articleTagEntries)
    }

    /// ``tagCounts()`` at `moment`.
    public func tagCounts(at moment: PastMoment) throws -> [(tag: String, annotations: Int, articles: Int)] {
        try writer.read { db in
            var counts: [String: (display: String, added: String, annotations: Int, articles: Int)] = [:]
            func count(_ key: String, _ entry: ObservedRemoveSet.Entry, annotation: Bool) {
                var c = counts[key] ?? (entry.display, entry.addedKey, 0, 0)
                if entry.addedKey < c.added { (c.display, c.added) = (entry.display, entry.addedKey) }
                if annotation { c.annotations += 1 } else { c.articles += 1 }
                counts[key] = c
            }
            for view in try annotationViews(at: moment, db) where !view.deleted {
                for (key, entry) in view.tagEntries { count(key, entry, annotation: true) }
            }
            for tags in try articleTags(at: moment, db).values {
                for (key, entry) in tags { count(key, entry, annotation: false) }
            }
            return counts.sorted { ($1.value.annotations + $1.value.articles, $0.key) < ($0.value.annotations + $0.value.articles, $1.key) }
                .map { ($0.value.display, $0.value.annotations, $0.value.articles) }
        }
    }

    /// ``conflicts()`` at `moment`.
    public func conflicts(at moment: PastMoment) throws -> [AnnotationView] {
        try writer.read { db in
            try annotationViews(at: moment, db).filter(\.inConflict)
                .sorted { ($0.article, $0.anchor.start, $0.id) < ($1.article, $1.anchor.start, $1.id) }
        }
    }

    /// ``search(_:filter:limit:at:)`` at a past moment. Annotations without events after the
    /// moment are read from the live projections; only those changed since are folded.
    func pastSearch(_ query: SearchQuery, filter: SearchFilter, limit: Int, at moment: PastMoment) throws -> [SearchHit] {
        var articleFilter = filter
        articleFilter.heldAt = moment
        articleFilter.tag = nil  // tags as they were then, below
        let ranked = try indexSearch(query, filter: articleFilter, limit: filter.tag == nil ? limit : 1_000_000, notes: false)
        return try writer.read { db in
            let changed = try Self.annotationsChanged(after: moment, db)
            let changedViews = try annotationViews(at: moment, only: changed, db)
            var articleHits: [SearchHit] = []
            if let tag = filter.tag.map(Tag.key) {
                let liveTagged = try db.cachedStatement(sql: """
                    SELECT n.id FROM annotations n JOIN annotation_tags t ON t.annotation = n.id
                    WHERE n.article = ? AND t.tag = ? AND NOT n.deleted
                    """)
                for hit in ranked where articleHits.count < limit {
                    let shown = try Self.pastHit(hit, at: moment, db)
                    let tagged = try articleTags(of: hit.id, at: moment, db)[tag] != nil
                        || changedViews.contains { !$0.deleted && $0.article == shown.id && $0.tagEntries[tag] != nil }
                        || String.fetchAll(liveTagged, arguments: [hit.id, tag]).contains { !changed.contains($0) }
                    if tagged { articleHits.append(shown) }
                }
            } else {
                articleHits = try ranked.map { try Self.pastHit($0, at: moment, db) }
            }
            let notes = try pastNoteHits(query, filter: filter, limit: limit, changed: changed, changedViews: changedViews, at: moment, db)
            return (articleHits + notes).sorted {
                ($0.score, $0.kind.rawValue, $0.annotation ?? $0.id) < ($1.score, $1.kind.rawValue, $1.annotation ?? $1.id)
            }.prefix(limit).map { $0 }
        }
    }

    /// The tags of the article shown now as `article`, as they were at `moment`.
    func articleTags(of article: String, at moment: PastMoment, _ db: Database) throws -> [String: ObservedRemoveSet.Entry] {
        let held = moment.heldSQL("t")
        let events = try Data.fetchAll(db, sql: """
            SELECT e.body FROM article_tag_events t JOIN events e ON e.origin = t.origin AND e.seq = t.seq
            WHERE (t.article = ?1 OR t.article IN (\(Projector.copiesOfShownSQL))) AND \(held.sql)
            """, arguments: StatementArguments([article] + held.arguments)).map { try Event(bytes: $0) }
        return Projector.articleTagEntries(events)
    }

    /// A live hit shown as its story was then: its earliest copy held then.
    static func pastHit(_ hit: SearchHit, at moment: PastMoment, _ db: Database) throws -> SearchHit {
        guard let story = try String.fetchOne(db.cachedStatement(sql: "SELECT story FROM articles WHERE id = ?"), arguments: [hit.id]),
            let row = try shownCopy(story: story, at: moment, db)
        else { return hit }
        let summary = try summary(shownCopy: row, db)
        var shown = hit
        (shown.id, shown.file, shown.published) = (summary.id, summary.file, summary.published)
        return shown
    }

    /// Notes as they read at `moment` that match `query`, on articles held then that pass
    /// `filter`: those of annotations unchanged since, from the live index (best first, read
    /// until `limit` pass); those changed since, folded, ranked among themselves in memory.
    func pastNoteHits(
        _ query: SearchQuery, filter: SearchFilter, limit: Int, changed: Set<String>, changedViews: [AnnotationView],
        at moment: PastMoment, _ db: Database
    ) throws -> [SearchHit] {
        guard limit > 0 else { return [] }
        let open = String(MarkedSnippet.open), close = String(MarkedSnippet.close)
        var articleFilter = filter
        articleFilter.heldAt = moment
        articleFilter.tag = nil
        let (conditions, arguments) = articleFilter.conditions(notes: false)
        let passes = try db.makeStatement(sql: "SELECT 1 FROM articles a WHERE \((["a.id = ?"] + conditions).joined(separator: " AND "))")
        let storyOf = try db.cachedStatement(sql: "SELECT story FROM article_sources WHERE article = ? LIMIT 1")
        let liveOf = try db.cachedStatement(sql: "SELECT id FROM articles WHERE story = ?")
        /// The hit for a note on `copy`, if that article was held then and passes the filter.
        func hit(annotation: String, copy: String, score: Double, snippet: String) throws -> SearchHit? {
            guard let story = try String.fetchOne(storyOf, arguments: [copy]),
                let live = try String.fetchOne(liveOf, arguments: [story]),
                try Bool.fetchOne(passes, arguments: StatementArguments([live] + arguments)) != nil,
                let shown = try Self.shownCopy(story: story, at: moment, db)
            else { return nil }
            let summary = try Self.summary(shownCopy: shown, db)
            return SearchHit(kind: .note, annotation: annotation, id: summary.id, title: summary.title, file: summary.file,
                             published: summary.published, snippet: MarkedSnippet(marked: snippet), bodyMatches: [], score: score)
        }
        var hits: [SearchHit] = []

        let tagged = try db.cachedStatement(sql: "SELECT 1 FROM annotation_tags WHERE annotation = ? AND tag = ?")
        let unchanged = try Row.fetchCursor(db, sql: """
            SELECT n.id, n.article, bm25(notes_fts), snippet(notes_fts, 0, ?, ?, '…', 24)
            FROM notes_fts JOIN annotations n ON n.rowid = notes_fts.rowid
            WHERE notes_fts MATCH ? AND NOT n.deleted ORDER BY bm25(notes_fts), n.id
            """, arguments: [open, close, query.ftsExpression])
        var found = 0
        while found < limit, let row = try unchanged.next() {
            let id: String = row[0]
            guard !changed.contains(id) else { continue }
            if let tag = filter.tag, try Bool.fetchOne(tagged, arguments: [id, Tag.key(tag)]) == nil { continue }
            if let hit = try hit(annotation: id, copy: row[1], score: row[2], snippet: row[3]) {
                hits.append(hit)
                found += 1
            }
        }

        let shown = changedViews.filter { !$0.deleted }.sorted { $0.id < $1.id }
        if !shown.isEmpty {
            let notes = try DatabaseQueue(configuration: Self.configuration(readOnly: false))
            let matches = try notes.write { m in
                try m.execute(sql: "CREATE VIRTUAL TABLE notes_fts USING fts5(note, tokenize='daftar')")
                let insert = try m.makeStatement(sql: "INSERT INTO notes_fts(rowid, note) VALUES (?, ?)")
                for (i, view) in shown.enumerated() { try insert.execute(arguments: [i, view.note.displayed?.value ?? ""]) }
                return try Row.fetchAll(m, sql: """
                    SELECT rowid, bm25(notes_fts), snippet(notes_fts, 0, ?, ?, '…', 24) FROM notes_fts WHERE notes_fts MATCH ?
                    ORDER BY bm25(notes_fts), rowid
                    """, arguments: [open, close, query.ftsExpression])
            }
            found = 0
            for row in matches where found < limit {
                let view = shown[row[0] as Int]
                if let tag = filter.tag, view.tagEntries[Tag.key(tag)] == nil { continue }
                if let hit = try hit(annotation: view.id, copy: view.article, score: row[1], snippet: row[2]) {
                    hits.append(hit)
                    found += 1
                }
            }
        }
        return Array(hits.sorted { ($0.score, $0.annotation ?? "") < ($1.score, $1.annotation ?? "") }.prefix(limit))
    }
}

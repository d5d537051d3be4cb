import DaftarCore
import Foundation
import GRDB

/// Applies events to the projections, inside the transaction that appends them.
///
/// Every rule here must give the same tables whatever order the events arrive in (DESIGN §3);
/// anything that depends on "which came first" uses the events' `(time, origin, seq)`.
/// Types this version does not know, and redacted events, are skipped.
enum Projector {
    /// The digest's format version (what `digest` hashes).
    static let version = 4

    /// The projections, each with its own version and log position in `projection_state`.
    /// Bump a projection's version when what it holds, or how it is derived, changes: on
    /// first open by the new code it is rebuilt from the log, with the projections derived
    /// from its rows.
    enum Projection: String, CaseIterable, Sendable {
        /// `articles`, `article_sources`, `articles_fts`, from `article.ingested`; versions
        /// (`story_sketches`, `version_links`, `version_splits`) also from `article.split`.
        case articles
        /// `annotation_events`, `annotations`, `annotation_tags`, `notes_fts`, from `annotation.*`.
        case annotations
        /// `article_tag_events`, `article_tags`, from `article.tagged`/`.untagged`.
        case articleTags = "article_tags"
        /// `alias_events`, `aliases`, from `alias.added`/`.removed`.
        case aliases

        var version: Int {
            switch self {
            case .articles: 7  // 6: word forms in articles_fts and notes_fts; 7: versions
            case .annotations: 6
            case .articleTags: 5
            case .aliases: 1
            }
        }

        /// Projections whose rows are derived with this one's: annotations are placed in the
        /// article body and shown on the article a copy is shown as; tags are gathered over copies.
        var dependents: Set<Projection> { self == .articles ? [.annotations, .articleTags] : [] }

        /// The projection an event feeds, if any.
        static func fed(by event: Event) -> Projection? {
            switch event.eventType {
            case .articleIngested?, .articleSplit?: .articles
            case let type? where type.isAnnotationEvent: .annotations
            case .articleTagged?, .articleUntagged?: .articleTags
            case .aliasAdded?, .aliasRemoved?: .aliases
            default: nil
            }
        }

        var clearSQL: String {
            switch self {
            case .articles:
                """
                DELETE FROM article_sources; DELETE FROM articles; INSERT INTO articles_fts(articles_fts) VALUES ('delete-all');
                DELETE FROM story_sketches; DELETE FROM version_links; DELETE FROM version_splits;
                """
            case .annotations:
                "DELETE FROM annotation_events; DELETE FROM annotation_state; DELETE FROM annotations; DELETE FROM annotation_tags; INSERT INTO notes_fts(notes_fts) VALUES ('delete-all');"
            case .articleTags:
                "DELETE FROM article_tag_events; DELETE FROM article_tags;"
            case .aliases:
                "DELETE FROM alias_events; DELETE FROM aliases;"
            }
        }
    }

    /// Events applied one after another in one transaction — a commit, a received page, a
    /// rebuild. An annotation's merge state is kept here across its events and written, with
    /// its row, once: when the run ends, before an event of another projection (which may read
    /// annotation rows), or when many annotations are held. So a page of N events of one
    /// annotation costs O(N) even when its state grows with them (N tags), where writing the
    /// state and row after each event cost O(N²).
    struct Run {
        let projections: Set<Projection>
        /// Annotations changed by this run whose state and row are not written yet.
        private var states: [String: AnnotationState] = [:]
        /// The most annotations held before they are written (memory stays bounded in a rebuild).
        static let heldAnnotations = 1024

        init(only projections: Set<Projection> = Set(Projection.allCases)) { self.projections = projections }

        mutating func apply(_ event: Event, _ db: Database) throws {
            guard let projection = Projection.fed(by: event), projections.contains(projection) else { return }
            if projection == .annotations {
                try applyAnnotationEvent(event, db)
                return
            }
            try finish(db)
            switch projection {
            case .articles: try event.is(.articleSplit) ? applyArticleSplit(event, db) : applyArticleIngested(event, db)
            case .articleTags: try applyArticleTagEvent(event, db)
            case .aliases: try applyAliasEvent(event, db)
            case .annotations: break
            }
        }

        /// Writes the states and rows of the annotations this run changed.
        mutating func finish(_ db: Database) throws {
            for (id, state) in states.sorted(by: { $0.key < $1.key }) {
                try db.cachedStatement(sql: "INSERT OR REPLACE INTO annotation_state(annotation, state) VALUES (?, ?)")
                    .execute(arguments: [id, Data(state.json.canonicalBytes)])
                try reproject(annotation: id, state.view, db)
            }
            states = [:]
        }

        /// Every annotation event is indexed by its annotation and applied to the annotation's
        /// merge state (``AnnotationState``), from which its row is written — so arriving in any
        /// order gives the same row as a rebuild.
        private mutating func applyAnnotationEvent(_ event: Event, _ db: Database) throws {
            guard let id = event.data?["annotation"]?.stringValue else { return }
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO annotation_events(annotation, origin, seq) VALUES (?, ?, ?)")
                .execute(arguments: [id, event.origin.rawValue, event.seq])
            guard db.changesCount > 0 else { return }
            if states[id] == nil, states.count >= Self.heldAnnotations { try finish(db) }
            // Taken out while it changes: a copy still held here would make each change copy it whole.
            var state = try states.removeValue(forKey: id) ?? annotationState(id, db) ?? AnnotationState()
            try state.apply(event) { clock in try changes(of: id, notCoveredBy: clock, db) }
            states[id] = state
        }
    }

    /// Several `article.ingested` events may exist for one story: the same text under other
    /// file names or from other replicas, and copies whose parsed bodies are equal (other line
    /// endings, another scraped tail). They are one `articles` row, keyed by the story and
    /// shown under the id, file and text of the earliest event by `(time, origin, seq)`; every
    /// event is a row of `article_sources`. Annotations and tags made on any copy are shown on
    /// that row: when an earlier copy arrives, they move to its id.
    static func applyArticleIngested(_ event: Event, _ db: Database) throws {
        guard let data = event.data,
            let article = data["article"]?.stringValue,
            let file = data["file"]?.stringValue,
            let text = data["text"]?.stringValue,
            ArticleText.id(of: text) == article
        else { return }
        let parsed = ArticleText(parsing: text)
        let story = parsed.story
        // A copy this store has not seen yet: what was written on it (an annotation or a tag
        // may arrive first, e.g. after a payloadless copy) must move to the article it is shown as.
        let newCopy = try !(Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM article_sources WHERE article = ?)"), arguments: [article]) ?? false)

        try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO article_sources(origin, seq, article, file, time, author, story, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [event.origin.rawValue, event.seq, article, file, event.time, event.author, story, ArticleText.content(of: text, id: article)])

        let shown = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT rowid, id, first_time, first_origin, first_seq FROM articles WHERE story = ?"), arguments: [story])
        if let shown {
            let first: (Int64, String, Int64) = (shown[2], shown[3], shown[4])
            guard (event.time, event.origin.rawValue, event.seq) < first else {
                if newCopy { try gatherCopies(story: story, shownAs: shown[1], db) }
                return
            }
            // An earlier copy: the story is shown as it. Its body is the same, so the search
            // index row stays; the title and date come from the earlier copy's text.
            try db.cachedStatement(sql: """
                UPDATE articles SET id = ?, file = ?, published = ?, body_start = ?, first_time = ?, first_origin = ?, first_seq = ?
                WHERE rowid = ?
                """).execute(arguments: [article, file, parsed.published, parsed.bodyStart, event.time, event.origin.rawValue, event.seq, shown[0] as Int64])
            if shown[1] as String != article || newCopy { try gatherCopies(story: story, shownAs: article, db) }
            try regroupVersions(from: story, db)  // it may be another version's turn to come first
            return
        }

        try db.cachedStatement(sql: """
            INSERT INTO articles(id, title, published, body, body_start, file, first_time, first_origin, first_seq, story)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                article, parsed.title, parsed.published, parsed.body, parsed.bodyStart, file,
                event.time, event.origin.rawValue, event.seq, story,
            ])
        try db.cachedStatement(sql: "INSERT INTO articles_fts(rowid, title, body) VALUES (?, ?, ?)")
            .execute(arguments: [db.lastInsertedRowID, parsed.title, parsed.body])
        try gatherCopies(story: story, shownAs: article, db)
        try linkVersions(story: story, body: parsed.body, db)
    }

    /// Moves what was shown on any copy of `story` to the id it is shown as: annotations
    /// (placed in the body again: their positions may have been counted in another copy, or
    /// before the body was here) and article tags (one observed-remove set over the tag
    /// events of every copy). Runs when a story's shown copy changes or a new copy arrives.
    static func gatherCopies(story: String, shownAs article: String, _ db: Database) throws {
        let moved = try String.fetchAll(db.cachedStatement(sql: """
            SELECT n.id FROM annotations n WHERE n.article IN (SELECT DISTINCT article FROM article_sources WHERE story = ?)
            """), arguments: [story])
        for id in moved { try reproject(annotation: id, db) }
        let tagged = try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM article_tag_events WHERE article IN (SELECT DISTINCT article FROM article_sources WHERE story = ?))
            """), arguments: [story]) ?? false
        if tagged { try reprojectArticleTags(shownAs: article, db) }
    }

    /// SQL of the ids of every copy of the article shown as `?1` (its story's sources).
    static let copiesOfShownSQL = "SELECT s.article FROM articles a JOIN article_sources s ON s.story = a.story WHERE a.id = ?1"

    /// The id an article is shown under: that of the earliest copy of its story; the id
    /// itself while no copy is archived here (an annotation may arrive before its article).
    static func shownArticle(_ article: String, _ db: Database) throws -> String {
        try String.fetchOne(db.cachedStatement(sql: """
            SELECT a.id FROM article_sources s JOIN articles a ON a.story = s.story WHERE s.article = ? LIMIT 1
            """), arguments: [article]) ?? article
    }

    /// Where an annotation is shown: on the article its copy is shown as, at the same
    /// positions when the quote is there, else placed again by its quote and context (its
    /// positions were counted in a copy whose text differs, e.g. by CR LF line endings).
    static func placed(_ view: AnnotationView, _ db: Database) throws -> (article: String, anchor: TextAnchor) {
        let article = try shownArticle(view.article, db)
        let anchor = view.anchor
        let atPositions = try String.fetchOne(
            db.cachedStatement(sql: "SELECT substr(body, ? + 1, ?) FROM articles WHERE id = ?"),
            arguments: [anchor.start, anchor.end - anchor.start, article])
        guard let atPositions, atPositions != anchor.exact,
            let body = try String.fetchOne(db.cachedStatement(sql: "SELECT body FROM articles WHERE id = ?"), arguments: [article])
        else { return (article, anchor) }
        return (article, Anchoring(body: body).relocate(anchor) ?? anchor)
    }

    /// Empties these projections (the log is untouched).
    static func clear(_ projections: Set<Projection>, _ db: Database) throws {
        for projection in Projection.allCases where projections.contains(projection) {
            try db.execute(sql: projection.clearSQL)
        }
    }

    /// The events stored for these dots, parsed.
    static func events(_ dots: [(String, Int64)], _ db: Database) throws -> [Event] {
        let statement = try db.cachedStatement(sql: "SELECT body FROM events WHERE origin = ? AND seq = ?")
        return try dots.compactMap { origin, seq in
            try Data.fetchOne(statement, arguments: [origin, seq]).map { try Event(bytes: $0) }
        }
    }

    /// The annotation's merge state as projected.
    static func annotationState(_ id: String, _ db: Database) throws -> AnnotationState? {
        try Data.fetchOne(db.cachedStatement(sql: "SELECT state FROM annotation_state WHERE annotation = ?"), arguments: [id])
            .map { data in
                do {
                    return try AnnotationState(json: try JSONValue.parse(data))
                } catch {
                    throw DaftarError(.corrupt, "the stored state of annotation \(id) cannot be read (\(error)); run `daftar rebuild`")
                }
            }
    }

    /// The annotation's change events held here that `clock` does not cover (a delete's
    /// concurrent edits and tags). The index is sought origin by origin, from the first seq
    /// past the clock's, so a delete costs what it does not cover — not every event the
    /// annotation has (N deletes of one annotation were O(N²)); only those events are parsed.
    static func changes(of id: String, notCoveredBy clock: VectorClock, _ db: Database) throws -> [Event] {
        let nextOrigin = try db.cachedStatement(sql: "SELECT origin FROM annotation_events WHERE annotation = ? AND origin > ? ORDER BY origin LIMIT 1")
        let uncovered = try db.cachedStatement(sql: "SELECT seq FROM annotation_events WHERE annotation = ? AND origin = ? AND seq > ? ORDER BY seq")
        var dots: [(String, Int64)] = []
        var origin = ""
        while let next = try String.fetchOne(nextOrigin, arguments: [id, origin]) {
            let covered = clock[ReplicaID(rawValue: next)]
            dots += try Int64.fetchAll(uncovered, arguments: [id, next, covered]).map { (next, $0) }
            origin = next
        }
        return try events(dots, db).filter { $0.eventType.map(EventType.annotationChanges.contains) ?? false }
    }

    /// An annotation as its merge state resolves it.
    static func annotationView(_ id: String, _ db: Database) throws -> AnnotationView? {
        try annotationState(id, db)?.view
    }

    /// Writes the annotation's row again from its merge state (its article's copy changed).
    static func reproject(annotation id: String, _ db: Database) throws {
        try reproject(annotation: id, annotationView(id, db), db)
    }

    static func reproject(annotation id: String, _ view: AnnotationView?, _ db: Database) throws {
        let old = try Row.fetchOne(db.cachedStatement(sql: "SELECT rowid, note, deleted FROM annotations WHERE id = ?"), arguments: [id])
        if let old, old[2] as Bool == false {
            try db.cachedStatement(sql: "INSERT INTO notes_fts(notes_fts, rowid, note) VALUES ('delete', ?, ?)")
                .execute(arguments: [old[0] as Int64, old[1] as String])
        }
        try db.cachedStatement(sql: "DELETE FROM annotation_tags WHERE annotation = ?").execute(arguments: [id])
        guard let view else {
            try db.cachedStatement(sql: "DELETE FROM annotations WHERE id = ?").execute(arguments: [id])
            return
        }
        let (article, anchor) = try placed(view, db)
        let note = view.note.displayed?.value ?? ""
        let arguments: StatementArguments = [
            id, article, anchor.exact, anchor.prefix, anchor.suffix, anchor.start, anchor.end,
            note, view.motivation.displayed?.value ?? "highlighting", view.creator, view.created, view.modified,
            view.deleted, view.inConflict,
        ]
        let rowid: Int64
        if let old {
            rowid = old[0]
            try db.cachedStatement(sql: """
                UPDATE annotations SET id = ?, article = ?, exact = ?, prefix = ?, suffix = ?, start = ?, "end" = ?, note = ?,
                    motivation = ?, creator = ?, created = ?, modified = ?, deleted = ?, conflict = ? WHERE rowid = ?
                """).execute(arguments: arguments + [rowid])
        } else {
            try db.cachedStatement(sql: """
                INSERT INTO annotations(id, article, exact, prefix, suffix, start, "end", note, motivation, creator, created, modified, deleted, conflict)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: arguments)
            rowid = db.lastInsertedRowID
        }
        if !view.deleted {
            try db.cachedStatement(sql: "INSERT INTO notes_fts(rowid, note) VALUES (?, ?)").execute(arguments: [rowid, note])
        }
        for (key, entry) in view.tagEntries {
            try db.cachedStatement(sql: "INSERT INTO annotation_tags(annotation, tag, display, added) VALUES (?, ?, ?, ?)")
                .execute(arguments: [id, key, entry.display, entry.addedKey])
        }
    }

    static func applyArticleTagEvent(_ event: Event, _ db: Database) throws {
        guard let article = event.data?["article"]?.stringValue else { return }
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO article_tag_events(article, origin, seq) VALUES (?, ?, ?)")
            .execute(arguments: [article, event.origin.rawValue, event.seq])
        try reprojectArticleTags(shownAs: shownArticle(article, db), db)
    }

    /// The tags of the article shown as `article`: one observed-remove set over the tag events
    /// of every copy of its story.
    static func reprojectArticleTags(shownAs article: String, _ db: Database) throws {
        let copies = try String.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT article FROM (\(copiesOfShownSQL))"), arguments: [article])
        let names = copies.isEmpty ? [article] : copies
        var dots: [(String, Int64)] = []
        for copy in names {
            dots += try Row.fetchAll(db.cachedStatement(sql: "SELECT origin, seq FROM article_tag_events WHERE article = ?"), arguments: [copy])
                .map { ($0[0] as String, $0[1] as Int64) }
        }
        let tags = articleTagEntries(try events(dots, db))
        for copy in names {
            try db.cachedStatement(sql: "DELETE FROM article_tags WHERE article = ?").execute(arguments: [copy])
        }
        for (key, entry) in tags {
            try db.cachedStatement(sql: "INSERT INTO article_tags(article, tag, display, added) VALUES (?, ?, ?, ?)")
                .execute(arguments: [article, key, entry.display, entry.addedKey])
        }
    }

    /// An alias event joins the others and the groups are resolved again from all of them
    /// (``AliasGroups``): there are few, each written by hand.
    static func applyAliasEvent(_ event: Event, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO alias_events(origin, seq) VALUES (?, ?)")
            .execute(arguments: [event.origin.rawValue, event.seq])
        let dots = try Row.fetchAll(db, sql: "SELECT origin, seq FROM alias_events").map { ($0[0] as String, $0[1] as Int64) }
        try db.execute(sql: "DELETE FROM aliases")
        let insert = try db.cachedStatement(sql: "INSERT INTO aliases(word, grp, spelling) VALUES (?, ?, ?)")
        for group in AliasGroups.resolve(try events(dots, db)) {
            for member in group { try insert.execute(arguments: [member.folded, group[0].folded, member.spelling]) }
        }
    }

    /// The article tags `events` (`article.tagged`/`.untagged`) leave: one observed-remove set.
    static func articleTagEntries(_ events: [Event]) -> [String: ObservedRemoveSet.Entry] {
        func pairs(_ type: EventType) -> [(String, Event)] {
            events.filter { $0.is(type) }.compactMap { e in e.data?["tag"]?.stringValue.map { ($0, e) } }
        }
        return ObservedRemoveSet.entries(adds: pairs(.articleTagged), removes: pairs(.articleUntagged))
    }

    /// Records that every projection (or these) is derived from the log up to `position`,
    /// by this code.
    static func recordPosition(_ position: Int64, _ db: Database, of projections: [Projection] = Projection.allCases) throws {
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO projection_state(name, version, position) VALUES (?, ?, ?)
            ON CONFLICT(name) DO UPDATE SET version = excluded.version, position = excluded.position
            """)
        for projection in projections { try upsert.execute(arguments: [projection.rawValue, projection.version, position]) }
        // The one row that served all projections before they had their own.
        try db.cachedStatement(sql: "DELETE FROM projection_state WHERE name = 'main'").execute()
    }

    /// The projections built by another version of their code (or never recorded).
    static func stale(_ db: Database) throws -> Set<Projection> {
        let versions = try Dictionary(
            Row.fetchAll(db, sql: "SELECT name, version FROM projection_state").map { ($0[0] as String, $0[1] as Int) },
            uniquingKeysWith: { first, _ in first })
        return Set(Projection.allCases.filter { versions[$0.rawValue] != $0.version })
    }
}

import DaftarCore
import Foundation
import GRDB

/// Applies events to the projections, inside the transaction that appends them.
///
/// Every rule here must give the same tables whatever order the events arrive in (DESIGN §3);
/// anything that depends on "which came first" uses the events' `(time, origin, seq)`.
/// Types this version does not know, and redacted events, are skipped.
enum Projector {
    /// Bump when what the projections hold, or how they are derived, changes: stores are
    /// rebuilt from their log on first open by the new code.
    static let version = 3
    static let stateName = "main"

    static func apply(_ event: Event, _ db: Database) throws {
        switch event.type {
        case "article.ingested":
            try applyArticleIngested(event, db)
        case _ where event.type.hasPrefix("annotation."):
            try applyAnnotationEvent(event, db)
        case "article.tagged", "article.untagged":
            try applyArticleTagEvent(event, db)
        default:
            break
        }
    }

    /// Several `article.ingested` events may exist for one article (other file names, other
    /// replicas): the article row is derived from its text (the same for all, as the id is its
    /// hash), and the file shown is that of the earliest event by `(time, origin, seq)`.
    static func applyArticleIngested(_ event: Event, _ db: Database) throws {
        guard let data = event.data,
            let article = data["article"]?.stringValue,
            let file = data["file"]?.stringValue,
            let text = data["text"]?.stringValue,
            ArticleText.id(of: text) == article
        else { return }

        try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO article_sources(origin, seq, article, file, time, author) VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [event.origin.rawValue, event.seq, article, file, event.time, event.author])

        let updated = try db.cachedStatement(sql: """
            UPDATE articles SET file = ?4, first_time = ?1, first_origin = ?2, first_seq = ?3
            WHERE id = ?5 AND (?1, ?2, ?3) < (first_time, first_origin, first_seq)
            """)
        try updated.execute(arguments: [event.time, event.origin.rawValue, event.seq, file, article])
        if try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM articles WHERE id = ?)"), arguments: [article]) == true {
            return
        }

        let parsed = ArticleText(parsing: text)
        try db.cachedStatement(sql: """
            INSERT INTO articles(id, title, published, body, body_start, file, first_time, first_origin, first_seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                article, parsed.title, parsed.published, parsed.body, parsed.bodyStart, file,
                event.time, event.origin.rawValue, event.seq,
            ])
        try db.cachedStatement(sql: "INSERT INTO articles_fts(rowid, title, body) VALUES (?, ?, ?)")
            .execute(arguments: [db.lastInsertedRowID, parsed.title, parsed.body])
    }

    /// Empties every projection (the log is untouched).
    static func clear(_ db: Database) throws {
        try db.execute(sql: """
            DELETE FROM article_sources;
            DELETE FROM articles;
            INSERT INTO articles_fts(articles_fts) VALUES ('delete-all');
            DELETE FROM annotation_events;
            DELETE FROM annotations;
            DELETE FROM annotation_tags;
            INSERT INTO notes_fts(notes_fts) VALUES ('delete-all');
            DELETE FROM article_tag_events;
            DELETE FROM article_tags;
            """)
    }

    /// The events stored for these dots, parsed.
    static func events(_ dots: [(String, Int64)], _ db: Database) throws -> [Event] {
        let statement = try db.cachedStatement(sql: "SELECT body FROM events WHERE origin = ? AND seq = ?")
        return try dots.compactMap { origin, seq in
            try Data.fetchOne(statement, arguments: [origin, seq]).map { try Event(bytes: $0) }
        }
    }

    /// Every annotation event is indexed by its annotation, and the annotation's row is
    /// recomputed from all of them by the merge rules of DaftarCore — so arriving in any order
    /// gives the same row as a rebuild.
    static func applyAnnotationEvent(_ event: Event, _ db: Database) throws {
        guard let id = event.data?["annotation"]?.stringValue else { return }
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO annotation_events(annotation, origin, seq) VALUES (?, ?, ?)")
            .execute(arguments: [id, event.origin.rawValue, event.seq])
        try reproject(annotation: id, db)
    }

    /// An annotation resolved by the merge rules from all the events that name it.
    static func annotationView(_ id: String, _ db: Database) throws -> AnnotationView? {
        let dots = try Row.fetchAll(db.cachedStatement(sql: "SELECT origin, seq FROM annotation_events WHERE annotation = ?"), arguments: [id])
            .map { ($0[0] as String, $0[1] as Int64) }
        return AnnotationView.resolve(try events(dots, db))
    }

    static func reproject(annotation id: String, _ db: Database) throws {
        let old = try Row.fetchOne(db.cachedStatement(sql: "SELECT rowid, note, deleted FROM annotations WHERE id = ?"), arguments: [id])
        if let old, old[2] as Bool == false {
            try db.cachedStatement(sql: "INSERT INTO notes_fts(notes_fts, rowid, note) VALUES ('delete', ?, ?)")
                .execute(arguments: [old[0] as Int64, old[1] as String])
        }
        try db.cachedStatement(sql: "DELETE FROM annotation_tags WHERE annotation = ?").execute(arguments: [id])
        guard let view = try annotationView(id, db) else {
            try db.cachedStatement(sql: "DELETE FROM annotations WHERE id = ?").execute(arguments: [id])
            return
        }
        let note = view.note.displayed?.value ?? ""
        let arguments: StatementArguments = [
            id, view.article, view.anchor.exact, view.anchor.prefix, view.anchor.suffix, view.anchor.start, view.anchor.end,
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
        let dots = try Row.fetchAll(db.cachedStatement(sql: "SELECT origin, seq FROM article_tag_events WHERE article = ?"), arguments: [article])
            .map { ($0[0] as String, $0[1] as Int64) }
        let all = try events(dots, db)
        func pairs(_ type: String) -> [(String, Event)] {
            all.filter { $0.type == type }.compactMap { e in e.data?["tag"]?.stringValue.map { ($0, e) } }
        }
        let tags = ObservedRemoveSet.entries(adds: pairs("article.tagged"), removes: pairs("article.untagged"))
        try db.cachedStatement(sql: "DELETE FROM article_tags WHERE article = ?").execute(arguments: [article])
        for (key, entry) in tags {
            try db.cachedStatement(sql: "INSERT INTO article_tags(article, tag, display, added) VALUES (?, ?, ?, ?)")
                .execute(arguments: [article, key, entry.display, entry.addedKey])
        }
    }

    static func recordPosition(_ position: Int64, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO projection_state(name, version, position) VALUES (?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET version = excluded.version, position = excluded.position
                """,
            arguments: [stateName, version, position])
    }
}

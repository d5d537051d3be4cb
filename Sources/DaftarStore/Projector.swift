import DaftarCore
import GRDB

/// Applies events to the projections, inside the transaction that appends them.
///
/// Every rule here must give the same tables whatever order the events arrive in (DESIGN §3);
/// anything that depends on "which came first" uses the events' `(time, origin, seq)`.
/// Types this version does not know, and redacted events, are skipped.
enum Projector {
    /// Bump when what the projections hold, or how they are derived, changes: stores are
    /// rebuilt from their log on first open by the new code.
    static let version = 1
    static let stateName = "main"

    static func apply(_ event: Event, _ db: Database) throws {
        switch event.type {
        case "article.ingested":
            try applyArticleIngested(event, db)
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
            """)
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

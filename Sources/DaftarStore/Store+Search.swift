import DaftarCore
import GRDB

/// One search result.
public struct SearchHit: Sendable, Hashable {
    public var id: String
    public var title: String
    public var file: String
    public var published: String?
    public var snippet: MarkedSnippet
    /// bm25 score: lower is better (FTS5's convention).
    public var score: Double
}

extension Store {
    /// Articles matching every word of `query`, best first (bm25, title weighted 3×, ties by
    /// id), each with a snippet of its original text.
    public func search(_ query: SearchQuery, limit: Int = 20) throws -> [SearchHit] {
        let open = String(MarkedSnippet.open), close = String(MarkedSnippet.close)
        do {
            return try writer.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT a.id, a.title, a.file, a.published,
                           snippet(articles_fts, -1, ?, ?, '…', 24),
                           bm25(articles_fts, 3.0, 1.0) AS score
                    FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid
                    WHERE articles_fts MATCH ?
                    ORDER BY score, a.id
                    LIMIT ?
                    """, arguments: [open, close, query.ftsExpression, limit]
                ).map { row in
                    SearchHit(id: row[0], title: row[1], file: row[2], published: row[3],
                              snippet: MarkedSnippet(marked: row[4]), score: row[5])
                }
            }
        } catch let error as DatabaseError {
            throw DaftarError(.badQuery, "this query cannot be run; simplify it (\(error.message ?? "search failed"))", cause: error)
        }
    }
}

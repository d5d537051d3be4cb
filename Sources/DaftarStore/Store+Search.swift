import DaftarCore
import GRDB

/// One search result.
public struct SearchHit: Sendable, Hashable {
    public var id: String
    public var title: String
    public var file: String
    public var published: String?
    public var snippet: MarkedSnippet
    /// The matched ranges in the article body, in Unicode scalars.
    public var bodyMatches: [Range<Int>]
    /// bm25 score: lower is better (FTS5's convention).
    public var score: Double
}

/// Restrictions on which articles a search returns.
public struct SearchFilter: Sendable, Hashable {
    /// Published on or after this date (`YYYY-MM-DD`); articles without a date are left out.
    public var since: String?
    /// Published on or before this date (`YYYY-MM-DD`); articles without a date are left out.
    public var until: String?
    /// Some file the article came from matches this glob (`*`, `?`, `[…]`, case-sensitive).
    public var fileGlob: String?

    public init(since: String? = nil, until: String? = nil, fileGlob: String? = nil) {
        self.since = since
        self.until = until
        self.fileGlob = fileGlob
    }
}

extension Store {
    /// Articles matching `query`, best first (bm25, title weighted 3×, ties by id), each with a
    /// snippet of its original text and where in the body the matches are.
    public func search(_ query: SearchQuery, filter: SearchFilter = SearchFilter(), limit: Int = 20) throws -> [SearchHit] {
        let open = String(MarkedSnippet.open), close = String(MarkedSnippet.close)
        // Rank first, then compute snippets and highlights for the returned rows only: in one
        // query SQLite would evaluate them for every match before sorting.
        var conditions = ["articles_fts MATCH ?"]
        var arguments: [any DatabaseValueConvertible] = [query.ftsExpression]
        if let since = filter.since {
            conditions.append("a.published >= ?")
            arguments.append(since)
        }
        if let until = filter.until {
            conditions.append("a.published <= ?")
            arguments.append(until)
        }
        if let glob = filter.fileGlob {
            conditions.append("EXISTS (SELECT 1 FROM article_sources s WHERE s.article = a.id AND s.file GLOB ?)")
            arguments.append(glob)
        }
        arguments += [limit, open, close, open, close, query.ftsExpression]
        let sql = """
            WITH top AS (
                SELECT a.rowid AS rowid, a.id AS id, bm25(articles_fts, 3.0, 1.0) AS score
                FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid
                WHERE \(conditions.joined(separator: " AND "))
                ORDER BY score, a.id
                LIMIT ?
            )
            SELECT a.id, a.title, a.file, a.published,
                   snippet(articles_fts, -1, ?, ?, '…', 24),
                   highlight(articles_fts, 1, ?, ?),
                   top.score
            FROM top
            JOIN articles_fts ON articles_fts.rowid = top.rowid
            JOIN articles a ON a.rowid = top.rowid
            WHERE articles_fts MATCH ?
            ORDER BY top.score, top.id
            """
        do {
            return try writer.read { db in
                try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
                    SearchHit(id: row[0], title: row[1], file: row[2], published: row[3],
                              snippet: MarkedSnippet(marked: row[4]), bodyMatches: MarkedSnippet(marked: row[5]).matches,
                              score: row[6])
                }
            }
        } catch let error as DatabaseError {
            if query.raw != nil {
                let detail = (error.message ?? "").replacingOccurrences(of: "fts5: ", with: "")
                throw DaftarError(.badQuery, "the --fts expression is not valid FTS5 syntax (\(detail)); see https://sqlite.org/fts5.html#full_text_query_syntax", cause: error)
            }
            throw DaftarError(.badQuery, "this query cannot be run; simplify it or report it as a bug", cause: error)
        }
    }
}

import DaftarCore
import GRDB

/// One search result: an article, or an annotation's note.
public struct SearchHit: Sendable, Hashable {
    /// What matched.
    public enum Kind: String, Sendable, Hashable, Codable {
        case article, note
    }
    public var kind: Kind = .article
    /// The annotation whose note matched (for `.note`).
    public var annotation: String? = nil
    /// The article (for `.note`, the annotated one).
    public var id: String
    public var title: String
    public var file: String
    public var published: String?
    public var snippet: MarkedSnippet
    /// The matched ranges in the article body, in Unicode scalars.
    public var bodyMatches: [Range<Int>]
    /// Words that matched as another spelling of a query word (its alias group), as written.
    public var aliases: [String] = []
    /// Which version of its story the matching article is, and how many there are: a story
    /// is one hit, its best-matching version.
    public var version = 1
    public var versions = 1
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
    /// The article, or one of its annotations (for a note: the annotation), has this tag.
    public var tag: String?

    /// With ``since``/``until``: keep articles that have no date (left out by default).
    public var includeUndated = false
    /// Only articles without a date (to count what a date filter left out).
    var onlyUndated = false

    /// Only articles with a copy held at this moment (a past view); file globs match those copies.
    var heldAt: PastMoment?

    /// True when a date filter leaves out articles without a date.
    public var leavesOutUndated: Bool { (since != nil || until != nil) && !includeUndated }

    public init(since: String? = nil, until: String? = nil, fileGlob: String? = nil, tag: String? = nil) {
        self.since = since
        self.until = until
        self.fileGlob = fileGlob
        self.tag = tag
    }

    /// SQL conditions on the article `a` (and, for notes, the annotation `n`), with arguments.
    func conditions(notes: Bool) -> ([String], [any DatabaseValueConvertible]) {
        var conditions: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        let orUndated = includeUndated ? "a.published IS NULL OR " : ""
        if onlyUndated {
            conditions.append("a.published IS NULL")
        } else {
            if let since {
                conditions.append("(\(orUndated)a.published >= ?)")
                arguments.append(since)
            }
            if let until {
                conditions.append("(\(orUndated)a.published <= ?)")
                arguments.append(until)
            }
        }
        if let heldAt {
            let held = heldAt.heldSQL("s")
            conditions.append("EXISTS (SELECT 1 FROM article_sources s WHERE s.story = a.story AND \(held.sql)\(fileGlob == nil ? "" : " AND s.file GLOB ?"))")
            arguments += held.arguments + (fileGlob.map { [$0] } ?? [])
        } else if let fileGlob {
            conditions.append("EXISTS (SELECT 1 FROM article_sources s WHERE s.story = a.story AND s.file GLOB ?)")
            arguments.append(fileGlob)
        }
        if let tag {
            if notes {
                conditions.append("EXISTS (SELECT 1 FROM annotation_tags t WHERE t.annotation = n.id AND t.tag = ?)")
                arguments.append(Tag.key(tag))
            } else {
                conditions.append("""
                    (EXISTS (SELECT 1 FROM article_tags t WHERE t.article = a.id AND t.tag = ?)
                     OR EXISTS (SELECT 1 FROM annotation_tags t JOIN annotations x ON x.id = t.annotation
                                WHERE x.article = a.id AND NOT x.deleted AND t.tag = ?))
                    """)
                arguments += [Tag.key(tag), Tag.key(tag)]
            }
        }
        return (conditions, arguments)
    }
}

extension Store {
    /// How many articles match `query` and every filter but the dates, and have no date:
    /// what a date filter left out.
    public func undatedMatches(_ query: SearchQuery, filter: SearchFilter, at moment: PastMoment? = nil) throws -> Int {
        let query = try writer.read { db in try withAliases(query, db) }
        var undated = filter
        undated.onlyUndated = true
        undated.heldAt = moment
        let (conditions, arguments) = undated.conditions(notes: false)
        let sql = """
            SELECT count(*) FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid
            WHERE \((["articles_fts MATCH ?"] + conditions).joined(separator: " AND "))
            """
        do {
            return try writer.read { db in
                try Int.fetchOne(db, sql: sql, arguments: StatementArguments([query.ftsExpression] + arguments)) ?? 0
            }
        } catch let error as DatabaseError {
            throw DaftarError(.badQuery, "the query cannot be run: \(error.message ?? "\(error.resultCode)")", cause: error)
        }
    }

    /// Articles matching `query`, best first (bm25, title weighted 3×, ties by id), each with a
    /// snippet of its original text and where in the body the matches are.
    ///
    /// With `moment`, as they were then: the live index restricted to articles held then
    /// (shown as their earliest copy held then; ranked by today's index statistics), tags as
    /// they were then, and notes as they read then.
    public func search(_ query: SearchQuery, filter: SearchFilter = SearchFilter(), limit: Int = 20, at moment: PastMoment? = nil) throws -> [SearchHit] {
        let query = try writer.read { db in try withAliases(query, db) }
        if let moment { return try pastSearch(query, filter: filter, limit: limit, at: moment) }
        return try indexSearch(query, filter: filter, limit: limit, notes: true)
    }

    /// The live search: articles, and notes unless `notes` is false.
    func indexSearch(_ query: SearchQuery, filter: SearchFilter, limit: Int, notes searchNotes: Bool) throws -> [SearchHit] {
        let open = String(MarkedSnippet.open), close = String(MarkedSnippet.close)
        // Rank first, then compute snippets and highlights for the returned rows only: in one
        // query SQLite would evaluate them for every match before sorting.
        let expression = query.ftsExpression
        let (articleConditions, articleArguments) = filter.conditions(notes: false)
        // Ranking reads only the index unless a filter needs the article row. daftar_rank is
        // bm25 that skips rows which cannot reach the top `limit` (see RankFunction).
        let join = articleConditions.isEmpty ? "" : "JOIN articles a ON a.rowid = articles_fts.rowid"
        let where_ = (["articles_fts MATCH ?"] + articleConditions).joined(separator: " AND ")
        let rankSQL = """
            SELECT articles_fts.rowid, \(RankFunction.name)(articles_fts, ?, 3.0, 1.0) AS score
            FROM articles_fts \(join)
            WHERE \(where_)
            ORDER BY score
            LIMIT ?
            """
        let detailSQL = """
            SELECT a.rowid, a.id, a.title, a.file, a.published,
                   highlight(articles_fts, 0, ?, ?),
                   highlight(articles_fts, 1, ?, ?),
                   a.family, a.version, a.versions
            FROM articles_fts
            JOIN articles a ON a.rowid = articles_fts.rowid
            WHERE articles_fts MATCH ? AND articles_fts.rowid = ?
            """
        let (noteConditions, noteArguments) = filter.conditions(notes: true)
        let noteSQL = """
            WITH top AS (
                SELECT n.rowid AS rowid, n.id AS id, bm25(notes_fts) AS score
                FROM notes_fts JOIN annotations n ON n.rowid = notes_fts.rowid JOIN articles a ON a.id = n.article
                WHERE \((["notes_fts MATCH ?", "NOT n.deleted"] + noteConditions).joined(separator: " AND "))
                ORDER BY score, n.id
                LIMIT ?
            )
            SELECT n.id, a.id, a.title, a.file, a.published, snippet(notes_fts, 0, ?, ?, '…', 24), top.score
            FROM top
            JOIN notes_fts ON notes_fts.rowid = top.rowid
            JOIN annotations n ON n.rowid = top.rowid
            JOIN articles a ON a.id = n.article
            WHERE notes_fts MATCH ?
            ORDER BY top.score, top.id
            """
        do {
            return try writer.read { db in
                // A story with several versions is one hit: rank enough rows to fill `limit` stories.
                let hasVersions = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM articles WHERE family IS NOT NULL)") ?? false
                var families = Set<String>()
                let articles = try rankedArticles(
                    db, expression: expression, arguments: articleArguments, limit: hasVersions ? limit * 3 : limit, rankSQL: rankSQL
                ).compactMap { rowid, score -> SearchHit? in
                    let row = try Row.fetchOne(db, sql: detailSQL, arguments: [open, close, open, close, expression, rowid])!
                    if let family = row[7] as String?, !families.insert(family).inserted { return nil }
                    // The snippet: the body's best passage, or the title when only it matched.
                    let title = MarkedSnippet(marked: row[5]), body = MarkedSnippet(marked: row[6])
                    var hit = SearchHit(id: row[1], title: row[2], file: row[3], published: row[4],
                                        snippet: body.passage() ?? title, bodyMatches: body.matches, score: score)
                    hit.aliases = Self.aliasesMatched(query, in: [title, body])
                    (hit.version, hit.versions) = (row[8], row[9])
                    return hit
                }
                let notes = !searchNotes ? [] : try Row.fetchAll(
                    db, sql: noteSQL,
                    arguments: StatementArguments([expression] + noteArguments + [limit, open, close, expression])
                ).map { row in
                    SearchHit(kind: .note, annotation: row[0], id: row[1], title: row[2], file: row[3], published: row[4],
                              snippet: MarkedSnippet(marked: row[5]), bodyMatches: [], score: row[6])
                }
                // Best first across both; ties by kind (articles first), then id.
                return (articles + notes).sorted {
                    ($0.score, $0.kind.rawValue, $0.annotation ?? $0.id) < ($1.score, $1.kind.rawValue, $1.annotation ?? $1.id)
                }.prefix(limit).map { $0 }
            }
        } catch let error as DatabaseError {
            if query.raw != nil {
                let detail = (error.message ?? "").replacingOccurrences(of: "fts5: ", with: "")
                throw DaftarError(.badQuery, "the raw FTS5 expression is not valid FTS5 syntax (\(detail)); see https://sqlite.org/fts5.html#full_text_query_syntax", cause: error)
            }
            throw DaftarError(.badQuery, "this query cannot be run; simplify it or report it as a bug", cause: error)
        }
    }

    /// The words of `snippets`' matches that matched as another spelling in a query word's
    /// alias group (or a form of one), as the text writes them.
    static func aliasesMatched(_ query: SearchQuery, in snippets: [MarkedSnippet]) -> [String] {
        let spellings = Set(query.aliases.values.joined())
        guard !spellings.isEmpty else { return [] }
        var found: [String] = []
        for snippet in snippets {
            let scalars = Array(snippet.text.unicodeScalars)
            for range in snippet.matches {
                let text = String(String.UnicodeScalarView(scalars[range]))
                guard !found.contains(text), let word = PersianFolding.words(in: text).first?.folded else { continue }
                if spellings.contains(word) || PersianForms.stems(of: word).contains(where: spellings.contains) { found.append(text) }
            }
        }
        return found
    }

    /// The best `limit` articles' rowids and scores, best first, ties by article id.
    private func rankedArticles(
        _ db: Database, expression: String, arguments: [any DatabaseValueConvertible], limit: Int, rankSQL: String
    ) throws -> [(rowid: Int64, score: Double)] {
        guard limit > 0 else { return [] }
        // Rows scoring the same as the last one kept are ordered by article id, which the
        // index does not hold: fetch past the cut until the tie ends. Rows past the cut cost
        // little (daftar_rank returns +∞ for rows that cannot make it), so fetch a few.
        var fetch = limit * 4 + 1
        while true {
            let ranked = try Row.fetchAll(
                db, sql: rankSQL, arguments: StatementArguments([limit, expression] + arguments + [fetch])
            ).map { (row: Row) in (rowid: row[0] as Int64, score: row[1] as Double) }
            if ranked.count == fetch, ranked[fetch - 1].score == ranked[limit - 1].score {
                fetch *= 4
                continue
            }
            guard let cut = ranked.prefix(limit).last?.score else { return [] }
            let candidates = ranked.filter { $0.score <= cut }
            let id = try db.cachedStatement(sql: "SELECT id FROM articles WHERE rowid = ?")
            let ids = try Dictionary(uniqueKeysWithValues: candidates.map { ($0.rowid, try String.fetchOne(id, arguments: [$0.rowid]) ?? "") })
            return Array(candidates.sorted { ($0.score, ids[$0.rowid]!) < ($1.score, ids[$1.rowid]!) }.prefix(limit))
        }
    }
}

import DaftarCore
import Foundation
import GRDB

/// An article as listed.
public struct ArticleSummary: Sendable, Hashable, Codable {
    public var id: String
    public var title: String
    public var published: String?
    /// The file it was first archived from (earliest by `(time, origin, seq)`).
    public var file: String
    /// When it was first archived, ms since 1970.
    public var added: Int64
    /// Which version of its story this is (1 = first archived), and how many there are.
    public var version: Int = 1
    public var versions: Int = 1
}

/// One `article.ingested` event of an article.
public struct ArticleSource: Sendable, Hashable, Codable {
    /// The id of this copy's text: the article's own id, or another copy's whose body is equal.
    public var article: String
    public var file: String
    public var origin: String
    public var seq: Int64
    public var time: Int64
    public var author: String
}

/// An article with its text and provenance.
public struct ArticleDetail: Sendable, Hashable, Codable {
    public var summary: ArticleSummary
    public var body: String
    public var sources: [ArticleSource]
}

/// One event as `daftar log` shows it.
public struct LogEntry: Sendable, Hashable, Codable {
    public var position: Int64
    public var origin: String
    public var seq: Int64
    public var type: String
    public var time: Int64
    public var author: String
    public var hash: String
    public var seal: Bool
    /// Who the origin is here: "this replica", or "peer NAME" when a peer's replica; nil otherwise.
    public var replica: String?
    /// What the event did, in words.
    public var summary: String
}

/// What `daftar status` reports.
public struct StatusReport: Sendable, Codable {
    public struct Head: Sendable, Codable {
        public var origin: String
        public var seq: Int64
        public var hash: String
    }
    public var store: String
    public var replica: String?
    public var author: String
    public var versionVector: [Head]
    public var events: Int
    public var seals: Int
    public var articles: Int
    public var sources: Int
    public var projectionVersion: Int
    public var projectedPosition: Int64
    public var bytes: Int64
}

extension Store {
    /// Articles, most recently added first, each story once (its latest version); `offset`
    /// skips that many (for pages).
    public func articles(limit: Int? = nil, offset: Int = 0) throws -> [ArticleSummary] {
        try writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, title, published, file, first_time, version, versions FROM articles WHERE version = versions
                    ORDER BY first_time DESC, id LIMIT ? OFFSET ?
                    """,
                arguments: [limit ?? -1, offset]
            ).map(Self.summary)
        }
    }

    /// An article's summary from `id, title, published, file, first_time[, version, versions]`.
    static func summary(_ row: Row) -> ArticleSummary {
        ArticleSummary(id: row[0], title: row[1], published: row[2], file: row[3], added: row[4], version: row.count > 5 ? row[5] : 1, versions: row.count > 6 ? row[6] : 1)
    }

    /// Resolves a full id or an unambiguous prefix (like git) to an article id: the id of any
    /// copy names the article it is shown as.
    public func resolveArticle(_ prefix: String) throws -> String {
        let lowered = prefix.lowercased()
        guard !lowered.isEmpty, lowered.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }) else {
            throw DaftarError(.notFound, "\"\(prefix)\" is not an article id (ids are hex, e.g. from `daftar list`)")
        }
        let matches = try writer.read { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT a.id FROM article_sources s JOIN articles a ON a.story = s.story
                WHERE s.article >= ? AND s.article < ? ORDER BY a.id LIMIT 6
                """, arguments: [lowered, lowered + "g"])
        }
        switch matches.count {
        case 0: throw DaftarError(.notFound, "no article with an id starting \(lowered); see `daftar list`")
        case 1: return matches[0]
        default:
            let shown = matches.prefix(5).map { String($0.prefix(16)) }.joined(separator: ", ")
            throw DaftarError(.ambiguous, "id prefix \(lowered) is ambiguous: it matches several articles (\(shown)\(matches.count > 5 ? ", …" : "")); give more characters")
        }
    }

    /// One article with its body and provenance.
    public func article(_ id: String) throws -> ArticleDetail {
        try writer.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, title, published, file, first_time, version, versions, body FROM articles WHERE id = ?", arguments: [id]) else {
                throw DaftarError(.notFound, "no article \(id)")
            }
            let sources = try Row.fetchAll(
                db, sql: """
                    SELECT s.article, s.file, s.origin, s.seq, s.time, s.author FROM articles a JOIN article_sources s ON s.story = a.story
                    WHERE a.id = ? ORDER BY s.time, s.origin, s.seq
                    """,
                arguments: [id]
            ).map { ArticleSource(article: $0[0], file: $0[1], origin: $0[2], seq: $0[3], time: $0[4], author: $0[5]) }
            return ArticleDetail(summary: Self.summary(row), body: row[7], sources: sources)
        }
    }

    /// The original text of an article, verbatim, from its first `article.ingested` event.
    public func originalText(_ id: String) throws -> String? {
        try writer.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT e.body FROM articles a JOIN events e ON e.origin = a.first_origin AND e.seq = a.first_seq WHERE a.id = ?
                """, arguments: [id]) else { return nil }
            let body: Data = row[0]
            return try Event(bytes: body).data?["text"]?.stringValue
        }
    }

    /// Replica id, version vector and counts.
    public func status() throws -> StatusReport {
        try writer.read { db in
            let heads = try Self.versionVector(db).heads.sorted { $0.key < $1.key }
                .map { StatusReport.Head(origin: $0.key.rawValue, seq: $0.value.seq, hash: $0.value.hash) }
            let state = try Row.fetchOne(db, sql: "SELECT ?, min(position) FROM projection_state", arguments: [Projector.version])
            let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            return StatusReport(
                store: path,
                replica: replicaID,
                author: try authorName(db),
                versionVector: heads,
                events: try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0,
                seals: try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE is_seal") ?? 0,
                articles: try Int.fetchOne(db, sql: "SELECT count(*) FROM articles") ?? 0,
                sources: try Int.fetchOne(db, sql: "SELECT count(*) FROM article_sources") ?? 0,
                projectionVersion: state?[0] ?? 0,
                projectedPosition: state?[1] ?? 0,
                bytes: pages * pageSize)
        }
    }

    /// This replica's id: its identity's, else the key file's (without creating one); nil
    /// before the first write.
    public var replicaID: String? { identity?.origin.rawValue ?? Self.keyFileOrigin(keyPath) }

    /// The replica id in the key file, without creating one; nil when there is none.
    static func keyFileOrigin(_ keyPath: String) -> String? {
        guard let text = try? String(contentsOfFile: keyPath, encoding: .utf8) else { return nil }
        return Identity(keyFileText: text)?.origin.rawValue
    }
}

import DaftarCore
import Foundation
import GRDB

extension Store {
    /// Every article with live annotations or tags, in reading order (published date, title),
    /// each with its tags and its annotations by start: what the exports write. One read, so
    /// the annotations and tags are of the same moment.
    public func annotatedArticles() throws -> [AnnotatedArticle] {
        try writer.read { db in
            let ids = try String.fetchAll(db, sql: "SELECT id FROM annotations WHERE NOT deleted ORDER BY article, start, id")
            let views = Dictionary(grouping: try Self.annotationViews(db, ids: ids), by: \.article)
            var tags: [String: [(key: String, display: String)]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT article, tag, display FROM article_tags ORDER BY article, tag") {
                let article: String = row[0], key: String = row[1], display: String = row[2]
                tags[article, default: []].append((key, display))
            }
            var articles: [AnnotatedArticle] = []
            for id in Set(views.keys).union(tags.keys) {
                guard let row = try Row.fetchOne(db, sql: "SELECT title, published, file FROM articles WHERE id = ?", arguments: [id]) else { continue }
                var article = AnnotatedArticle(
                    id: id, title: row[0], published: row[1], file: row[2],
                    tags: (tags[id] ?? []).map(\.display), annotations: views[id] ?? [])
                if !article.tags.isEmpty {
                    let times = try Row.fetchOne(db, sql: """
                        SELECT min(e.time), max(e.time) FROM article_tag_events t
                        JOIN events e ON e.origin = t.origin AND e.seq = t.seq WHERE t.article = ?
                        """, arguments: [id])
                    if let times {
                        article.tagsCreated = times[0] as Int64?
                        article.tagsModified = times[1] as Int64?
                    }
                    let first = try Data.fetchOne(db, sql: """
                        SELECT e.body FROM article_tag_events t JOIN events e ON e.origin = t.origin AND e.seq = t.seq
                        WHERE t.article = ? AND e.type = 'article.tagged' ORDER BY e.time, e.origin, e.seq LIMIT 1
                        """, arguments: [id])
                    article.tagsCreator = first.flatMap { try? Event(bytes: Array($0)).author }
                }
                articles.append(article)
            }
            return articles.sorted(by: AnnotatedArticle.readingOrder)
        }
    }

    /// The tags (folded) ever removed from an article here: an import does not bring them back.
    func untaggedKeys(article: String, _ db: Database) throws -> Set<String> {
        let bodies = try Data.fetchAll(db, sql: """
            SELECT e.body FROM article_tag_events t JOIN events e ON e.origin = t.origin AND e.seq = t.seq
            WHERE e.type = 'article.untagged' AND t.article IN (
                \(Projector.copiesOfShownSQL) UNION SELECT ?1)
            """, arguments: [article])
        return Set(bodies.compactMap { body in (try? Event(bytes: Array(body)))?.data?["tag"]?.stringValue.map(Tag.key) })
    }
}

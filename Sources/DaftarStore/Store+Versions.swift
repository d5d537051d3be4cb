import DaftarCore
import GRDB

/// One version of an article: a story whose body is a near-duplicate of the others'.
public struct ArticleVersion: Sendable, Hashable, Codable {
    /// 1 for the first archived, by `(time, origin, seq)` of its first `article.ingested`.
    public var number: Int
    public var summary: ArticleSummary
}

/// An annotation made on another version of an article, and where it is shown on this one.
public struct CarriedAnnotation: Sendable {
    public var view: AnnotationView
    /// The version it was made on.
    public var version: Int
    /// Where it is on this version and how that was found, or why it is an orphan here.
    public var placement: Placement
}

/// Versions (DESIGN §2): an archived story whose body is a near-duplicate of another's
/// (``StorySketch``) is linked to it; linked stories are the versions of one article, numbered
/// by when each was first archived. Links are a function of the two texts and of the
/// `article.split` events naming the pair, so every replica groups alike, whatever order the
/// events arrived in.
extension Projector {
    /// Indexes a new story's sketch and links it to every archived story it is a version of.
    static func linkVersions(story: String, body: String, _ db: Database) throws {
        guard let index = StorySketch.index(of: body),
            let row = try Int64.fetchOne(db.cachedStatement(sql: "SELECT rowid FROM articles WHERE story = ?"), arguments: [story])
        else { return }
        let insert = try db.cachedStatement(sql: "INSERT OR IGNORE INTO story_sketches(hash, article) VALUES (?, ?)")
        for hash in index { try insert.execute(arguments: [hash, row]) }
        // Candidates share two of the indexed hashes (a version at the threshold does with
        // probability 0.97); a rule on the pair alone, so arrival order never matters.
        let candidates = try String.fetchAll(db.cachedStatement(sql: """
            SELECT a.story FROM story_sketches k JOIN articles a ON a.rowid = k.article
            WHERE k.hash IN (\(index.map { _ in "?" }.joined(separator: ","))) AND k.article != ?
            GROUP BY k.article HAVING count(*) >= 2
            """), arguments: StatementArguments(index + [row]))
        guard !candidates.isEmpty else { return }
        let sketch = StorySketch(body: body)
        var linked = false
        for other in candidates where try !isSplit(story, other, db) {
            guard let otherBody = try String.fetchOne(db.cachedStatement(sql: "SELECT body FROM articles WHERE story = ?"), arguments: [other])
            else { continue }
            let otherSketch = StorySketch(body: otherBody)
            guard sketch.isVersion(of: otherSketch) else { continue }
            let (a, b) = story < other ? (story, other) : (other, story)
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO version_links(a, b, similarity) VALUES (?, ?, ?)")
                .execute(arguments: [a, b, sketch.similarity(to: otherSketch)])
            linked = true
        }
        if linked { try regroupVersions(from: story, db) }
    }

    static func isSplit(_ x: String, _ y: String, _ db: Database) throws -> Bool {
        let (a, b) = x < y ? (x, y) : (y, x)
        return try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM version_splits WHERE a = ? AND b = ?)"), arguments: [a, b]) ?? false
    }

    /// The stories linked to `story`, itself included (its connected component).
    static func linkedStories(_ story: String, _ db: Database) throws -> Set<String> {
        var seen: Set<String> = [story], queue = [story]
        let neighbours = try db.cachedStatement(sql: "SELECT b FROM version_links WHERE a = ?1 UNION SELECT a FROM version_links WHERE b = ?1")
        while let next = queue.popLast() {
            for other in try String.fetchAll(neighbours, arguments: [next]) where seen.insert(other).inserted { queue.append(other) }
        }
        return seen
    }

    /// Numbers the versions of `story`'s article again: by when each was first archived; the
    /// family is the story of version 1.
    static func regroupVersions(from story: String, _ db: Database) throws {
        let stories = try linkedStories(story, db)
        let isLinked = stories.count > 1
        let wasLinked = try Bool.fetchOne(db, sql: "SELECT family IS NOT NULL FROM articles WHERE story = ?", arguments: [story]) ?? false
        guard isLinked || wasLinked else { return }
        var members: [(time: Int64, origin: String, seq: Int64, story: String)] = []
        let first = try db.cachedStatement(sql: "SELECT first_time, first_origin, first_seq FROM articles WHERE story = ?")
        for member in stories {
            if let row = try Row.fetchOne(first, arguments: [member]) { members.append((row[0], row[1], row[2], member)) }
        }
        members.sort { ($0.time, $0.origin, $0.seq, $0.story) < ($1.time, $1.origin, $1.seq, $1.story) }
        let update = try db.cachedStatement(sql: "UPDATE articles SET family = ?, version = ?, versions = ? WHERE story = ?")
        for (n, member) in members.enumerated() {
            try update.execute(arguments: [isLinked ? members[0].story : nil, n + 1, members.count, member.story])
        }
    }

    /// `article.split`: the article's story is no longer linked to the others' stories, now or
    /// when they are archived again; each side's versions are numbered again.
    static func applyArticleSplit(_ event: Event, _ db: Database) throws {
        guard case .articleSplit(let article, let from)? = EventPayload(event) else { return }
        let storyOf = try db.cachedStatement(sql: "SELECT story FROM article_sources WHERE article = ? LIMIT 1")
        guard let story = try String.fetchOne(storyOf, arguments: [article]) else { return }
        var touched: Set<String> = [story]
        for other in from {
            guard let otherStory = try String.fetchOne(storyOf, arguments: [other]), otherStory != story else { continue }
            let (a, b) = story < otherStory ? (story, otherStory) : (otherStory, story)
            try db.execute(sql: "INSERT OR IGNORE INTO version_splits(a, b, origin, seq) VALUES (?, ?, ?, ?)", arguments: [a, b, event.origin.rawValue, event.seq])
            try db.execute(sql: "DELETE FROM version_links WHERE a = ? AND b = ?", arguments: [a, b])
            touched.insert(otherStory)
        }
        for member in touched { try regroupVersions(from: member, db) }
    }
}

extension Store {
    /// Every version of the article `id` (itself alone when it has none), oldest first.
    public func versions(of id: String) throws -> [ArticleVersion] {
        try writer.read { db in try Self.versions(of: id, db) }
    }

    static func versions(of id: String, _ db: Database) throws -> [ArticleVersion] {
        try Row.fetchAll(db, sql: """
            SELECT a.id, a.title, a.published, a.file, a.first_time, a.version, a.versions FROM articles a
            WHERE a.id = ?1 AND a.family IS NULL
               OR a.family = (SELECT family FROM articles WHERE id = ?1)
            ORDER BY a.version
            """, arguments: [id]).map { ArticleVersion(number: $0[5], summary: summary($0)) }
    }

    /// The annotations made on the article's other versions, each placed on this one (or an
    /// orphan here), in the order of the versions they were made on, then reading order there.
    public func carriedAnnotations(onto id: String) throws -> [CarriedAnnotation] {
        try writer.read { db in try Self.carriedAnnotations(onto: id, db) }
    }

    static func carriedAnnotations(onto id: String, _ db: Database) throws -> [CarriedAnnotation] {
        let versions = try versions(of: id, db)
        guard versions.count > 1, let body = try String.fetchOne(db, sql: "SELECT body FROM articles WHERE id = ?", arguments: [id]) else { return [] }
        let here = Anchoring(body: body)
        var carried: [CarriedAnnotation] = []
        for version in versions where version.summary.id != id {
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, start, end FROM annotations WHERE article = ? AND NOT deleted ORDER BY start, id
                """, arguments: [version.summary.id])
            guard !rows.isEmpty, let text = try String.fetchOne(db, sql: "SELECT body FROM articles WHERE id = ?", arguments: [version.summary.id])
            else { continue }
            let views = try Dictionary(uniqueKeysWithValues: annotationViews(db, ids: rows.map { $0[0] }).map { ($0.id, $0) })
            let source = Array(text.unicodeScalars)
            for row in rows {
                guard let view = views[row[0]] else { continue }
                let (start, end): (Int, Int) = (row[1], row[2])
                let anchor: TextAnchor
                if view.anchor.isWholeArticle {
                    anchor = .wholeArticle
                } else {
                    guard start >= 0, end <= source.count, start < end else { continue }
                    anchor = TextAnchor(body: source, start: start, end: end)
                }
                carried.append(CarriedAnnotation(view: view, version: version.number, placement: here.place(anchor, sourceLength: source.count)))
            }
        }
        return carried
    }

    /// Splits the article `id` off the versions it is grouped with (an `article.split`
    /// naming each); returns the articles it was split from. Throws when it has no other version.
    @discardableResult
    public func splitVersion(_ id: String) throws -> [ArticleSummary] {
        try writer.write { db in
            let others = try Self.versions(of: id, db).filter { $0.summary.id != id }.map(\.summary)
            guard !others.isEmpty else {
                throw DaftarError(.badInput, "article \(id.prefix(12)) has no other version to split it from; see `daftar versions \(id.prefix(12))`")
            }
            _ = try commit([EventPayload.articleSplit(article: id, from: others.map(\.id)).draft], db)
            return others
        }
    }
}

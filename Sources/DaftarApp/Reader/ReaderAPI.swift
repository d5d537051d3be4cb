import DaftarCore
import DaftarStore
import Foundation

/// What the reader's JSON API answers, each a call of the library the command line calls too:
/// no rule of the archive lives here, only the shape of the answer (`schema/reader-api.yaml`).
/// Times are milliseconds since 1970 (the page writes them in the chosen calendar); offsets
/// are Unicode scalars of the article body, as the stored selectors have them.
public struct ReaderAPI: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    // MARK: - Shapes

    public struct Status: Encodable, Sendable {
        var replica: String?
        var author: String
        var articles: Int
        var annotations: Int
        var conflicts: Int
        var forks: Int
        var lastSync: LastSync?
        /// The store's calendar setting (`daftar init --calendar`): the page's default.
        var calendar: String
    }

    public struct LastSync: Encodable, Sendable {
        var peer: String
        var time: Int64
    }

    public struct ArticlePage: Encodable, Sendable {
        var articles: [ArticleSummary]
        var offset: Int
        /// True when there are more after this page.
        var more: Bool
        var past: Past?
    }

    /// Says a view is of a past moment, and which.
    public struct Past: Encodable, Sendable {
        /// As the analyst named it (`2026-11-20`, `sync:ali`).
        var asOf: String
        /// What it resolved to (`log position 1234`).
        var moment: String
    }

    public struct Article: Encodable, Sendable {
        var id: String
        var title: String
        var published: String?
        var file: String
        var body: String
        var sources: [ArticleSource]
        var tags: [String]
        var annotations: [Annotation]
        var past: Past?
        /// Every version of the story, oldest first, when it has several; which one this is.
        var versions: [ArticleVersion]?
        var version: Int?
        /// Annotations made on the other versions, with where each is on this one.
        var carried: [Carried]?
    }

    /// An annotation of another version: `annotation`'s passage is where it was placed here
    /// (the version it was made on keeps its own), how, or why it is an orphan here.
    public struct Carried: Encodable, Sendable {
        var annotation: Annotation
        var version: Int
        var method: String
        var score: Double
        /// "exact", "moved", "fuzzy 0.93", "orphan".
        var label: String
        var reason: String?
    }

    /// An annotation with its times in milliseconds.
    public typealias Annotation = AnnotationJSON<Int64>

    public struct Passage: Encodable, Sendable {
        var start: Int
        var end: Int
        var exact: String
        var wholeWords: Bool
    }

    public struct SearchResult: Encodable, Sendable {
        var hits: [SearchHitJSON]
        /// Matching articles left out for having no date (with a date filter).
        var undated: Int
        var past: Past?
    }

    public struct TagCount: Encodable, Sendable {
        var tag: String
        var annotations: Int
        var articles: Int
    }

    public struct Changes: Encodable, Sendable {
        var since: String
        var report: ChangeReport
    }

    public struct PeerItem: Encodable, Sendable {
        var name: String
        var url: String
        var hasToken: Bool
    }

    // MARK: - Reading

    public func status() throws -> Status {
        let report = try store.status()
        return Status(
            replica: report.replica, author: report.author, articles: report.articles, annotations: try store.annotationCount(),
            conflicts: try store.conflicts().count, forks: try store.forks().count,
            lastSync: try store.lastSync().map { LastSync(peer: $0.peer, time: $0.started) },
            calendar: try store.setting("calendar") ?? "gregorian")
    }

    /// Articles newest first, `limit` from `offset`; as they were at `asOf` when given.
    public func articles(offset: Int, limit: Int, asOf: String?) throws -> ArticlePage {
        let past = try moment(asOf)
        let rows = try past.map { try store.articles(limit: offset + limit + 1, at: $0.moment).dropFirst(offset) }
            ?? store.articles(limit: limit + 1, offset: offset)[...]
        return ArticlePage(articles: Array(rows.prefix(limit)), offset: offset, more: rows.count > limit, past: past?.shown)
    }

    /// One article with its tags and annotations (deleted ones too: the page offers restore).
    public func article(_ given: String, asOf: String?) throws -> Article {
        let id = try store.resolveArticle(given)
        let detail: ArticleDetail, tags: [String: String], annotations: [Annotation]
        let past = try moment(asOf)
        if let past {
            let then = try store.article(id, at: past.moment)
            (detail, tags, annotations) = (then.detail, then.tags, then.annotations.map { Annotation($0, time: \.self) })
        } else {
            // Rows, not merge states: an article may carry hundreds (only conflicts need their values).
            (detail, tags) = (try store.article(id), try store.tags(of: .article(id)))
            annotations = try store.annotationSummaries(article: id, includeDeleted: true).map {
                $0.inConflict ? Annotation(try store.annotation($0.id), time: \.self) : Annotation($0, time: \.self)
            }
        }
        var article = Article(
            id: detail.summary.id, title: detail.summary.title, published: detail.summary.published, file: detail.summary.file,
            body: detail.body,
            sources: detail.sources,
            tags: tags.sorted { $0.key < $1.key }.map(\.value), annotations: annotations, past: past?.shown)
        // Versions are the live archive's (a past view shows the article as it was alone).
        let versions = past == nil ? try store.versions(of: id) : []
        if versions.count > 1 {
            article.versions = versions
            article.version = versions.first { $0.summary.id == id }?.number
            article.carried = try store.carriedAnnotations(onto: id).map { carried in
                var annotation = Annotation(carried.view, time: \.self)
                if let placed = carried.placement.anchor { (annotation.start, annotation.end, annotation.exact) = (placed.start, placed.end, placed.exact) }
                let p = carried.placement
                return Carried(annotation: annotation, version: carried.version, method: p.method.rawValue, score: p.score, label: p.label, reason: p.reason)
            }
        }
        return article
    }

    /// Where `quote` occurs in the article, found with the folding of search (for selecting a
    /// passage from the keyboard): whole-word occurrences first.
    public func find(_ given: String, quote: String) throws -> [Passage] {
        let anchoring = Anchoring(body: try store.article(try store.resolveArticle(given)).body)
        let all = anchoring.occurrences(of: quote)
        let passages = all.map { Passage(start: $0.lowerBound, end: $0.upperBound, exact: anchoring.text($0), wholeWords: anchoring.isWholeWords($0)) }
        return passages.filter(\.wholeWords) + passages.filter { !$0.wholeWords }
    }

    public func search(
        _ text: String, since: String?, until: String?, tag: String?, file: String?, includeUndated: Bool, limit: Int, asOf: String?
    ) throws -> SearchResult {
        let query = try SearchQuery(parsing: text)
        func date(_ given: String?, _ name: String) throws -> String? {
            guard let given, !given.isEmpty else { return nil }
            guard let day = PersianDates.gregorian(given) else {
                throw DaftarError(.badInput, "\(name) \(given) is not a date; write YYYY-MM-DD (a year below 1700 is Solar Hijri)")
            }
            return day
        }
        var filter = SearchFilter(since: try date(since, "from"), until: try date(until, "to"), fileGlob: file.flatMap { $0.isEmpty ? nil : $0 }, tag: tag.flatMap { $0.isEmpty ? nil : $0 })
        filter.includeUndated = includeUndated
        let past = try moment(asOf)
        let hits = try store.search(query, filter: filter, limit: limit, at: past?.moment)
        let undated = filter.leavesOutUndated ? try store.undatedMatches(query, filter: filter, at: past?.moment) : 0
        return SearchResult(
            hits: hits.map(SearchHitJSON.init),
            undated: undated, past: past?.shown)
    }

    public func tags(asOf: String?) throws -> [TagCount] {
        let counts = try moment(asOf).map { try store.tagCounts(at: $0.moment) } ?? store.tagCounts()
        return counts.map { TagCount(tag: $0.tag, annotations: $0.annotations, articles: $0.articles) }
    }

    public func conflicts() throws -> [Annotation] { try store.conflicts().map { Annotation($0, time: \.self) } }

    /// What changed since `since` (a WHEN); by default what the last sync brought.
    public func changes(since: String?) throws -> Changes {
        if let since, !since.isEmpty {
            return Changes(since: since, report: try store.changes(since: try Self.when(since).moment(in: store)))
        }
        guard let last = try store.lastSync() else {
            throw DaftarError(.notFound, "no sync is recorded in this store yet")
        }
        return Changes(since: "sync:\(last.peer)", report: try store.changes(since: .position(last.position)))
    }

    public func history(annotation given: String) throws -> [HistoryEntry] {
        try store.history(of: .annotation(try store.resolveAnnotation(given)))
    }

    public func peers() throws -> [PeerItem] {
        try store.peers().map { PeerItem(name: $0.name, url: $0.url, hasToken: $0.tokenFile != nil) }
    }

    // MARK: - Writing

    public struct NewAnnotation: Decodable, Sendable {
        var start: Int
        var end: Int
        /// The selected text as the page saw it: refused when the body says otherwise there.
        var exact: String
        var note: String?
        var tags: [String]?
        var motivation: String?
    }

    /// Annotates the passage `start..<end` (Unicode scalars), checked against `exact`.
    public func annotate(article given: String, _ request: NewAnnotation) throws -> Annotation {
        let id = try store.resolveArticle(given)
        let body = Array(try store.article(id).body.unicodeScalars)
        guard request.start >= 0, request.end > request.start, request.end <= body.count else {
            throw DaftarError(.badInput, "the selection \(request.start)–\(request.end) is not a passage of this article (\(body.count) characters)")
        }
        let there = String(String.UnicodeScalarView(body[request.start..<request.end]))
        guard there == request.exact else {
            throw DaftarError(.badInput, "the selection does not match the article's text there (the page and the archive disagree); reload the article")
        }
        let note = request.note ?? ""
        let view = try store.annotate(
            article: id, target: .positions(start: request.start, end: request.end), note: note, tags: request.tags ?? [],
            motivation: request.motivation.flatMap { $0.isEmpty ? nil : $0 })
        return Annotation(view, time: \.self)
    }

    public struct EditRequest: Decodable, Sendable {
        var note: String?
        var motivation: String?
    }

    public func edit(annotation given: String, _ request: EditRequest) throws -> Annotation {
        guard request.note != nil || request.motivation != nil else { throw DaftarError(.badInput, "give a note or a motivation to write") }
        return Annotation(try store.edit(annotation: try store.resolveAnnotation(given), note: request.note, motivation: request.motivation), time: \.self)
    }

    public func setDeleted(annotation given: String, _ deleted: Bool) throws -> Annotation {
        let id = try store.resolveAnnotation(given)
        try store.setDeleted(annotation: id, deleted)
        return Annotation(try store.annotation(id), time: \.self)
    }

    public struct TagRequest: Decodable, Sendable {
        var add: [String]?
        var remove: [String]?
    }

    public func tag(annotation given: String, _ request: TagRequest) throws -> Annotation {
        let id = try store.resolveAnnotation(given)
        if let add = request.add, !add.isEmpty { _ = try store.setTags(add, on: .annotation(id), add: true) }
        if let remove = request.remove, !remove.isEmpty { _ = try store.setTags(remove, on: .annotation(id), add: false) }
        return Annotation(try store.annotation(id), time: \.self)
    }

    public struct ResolveRequest: Decodable, Sendable {
        /// ORIGIN:SEQ of the value to keep.
        var keep: String?
        var note: String?
        var motivation: String?
        var delete: Bool?
    }

    /// The same `resolve` as the command line.
    public func resolve(annotation given: String, _ request: ResolveRequest) throws -> Annotation {
        let id = try store.resolveAnnotation(given)
        let given = [request.keep != nil, request.note != nil || request.motivation != nil, request.delete == true].filter { $0 }.count
        guard given == 1 else { throw DaftarError(.badInput, "give one of keep, note/motivation or delete") }
        let resolution: Store.Resolution = if let keep = request.keep { .keep(keep) } else if request.delete == true { .delete } else {
            .write(note: request.note, motivation: request.motivation)
        }
        return Annotation(try store.resolve(annotation: id, resolution), time: \.self)
    }

    // MARK: - Past moments

    static func when(_ text: String) throws -> When {
        guard let when = When(argument: text) else {
            throw DaftarError(.badInput, "\(text) is not a moment; give a date (2026-11-20 or 1405-09-01), a time (2026-11-20T14:00), a log position, or sync:PEER")
        }
        return when
    }

    func moment(_ asOf: String?) throws -> (moment: PastMoment, shown: Past)? {
        guard let asOf, !asOf.isEmpty else { return nil }
        let moment = try Self.when(asOf).moment(in: store)
        return (moment, Past(asOf: asOf, moment: moment.description))
    }
}

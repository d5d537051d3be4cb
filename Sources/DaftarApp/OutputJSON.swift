import DaftarCore
import DaftarStore

/// An annotation as `--json` and the reader's API write it. `Time` is how times are written:
/// the command line writes text in local time, the reader milliseconds for the page to format
/// in the calendar chosen there.
public struct AnnotationJSON<Time: Encodable & Sendable>: Encodable, Sendable {
    public struct Value: Encodable, Sendable {
        var value: String
        var author: String
        var time: Time
        /// ORIGIN:SEQ, what `resolve --keep` takes.
        var event: String
    }

    var id: String
    var article: String
    var exact: String
    var prefix: String
    var suffix: String
    var start: Int
    var end: Int
    var note: String
    var motivation: String
    var tags: [String]
    var creator: String
    var created: Time
    var modified: Time
    var deleted: Bool
    var conflict: Bool
    /// Every value, when they conflict.
    var noteValues: [Value]?
    var motivationValues: [Value]?
    var editsConcurrentWithDelete: [Value]?

    /// From the resolved view; `created` overrides how the creation time is written (an
    /// imported annotation keeps its own text).
    public init(_ view: AnnotationView, time: (Int64) -> Time, created: Time? = nil) {
        func value(_ v: RegisterValue) -> Value { Value(value: v.value, author: v.author, time: time(v.time), event: "\(v.dot.origin):\(v.dot.seq)") }
        func values(_ register: Register) -> [Value]? { register.inConflict ? register.values.map(value) : nil }
        self.init(
            id: view.id, article: view.article, anchor: view.anchor, note: view.note.displayed?.value ?? "",
            motivation: view.motivation.displayed?.value ?? "", tags: view.tags.sorted { $0.key < $1.key }.map(\.value),
            creator: view.creator, created: created ?? time(view.created), modified: time(view.modified), deleted: view.deleted,
            conflict: view.inConflict)
        noteValues = values(view.note)
        motivationValues = values(view.motivation)
        editsConcurrentWithDelete = view.editsConcurrentWithDelete.isEmpty ? nil : view.editsConcurrentWithDelete.map(value)
    }

    /// From the projection row: everything but a conflict's values.
    public init(_ row: AnnotationSummary, time: (Int64) -> Time) {
        self.init(
            id: row.id, article: row.article, anchor: row.anchor, note: row.note, motivation: row.motivation, tags: row.tags,
            creator: row.creator, created: time(row.created), modified: time(row.modified), deleted: row.deleted, conflict: row.inConflict)
    }

    init(
        id: String, article: String, anchor: TextAnchor, note: String, motivation: String, tags: [String], creator: String,
        created: Time, modified: Time, deleted: Bool, conflict: Bool
    ) {
        (self.id, self.article, exact, prefix, suffix, start, end) = (id, article, anchor.exact, anchor.prefix, anchor.suffix, anchor.start, anchor.end)
        (self.note, self.motivation, self.tags, self.creator, self.created, self.modified) = (note, motivation, tags, creator, created, modified)
        (self.deleted, self.conflict) = (deleted, conflict)
    }
}

/// A search result as `search --json` and the reader's API write it: `snippetMatches` are
/// ranges in Unicode scalars of `snippet`, `matches` of the article body.
public struct SearchHitJSON: Encodable, Sendable {
    var kind: String
    /// The annotation whose note matched, for kind `annotation`.
    var annotation: String?
    var id: String
    var title: String
    var file: String
    var published: String?
    var snippet: String
    var snippetMatches: [[Int]]
    var matches: [[Int]]
    /// Words that matched as an alias spelling of a query word, as written.
    var aliases: [String]
    /// Which version of its story the article is, of how many (a story is one hit).
    var version: Int
    var versions: Int
    var score: Double

    public init(_ hit: SearchHit) {
        func pairs(_ ranges: [Range<Int>]) -> [[Int]] { ranges.map { [$0.lowerBound, $0.upperBound] } }
        (kind, annotation, id, title, file, published) = (hit.kind.rawValue, hit.annotation, hit.id, hit.title, hit.file, hit.published)
        (snippet, snippetMatches, matches, score) = (hit.snippet.text, pairs(hit.snippet.matches), pairs(hit.bodyMatches), hit.score)
        (aliases, version, versions) = (hit.aliases, hit.version, hit.versions)
    }
}

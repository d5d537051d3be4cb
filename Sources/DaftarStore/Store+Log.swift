import DaftarCore
import Foundation
import GRDB

extension Store {
    /// Events, oldest first (log order), from `after` (a position) on, each described in words;
    /// only those of `types` when given.
    public func log(after: Int64 = 0, limit: Int? = nil, types: [EventType]? = nil) throws -> [LogEntry] {
        try writer.read { db in
            let replicaName = try replicaNamer(db)
            let onlyTypes = types.map { " AND type IN (\(databaseQuestionMarks(count: $0.count)))" } ?? ""
            let rows = try Row.fetchCursor(
                db, sql: "SELECT position, body FROM events WHERE position > ?\(onlyTypes) ORDER BY position LIMIT ?",
                arguments: StatementArguments([after] + (types ?? []).map(\.name) + [limit ?? -1]))
            var out: [LogEntry] = []
            let words = LogWords(db)
            while let row = try rows.next() {
                let body: Data = row[1]
                let event = try Event(bytes: body)
                let origin = event.origin.rawValue
                out.append(LogEntry(
                    position: row[0], origin: origin, seq: event.seq, type: event.type, time: event.time,
                    author: event.author, hash: event.hash, seal: event.isSeal,
                    replica: replicaName(origin),
                    summary: try words.describe(event)))
            }
            return out
        }
    }
}

extension Store {
    /// How a replica is named to the analyst: "this replica", "peer NAME" for a peer whose
    /// replica is known (from a sync), else nil (show its id).
    func replicaNamer(_ db: Database) throws -> (String) -> String? {
        let peers = try Dictionary(
            Row.fetchAll(db, sql: "SELECT replica, name FROM peers WHERE replica IS NOT NULL").map { ($0[0] as String, $0[1] as String) },
            uniquingKeysWith: { first, _ in first })
        let own = replicaID
        return { origin in origin == own ? "this replica" : peers[origin].map { "peer \($0)" } }
    }
}

/// What one event did, in the analyst's words: the file and title of an article, the quote
/// and the start of the note of an annotation, old → new for an edit, the tag.
final class LogWords {
    let db: Database
    /// Each annotation described so far: its events, parsed once, ordered so that an event
    /// comes after those it saw (by the sum of its clock), and the state folded from those
    /// before the last event described — extended, not refolded, while the events described
    /// follow one another.
    private var folded: [String: Folded] = [:]

    private struct Folded {
        var events: [(event: Event, weight: Int64)]
        /// The highest seq folded, per origin (an origin's events are a chain).
        var applied: [ReplicaID: Int64] = [:]
        var state = AnnotationState()
    }

    init(_ db: Database) { self.db = db }

    static let quoteLength = 40
    static let noteLength = 50

    func describe(_ event: Event) throws -> String {
        guard let data = event.data else { return "(payload not held here)" }
        func string(_ key: String) -> String? { data[key]?.stringValue }
        switch event.eventType {
        case .articleIngested?:
            let id = string("article") ?? "?"
            return "archived \(string("file") ?? "?") — «\(try articleTitle(id))» (article \(id.prefix(12)))"
        case .articleTagged?, .articleUntagged?:
            let verb = event.is(.articleTagged) ? "tagged" : "untagged"
            return "\(verb) article «\(try articleTitle(string("article")))» #\(string("tag") ?? "?")"
        case .annotationCreated?:
            let quote = data["target"]?["exact"]?.stringValue ?? ""
            var words = "annotated «\(clip(quote, Self.quoteLength))» in «\(try articleTitle(string("article")))»"
            if let note = string("note"), !note.isEmpty { words += ": \(clip(note, Self.noteLength))" }
            let tags = (data["tags"]?.arrayValue ?? []).compactMap(\.stringValue)
            if !tags.isEmpty { words += " " + tags.map { "#\($0)" }.joined(separator: " ") }
            return words + " (\(annotationID(string("annotation"))))"
        case .annotationEdited?:
            let id = string("annotation") ?? ""
            let before = try stateBefore(event, annotation: id)
            var changes: [String] = []
            if let note = string("note") {
                changes.append("note «\(clip(before?.note.displayed?.value ?? "", Self.noteLength))» → «\(clip(note, Self.noteLength))»")
            }
            if let motivation = string("motivation") {
                changes.append("motivation \(before?.motivation.displayed?.value ?? "?") → \(motivation)")
            }
            return "edited \(annotationID(id)): " + changes.joined(separator: ", ")
        case .annotationDeleted?, .annotationRestored?:
            let id = string("annotation") ?? ""
            let quote = try stateBefore(event, annotation: id)?.anchor.exact ?? ""
            return "\(event.is(.annotationDeleted) ? "deleted" : "restored") \(annotationID(id)) «\(clip(quote, Self.quoteLength))»"
        case .annotationTagged?, .annotationUntagged?:
            let verb = event.is(.annotationTagged) ? "tagged" : "untagged"
            return "\(verb) \(annotationID(string("annotation"))) #\(string("tag") ?? "?")"
        case .aliasAdded?:
            return "made one word for search: " + AliasGroups.spellings(event).joined(separator: " = ")
        case .aliasRemoved?:
            return "took out of their alias groups: " + AliasGroups.spellings(event).joined(separator: ", ")
        case .articleSplit?:
            let others = try (event.data?["from"]?.arrayValue ?? []).map { try "«\(clip(articleTitle($0.stringValue), Self.quoteLength))»" }
            return "split «\(clip(try articleTitle(string("article")), Self.quoteLength))» off as not a version of " + others.joined(separator: ", ")
        default:
            return event.type
        }
    }

    func annotationID(_ id: String?) -> String { "annotation \(id?.prefix(13) ?? "?")" }

    func articleTitle(_ id: String?) throws -> String {
        guard let id else { return "?" }
        let title = try String.fetchOne(db, sql: """
            SELECT a.title FROM article_sources s JOIN articles a ON a.story = s.story WHERE s.article = ? LIMIT 1
            """, arguments: [id])
        return title.map { clip($0, Self.quoteLength) } ?? "article \(id.prefix(12))"
    }

    /// The annotation as it stood for the writer of `event`: resolved from the events it had seen.
    func stateBefore(_ event: Event, annotation id: String) throws -> AnnotationView? {
        var entry = try folded[id] ?? {
            let dots = try Row.fetchAll(db.cachedStatement(sql: "SELECT origin, seq FROM annotation_events WHERE annotation = ?"), arguments: [id])
                .map { ($0[0] as String, $0[1] as Int64) }
            let events = try Projector.events(dots, db).map { ($0, $0.clock.entries.values.reduce(0, +)) }.sorted { $0.1 < $1.1 }
            return Folded(events: events)
        }()
        // Folded so far: every event of each origin up to a seq. Still the start of what this
        // event saw when its clock covers those seqs; else (another branch) fold again.
        if !entry.applied.allSatisfy({ origin, seq in event.clock[origin] >= seq && !(origin == event.origin && seq >= event.seq) }) {
            (entry.applied, entry.state) = ([:], AnnotationState())
        }
        let weight = event.clock.entries.values.reduce(0, +)
        let events = entry.events.prefix { $0.weight < weight }  // what it saw is among these
        for (e, _) in events where e.seq > entry.applied[e.origin] ?? 0 && e.happened(before: event) {
            entry.state.apply(e) { clock in
                events.map(\.event).filter {
                    ($0.eventType.map(EventType.annotationChanges.contains) ?? false) && $0.happened(before: event) && !clock.includes($0.dot)
                }
            }
            entry.applied[e.origin] = max(entry.applied[e.origin] ?? 0, e.seq)
        }
        folded[id] = entry
        return entry.state.view
    }

    func clip(_ text: String, _ limit: Int) -> String {
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        guard line.unicodeScalars.count > limit else { return line }
        return String(String.UnicodeScalarView(line.unicodeScalars.prefix(limit))) + "…"
    }
}

import DaftarCore
import Foundation
import GRDB

/// An annotation as a list shows it: its projection row (see ``Store/annotationSummaries(article:includeDeleted:)``).
public struct AnnotationSummary: Sendable, Hashable {
    public var id: String
    public var article: String
    public var anchor: TextAnchor
    public var note: String
    public var motivation: String
    /// Tags as first written, in the order of their folded keys.
    public var tags: [String]
    public var creator: String
    public var created: Int64
    public var modified: Int64
    public var deleted: Bool
    public var inConflict: Bool
}

/// How `annotate` picks the passage.
public enum AnnotationTarget: Sendable, Hashable {
    /// A quote, found with the search folding; `prefix`/`suffix` or `occurrence` (1-based)
    /// pick one when it occurs more than once.
    case quote(String, prefix: String?, suffix: String?, occurrence: Int?)
    /// Offsets in Unicode scalars of the body.
    case positions(start: Int, end: Int)
}

extension Store {
    /// Anchors a new annotation in an article and records it. Nothing is written on error.
    public func annotate(
        article: String, target: AnnotationTarget, note: String = "", tags: [String] = [], motivation: String? = nil
    ) throws -> AnnotationView {
        let motivation = motivation ?? (note.isEmpty ? (tags.isEmpty ? "highlighting" : "tagging") : "commenting")
        try Self.checkMotivation(motivation)
        try Self.checkTags(tags)
        let body = try self.article(article).body
        let anchor = try Self.anchor(target, in: body, articleID: article)
        let id = UUID().uuidString.lowercased()
        let data: JSONValue = [
            "annotation": .string(id),
            "article": .string(article),
            "target": anchor.eventTarget,
            "note": .string(note),
            "motivation": .string(motivation),
            "tags": .array(Self.distinctTags(tags).map(JSONValue.string)),
        ]
        try commit([EventDraft(.annotationCreated, data)])
        return try annotation(id)
    }

    /// An annotation (not deleted) on the same passage of the article with the same note:
    /// what `annotate` would write again. Anchoring errors are thrown as by ``annotate``.
    public func sameAnnotation(article: String, target: AnnotationTarget, note: String) throws -> AnnotationView? {
        let anchor = try Self.anchor(target, in: self.article(article).body, articleID: article)
        let id = try writer.read { db in
            try String.fetchOne(db, sql: """
                SELECT id FROM annotations WHERE article = ? AND start = ? AND "end" = ? AND note = ? AND NOT deleted ORDER BY id LIMIT 1
                """, arguments: [article, anchor.start, anchor.end, note])
        }
        return try id.map(annotation)
    }

    static func checkMotivation(_ motivation: String) throws {
        guard Motivation.all.contains(motivation) else {
            throw DaftarError(.badInput, "unknown motivation \"\(motivation)\"; use one of: \(Motivation.all.joined(separator: ", "))")
        }
    }

    /// Refuses a tag that is empty or has no letters (`""`, `#!`, `123`): a tag is a word.
    static func checkTags(_ tags: [String]) throws {
        for tag in tags where !tag.unicodeScalars.contains(where: \.properties.isAlphabetic) {
            throw DaftarError(.badInput, tag.trimmingWhitespace.isEmpty
                ? "a tag cannot be empty"
                : "tag \"\(tag)\" has no letters; a tag is a word, e.g. روسیه or sanctions")
        }
    }

    static func distinctTags(_ tags: [String]) -> [String] {
        var seen = Set<String>()
        return tags.map(\.trimmingWhitespace).filter { !Tag.key($0).isEmpty && seen.insert(Tag.key($0)).inserted }
    }

    /// Finds the passage: the quote with the search folding, or the given positions.
    static func anchor(_ target: AnnotationTarget, in body: String, articleID: String) throws -> TextAnchor {
        let anchoring = Anchoring(body: body)
        switch target {
        case .positions(let start, let end):
            guard start >= 0, end > start, end <= anchoring.body.count else {
                throw DaftarError(.badInput, "positions \(start)–\(end) are not a passage of article \(articleID.prefix(12)), whose body has \(anchoring.body.count) characters")
            }
            return TextAnchor(body: anchoring.body, start: start, end: end)
        case .quote(let quote, let prefix, let suffix, let occurrence):
            guard !Anchoring.foldedScalars(quote).isEmpty else {
                throw DaftarError(.badInput, "the quote has no letters or digits to find")
            }
            let all = anchoring.occurrences(of: quote)
            var candidates = (prefix == nil && suffix == nil) ? all : anchoring.occurrences(of: quote, prefix: prefix, suffix: suffix)
            // Whole words first: `اتم` is the word, not the start of `اتمی`, when the word is there.
            let whole = candidates.filter(anchoring.isWholeWords)
            if !whole.isEmpty { candidates = whole }
            if candidates.isEmpty {
                if !all.isEmpty {
                    throw DaftarError(.notFound, "the quote occurs \(all.count) time\(all.count == 1 ? "" : "s") in article \(articleID.prefix(12)) but never with that prefix/suffix")
                }
                if let closest = anchoring.closestPassage(to: quote) {
                    throw DaftarError(.notFound, "the quote is not in article \(articleID.prefix(12)); the closest passage is «\(anchoring.text(closest).replacingOccurrences(of: "\n", with: " "))» at \(closest.lowerBound)")
                }
                throw DaftarError(.notFound, "the quote is not in article \(articleID.prefix(12))")
            }
            if let occurrence {
                guard (1...candidates.count).contains(occurrence) else {
                    throw DaftarError(.badInput, "occurrence \(occurrence) does not exist: the quote occurs \(candidates.count) time\(candidates.count == 1 ? "" : "s")")
                }
                let match = candidates[occurrence - 1]
                return TextAnchor(body: anchoring.body, start: match.lowerBound, end: match.upperBound)
            }
            guard candidates.count == 1 else {
                let listed = candidates.prefix(5).enumerated().map { i, m in
                    "\(i + 1): …\(anchoring.text(max(0, m.lowerBound - 12)..<min(anchoring.body.count, m.upperBound + 12)).replacingOccurrences(of: "\n", with: " "))…"
                }
                throw DaftarError(.ambiguousQuote, "the quote occurs \(candidates.count) times; say which by its prefix or suffix, or by its number — \(listed.joined(separator: " | "))")
            }
            return TextAnchor(body: anchoring.body, start: candidates[0].lowerBound, end: candidates[0].upperBound)
        }
    }

    /// Resolves a full annotation id or an unambiguous prefix.
    public func resolveAnnotation(_ prefix: String) throws -> String {
        let lowered = prefix.lowercased()
        guard !lowered.isEmpty else { throw DaftarError(.notFound, "an annotation id is needed (see `daftar annotations`)") }
        let matches = try writer.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM annotations WHERE id >= ? AND id < ? ORDER BY id LIMIT 6", arguments: [lowered, lowered + "\u{10FFFF}"])
        }
        switch matches.count {
        case 0: throw DaftarError(.notFound, "no annotation with an id starting \(lowered); see `daftar annotations`")
        case 1: return matches[0]
        default: throw DaftarError(.ambiguous, "annotation id prefix \(lowered) is ambiguous: it matches several annotations (\(matches.prefix(5).map { String($0.prefix(13)) }.joined(separator: ", "))); give more characters")
        }
    }

    /// One annotation, resolved from its events.
    public func annotation(_ id: String) throws -> AnnotationView {
        try writer.read { db in
            guard let view = try Self.annotationViews(db, ids: [id]).first else { throw DaftarError(.notFound, "no annotation \(id)") }
            return view
        }
    }

    /// Annotations, in reading order per article: of one article, with a tag, deleted or not.
    public func annotations(article: String? = nil, tag: String? = nil, includeDeleted: Bool = false) throws -> [AnnotationView] {
        try writer.read { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let article {
                conditions.append("a.article = ?")
                arguments.append(article)
            }
            if let tag {
                conditions.append("EXISTS (SELECT 1 FROM annotation_tags t WHERE t.annotation = a.id AND t.tag = ?)")
                arguments.append(Tag.key(tag))
            }
            if !includeDeleted { conditions.append("NOT a.deleted") }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let ids = try String.fetchAll(db, sql: "SELECT a.id FROM annotations a \(whereClause) ORDER BY a.article, a.start, a.id", arguments: StatementArguments(arguments))
            return try Self.annotationViews(db, ids: ids)
        }
    }

    /// How many annotations are shown (not deleted), counted in the projection.
    public func annotationCount() throws -> Int {
        try writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM annotations WHERE NOT deleted") ?? 0 }
    }

    /// An article's annotations in reading order as their projection rows hold them: what a
    /// list shows, read without resolving each one's merge state (a conflict's values need
    /// ``annotation(_:)``). For an article with hundreds of annotations this is the fast read.
    public func annotationSummaries(article: String, includeDeleted: Bool = false) throws -> [AnnotationSummary] {
        try writer.read { db in
            var tags: [String: [String]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT t.annotation, t.display FROM annotation_tags t JOIN annotations a ON a.id = t.annotation
                WHERE a.article = ? ORDER BY t.annotation, t.tag
                """, arguments: [article]) {
                tags[row[0], default: []].append(row[1])
            }
            return try Row.fetchAll(db, sql: """
                SELECT id, article, exact, prefix, suffix, start, "end", note, motivation, creator, created, modified, deleted, conflict
                FROM annotations WHERE article = ? \(includeDeleted ? "" : "AND NOT deleted") ORDER BY start, id
                """, arguments: [article]).map { row in
                AnnotationSummary(
                    id: row[0], article: row[1], anchor: TextAnchor(exact: row[2], prefix: row[3], suffix: row[4], start: row[5], end: row[6]),
                    note: row[7], motivation: row[8], tags: tags[row[0]] ?? [], creator: row[9], created: row[10], modified: row[11],
                    deleted: row[12], inConflict: row[13])
            }
        }
    }

    /// Changes an annotation's note and/or motivation.
    public func edit(annotation id: String, note: String?, motivation: String?) throws -> AnnotationView {
        guard note != nil || motivation != nil else { throw DaftarError(.badInput, "nothing to change: give a note or a motivation") }
        if let motivation { try Self.checkMotivation(motivation) }
        _ = try annotation(id)  // it must exist: nothing is written otherwise
        var data: [String: JSONValue] = ["annotation": .string(id)]
        if let note { data["note"] = .string(note) }
        if let motivation { data["motivation"] = .string(motivation) }
        try commit([EventDraft(.annotationEdited, .object(data))])
        return try annotation(id)
    }

    /// Deletes (`restore: false`) or restores an annotation.
    public func setDeleted(annotation id: String, _ deleted: Bool) throws {
        let view = try annotation(id)
        guard view.deleted != deleted else {
            throw DaftarError(.badInput, "annotation \(id.prefix(13)) is \(deleted ? "already deleted" : "not deleted")")
        }
        try commit([EventDraft(deleted ? .annotationDeleted : .annotationRestored, ["annotation": .string(id)])])
    }

    /// What a `tag`/`untag` target is.
    public enum TagTarget: Sendable, Hashable {
        case article(String)
        case annotation(String)
    }

    /// Resolves an id prefix that may name an article or an annotation.
    public func resolveTagTarget(_ prefix: String) throws -> TagTarget {
        let article = try? resolveArticle(prefix)
        let annotation = try? resolveAnnotation(prefix)
        switch (article, annotation) {
        case (let a?, nil): return .article(a)
        case (nil, let n?): return .annotation(n)
        case (.some, .some): throw DaftarError(.ambiguous, "\(prefix) names both an article and an annotation; give more characters")
        case (nil, nil):
            throw DaftarError(.notFound, "no article or annotation with an id starting \(prefix.lowercased()); see `daftar list` and `daftar annotations`")
        }
    }

    /// The tags of an article or annotation: folded key → displayed spelling.
    public func tags(of target: TagTarget) throws -> [String: String] {
        try writer.read { db in
            let rows: [Row]
            switch target {
            case .article(let id): rows = try Row.fetchAll(db, sql: "SELECT tag, display FROM article_tags WHERE article = ?", arguments: [id])
            case .annotation(let id): rows = try Row.fetchAll(db, sql: "SELECT tag, display FROM annotation_tags WHERE annotation = ?", arguments: [id])
            }
            return Dictionary(uniqueKeysWithValues: rows.map { ($0[0] as String, $0[1] as String) })
        }
    }

    /// Adds (`add: true`) or removes tags. Tags already in that state are reported, not written.
    /// Returns the tags that changed.
    @discardableResult
    public func setTags(_ tags: [String], on target: TagTarget, add: Bool) throws -> [String] {
        switch target {  // it must exist: nothing is written otherwise
        case .article(let id): _ = try article(id)
        case .annotation(let id): _ = try annotation(id)
        }
        if add { try Self.checkTags(tags) }
        let current = try self.tags(of: target)
        let wanted = Self.distinctTags(tags)
        guard !wanted.isEmpty else { throw DaftarError(.badInput, "no tag given (tags need a letter or digit)") }
        let changing = wanted.filter { (current[Tag.key($0)] != nil) != add }
        guard !changing.isEmpty else {
            throw DaftarError(.badInput, add ? "already tagged \(wanted.joined(separator: ", "))" : "has no tag \(wanted.joined(separator: ", "))")
        }
        let drafts: [EventDraft] = changing.map { tag in
            switch target {
            case .article(let id):
                EventDraft(add ? .articleTagged : .articleUntagged, ["article": .string(id), "tag": .string(tag)])
            case .annotation(let id):
                EventDraft(add ? .annotationTagged : .annotationUntagged, ["annotation": .string(id), "tag": .string(tag)])
            }
        }
        try commit(drafts)
        return changing
    }

    /// Each tag in use, displayed as first written, with how many annotations and articles carry it.
    public func tagCounts() throws -> [(tag: String, annotations: Int, articles: Int)] {
        try writer.read { db in
            // The spelling shown is the one written first anywhere (smallest `added` key).
            try Row.fetchAll(db, sql: """
                SELECT tag,
                       (SELECT display FROM (
                            SELECT display, added FROM annotation_tags t2 JOIN annotations a2 ON a2.id = t2.annotation
                                WHERE t2.tag = u.tag AND NOT a2.deleted
                            UNION ALL SELECT display, added FROM article_tags t3 WHERE t3.tag = u.tag
                        ) ORDER BY added LIMIT 1),
                       sum(n_annotations), sum(n_articles)
                FROM (
                    SELECT t.tag, 1 AS n_annotations, 0 AS n_articles FROM annotation_tags t
                        JOIN annotations a ON a.id = t.annotation WHERE NOT a.deleted
                    UNION ALL
                    SELECT tag, 0, 1 FROM article_tags
                ) u GROUP BY tag ORDER BY sum(n_annotations) + sum(n_articles) DESC, tag
                """).map { ($0[1], $0[2], $0[3]) }
        }
    }
}

extension Store {
    /// Annotations in conflict: concurrent notes or motivations, or edits concurrent with a delete.
    public func conflicts() throws -> [AnnotationView] {
        try writer.read { db in
            try Self.annotationViews(db, ids: String.fetchAll(db, sql: "SELECT id FROM annotations WHERE conflict ORDER BY article, start, id"))
        }
    }

    /// How to resolve a conflict.
    public enum Resolution: Sendable, Hashable {
        /// Write this note (and/or motivation), superseding every current value.
        case write(note: String?, motivation: String?)
        /// Keep the value of this event (`ORIGIN:SEQ`, or a prefix of its hash): for a concurrent
        /// note or motivation, write it again; for an edit concurrent with a delete, restore.
        case keep(String)
        /// Confirm the delete, having seen the concurrent edits.
        case delete
    }

    /// Resolves a conflicted annotation with an event that has seen all current values.
    public func resolve(annotation id: String, _ resolution: Resolution) throws -> AnnotationView {
        let view = try annotation(id)
        guard view.inConflict else { throw DaftarError(.badInput, "annotation \(id.prefix(13)) is not in conflict") }
        switch resolution {
        case .write(let note, let motivation):
            return try edit(annotation: id, note: note, motivation: motivation)
        case .delete:
            guard view.deleted else { throw DaftarError(.badInput, "annotation \(id.prefix(13)) is not deleted; use `daftar delete`") }
            try commit([EventDraft(.annotationDeleted, ["annotation": .string(id)])])
            return try annotation(id)
        case .keep(let event):
            // `ORIGIN:SEQ` with the origin's id or a prefix of it (as `show` prints it), or a
            // prefix of the event's hash; it must name one of the values.
            let wanted = event.lowercased()
            func matches(_ v: RegisterValue) -> Bool {
                if let colon = wanted.lastIndex(of: ":"), colon > wanted.startIndex {
                    let origin = wanted[..<colon]
                    return v.dot.origin.rawValue.hasPrefix(origin) && String(v.dot.seq) == wanted[wanted.index(after: colon)...]
                }
                return wanted.count >= 6 && v.hash.hasPrefix(wanted)
            }
            let named = Set((view.note.values + view.motivation.values + view.editsConcurrentWithDelete).filter(matches).map(\.hash))
            if named.count > 1 {
                throw DaftarError(.ambiguous, "\(event) names several of the conflicting values of \(id.prefix(13)); give more of the event id (see `daftar conflicts`)")
            }
            if view.note.inConflict, let v = view.note.values.first(where: matches) {
                return try edit(annotation: id, note: v.value, motivation: nil)
            }
            if view.motivation.inConflict, let v = view.motivation.values.first(where: matches) {
                return try edit(annotation: id, note: nil, motivation: v.value)
            }
            if view.editsConcurrentWithDelete.contains(where: matches) {
                try commit([EventDraft(.annotationRestored, ["annotation": .string(id)])])
                return try annotation(id)
            }
            throw DaftarError(.notFound, "\(event) is not one of the conflicting values of \(id.prefix(13)); see `daftar conflicts`")
        }
    }
}

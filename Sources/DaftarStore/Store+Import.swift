import DaftarCore
import Foundation
import GRDB

/// What an import did.
public struct ImportReport: Sendable {
    /// Annotations added.
    public var imported: [String] = []
    /// Of those added, the ones about a whole article (a target with no selector): attached to
    /// it, with no passage to mark in its text.
    public var wholeArticle: [String] = []
    /// Annotations this store already has (re-importing a file is a no-op).
    public var alreadyPresent: [String] = []
    /// Annotations that could not be anchored, with the reason: reported, not dropped silently.
    public var orphans: [(annotation: W3CAnnotations.Imported, reason: String)] = []
    /// Annotations of the file that could not be read (an unknown motivation, a time that is
    /// not one, a position that is not a whole number), each with its reason.
    public var refused: [W3CAnnotations.Refused] = []
    /// Articles given tags from the file (``W3CAnnotations/Imported/isArticleTagging``), with the tags added.
    public var articlesTagged: [(article: String, tags: [String])] = []
    /// Articles whose tags in the file were all there already, or removed here since.
    public var articleTagsPresent: [String] = []
}

extension Store {
    /// Imports W3C annotations: each is anchored in its article (by position when the text
    /// there is the quote, else by quote), or — when its source is not a Daftar article this
    /// store knows — by its quote across the archive. All anchored ones are written in one
    /// commit; the others are returned as orphans.
    public func importAnnotations(_ items: [W3CAnnotations.Imported]) throws -> ImportReport {
        var report = ImportReport()
        var drafts: [EventDraft] = []
        var seen = Set<String>()
        var anchorings = Anchorings()
        var tagging: [String: Set<String>] = [:]  // folded tags added by this import, per article
        for item in items {
            if item.isArticleTagging, let named = item.articleID {
                // A copy's id names the article it is shown as here.
                let article = try writer.read { db in try Projector.shownArticle(named, db) }
                guard (try? self.article(article)) != nil else {
                    report.orphans.append((item, "its article \(article.prefix(12)) is not in this archive"))
                    continue
                }
                // A tag this store holds, or removed on purpose, stays as it is: importing never
                // duplicates a tag nor undoes an untag.
                let kept = try writer.read { db in
                    try Set(String.fetchAll(db, sql: "SELECT tag FROM article_tags WHERE article = ?", arguments: [article]))
                        .union(self.untaggedKeys(article: article, db))
                }.union(tagging[article] ?? [])
                let adding = Self.distinctTags(item.tags).filter { !kept.contains(Tag.key($0)) }
                if adding.isEmpty {
                    report.articleTagsPresent.append(article)
                } else {
                    tagging[article, default: []].formUnion(adding.map(Tag.key))
                    drafts += adding.map { EventDraft(.articleTagged, ["article": .string(article), "tag": .string($0)]) }
                    report.articlesTagged.append((article, adding))
                }
                continue
            }
            let exists = try writer.read { db in
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM annotation_events WHERE annotation = ?)", arguments: [item.id]) ?? false
            }
            if exists || !seen.insert(item.id).inserted {
                report.alreadyPresent.append(item.id)
                continue
            }
            switch try locate(item, &anchorings) {
            case .failure(let reason):
                report.orphans.append((item, reason))
            case .success(let (article, anchor)):
                var data: [String: JSONValue] = [
                    "annotation": .string(item.id), "article": .string(article), "target": anchor.eventTarget,
                    "note": .string(item.note), "motivation": .string(item.motivation),
                    "tags": .array(Self.distinctTags(item.tags).map(JSONValue.string)),
                    "importedFrom": .string(item.originalID),
                ]
                if let creator = item.creator { data["creator"] = .string(creator) }
                if let created = item.created { data["created"] = .string(created) }
                // What Daftar does not model, kept to be exported again.
                if let original = item.original { data["w3c"] = original }
                drafts.append(EventDraft(.annotationCreated, .object(data)))
                report.imported.append(item.id)
                if anchor.isWholeArticle { report.wholeArticle.append(item.id) }
            }
        }
        try commit(drafts)
        return report
    }

    enum Located {
        case success((String, TextAnchor))
        case failure(String)
    }

    /// Articles read and folded for anchoring, by id, during one import (an export holds many
    /// annotations per article: folding its body once per annotation made a 100,000-annotation
    /// import take minutes). Bounded: emptied when it holds ``limit``.
    struct Anchorings {
        static let limit = 256
        private var byArticle: [String: Anchoring] = [:]

        mutating func anchoring(_ id: String, in store: Store) -> Anchoring? {
            if let known = byArticle[id] { return known }
            guard let body = try? store.article(id).body else { return nil }
            if byArticle.count >= Self.limit { byArticle.removeAll(keepingCapacity: true) }
            let anchoring = Anchoring(body: body)
            byArticle[id] = anchoring
            return anchoring
        }
    }

    func locate(_ item: W3CAnnotations.Imported, _ anchorings: inout Anchorings) throws -> Located {
        if let id = item.articleID, let anchoring = anchorings.anchoring(id, in: self) {
            switch anchorInArticle(item, id: id, anchoring: anchoring) {
            case .success(let anchor): return .success((id, anchor))
            case .failure(let reason): return .failure(reason)
            }
        }
        guard let exact = item.exact, !Anchoring.foldedScalars(exact).isEmpty else {
            if item.wholeSource {
                return .failure("it is about the whole page \(item.source ?? "(none)"), not a passage, and that page is not an article of this archive")
            }
            return .failure("its source \(item.source ?? "(none)") is not in this archive and it has no TextQuoteSelector to find it by (a RangeSelector or XPath alone names a place in a web page's markup, not in the text)")
        }
        // Narrow the archive with search, then anchor in each candidate.
        let query = try SearchQuery(fts: SearchQuery(parsing: "\"\(exact.replacingOccurrences(of: "\"", with: " "))\"").ftsExpression)
        let candidates = try search(query, limit: 50)
        var found: [(String, TextAnchor)] = []
        for hit in candidates {
            guard let anchoring = anchorings.anchoring(hit.id, in: self) else { continue }
            if case .success(let anchor) = anchorInArticle(item, id: hit.id, anchoring: anchoring) { found.append((hit.id, anchor)) }
        }
        switch found.count {
        case 1: return .success(found[0])
        case 0: return .failure("its quote «\(exact.prefix(40))» is in no article of this archive")
        default: return .failure("its quote «\(exact.prefix(40))» is in \(found.count) articles; import it where only one has it")
        }
    }

    /// Where an imported annotation is in an article, or why it cannot be placed.
    enum Anchored {
        case success(TextAnchor)
        case failure(String)
    }

    /// The position when the text there is the quote; else the quote, its prefix and suffix
    /// choosing among several places, then its position (the nearest). A quote in several
    /// places that neither its context nor a position decides is not placed: the reason names
    /// the places. A target with no selector is the whole article (``TextAnchor/wholeArticle``).
    func anchorInArticle(_ item: W3CAnnotations.Imported, id: String, anchoring: Anchoring) -> Anchored {
        if let start = item.start, let end = item.end, start >= 0, end > start, end <= anchoring.body.count {
            let there = anchoring.text(start..<end)
            if item.exact == nil || Anchoring.foldedScalars(there) == Anchoring.foldedScalars(item.exact!) {
                return .success(TextAnchor(body: anchoring.body, start: start, end: end))
            }
        }
        guard let exact = item.exact else {
            // About the page as a whole: attached to the article, marking no passage.
            if item.wholeSource { return .success(.wholeArticle) }
            return .failure("it names no passage of article \(id.prefix(12)) Daftar can read: no TextQuoteSelector, and no position whose text it is")
        }
        var matches = anchoring.occurrences(of: exact, prefix: item.prefix.map { String($0.unicodeScalars.suffix(12)) }, suffix: item.suffix.map { String($0.unicodeScalars.prefix(12)) })
        if matches.isEmpty { matches = anchoring.occurrences(of: exact) }
        if matches.count > 1, item.start == nil {
            let places = matches.prefix(5).map { "\($0.lowerBound)" }.joined(separator: ", ")
            return .failure("its quote «\(exact.prefix(40))» is in \(matches.count) places of article \(id.prefix(12)) (at \(places)\(matches.count > 5 ? ", …" : "")) and its prefix and suffix do not decide which")
        }
        let near = item.start ?? 0
        guard let best = matches.min(by: { abs($0.lowerBound - near) < abs($1.lowerBound - near) }) else {
            return .failure("its quote «\(exact.prefix(40))» is not in article \(id.prefix(12))")
        }
        return .success(TextAnchor(body: anchoring.body, start: best.lowerBound, end: best.upperBound))
    }

    /// Every stored event's canonical bytes, in log order (for `export --format events`).
    public func forEachEvent(_ body: ([UInt8]) throws -> Void) throws {
        try writer.read { db in
            let rows = try Data.fetchCursor(db, sql: "SELECT body FROM events ORDER BY position")
            while let data = try rows.next() { try body(Array(data)) }
        }
    }
}

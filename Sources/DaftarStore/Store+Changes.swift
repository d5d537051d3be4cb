import DaftarCore
import Foundation
import GRDB

/// What changed between two moments, grouped by article.
public struct ChangeReport: Sendable, Codable {
    public struct Entry: Sendable, Codable {
        public var origin: String
        public var seq: Int64
        public var type: String
        public var time: Int64
        public var author: String
        public var replica: String?
        public var summary: String
    }

    public struct ArticleChanges: Sendable, Codable {
        public var article: String
        public var title: String
        /// The article itself arrived in this span (not only a copy of it).
        public var isNew: Bool
        public var events: [Entry]
        /// Annotations in conflict at the end that were not at the start, and the reverse.
        public var conflictsAppeared: [String]
        public var conflictsResolved: [String]
    }

    public var articles: [ArticleChanges]
    public var events: Int
}

extension Store {
    /// The events held at `until` (now when nil) but not at `since`, grouped by the article
    /// they touch (as shown now), in words, with the conflicts that appeared or were resolved.
    public func changes(since: PastMoment, until: PastMoment? = nil) throws -> ChangeReport {
        try writer.read { db in
            let lower: Int64 = if case .position(let p) = since { p } else { 0 }
            let rows = try Row.fetchAll(db, sql: "SELECT position, origin, seq, body FROM events WHERE position > ? ORDER BY position", arguments: [lower])
            let replicaName = try replicaNamer(db)
            let words = LogWords(db)
            let annotationArticle = try db.cachedStatement(sql: "SELECT article FROM annotations WHERE id = ?")
            let storyHeldBefore = try db.cachedStatement(sql: """
                SELECT e.position, e.origin, e.seq FROM article_sources s JOIN events e ON e.origin = s.origin AND e.seq = s.seq
                WHERE s.story = (SELECT story FROM articles WHERE id = ?)
                """)
            var groups: [String: ChangeReport.ArticleChanges] = [:]
            var order: [String] = []
            var touched: [String: Set<String>] = [:]  // article → annotations
            var count = 0
            for row in rows {
                let position: Int64 = row[0], origin: String = row[1], seq: Int64 = row[2]
                guard !since.holds(position: position, origin: origin, seq: seq),
                    until?.holds(position: position, origin: origin, seq: seq) ?? true
                else { continue }
                let event = try Event(bytes: row[3] as Data)
                guard let payload = EventPayload(event) else { continue }
                let article: String
                if let annotation = payload.annotation {
                    guard let shown = try String.fetchOne(annotationArticle, arguments: [annotation]) else { continue }
                    article = shown
                    touched[article, default: []].insert(annotation)
                } else if let named = payload.article {
                    article = try Projector.shownArticle(named, db)
                } else {
                    continue
                }
                if groups[article] == nil {
                    let title = try String.fetchOne(db, sql: "SELECT title FROM articles WHERE id = ?", arguments: [article]) ?? ""
                    let heldBefore = try Row.fetchAll(storyHeldBefore, arguments: [article])
                        .contains { since.holds(position: $0[0], origin: $0[1], seq: $0[2]) }
                    groups[article] = .init(article: article, title: title, isNew: !heldBefore, events: [], conflictsAppeared: [], conflictsResolved: [])
                    order.append(article)
                }
                groups[article]!.events.append(.init(
                    origin: origin, seq: seq, type: event.type, time: event.time, author: event.author,
                    replica: replicaName(origin),
                    summary: try words.describe(event)))
                count += 1
            }
            // Conflicts: each touched annotation resolved from its events at either end.
            let annotationEvents = try db.cachedStatement(sql: """
                SELECT e.position, e.origin, e.seq, e.body FROM annotation_events x JOIN events e ON e.origin = x.origin AND e.seq = x.seq
                WHERE x.annotation = ?
                """)
            // Up to now, the live row says; only the events held at either end are parsed.
            let liveConflict = try db.cachedStatement(sql: "SELECT conflict FROM annotations WHERE id = ?")
            for (article, annotations) in touched {
                for annotation in annotations.sorted() {
                    var before: [Event] = [], after: [Event] = []
                    for row in try Row.fetchAll(annotationEvents, arguments: [annotation]) {
                        let position: Int64 = row[0], origin: String = row[1], seq: Int64 = row[2]
                        let held = since.holds(position: position, origin: origin, seq: seq)
                        let heldAfter = until.map { $0.holds(position: position, origin: origin, seq: seq) } ?? false
                        guard held || heldAfter else { continue }
                        let event = try Event(bytes: row[3] as Data)
                        if held { before.append(event) }
                        if heldAfter { after.append(event) }
                    }
                    let was = AnnotationView.resolve(before)?.inConflict ?? false
                    let isNow = try until == nil
                        ? Bool.fetchOne(liveConflict, arguments: [annotation]) ?? false
                        : AnnotationView.resolve(after)?.inConflict ?? false
                    if isNow && !was { groups[article]?.conflictsAppeared.append(annotation) }
                    if was && !isNow { groups[article]?.conflictsResolved.append(annotation) }
                }
            }
            return ChangeReport(articles: order.compactMap { groups[$0] }, events: count)
        }
    }
}

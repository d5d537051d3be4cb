import DaftarCore
import Foundation
import GRDB

/// One event in the history of an article or an annotation.
public struct HistoryEntry: Sendable, Hashable, Codable {
    /// Its number in this history, from 1, oldest first.
    public var number: Int
    public var origin: String
    public var seq: Int64
    public var hash: String
    public var type: String
    public var time: Int64
    public var author: String
    /// "this replica", "peer NAME", or nil for a replica this store has no name for.
    public var replica: String?
    /// What it did, in words.
    public var summary: String
    /// Earlier entries it is concurrent with: neither had seen the other (another branch).
    public var concurrentWith: [Int]
    /// Concurrent entries that wrote another value of the same field: the conflict they make.
    public var conflictsWith: [Int]
    /// Pairs of entries in conflict that this one had seen both of and settled.
    public var resolves: [[Int]]
}

extension Store {
    /// Every event that touched an article (each copy's ingest, its tags, and what happened to
    /// its annotations) or one annotation, oldest first in causal order (ties by time,
    /// replica, seq), with the branches concurrent events make, the conflicts among them and
    /// the events that resolved them. Reads only that thing's events.
    public func history(of target: TagTarget) throws -> [HistoryEntry] {
        try writer.read { db in
            let dots: [(String, Int64)]
            switch target {
            case .annotation(let id):
                dots = try Self.dots(db, sql: "SELECT origin, seq FROM annotation_events WHERE annotation = ?", id)
            case .article(let id):
                dots = try Self.dots(db, sql: """
                    SELECT s.origin, s.seq FROM articles a JOIN article_sources s ON s.story = a.story WHERE a.id = ?1
                    UNION SELECT t.origin, t.seq FROM article_tag_events t
                        WHERE t.article IN (\(Projector.copiesOfShownSQL))
                    UNION SELECT e.origin, e.seq FROM annotation_events e JOIN annotations n ON n.id = e.annotation WHERE n.article = ?1
                    """, id)
            }
            let events = Self.causalOrder(try Projector.events(dots, db))
            let replicaName = try replicaNamer(db)
            let words = LogWords(db)
            var entries: [HistoryEntry] = []
            // Entry numbers of each origin's events so far, in seq order (a chain): an earlier
            // entry is concurrent with this event iff its seq is past what this event saw of it.
            var byOrigin: [ReplicaID: [(seq: Int64, number: Int)]] = [:]
            var conflictPairs: [(Int, Int)] = []
            for (i, event) in events.enumerated() {
                var concurrent: [Int] = []
                for (origin, chain) in byOrigin where origin != event.origin {
                    let seen = event.clock[origin]
                    concurrent += chain.reversed().prefix { $0.seq > seen }.map(\.number)
                }
                concurrent.sort()
                let conflicts = concurrent.filter { Self.clash(event, events[$0 - 1]) }
                var resolves: [[Int]] = []
                for (other, number) in conflictPairs {
                    let (a, b) = (events[other - 1], events[number - 1])
                    if a.happened(before: event), b.happened(before: event), Self.settles(event, a, b) {
                        resolves.append([other, number])
                    }
                }
                conflictPairs += conflicts.map { ($0, i + 1) }
                byOrigin[event.origin, default: []].append((event.seq, i + 1))
                let origin = event.origin.rawValue
                entries.append(HistoryEntry(
                    number: i + 1, origin: origin, seq: event.seq, hash: event.hash, type: event.type, time: event.time,
                    author: event.author, replica: replicaName(origin),
                    summary: try words.describe(event), concurrentWith: concurrent, conflictsWith: conflicts, resolves: resolves))
            }
            return entries
        }
    }

    private static func dots(_ db: Database, sql: String, _ id: String) throws -> [(String, Int64)] {
        try Row.fetchAll(db, sql: sql, arguments: [id]).map { ($0[0] as String, $0[1] as Int64) }
    }

    /// Events in an order that respects happened-before; among those ready, the earliest by
    /// `(time, origin, seq)` first — the same order on every store. Each origin's events are a
    /// chain, so the candidates are each origin's next event; one is ready when every event
    /// its clock covers has been placed.
    static func causalOrder(_ events: [Event]) -> [Event] {
        let chains = Dictionary(grouping: events, by: \.origin).mapValues { $0.sorted { $0.seq < $1.seq } }
        var placed: [ReplicaID: Int] = chains.mapValues { _ in 0 }
        /// How many of `origin`'s events (here) have a seq of at most `seq`.
        func count(_ origin: ReplicaID, upTo seq: Int64) -> Int {
            guard let chain = chains[origin] else { return 0 }
            var (low, high) = (0, chain.count)
            while low < high {
                let mid = (low + high) / 2
                if chain[mid].seq <= seq { low = mid + 1 } else { high = mid }
            }
            return low
        }
        var out: [Event] = []
        out.reserveCapacity(events.count)
        while out.count < events.count {
            var next: Event?
            for (origin, chain) in chains where placed[origin]! < chain.count {
                let candidate = chain[placed[origin]!]
                let ready = chains.keys.allSatisfy { other in
                    other == origin || count(other, upTo: candidate.clock[other]) <= placed[other]!
                }
                if ready, next.map({ (candidate.time, candidate.origin, candidate.seq) < ($0.time, $0.origin, $0.seq) }) ?? true {
                    next = candidate
                }
            }
            // Clocks that contradict each other (not written by Daftar): take the earliest left.
            let chosen = next ?? chains.compactMap { placed[$0.key]! < $0.value.count ? $0.value[placed[$0.key]!] : nil }
                .min { ($0.time, $0.origin, $0.seq) < ($1.time, $1.origin, $1.seq) }!
            out.append(chosen)
            placed[chosen.origin]! += 1
        }
        return out
    }

    /// Two concurrent events that leave the annotation with two values of one field (note,
    /// motivation), or an edit and a delete.
    static func clash(_ a: Event, _ b: Event) -> Bool {
        guard let pa = EventPayload(a), let pb = EventPayload(b), pa.annotation != nil, pa.annotation == pb.annotation else { return false }
        switch (pa, pb) {
        case (.annotationEdited(_, let na, let ma), .annotationEdited(_, let nb, let mb)):
            return (na != nil && nb != nil && na != nb) || (ma != nil && mb != nil && ma != mb)
        case (.annotationDeletion(_, true), .annotationEdited), (.annotationEdited, .annotationDeletion(_, true)),
             (.annotationDeletion(_, true), .annotationTag), (.annotationTag, .annotationDeletion(_, true)):
            return true
        default:
            return false
        }
    }

    /// True when `event`, having seen the clashing `a` and `b`, writes the field they clash
    /// over (or decides the delete): it settles their conflict.
    static func settles(_ event: Event, _ a: Event, _ b: Event) -> Bool {
        guard let p = EventPayload(event), let pa = EventPayload(a), p.annotation == pa.annotation else { return false }
        switch p {
        case .annotationEdited(_, let note, let motivation):
            if case .annotationEdited(_, let na, let ma) = pa, case .annotationEdited(_, let nb, let mb) = EventPayload(b) {
                return (note != nil && na != nil && nb != nil) || (motivation != nil && ma != nil && mb != nil)
            }
            return false
        case .annotationDeletion:
            return clash(a, b) && [a, b].contains { if case .annotationDeletion(_, true)? = EventPayload($0) { true } else { false } }
        default:
            return false
        }
    }
}

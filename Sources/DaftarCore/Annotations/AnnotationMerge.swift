import Foundation

/// The W3C Web Annotation motivations (https://www.w3.org/TR/annotation-vocab/#motivation).
public enum Motivation {
    public static let all: [String] = [
        "assessing", "bookmarking", "classifying", "commenting", "describing", "editing", "highlighting",
        "identifying", "linking", "moderating", "questioning", "replying", "tagging",
    ]
}

/// Tags are compared folded, as search folds words (`ايران` and `ایران` are one tag).
public enum Tag {
    public static func key(_ tag: String) -> String { PersianFolding.fold(tag) }
}

/// One value of a multi-value register, with the event that wrote it.
public struct RegisterValue: Sendable, Hashable {
    public var value: String
    public var dot: Dot
    public var author: String
    public var time: Int64
    public var hash: String
}

/// A register's state: the values of the writes no other write has seen (DESIGN §3).
public struct Register: Sendable, Hashable {
    /// The concurrent latest values, displayed one first.
    public var values: [RegisterValue]
    /// The value shown: the greatest `(time, origin, seq)` among ``values``.
    public var displayed: RegisterValue? { values.first }
    /// Concurrent writes with different values: the analyst should resolve them.
    public var inConflict: Bool { Set(values.map(\.value)).count > 1 }

    /// The register holding these latest values (none saw another).
    public init(latest: [RegisterValue]) {
        values = latest.sorted { ($0.time, $0.dot.origin, $0.dot.seq) > ($1.time, $1.dot.origin, $1.dot.seq) }
    }
}

/// An observed-remove set of tags: a remove removes the adds it has seen; a concurrent add wins.
public enum ObservedRemoveSet {
    /// A present tag: its spelling as first written and when that was.
    public struct Entry: Sendable, Hashable {
        public var display: String
        /// `(time, origin, seq)` of the add that wrote ``display``, as one sortable text.
        public var addedKey: String
    }

    /// Present tags, keyed by their folded form, each displayed as first written (the earliest
    /// present add by `(time, origin, seq)`).
    public static func resolve(adds: [(String, Event)], removes: [(String, Event)]) -> [String: String] {
        entries(adds: adds, removes: removes).mapValues(\.display)
    }

    /// ``resolve(adds:removes:)`` with the order key of each spelling, so that views over many
    /// targets (tag counts) can pick the first written too.
    public static func entries(adds: [(String, Event)], removes: [(String, Event)]) -> [String: Entry] {
        var present: [String: (String, Event)] = [:]
        for (tag, add) in adds {
            let key = Tag.key(tag)
            guard !key.isEmpty else { continue }
            let removed = removes.contains { Tag.key($0.0) == key && add.happened(before: $0.1) }
            guard !removed else { continue }
            if let current = present[key], (current.1.time, current.1.origin, current.1.seq) <= (add.time, add.origin, add.seq) { continue }
            present[key] = (tag, add)
        }
        return present.mapValues { tag, add in
            Entry(display: tag, addedKey: addedKey(time: add.time, origin: add.origin.rawValue, seq: add.seq))
        }
    }

    /// `(time, origin, seq)` of an add as one text that sorts in that order.
    static func addedKey(time: Int64, origin: String, seq: Int64) -> String {
        "\(String(format: "%015lld", time)):\(origin):\(String(format: "%015lld", seq))"
    }
}

/// What an annotation looks like given the set of its events — independent of their order.
public struct AnnotationView: Sendable, Hashable {
    public var id: String
    public var article: String
    public var anchor: TextAnchor
    public var note: Register
    public var motivation: Register
    /// Folded tag → displayed spelling.
    public var tags: [String: String] { tagEntries.mapValues(\.display) }
    /// Folded tag → spelling and when it was first written.
    public var tagEntries: [String: ObservedRemoveSet.Entry]
    public var deleted: Bool
    /// Edits concurrent with a delete that nothing has resolved yet (DESIGN §3).
    public var editsConcurrentWithDelete: [RegisterValue]
    /// The creator: an imported annotation's original creator, else the author of its creation.
    public var creator: String
    /// When it was created, ms (an import keeps the original `created` text in ``createdText``).
    public var created: Int64
    public var createdText: String?
    /// The latest time of any of its events.
    public var modified: Int64
    /// The creation event's hash (for `log` and history).
    public var createdBy: Dot
    /// An imported annotation as the other tool wrote it (W3C JSON-LD), kept so that export
    /// gives back what Daftar does not model: other bodies and targets, every creator, rights…
    public var imported: JSONValue? = nil

    /// True when the analyst should look: concurrent notes or motivations, or an edit
    /// concurrent with a delete.
    public var inConflict: Bool { note.inConflict || motivation.inConflict || !editsConcurrentWithDelete.isEmpty }

    /// Resolves one annotation from all events that name it; nil without an `annotation.created`.
    /// The events are folded into an ``AnnotationState`` — the same rules the projection
    /// applies as each event arrives.
    public static func resolve(_ events: [Event]) -> AnnotationView? {
        let changes = events.filter { $0.eventType.map(EventType.annotationChanges.contains) ?? false }
        var state = AnnotationState()
        for event in events {
            state.apply(event) { clock in changes.filter { !clock.includes($0.dot) } }
        }
        return state.view
    }
}

import Foundation

/// What the merge rules need to know of one annotation's events, kept small enough to update
/// as each event arrives (DESIGN §3): the writes no other write has seen, the present tag
/// adds, the deletes no restore has seen, and the changes concurrent with them.
///
/// The result is a function of the *set* of events applied, whatever their order, as long
/// as happened-before is transitive — which it is for clocks Daftar writes and receives
/// (causal delivery: an event's clock covers what its creator held). Applying an event costs
/// the size of this summary, not the number of events before it; only a delete that becomes
/// one of the latest deletes asks for the changes its clock does not cover.
public struct AnnotationState: Sendable, Hashable, Codable {
    /// One event, as far as the rules compare it.
    public struct Stamp: Sendable, Hashable, Codable {
        var origin: String
        var seq: Int64
        var time: Int64
        var author: String
        var hash: String
        var clock: [String: Int64]

        init(_ event: Event) {
            origin = event.origin.rawValue
            seq = event.seq
            time = event.time
            author = event.author
            hash = event.hash
            clock = Dictionary(uniqueKeysWithValues: event.clock.entries.map { ($0.key.rawValue, $0.value) })
        }

        func happened(before other: Stamp) -> Bool {
            (origin, seq) != (other.origin, other.seq) && (other.clock[origin] ?? 0) >= seq
        }

        func isConcurrent(with other: Stamp) -> Bool {
            (origin, seq) != (other.origin, other.seq) && !happened(before: other) && !other.happened(before: self)
        }

        var order: (Int64, String, Int64) { (time, origin, seq) }
        var dot: Dot { Dot(origin: ReplicaID(rawValue: origin), seq: seq) }
    }

    /// A value written by an event: a note, a motivation, a tag's spelling.
    public struct Write: Sendable, Hashable, Codable {
        var value: String
        var stamp: Stamp

        var registerValue: RegisterValue {
            RegisterValue(value: value, dot: stamp.dot, author: stamp.author, time: stamp.time, hash: stamp.hash)
        }
    }

    /// The earliest `annotation.created` by `(time, origin, seq)`: where and by whom.
    struct Creation: Sendable, Hashable, Codable {
        var stamp: Stamp
        var id: String?
        var article: String?
        var anchor: TextAnchor?
        var creator: String?
        var createdText: String?
        /// An import's original annotation, as canonical JSON text (`w3c` in the event).
        var imported: String?
    }

    var creation: Creation?
    /// The latest writes of the note and of the motivation (none saw another).
    var notes: [Write] = []
    var motivations: [Write] = []
    /// Folded tag → its adds that no remove has seen.
    var tagAdds: [String: [Write]] = [:]
    /// Folded tag → the latest removes.
    var tagRemoves: [String: [Stamp]] = [:]
    /// The latest deletes that no restore has seen (the annotation is deleted while any is).
    var deletes: [Stamp] = []
    /// The latest restores.
    var restores: [Stamp] = []
    /// Changes concurrent with one of ``deletes``: the analyst should decide.
    var clashes: [Write] = []
    var modified: Int64?

    public init() {}

    /// Applies one event that names this annotation. `uncoveredChanges` returns the
    /// annotation's change events (`annotationChanges`) held so far that a clock does not
    /// cover; it is asked only when a delete becomes one of the latest.
    public mutating func apply(_ event: Event, uncoveredChanges: (VectorClock) throws -> [Event]) rethrows {
        guard let type = event.eventType, type.isAnnotationEvent else { return }
        let stamp = Stamp(event)
        modified = max(modified ?? event.time, event.time)
        func string(_ key: String) -> String? { event.data?[key]?.stringValue }

        switch type {
        case .annotationCreated:
            guard let data = event.data else { return }
            if creation.map({ stamp.order < $0.stamp.order }) ?? true {
                creation = Creation(stamp: stamp, id: string("annotation"), article: string("article"), anchor: TextAnchor(eventTarget: data["target"]),
                                    creator: string("creator"), createdText: string("created"),
                                    imported: data["w3c"].map { String(decoding: $0.canonicalBytes, as: UTF8.self) })
            }
            if let note = string("note") { Self.write(Write(value: note, stamp: stamp), into: &notes) }
            if let motivation = string("motivation") { Self.write(Write(value: motivation, stamp: stamp), into: &motivations) }
            for tag in data["tags"]?.arrayValue ?? [] { if let t = tag.stringValue { addTag(Write(value: t, stamp: stamp)) } }
        case .annotationEdited:
            guard event.data != nil else { break }
            if let note = string("note") { Self.write(Write(value: note, stamp: stamp), into: &notes) }
            if let motivation = string("motivation") { Self.write(Write(value: motivation, stamp: stamp), into: &motivations) }
        case .annotationTagged:
            if let tag = string("tag") { addTag(Write(value: tag, stamp: stamp)) }
        case .annotationUntagged:
            if let tag = string("tag") { removeTag(Tag.key(tag), stamp) }
        case .annotationDeleted:
            try delete(stamp, uncoveredChanges: { try uncoveredChanges(event.clock) })
        case .annotationRestored:
            restore(stamp)
        default:
            break
        }
        if EventType.annotationChanges.contains(type), !clashes.contains(where: { $0.stamp.dot == stamp.dot }),
            deletes.contains(where: stamp.isConcurrent) {
            clashes.append(Self.clash(event))
        }
    }

    /// Keeps the writes none of the others saw: `write` is dropped if a kept one saw it, and
    /// drops those it saw.
    static func write(_ write: Write, into latest: inout [Write]) {
        guard !latest.contains(where: { $0.stamp.dot == write.stamp.dot || write.stamp.happened(before: $0.stamp) }) else { return }
        latest.removeAll { $0.stamp.happened(before: write.stamp) }
        latest.append(write)
    }

    /// Keeps the stamps none of the others saw (true when `stamp` is one of them).
    @discardableResult
    static func keepLatest(_ stamp: Stamp, in latest: inout [Stamp]) -> Bool {
        guard !latest.contains(where: { $0.dot == stamp.dot || stamp.happened(before: $0) }) else { return false }
        latest.removeAll { $0.happened(before: stamp) }
        latest.append(stamp)
        return true
    }

    mutating func addTag(_ add: Write) {
        let key = Tag.key(add.value)
        guard !key.isEmpty, !(tagRemoves[key] ?? []).contains(where: add.stamp.happened(before:)),
            !(tagAdds[key] ?? []).contains(where: { $0.stamp.dot == add.stamp.dot })
        else { return }
        tagAdds[key, default: []].append(add)
    }

    mutating func removeTag(_ key: String, _ remove: Stamp) {
        guard !key.isEmpty, Self.keepLatest(remove, in: &tagRemoves[key, default: []]) else { return }
        tagAdds[key]?.removeAll { $0.stamp.happened(before: remove) }
        if tagAdds[key]?.isEmpty == true { tagAdds[key] = nil }
    }

    mutating func delete(_ delete: Stamp, uncoveredChanges: () throws -> [Event]) rethrows {
        // Seen by a restore: not in effect. Seen by a delete in effect: that one is the latest.
        guard !restores.contains(where: delete.happened(before:)), Self.keepLatest(delete, in: &deletes) else { return }
        clashes.removeAll { c in !deletes.contains(where: c.stamp.isConcurrent) }
        for change in try uncoveredChanges() where change.eventType.map(EventType.annotationChanges.contains) ?? false {
            let stamp = Stamp(change)
            if stamp.isConcurrent(with: delete), !clashes.contains(where: { $0.stamp.dot == stamp.dot }) {
                clashes.append(Self.clash(change))
            }
        }
    }

    mutating func restore(_ restore: Stamp) {
        guard Self.keepLatest(restore, in: &restores) else { return }
        let before = deletes.count
        deletes.removeAll { $0.happened(before: restore) }
        if deletes.count != before { clashes.removeAll { c in !deletes.contains(where: c.stamp.isConcurrent) } }
    }

    /// A change shown beside the delete it clashes with: its note, `+#tag`/`-#tag`, or motivation.
    static func clash(_ e: Event) -> Write {
        func string(_ key: String) -> String? { e.data?[key]?.stringValue }
        let value = string("note") ?? string("tag").map { "\(e.is(.annotationTagged) ? "+" : "-")#\($0)" } ?? string("motivation") ?? ""
        return Write(value: value, stamp: Stamp(e))
    }

    /// The annotation as the analyst sees it; nil until its creation (with a target) is here.
    public var view: AnnotationView? {
        guard let creation, let id = creation.id, let article = creation.article, let anchor = creation.anchor else { return nil }
        let tagEntries = tagAdds.compactMapValues { adds -> ObservedRemoveSet.Entry? in
            adds.min { $0.stamp.order < $1.stamp.order }.map { ObservedRemoveSet.Entry(display: $0.value, stamp: $0.stamp) }
        }
        return AnnotationView(
            id: id, article: article, anchor: anchor,
            note: Register(latest: notes.map(\.registerValue)), motivation: Register(latest: motivations.map(\.registerValue)),
            tagEntries: tagEntries, deleted: !deletes.isEmpty,
            editsConcurrentWithDelete: clashes.map(\.registerValue).sorted { ($0.time, $0.dot.origin, $0.dot.seq) < ($1.time, $1.dot.origin, $1.dot.seq) },
            creator: creation.creator ?? creation.stamp.author,
            created: creation.stamp.time, createdText: creation.createdText,
            modified: modified ?? creation.stamp.time,
            createdBy: creation.stamp.dot,
            imported: creation.imported.flatMap { try? JSONValue.parse($0) })
    }
}

extension ObservedRemoveSet.Entry {
    init(display: String, stamp: AnnotationState.Stamp) {
        self.init(display: display, addedKey: ObservedRemoveSet.addedKey(time: stamp.time, origin: stamp.origin, seq: stamp.seq))
    }
}

/// Every event type Daftar writes, in one place: its name, the JSON Schema of its payload
/// (`schema/NAME.schema.json`, which tests check every written payload against), and the
/// payload as a Swift value (``EventPayload``). Events of a type not listed here (written by a
/// newer version) are kept and forwarded, and no projection reads them.
public enum EventType: String, CaseIterable, Sendable, Hashable {
    case articleIngested = "article.ingested"
    case articleTagged = "article.tagged"
    case articleUntagged = "article.untagged"
    case articleSplit = "article.split"
    case annotationCreated = "annotation.created"
    case annotationEdited = "annotation.edited"
    case annotationDeleted = "annotation.deleted"
    case annotationRestored = "annotation.restored"
    case annotationTagged = "annotation.tagged"
    case annotationUntagged = "annotation.untagged"
    case aliasAdded = "alias.added"
    case aliasRemoved = "alias.removed"

    /// The name events carry in `type`.
    public var name: String { rawValue }

    /// The JSON Schema of the payload, relative to the repository root.
    public var schemaFile: String { "schema/\(rawValue).schema.json" }

    /// Events that name an annotation in `data.annotation`.
    public var isAnnotationEvent: Bool { rawValue.hasPrefix("annotation.") }

    /// Annotation events that change something an edit can clash with a delete over.
    public static let annotationChanges: Set<EventType> = [.annotationEdited, .annotationTagged, .annotationUntagged]
}

extension Event {
    /// The event's type, when this version knows it.
    public var eventType: EventType? { EventType(rawValue: type) }

    /// True when the event is of `type`.
    public func `is`(_ type: EventType) -> Bool { self.type == type.rawValue }
}

extension EventDraft {
    /// A draft of a catalogued type.
    public init(_ type: EventType, _ data: JSONValue) {
        self.init(type: type.rawValue, data: data)
    }
}

/// The payload of a catalogued event, decoded: what each type carries (see its schema).
public enum EventPayload: Sendable, Hashable {
    /// A file archived: its article id (SHA-256 of the NFC text), file name, text and encoding.
    case articleIngested(article: String, file: String, text: String, encoding: String)
    /// A tag added to (`added`) or removed from a whole article.
    case articleTag(article: String, tag: String, added: Bool)
    /// An annotation created on a passage of an article.
    case annotationCreated(annotation: String, article: String, anchor: TextAnchor, note: String, motivation: String, tags: [String])
    /// A note and/or motivation written.
    case annotationEdited(annotation: String, note: String?, motivation: String?)
    /// An annotation deleted (`deleted`) or restored.
    case annotationDeletion(annotation: String, deleted: Bool)
    /// A tag added to (`added`) or removed from an annotation.
    case annotationTag(annotation: String, tag: String, added: Bool)
    /// Spellings made one word for search (`added`), or taken out of their groups.
    case alias(words: [String], added: Bool)
    /// An article is not a version of these others (an analyst undid a wrong grouping).
    case articleSplit(article: String, from: [String])

    /// Decodes an event's payload; nil for an unknown type, a payload this store does not hold,
    /// or one missing what its schema requires.
    public init?(_ event: Event) {
        guard let type = event.eventType, let data = event.data else { return nil }
        func string(_ key: String) -> String? { data[key]?.stringValue }
        switch type {
        case .articleIngested:
            guard let article = string("article"), let file = string("file"), let text = string("text") else { return nil }
            self = .articleIngested(article: article, file: file, text: text, encoding: string("encoding") ?? "utf-8")
        case .articleTagged, .articleUntagged:
            guard let article = string("article"), let tag = string("tag") else { return nil }
            self = .articleTag(article: article, tag: tag, added: type == .articleTagged)
        case .annotationCreated:
            guard let annotation = string("annotation"), let article = string("article"), let anchor = TextAnchor(eventTarget: data["target"])
            else { return nil }
            self = .annotationCreated(
                annotation: annotation, article: article, anchor: anchor, note: string("note") ?? "",
                motivation: string("motivation") ?? "highlighting", tags: (data["tags"]?.arrayValue ?? []).compactMap(\.stringValue))
        case .annotationEdited:
            guard let annotation = string("annotation") else { return nil }
            self = .annotationEdited(annotation: annotation, note: string("note"), motivation: string("motivation"))
        case .annotationDeleted, .annotationRestored:
            guard let annotation = string("annotation") else { return nil }
            self = .annotationDeletion(annotation: annotation, deleted: type == .annotationDeleted)
        case .annotationTagged, .annotationUntagged:
            guard let annotation = string("annotation"), let tag = string("tag") else { return nil }
            self = .annotationTag(annotation: annotation, tag: tag, added: type == .annotationTagged)
        case .aliasAdded, .aliasRemoved:
            guard let words = data["words"]?.arrayValue?.compactMap(\.stringValue), !words.isEmpty else { return nil }
            self = .alias(words: words, added: type == .aliasAdded)
        case .articleSplit:
            guard let article = string("article"), let from = data["from"]?.arrayValue?.compactMap(\.stringValue), !from.isEmpty else { return nil }
            self = .articleSplit(article: article, from: from)
        }
    }

    /// The event type this payload is written as.
    public var type: EventType {
        switch self {
        case .articleIngested: .articleIngested
        case .articleTag(_, _, let added): added ? .articleTagged : .articleUntagged
        case .annotationCreated: .annotationCreated
        case .annotationEdited: .annotationEdited
        case .annotationDeletion(_, let deleted): deleted ? .annotationDeleted : .annotationRestored
        case .annotationTag(_, _, let added): added ? .annotationTagged : .annotationUntagged
        case .alias(_, let added): added ? .aliasAdded : .aliasRemoved
        case .articleSplit: .articleSplit
        }
    }

    /// The draft that writes this payload (the fields its schema requires; imports add more).
    public var draft: EventDraft {
        switch self {
        case .articleIngested(let article, let file, let text, let encoding):
            EventDraft(type, ["article": .string(article), "file": .string(file), "text": .string(text), "encoding": .string(encoding)])
        case .articleTag(let article, let tag, _):
            EventDraft(type, ["article": .string(article), "tag": .string(tag)])
        case .annotationCreated(let annotation, let article, let anchor, let note, let motivation, let tags):
            EventDraft(type, [
                "annotation": .string(annotation), "article": .string(article),
                "target": anchor.eventTarget,
                "note": .string(note), "motivation": .string(motivation), "tags": .array(tags.map(JSONValue.string)),
            ])
        case .annotationEdited(let annotation, let note, let motivation):
            EventDraft(type, .object(
                ["annotation": .string(annotation)].merging(
                    [("note", note), ("motivation", motivation)].compactMap { key, value in value.map { (key, JSONValue.string($0)) } },
                    uniquingKeysWith: { first, _ in first })))
        case .annotationDeletion(let annotation, _):
            EventDraft(type, ["annotation": .string(annotation)])
        case .annotationTag(let annotation, let tag, _):
            EventDraft(type, ["annotation": .string(annotation), "tag": .string(tag)])
        case .alias(let words, _):
            EventDraft(type, ["words": .array(words.map(JSONValue.string))])
        case .articleSplit(let article, let from):
            EventDraft(type, ["article": .string(article), "from": .array(from.map(JSONValue.string))])
        }
    }

    /// The annotation it is about, for annotation events.
    public var annotation: String? {
        switch self {
        case .annotationCreated(let id, _, _, _, _, _), .annotationEdited(let id, _, _), .annotationDeletion(let id, _), .annotationTag(let id, _, _): id
        case .articleIngested, .articleTag, .alias, .articleSplit: nil
        }
    }

    /// The article it names, for article events and annotation creations.
    public var article: String? {
        switch self {
        case .articleIngested(let id, _, _, _), .articleTag(let id, _, _), .annotationCreated(_, let id, _, _, _, _), .articleSplit(let id, _): id
        case .annotationEdited, .annotationDeletion, .annotationTag, .alias: nil
        }
    }
}

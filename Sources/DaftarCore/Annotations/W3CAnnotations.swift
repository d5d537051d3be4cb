import Crypto
import Foundation

/// Annotations in the W3C Web Annotation Data Model (JSON-LD), for leaving Daftar and coming
/// back: https://www.w3.org/TR/annotation-model/
public enum W3CAnnotations {
    public static let context = "http://www.w3.org/ns/anno.jsonld"
    public static let articlePrefix = "urn:daftar:article:"
    /// The id of the annotation that carries an article's tags: one per article, stable, so
    /// that importing it twice is a no-op.
    public static let articleTagsPrefix = "urn:daftar:article-tags:"

    /// ISO 8601 UTC with milliseconds, as W3C `created`/`modified`.
    public static func iso(_ ms: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    /// True when the text is written in Arabic script (Persian, here): its body gets
    /// `language: fa` and `textDirection: rtl`.
    static func isPersian(_ text: String) -> Bool {
        let letters = text.unicodeScalars.filter { $0.properties.isAlphabetic }
        guard !letters.isEmpty else { return false }
        let arabic = letters.filter { (0x0600...0x06FF).contains($0.value) || (0xFB50...0xFEFF).contains($0.value) }
        return arabic.count * 2 >= letters.count
    }

    /// One annotation as a W3C `Annotation`.
    public static func annotation(_ view: AnnotationView) -> JSONValue {
        var bodies: [JSONValue] = []
        let note = view.note.displayed?.value ?? ""
        if !note.isEmpty {
            var body: [String: JSONValue] = ["type": "TextualBody", "value": .string(note), "format": "text/plain"]
            if isPersian(note) {
                body["language"] = "fa"
                body["textDirection"] = "rtl"
            }
            bodies.append(.object(body))
        }
        for tag in view.sortedTags { bodies.append(tagging(tag)) }
        var object: [String: JSONValue] = [
            "id": .string("urn:uuid:\(view.id)"),
            "type": "Annotation",
            "motivation": .string(view.motivation.displayed?.value ?? "highlighting"),
            "created": .string(view.createdText.flatMap(normalizedTime) ?? iso(view.created)),
            "modified": .string(iso(view.modified)),
            "creator": ["type": "Person", "name": .string(view.creator)],
            // About the whole article: the article itself, no selector.
            "target": view.anchor.isWholeArticle ? ["source": .string(articlePrefix + view.article)] : [
                "source": .string(articlePrefix + view.article),
                "selector": [
                    ["type": "TextQuoteSelector", "exact": .string(view.anchor.exact), "prefix": .string(view.anchor.prefix), "suffix": .string(view.anchor.suffix)],
                    ["type": "TextPositionSelector", "start": .int(Int64(view.anchor.start)), "end": .int(Int64(view.anchor.end))],
                ],
            ],
        ]
        if !bodies.isEmpty { object["body"] = .array(bodies) }
        guard let original = view.imported?.objectValue else { return .object(object) }
        return .object(merged(object, original: original, view: view))
    }

    /// An imported annotation exported: what Daftar models (its id, motivation, note and tags,
    /// the passage in the archive) over everything else the other tool wrote, kept as it was —
    /// other bodies and targets, every creator, generator, rights, audience, via, canonical.
    /// The note's bodies stay as written (format, language) while the note is unchanged, and
    /// `modified` stays the original's while nothing was changed here. Exporting, importing and
    /// exporting again gives the same annotation.
    static func merged(_ daftar: [String: JSONValue], original: [String: JSONValue], view: AnnotationView) -> [String: JSONValue] {
        var out = original
        out["@context"] = nil
        for key in ["id", "type", "motivation", "created"] { out[key] = daftar[key] }
        if let id = original["id"], id != daftar["id"], original["via"] == nil { out["via"] = id }
        let unchanged = view.modified == view.created
        out["modified"] = unchanged ? (original["modified"]?.stringValue.flatMap(normalizedTime).map(JSONValue.string) ?? daftar["modified"]) : daftar["modified"]
        if original["creator"] == nil { out["creator"] = daftar["creator"] }

        // Bodies: the note as the file wrote it while unchanged, Daftar's tags, the rest as it was.
        func isTextual(_ body: JSONValue) -> Bool { body["value"]?.stringValue != nil }
        func isTag(_ body: JSONValue) -> Bool { body["purpose"] == "tagging" || body["purpose"]?.arrayValue?.contains("tagging") == true }
        let originalBodies = original["body"].map { $0.arrayValue ?? [$0] } ?? []
        let originalNotes = originalBodies.filter { isTextual($0) && !isTag($0) }
        let importedNote = ([original["bodyValue"]?.stringValue].compactMap { $0 } + originalNotes.compactMap { $0["value"]?.stringValue }).joined(separator: "\n")
        let daftarBodies = daftar["body"]?.arrayValue ?? []
        let note = (view.note.displayed?.value ?? "") == importedNote ? originalNotes : daftarBodies.filter { !isTag($0) }
        if (view.note.displayed?.value ?? "") != importedNote { out["bodyValue"] = nil }
        let bodies = note + daftarBodies.filter(isTag) + originalBodies.filter { !isTextual($0) }
        out["body"] = bodies.isEmpty ? nil : .array(bodies)

        // Targets: the passage in the archive first, then every target the file had (but a
        // Daftar article's, which the first replaces).
        let originalTargets = original["target"].map { $0.arrayValue ?? [$0] } ?? []
        let others = originalTargets.filter { target in
            let source = target.stringValue ?? target["source"]?.stringValue ?? ""
            return !source.hasPrefix(articlePrefix)
        }
        out["target"] = others.isEmpty ? daftar["target"] : .array([daftar["target"]!] + others)
        return out
    }

    static func tagging(_ tag: String) -> JSONValue {
        ["type": "TextualBody", "value": .string(tag), "purpose": "tagging"]
    }

    /// An article's tags as one W3C `Annotation`: motivation `tagging`, the whole article as
    /// its target (no selector), each tag a `TextualBody` with purpose `tagging`. Nil for an
    /// article without tags.
    public static func articleTags(_ article: AnnotatedArticle) -> JSONValue? {
        guard !article.tags.isEmpty else { return nil }
        var object: [String: JSONValue] = [
            "id": .string(articleTagsPrefix + article.id),
            "type": "Annotation",
            "motivation": "tagging",
            "target": .string(articlePrefix + article.id),
            "body": .array(article.tags.map(tagging)),
        ]
        if let created = article.tagsCreated { object["created"] = .string(iso(created)) }
        if let modified = article.tagsModified { object["modified"] = .string(iso(modified)) }
        if let creator = article.tagsCreator { object["creator"] = ["type": "Person", "name": .string(creator)] }
        return .object(object)
    }

    /// An `AnnotationCollection` holding every annotation in one page, then the tags of each
    /// tagged article in `articles` (``articleTags(_:)``). Its id is derived from the items, so
    /// the same archive content exports under the same id; the page's id is the collection's
    /// with `/page/1`.
    public static func collection(_ views: [AnnotationView], articles: [AnnotatedArticle] = [], label: String) -> JSONValue {
        let items = views.map(annotation) + articles.compactMap(articleTags)
        let digest = ByteEncoding.hex(SHA256.hash(data: JSONValue.array(items).canonicalBytes))
        let id = "urn:daftar:collection:\(digest.prefix(32))"
        return [
            "@context": .string(context),
            "id": .string(id),
            "type": "AnnotationCollection",
            "label": .string(label),
            "total": .int(Int64(items.count)),
            "first": ["id": .string(id + "/page/1"), "type": "AnnotationPage", "startIndex": 0, "items": .array(items)],
        ]
    }

    /// An annotation read from a W3C file, before it is anchored in the archive.
    public struct Imported: Sendable, Hashable {
        /// The annotation's own id in the file.
        public var originalID: String
        /// The Daftar id: the UUID of a `urn:uuid:` id, else derived from the id (so that
        /// importing the same file twice is a no-op).
        public var id: String
        public var source: String?
        public var exact: String?
        public var prefix: String?
        public var suffix: String?
        public var start: Int?
        public var end: Int?
        public var note: String
        public var tags: [String]
        public var motivation: String
        public var creator: String?
        public var created: String?
        /// True when the target is a whole resource: no selector names a passage of it.
        public var wholeSource: Bool = false
        /// The annotation as the file has it (JSON-LD compacted; Hypothesis's as W3C), kept
        /// with the annotation and merged into its export.
        public var original: JSONValue? = nil

        /// True for the tags of a whole Daftar article (what ``articleTags(_:)`` writes): tags
        /// and nothing else, on an article, with no passage.
        public var isArticleTagging: Bool {
            articleID != nil && wholeSource && note.isEmpty && !tags.isEmpty && motivation == "tagging"
        }

        /// The Daftar id an annotation of another tool with this id gets.
        public static func daftarID(_ originalID: String) -> String {
            if originalID.hasPrefix("urn:uuid:"), let uuid = UUID(uuidString: String(originalID.dropFirst(9))) { return uuid.uuidString.lowercased() }
            return derivedID(originalID)
        }

        /// The article id when the source is a Daftar article.
        public var articleID: String? {
            guard let source, source.hasPrefix(W3CAnnotations.articlePrefix) else { return nil }
            return String(source.dropFirst(W3CAnnotations.articlePrefix.count))
        }
    }

    /// An annotation of a file that cannot be imported, and why: refused on its own.
    public struct Refused: Sendable, Hashable {
        public var originalID: String
        public var reason: String
    }

    /// What a file holds: the annotations to import and those refused.
    public struct Parsed: Sendable {
        public var items: [Imported] = []
        public var refused: [Refused] = []
    }

    /// Reads an annotation file: W3C JSON-LD (an `AnnotationCollection` with items in `first`,
    /// an `AnnotationPage`, one `Annotation`, or an array of them; compacted, or expanded as a
    /// JSON-LD processor writes it) or Hypothesis's API JSON (`{"rows": […]}` or one
    /// annotation). Each annotation is read on its own: one that cannot be imported is refused
    /// with its reason and never blocks the others. Throws only when the file is none of these.
    public static func parse(_ json: Any) throws(DaftarError) -> Parsed {
        func fail(_ message: String) -> DaftarError { DaftarError(.badInput, "not an annotation file: \(message)") }
        var items: [Any]
        if let array = json as? [Any] {
            items = array
        } else if let object = json as? [String: Any] {
            let type = types(object["type"])
            if let rows = object["rows"] as? [Any] {
                items = rows  // Hypothesis's search API
            } else if type.contains("AnnotationCollection") {
                if object["first"] == nil { return Parsed() }  // an empty collection
                guard let page = object["first"] as? [String: Any], let pageItems = page["items"] as? [Any] else {
                    throw fail("the collection's \"first\" must be an AnnotationPage with \"items\" (a link to another page is not supported)")
                }
                items = pageItems
            } else if type.contains("AnnotationPage") {
                guard let pageItems = object["items"] as? [Any] else { throw fail("the AnnotationPage has no \"items\"") }
                items = pageItems
            } else if type.contains("Annotation") || isHypothesis(object) || isExpanded(object) {
                items = [object]
            } else {
                throw fail("expected a W3C AnnotationCollection, AnnotationPage or Annotation, or Hypothesis's API JSON (\"type\" is \(object["type"].map { "\($0)" } ?? "missing"))")
            }
        } else {
            throw fail("expected a JSON object or array")
        }
        var parsed = Parsed()
        for (index, item) in items.enumerated() {
            var object = item as? [String: Any]
            if let o = object, isHypothesis(o) { object = fromHypothesis(o) } else if let o = object, isExpanded(o) { object = compacted(o) as? [String: Any] }
            let name = (object?["id"] as? String) ?? "item \(index + 1)"
            guard let object else {
                parsed.refused.append(Refused(originalID: name, reason: "it is not a JSON object"))
                continue
            }
            do {
                parsed.items.append(try parseAnnotation(object, name: name))
            } catch {
                parsed.refused.append(Refused(originalID: name, reason: error.message))
            }
        }
        return parsed
    }

    static func types(_ value: Any?) -> [String] {
        if let s = value as? String { return [s] }
        return (value as? [Any])?.compactMap { $0 as? String } ?? []
    }

    static func list(_ value: Any?) -> [Any] {
        (value as? [Any]) ?? (value.map { [$0] } ?? [])
    }

    /// `created`/`modified` as `xsd:dateTime` in UTC with a `Z`; nil when it is not a date
    /// and time (`"yesterday"`), so the annotation is refused rather than given a wrong time.
    public static func normalizedTime(_ text: String) -> String? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        guard let date = withFraction.date(from: text) ?? plain.date(from: text) else { return nil }
        return iso(Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }

    static func parseAnnotation(_ object: [String: Any], name: String) throws(DaftarError) -> Imported {
        func fail(_ message: String) -> DaftarError { DaftarError(.badInput, message) }
        let originalID = (object["id"] as? String) ?? (object["@id"] as? String)
        guard types(object["type"]).contains("Annotation") else { throw fail("its \"type\" is not Annotation") }

        // Motivation: the first listed, which must be a W3C motivation.
        var motivation = types(object["motivation"]).first.map { $0.replacingOccurrences(of: "oa:", with: "") }
        if let m = motivation, !Motivation.all.contains(m) {
            throw fail("unknown motivation \"\(m)\"; W3C motivations are \(Motivation.all.joined(separator: ", "))")
        }

        // Bodies: TextualBody values are the note; those with purpose tagging are tags. Others
        // (IRIs, SpecificResource, Choice) are kept with the original.
        var notes: [String] = []
        var tags: [String] = []
        if let value = object["bodyValue"] as? String { notes.append(value) }
        for body in list(object["body"]) {
            guard let b = body as? [String: Any], let value = b["value"] as? String else { continue }
            if types(b["purpose"]).contains("tagging") { tags.append(value) } else { notes.append(value) }
            if motivation == nil, types(b["purpose"]).first.map({ Motivation.all.contains($0) }) == true { motivation = types(b["purpose"]).first }
        }

        // Target: the first is placed; every target is kept with the original.
        guard let target = list(object["target"]).first else { throw fail("it has no \"target\"") }
        var source: String? = target as? String
        var exact: String?, prefix: String?, suffix: String?, start: Int?, end: Int?
        var hasSelector = false
        if let t = target as? [String: Any] {
            source = (t["source"] as? String) ?? (t["id"] as? String)
            let selectors = list(t["selector"])
            hasSelector = !selectors.isEmpty
            // A selector and what refines it (a quote inside a RangeSelector's refinedBy…).
            var pending = selectors
            while let selector = pending.popLast() {
                guard let s = selector as? [String: Any] else { continue }
                pending += list(s["refinedBy"])
                let type = types(s["type"])
                if type.contains("TextQuoteSelector"), exact == nil {
                    exact = s["exact"] as? String
                    prefix = s["prefix"] as? String
                    suffix = s["suffix"] as? String
                } else if type.contains("TextPositionSelector"), start == nil {
                    guard let from = position(s["start"]), let to = position(s["end"]) else {
                        throw fail("its TextPositionSelector start \(s["start"] ?? "(none)") and end \(s["end"] ?? "(none)") must be whole numbers from 0 (characters of the text)")
                    }
                    (start, end) = (from, to)
                }
            }
        }
        // Creators: the first named for display; all kept with the original.
        var creator: String? = nil
        if let c = list(object["creator"]).first {
            if let c = c as? String { creator = c }
            if let c = c as? [String: Any] { creator = (c["name"] as? String) ?? (c["nickname"] as? String) ?? (c["id"] as? String) }
        }
        // Times must be times: `created` is kept normalised, `modified` with the original.
        var created: String?
        for (key, value) in [("created", object["created"]), ("modified", object["modified"])] {
            guard let value else { continue }
            guard let text = value as? String, let time = normalizedTime(text) else {
                throw fail("its \(key) time \(value) is not a date and time (xsd:dateTime, e.g. 2026-11-30T12:00:00Z)")
            }
            if key == "created" { created = time }
        }

        let id = Imported.daftarID(originalID ?? "\(source ?? "")|\(exact ?? "")|\(notes.joined())")
        var imported = Imported(
            originalID: originalID ?? name, id: id, source: source, exact: exact, prefix: prefix, suffix: suffix,
            start: start, end: end, note: notes.joined(separator: "\n"), tags: tags,
            motivation: motivation ?? (notes.isEmpty ? (tags.isEmpty ? "highlighting" : "tagging") : "commenting"),
            creator: creator, created: created,
            wholeSource: !hasSelector)
        imported.original = JSONValue(foundation: object)
        return imported
    }

    /// A `TextPositionSelector` offset: a whole number from 0 to 2^31 (no article is longer);
    /// nil for anything else, which refuses the annotation rather than being read as another
    /// number (`2^64` must not wrap to 0).
    static func position(_ value: Any?) -> Int? {
        guard let number = value as? NSNumber, let exact = Int(exactly: number.doubleValue), exact >= 0, exact <= Int(Int32.max) else {
            return nil
        }
        return exact
    }

    /// A UUID-shaped id derived from another tool's annotation id (SHA-256, version 8 bits).
    static func derivedID(_ original: String) -> String {
        var bytes = Array(SHA256.hash(data: Array("daftar-import:\(original)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = ByteEncoding.hex(bytes)
        let h = Array(hex)
        return [String(h[0..<8]), String(h[8..<12]), String(h[12..<16]), String(h[16..<20]), String(h[20..<32])].joined(separator: "-")
    }
}

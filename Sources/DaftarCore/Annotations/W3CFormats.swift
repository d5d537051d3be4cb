import Foundation

/// Annotation files in other shapes than compacted W3C JSON-LD, read as W3C annotations:
/// Hypothesis's API JSON, and the expanded JSON-LD a JSON-LD processor writes.
extension W3CAnnotations {
    /// True for one annotation of Hypothesis's API (`uri`, `target`, `text`, `tags`; no `type`).
    static func isHypothesis(_ object: [String: Any]) -> Bool {
        object["type"] == nil && object["@context"] == nil && object["uri"] is String && object["target"] is [Any]
    }

    /// A Hypothesis annotation as the W3C one it is: `text` (Markdown) the note, `tags` tagging
    /// bodies, `target[].selector` the selectors (the same types), `user` and its display name
    /// the creator, `updated` the modified time, `document.title` and the links kept.
    static func fromHypothesis(_ row: [String: Any]) -> [String: Any] {
        let id = row["id"] as? String ?? ""
        let links = row["links"] as? [String: Any]
        var object: [String: Any] = [
            "type": "Annotation",
            "id": (links?["html"] as? String) ?? "https://hypothes.is/a/\(id)",
            "generator": ["type": "Software", "name": "Hypothesis", "homepage": "https://web.hypothes.is/"],
        ]
        var bodies: [Any] = []
        let text = row["text"] as? String ?? ""
        if !text.isEmpty { bodies.append(["type": "TextualBody", "value": text, "format": "text/markdown"]) }
        let tags = (row["tags"] as? [Any])?.compactMap { $0 as? String } ?? []
        for tag in tags { bodies.append(["type": "TextualBody", "value": tag, "purpose": "tagging"]) }
        if !bodies.isEmpty { object["body"] = bodies }
        object["motivation"] = !text.isEmpty ? "commenting" : (tags.isEmpty ? "highlighting" : "tagging")
        object["target"] = list(row["target"]).map { target -> Any in
            guard var t = target as? [String: Any] else { return target }
            if t["source"] == nil { t["source"] = row["uri"] }
            return t
        }
        if let user = row["user"] as? String {
            var creator: [String: Any] = ["type": "Person", "id": user, "nickname": user.replacingOccurrences(of: "acct:", with: "").split(separator: "@").first.map(String.init) ?? user]
            if let name = (row["user_info"] as? [String: Any])?["display_name"] as? String { creator["name"] = name }
            object["creator"] = creator
        }
        if let created = row["created"] { object["created"] = created }
        if let updated = row["updated"] { object["modified"] = updated }
        if let incontext = links?["incontext"] { object["via"] = incontext }
        if let title = list((row["document"] as? [String: Any])?["title"]).first { object["dc:title"] = title }
        return object
    }

    /// True for an annotation in expanded JSON-LD (full IRIs, `@type`).
    static func isExpanded(_ object: [String: Any]) -> Bool {
        types(object["@type"]).contains(oa + "Annotation")
    }

    static let oa = "http://www.w3.org/ns/oa#"

    /// Expanded JSON-LD terms and the compacted names of the W3C context.
    static let terms: [String: String] = [
        oa + "hasBody": "body", oa + "hasTarget": "target", oa + "hasSelector": "selector", oa + "hasSource": "source",
        oa + "exact": "exact", oa + "prefix": "prefix", oa + "suffix": "suffix", oa + "start": "start", oa + "end": "end",
        oa + "motivatedBy": "motivation", oa + "hasPurpose": "purpose", oa + "refinedBy": "refinedBy",
        oa + "bodyValue": "bodyValue", oa + "textDirection": "textDirection", oa + "via": "via", oa + "canonical": "canonical",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#value": "value",
        "http://purl.org/dc/terms/created": "created", "http://purl.org/dc/terms/modified": "modified",
        "http://purl.org/dc/terms/creator": "creator", "http://purl.org/dc/terms/rights": "rights",
        "http://purl.org/dc/elements/1.1/format": "format", "http://purl.org/dc/elements/1.1/language": "language",
        "http://schema.org/audience": "audience", "http://www.w3.org/ns/activitystreams#generator": "generator",
        "http://xmlns.com/foaf/0.1/name": "name", "http://xmlns.com/foaf/0.1/nick": "nickname",
        "http://xmlns.com/foaf/0.1/homepage": "homepage",
    ]

    /// The short name of a W3C vocabulary IRI (`oa:Annotation` → `Annotation`); others as they are.
    static func shortIRI(_ iri: String) -> String {
        for vocabulary in [oa, "http://purl.org/dc/dcmitype/", "http://xmlns.com/foaf/0.1/", "http://www.w3.org/ns/activitystreams#"] where iri.hasPrefix(vocabulary) {
            return String(iri.dropFirst(vocabulary.count))
        }
        return iri
    }

    /// Expanded JSON-LD compacted with the W3C annotation context's names: `@value`s and
    /// single-element arrays unwrapped, `@id`-only nodes as their IRI, vocabulary IRIs short.
    static func compacted(_ value: Any) -> Any {
        if let array = value as? [Any] {
            let items = array.map(compacted)
            return items.count == 1 ? items[0] : items
        }
        guard let node = value as? [String: Any] else { return value }
        if let literal = node["@value"] { return literal }
        if node.count == 1, let id = node["@id"] as? String { return shortIRI(id) }
        var out: [String: Any] = [:]
        for (key, member) in node {
            switch key {
            case "@id": out["id"] = member
            case "@type":
                let names = types(member).map(shortIRI)
                out["type"] = names.count == 1 ? names[0] : names
            default: out[terms[key] ?? key] = compacted(member)
            }
        }
        return out
    }
}

extension JSONValue {
    /// A value JSONSerialization read, in Daftar's JSON model. Integers stay numbers; a number
    /// with a fraction, which the model has no exact form for, is kept as its decimal text.
    public init(foundation value: Any) {
        switch value {
        case let number as NSNumber:
            if String(cString: number.objCType) == "c" {
                self = .bool(number.boolValue)
            } else if let exact = Int64(exactly: number.doubleValue), abs(exact) <= JSONValue.maxSafeInteger {
                self = .int(exact)
            } else {
                self = .string(number.stringValue)
            }
        case let string as String: self = .string(string)
        case let array as [Any]: self = .array(array.map(JSONValue.init(foundation:)))
        case let object as [String: Any]: self = .object(object.mapValues(JSONValue.init(foundation:)))
        default: self = .null
        }
    }
}

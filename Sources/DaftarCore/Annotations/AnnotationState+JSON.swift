/// The merge state as JSON, written and read by hand: the projection stores it for every
/// annotation event, and Foundation's `JSONEncoder` was a quarter of a replica's CPU while it
/// received a page (measured by `perf` in the hub bench). The shape is the one the `Codable`
/// conformance gives — members named as the properties, absent optionals left out — so states
/// stored by either are read by both (tested both ways).
extension AnnotationState {
    public var json: JSONValue {
        var members: [String: JSONValue] = [
            "notes": .array(notes.map(\.json)), "motivations": .array(motivations.map(\.json)),
            "tagAdds": .object(tagAdds.mapValues { .array($0.map(\.json)) }),
            "tagRemoves": .object(tagRemoves.mapValues { .array($0.map(\.json)) }),
            "deletes": .array(deletes.map(\.json)), "restores": .array(restores.map(\.json)),
            "clashes": .array(clashes.map(\.json)),
        ]
        if let creation { members["creation"] = creation.json }
        if let modified { members["modified"] = .int(modified) }
        return .object(members)
    }

    public init(json: JSONValue) throws(DaftarError) {
        let reader = try Members(json, "annotation state")
        creation = try reader.optional("creation").map { v throws(DaftarError) in try Creation(json: v) }
        notes = try reader.array("notes") { v throws(DaftarError) in try Write(json: v) }
        motivations = try reader.array("motivations") { v throws(DaftarError) in try Write(json: v) }
        tagAdds = try reader.map("tagAdds") { v throws(DaftarError) in
            try Members.array(v, "tagAdds") { w throws(DaftarError) in try Write(json: w) }
        }
        tagRemoves = try reader.map("tagRemoves") { v throws(DaftarError) in
            try Members.array(v, "tagRemoves") { s throws(DaftarError) in try Stamp(json: s) }
        }
        deletes = try reader.array("deletes") { v throws(DaftarError) in try Stamp(json: v) }
        restores = try reader.array("restores") { v throws(DaftarError) in try Stamp(json: v) }
        clashes = try reader.array("clashes") { v throws(DaftarError) in try Write(json: v) }
        modified = try reader.optional("modified").map { v throws(DaftarError) in try Members.int(v, "modified") }
    }
}

extension AnnotationState.Stamp {
    var json: JSONValue {
        [
            "origin": .string(origin), "seq": .int(seq), "time": .int(time), "author": .string(author), "hash": .string(hash),
            "clock": .object(clock.mapValues { .int($0) }),
        ]
    }

    init(json: JSONValue) throws(DaftarError) {
        let reader = try Members(json, "stamp")
        (origin, seq, time) = (try reader.string("origin"), try reader.int("seq"), try reader.int("time"))
        (author, hash) = (try reader.string("author"), try reader.string("hash"))
        clock = try reader.map("clock") { v throws(DaftarError) in try Members.int(v, "clock") }
    }
}

extension AnnotationState.Write {
    var json: JSONValue { ["value": .string(value), "stamp": stamp.json] }

    init(json: JSONValue) throws(DaftarError) {
        let reader = try Members(json, "write")
        (value, stamp) = (try reader.string("value"), try AnnotationState.Stamp(json: try reader.required("stamp")))
    }
}

extension AnnotationState.Creation {
    var json: JSONValue {
        var members: [String: JSONValue] = ["stamp": stamp.json]
        for (key, value) in [("id", id), ("article", article), ("creator", creator), ("createdText", createdText), ("imported", imported)] {
            if let value { members[key] = .string(value) }
        }
        if let anchor {
            members["anchor"] = [
                "exact": .string(anchor.exact), "prefix": .string(anchor.prefix), "suffix": .string(anchor.suffix),
                "start": .int(Int64(anchor.start)), "end": .int(Int64(anchor.end)),
            ]
        }
        return .object(members)
    }

    init(json: JSONValue) throws(DaftarError) {
        let reader = try Members(json, "creation")
        stamp = try AnnotationState.Stamp(json: try reader.required("stamp"))
        func text(_ key: String) throws(DaftarError) -> String? { try reader.optional(key).map { v throws(DaftarError) in try Members.string(v, key) } }
        (id, article, creator) = (try text("id"), try text("article"), try text("creator"))
        (createdText, imported) = (try text("createdText"), try text("imported"))
        anchor = try reader.optional("anchor").map { v throws(DaftarError) in
            let a = try Members(v, "anchor")
            return TextAnchor(
                exact: try a.string("exact"), prefix: try a.string("prefix"), suffix: try a.string("suffix"),
                start: Int(try a.int("start")), end: Int(try a.int("end")))
        }
    }
}

/// An object's members, read with a message naming what is missing or of the wrong type.
private struct Members {
    let members: [String: JSONValue]
    let what: String

    init(_ value: JSONValue, _ what: String) throws(DaftarError) {
        guard let members = value.objectValue else { throw DaftarError(.corrupt, "stored \(what) is not an object") }
        (self.members, self.what) = (members, what)
    }

    /// Absent or null: nil.
    func optional(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func required(_ key: String) throws(DaftarError) -> JSONValue {
        guard let value = optional(key) else { throw DaftarError(.corrupt, "stored \(what) has no \(key)") }
        return value
    }

    func string(_ key: String) throws(DaftarError) -> String { try Self.string(try required(key), key) }
    func int(_ key: String) throws(DaftarError) -> Int64 { try Self.int(try required(key), key) }

    func array<T>(_ key: String, _ element: (JSONValue) throws(DaftarError) -> T) throws(DaftarError) -> [T] {
        guard let value = optional(key) else { return [] }
        return try Self.array(value, key, element)
    }

    static func array<T>(_ value: JSONValue, _ key: String, _ element: (JSONValue) throws(DaftarError) -> T) throws(DaftarError) -> [T] {
        guard let items = value.arrayValue else { throw DaftarError(.corrupt, "stored \(key) is not an array") }
        var out: [T] = []
        out.reserveCapacity(items.count)
        for item in items { out.append(try element(item)) }
        return out
    }

    func map<T>(_ key: String, _ element: (JSONValue) throws(DaftarError) -> T) throws(DaftarError) -> [String: T] {
        guard let value = optional(key) else { return [:] }
        guard let object = value.objectValue else { throw DaftarError(.corrupt, "stored \(what): \(key) is not an object") }
        var out: [String: T] = [:]
        for (k, v) in object { out[k] = try element(v) }
        return out
    }

    static func string(_ value: JSONValue, _ key: String) throws(DaftarError) -> String {
        guard let text = value.stringValue else { throw DaftarError(.corrupt, "stored \(key) is not a string") }
        return text
    }

    static func int(_ value: JSONValue, _ key: String) throws(DaftarError) -> Int64 {
        guard let number = value.intValue else { throw DaftarError(.corrupt, "stored \(key) is not an integer") }
        return number
    }
}

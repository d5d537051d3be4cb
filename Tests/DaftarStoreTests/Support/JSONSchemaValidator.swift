import DaftarCore
import Foundation

/// A small JSON Schema (draft 2020-12) validator over ``JSONValue``, for the schemas in
/// `schema/`.
///
/// It implements only the keywords those schemas use, and refuses a schema with any other
/// keyword (or a malformed one) when it is loaded: a keyword this validator ignored would
/// check nothing while the tests passed. Annotations (`title`, `description`, …) are allowed.
///
/// ```swift
/// let validator = try JSONSchemaValidator(contentsOf: root + "/schema/envelope.schema.json")
/// let errors = try validator.validate(try JSONValue.parse(bytes))  // [] when valid
/// ```
struct JSONSchemaValidator {
    /// Why a schema was refused.
    struct SchemaError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Keywords that say something about the schema, not about instances.
    static let annotationKeywords: Set<String> = ["$schema", "$id", "title", "description", "$comment", "examples", "$defs"]

    /// Keywords this validator checks.
    static let assertionKeywords: Set<String> = [
        "type", "enum", "const", "required", "properties", "additionalProperties", "propertyNames",
        "minProperties", "dependentRequired", "pattern", "minLength", "maxLength", "minimum", "maximum",
        "minItems", "maxItems", "if", "then", "else", "allOf", "anyOf", "items", "$ref",
    ]

    static let typeNames: Set<String> = ["null", "boolean", "object", "array", "number", "integer", "string"]

    let root: JSONValue
    /// Every `pattern` of the schema, compiled once.
    private var patterns: [String: NSRegularExpression] = [:]

    init(schema: JSONValue) throws {
        root = schema
        try check(schema, at: "#")
    }

    init(contentsOf path: String) throws {
        guard let bytes = FileManager.default.contents(atPath: path) else { throw SchemaError("cannot read schema \(path)") }
        try self.init(schema: try JSONValue.parse(bytes))
    }

    /// The ways `instance` breaks the schema, each as `POINTER: message`; empty when it is valid.
    func validate(_ instance: JSONValue) throws -> [String] {
        var errors: [String] = []
        try validate(instance, against: root, at: "", errors: &errors)
        return errors
    }

    // MARK: - Loading

    /// Refuses unknown keywords, keyword values of the wrong shape, unresolvable `$ref`s and
    /// patterns that do not compile — in the schema and all its subschemas.
    private mutating func check(_ schema: JSONValue, at location: String) throws {
        if case .bool = schema { return }
        guard let members = schema.objectValue else { throw SchemaError("\(location): a schema must be an object or a boolean") }
        for (keyword, value) in members {
            let here = location + "/" + Self.escape(keyword)
            func fail(_ message: String) -> SchemaError { SchemaError("\(here): \(message)") }
            func subschemas(_ value: JSONValue) throws -> [String: JSONValue] {
                guard let object = value.objectValue else { throw fail("must be an object of schemas") }
                return object
            }
            func nonNegative(_ value: JSONValue) throws {
                guard let n = value.intValue, n >= 0 else { throw fail("must be a non-negative integer") }
            }
            switch keyword {
            case "$schema", "$id", "title", "description", "$comment":
                guard value.stringValue != nil else { throw fail("must be a string") }
            case "examples":
                guard value.arrayValue != nil else { throw fail("must be an array") }
            case "$defs", "properties":
                for (name, sub) in try subschemas(value) { try check(sub, at: here + "/" + Self.escape(name)) }
            case "additionalProperties", "propertyNames", "items", "if", "then", "else":
                try check(value, at: here)
            case "allOf", "anyOf":
                guard let items = value.arrayValue, !items.isEmpty else { throw fail("must be a non-empty array of schemas") }
                for (i, sub) in items.enumerated() { try check(sub, at: "\(here)/\(i)") }
            case "type":
                let names = value.arrayValue ?? [value]
                guard !names.isEmpty, names.allSatisfy({ $0.stringValue.map(Self.typeNames.contains) ?? false }) else {
                    throw fail("must be a type name or an array of them")
                }
            case "enum":
                guard let items = value.arrayValue, !items.isEmpty else { throw fail("must be a non-empty array") }
            case "const":
                break
            case "required":
                guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else { throw fail("must be an array of strings") }
            case "dependentRequired":
                for (_, names) in try subschemas(value) {
                    guard let items = names.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
                        throw fail("must map names to arrays of strings")
                    }
                }
            case "minLength", "maxLength", "minProperties", "minItems", "maxItems":
                try nonNegative(value)
            case "minimum", "maximum":
                guard value.intValue != nil else { throw fail("must be an integer") }
            case "pattern":
                guard let pattern = value.stringValue else { throw fail("must be a string") }
                do {
                    patterns[pattern] = try NSRegularExpression(pattern: Self.icuPattern(fromECMAScript: pattern))
                } catch {
                    throw fail("\(pattern) is not a regular expression this validator can run: \(error)")
                }
            case "$ref":
                guard let ref = value.stringValue else { throw fail("must be a string") }
                _ = try resolve(ref, from: here)
            default:
                throw fail("unsupported keyword \"\(keyword)\" (this validator would not check it)")
            }
        }
    }

    /// The schema a `#/…` JSON pointer names in the root schema.
    private func resolve(_ ref: String, from location: String) throws -> JSONValue {
        if ref == "#" { return root }
        guard ref.hasPrefix("#/") else { throw SchemaError("\(location): only local $refs (#/…) are supported, not \(ref)") }
        var node = root
        for token in ref.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) {
            let name = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard let next = node[name] else { throw SchemaError("\(location): $ref \(ref) does not resolve") }
            node = next
        }
        return node
    }

    /// JSON Schema patterns are ECMA-262, unanchored. ICU's `$` also matches before a final
    /// line terminator, ECMAScript's does not: outside brackets, `$` becomes `\z`.
    static func icuPattern(fromECMAScript pattern: String) -> String {
        var out = ""
        var escaped = false
        var inClass = false
        for c in pattern {
            if escaped {
                out.append(c)
                escaped = false
                continue
            }
            switch c {
            case "\\": escaped = true; out.append(c)
            case "[": inClass = true; out.append(c)
            case "]": inClass = false; out.append(c)
            case "$" where !inClass: out += "\\z"
            default: out.append(c)
            }
        }
        return out
    }

    /// A JSON pointer reference token.
    static func escape(_ name: String) -> String {
        name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    // MARK: - Validating

    private func validate(_ instance: JSONValue, against schema: JSONValue, at path: String, errors: inout [String]) throws {
        if case .bool(let allowed) = schema {
            if !allowed { errors.append("\(Self.display(path)): not allowed here") }
            return
        }
        guard let keywords = schema.objectValue else { return }
        func report(_ message: String) { errors.append("\(Self.display(path)): \(message)") }

        if let ref = keywords["$ref"]?.stringValue {
            try validate(instance, against: try resolve(ref, from: path), at: path, errors: &errors)
        }
        if let type = keywords["type"] {
            let names = (type.arrayValue ?? [type]).compactMap(\.stringValue)
            if !names.contains(where: { Self.matches(instance, type: $0) }) {
                report("is \(Self.typeName(of: instance)), not \(names.joined(separator: " or "))")
            }
        }
        if let options = keywords["enum"]?.arrayValue, !options.contains(instance) {
            report("\(Self.short(instance)) is not one of \(options.map(Self.short).joined(separator: ", "))")
        }
        if let constant = keywords["const"], constant != instance {
            report("\(Self.short(instance)) is not \(Self.short(constant))")
        }

        switch instance {
        case .object(let members):
            for name in keywords["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
                report("\"\(name)\" is required")
            }
            if let minimum = keywords["minProperties"]?.intValue, members.count < minimum {
                report("has \(members.count) members, fewer than \(minimum)")
            }
            for (name, needs) in keywords["dependentRequired"]?.objectValue ?? [:] where members[name] != nil {
                for needed in needs.arrayValue?.compactMap(\.stringValue) ?? [] where members[needed] == nil {
                    report("\"\(needed)\" is required when \"\(name)\" is present")
                }
            }
            let properties = keywords["properties"]?.objectValue ?? [:]
            for (name, value) in members.sorted(by: { $0.key < $1.key }) {
                let memberPath = path + "/" + Self.escape(name)
                if let propertyNames = keywords["propertyNames"] {
                    var nameErrors: [String] = []
                    try validate(.string(name), against: propertyNames, at: memberPath, errors: &nameErrors)
                    errors += nameErrors.map { "(member name) \($0)" }
                }
                if let sub = properties[name] {
                    try validate(value, against: sub, at: memberPath, errors: &errors)
                } else if let additional = keywords["additionalProperties"] {
                    try validate(value, against: additional, at: memberPath, errors: &errors)
                }
            }
        case .array(let items):
            if let sub = keywords["items"] {
                for (i, item) in items.enumerated() { try validate(item, against: sub, at: "\(path)/\(i)", errors: &errors) }
            }
            if let minimum = keywords["minItems"]?.intValue, items.count < minimum { report("has \(items.count) items, fewer than \(minimum)") }
            if let maximum = keywords["maxItems"]?.intValue, items.count > maximum { report("has \(items.count) items, more than \(maximum)") }
        case .string(let s):
            let length = s.unicodeScalars.count
            if let minimum = keywords["minLength"]?.intValue, length < minimum {
                report("is \(length) characters long, shorter than \(minimum)")
            }
            if let maximum = keywords["maxLength"]?.intValue, length > maximum {
                report("is \(length) characters long, longer than \(maximum)")
            }
            if let pattern = keywords["pattern"]?.stringValue, let regex = patterns[pattern] {
                if regex.firstMatch(in: s, range: NSRange(location: 0, length: s.utf16.count)) == nil {
                    report("\(Self.short(instance)) does not match \(pattern)")
                }
            }
        case .int(let n):
            if let minimum = keywords["minimum"]?.intValue, n < minimum { report("\(n) is less than the minimum \(minimum)") }
            if let maximum = keywords["maximum"]?.intValue, n > maximum { report("\(n) is more than the maximum \(maximum)") }
        case .null, .bool:
            break
        }

        if let condition = keywords["if"] {
            var conditionErrors: [String] = []
            try validate(instance, against: condition, at: path, errors: &conditionErrors)
            if conditionErrors.isEmpty {
                if let then = keywords["then"] { try validate(instance, against: then, at: path, errors: &errors) }
            } else if let otherwise = keywords["else"] {
                try validate(instance, against: otherwise, at: path, errors: &errors)
            }
        }
        for sub in keywords["allOf"]?.arrayValue ?? [] {
            try validate(instance, against: sub, at: path, errors: &errors)
        }
        if let options = keywords["anyOf"]?.arrayValue {
            var failures: [[String]] = []
            for sub in options {
                var subErrors: [String] = []
                try validate(instance, against: sub, at: path, errors: &subErrors)
                if subErrors.isEmpty { failures = []; break }
                failures.append(subErrors)
            }
            if !failures.isEmpty {
                report("matches none of the \(options.count) anyOf schemas (\(failures.map { $0.joined(separator: "; ") }.joined(separator: " | ")))")
            }
        }
    }

    private static func matches(_ instance: JSONValue, type: String) -> Bool {
        switch (type, instance) {
        case ("null", .null), ("boolean", .bool), ("object", .object), ("array", .array), ("string", .string): true
        // JSONValue holds integers only, and every integer is a number.
        case ("integer", .int), ("number", .int): true
        default: false
        }
    }

    private static func typeName(of instance: JSONValue) -> String {
        switch instance {
        case .null: "null"
        case .bool: "a boolean"
        case .int: "an integer"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    private static func display(_ path: String) -> String { path.isEmpty ? "/" : path }

    /// A value for a message, cut short.
    private static func short(_ value: JSONValue) -> String {
        let text = value.canonicalString
        return text.unicodeScalars.count <= 80 ? text : String(String.UnicodeScalarView(text.unicodeScalars.prefix(77))) + "…"
    }
}

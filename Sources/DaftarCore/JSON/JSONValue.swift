/// A JSON value as Daftar's events carry it: integers only, no floating point.
///
/// RFC 8785 (JCS) defines one byte sequence per value; ``canonicalBytes`` produces it and
/// ``JSONValue/parse(_:)`` reads any JSON text into this model, refusing what JCS-with-integers
/// cannot represent exactly (fractions, exponents, |n| > 2^53−1, duplicate keys, lone surrogates).
///
/// ```swift
/// let value: JSONValue = ["b": 1, "a": "ی"]
/// String(decoding: value.canonicalBytes, as: UTF8.self)  // {"a":"ی","b":1}
/// ```
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The largest magnitude JCS represents exactly: 2^53 − 1.
    public static let maxSafeInteger: Int64 = 9_007_199_254_740_991

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var intValue: Int64? {
        if case .int(let n) = self { return n }
        return nil
    }

    public var objectValue: [String: JSONValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}

/// Why a JSON text or value was refused.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case syntax
        case nonInteger
        case integerOutOfRange
        case duplicateKey
        case invalidString
        case tooDeep
    }

    public let code: Code
    public let message: String
    /// Byte offset in the input where the problem was found, when parsing.
    public let offset: Int?

    public init(_ code: Code, _ message: String, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    public var description: String {
        if let offset { return "\(message) (at byte \(offset))" }
        return message
    }
}

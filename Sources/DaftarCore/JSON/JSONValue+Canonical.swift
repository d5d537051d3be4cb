extension JSONValue {
    /// The RFC 8785 (JCS) serialization: members sorted by their UTF-16 code units, no
    /// insignificant whitespace, ECMAScript string escaping, integers in plain decimal.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        writeCanonical(into: &out)
        return out
    }

    /// ``canonicalBytes`` as a `String`.
    public var canonicalString: String {
        String(decoding: canonicalBytes, as: UTF8.self)
    }

    /// Appends the canonical serialization of `self` to `out`.
    public func writeCanonical(into out: inout [UInt8]) {
        switch self {
        case .null:
            out.append(contentsOf: "null".utf8)
        case .bool(let b):
            out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let n):
            out.append(contentsOf: String(n).utf8)
        case .string(let s):
            Self.writeCanonical(string: s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.writeCanonical(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, key) in Self.canonicalOrder(members.keys).enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeCanonical(string: key, into: &out)
                out.append(UInt8(ascii: ":"))
                members[key]!.writeCanonical(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// JCS orders object members by the UTF-16 code units of their names.
    static func canonicalOrder(_ keys: Dictionary<String, JSONValue>.Keys) -> [String] {
        keys.sorted(by: precedesInUTF16)
    }

    /// Whether `a` sorts before `b` by UTF-16 code units, read from their UTF-8 (a native
    /// string's own storage, not transcoded — this runs for every member of every event
    /// hashed or sent). Both orders are code point order, except that UTF-16 writes code
    /// points from U+10000 (UTF-8 lead byte F0–F4) as surrogates D800–DFFF, before
    /// U+E000–U+FFFF (lead byte EE or EF). Where the strings first differ, their characters
    /// start at the same byte, so the bytes there tell which case it is.
    public static func precedesInUTF16(_ a: String, _ b: String) -> Bool {
        let fast = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in precedesInUTF16(x, y) }
        }
        return (fast ?? nil) ?? a.utf16.lexicographicallyPrecedes(b.utf16)
    }

    static func precedesInUTF16(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
        let common = min(x.count, y.count)
        var i = 0
        while i < common, x[i] == y[i] { i += 1 }
        guard i < common else { return x.count < y.count }
        let (p, q) = (x[i], y[i])
        if p >= 0xF0, q == 0xEE || q == 0xEF { return true }
        if q >= 0xF0, p == 0xEE || p == 0xEF { return false }
        return p < q
    }

    /// JSON.stringify's escaping, as RFC 8785 §3.2.2.2 requires: `"` and `\` escaped, the
    /// five short control escapes, other C0 controls as lowercase `\u00xx`, all else verbatim.
    static func writeCanonical(string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { bytes in
            // Copy runs of bytes that need no escape in one go.
            var runStart = 0
            for (i, byte) in bytes.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                runStart = i + 1
                switch byte {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
                case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
                case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}

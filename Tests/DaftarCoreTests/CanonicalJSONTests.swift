import DaftarCore
import Testing

@Suite("RFC 8785 canonical JSON")
struct CanonicalJSONTests {
    /// RFC 8785 §3.2.2.2, with the numbers removed (Daftar refuses non-integers; see below).
    @Test func rfcStringEscapingAndLiterals() throws {
        let input = #"""
            {
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """#
        let value = try JSONValue.parse(input)
        #expect(value.canonicalString == #"{"literals":[null,true,false],"string":"€$\u000f\nA'B\"\\\\\"/"}"#)
    }

    /// RFC 8785 §3.2.3: members sorted by UTF-16 code units (the emoji's surrogates sort
    /// before U+FB33 although its scalar value is larger).
    @Test func rfcKeyOrder() throws {
        let input = #"""
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """#
        let canonical = try JSONValue.parse(input).canonicalString
        let expectedOrder = ["\r", "1", "\u{80}", "ö", "€", "😀", "\u{FB33}"]
        var position = canonical.startIndex
        for key in expectedOrder {
            let quoted = key == "\r" ? #""\r""# : "\"\(key)\""
            let found = try #require(canonical.range(of: quoted, range: position..<canonical.endIndex), "missing \(quoted)")
            position = found.upperBound
        }
        #expect(canonical.hasPrefix(#"{"\r":"Carriage Return","1":"One","#))
    }

    /// The UTF-8 comparison agrees with comparing UTF-16 code units, on seeded random strings
    /// drawn from the ranges where the two encodings differ (ASCII, two- and three-byte
    /// characters, U+E000–U+FFFF, astral), pairs often sharing a prefix.
    @Test(arguments: [1, 2, 3] as [UInt64]) func keyOrderFromUTF8IsUTF16Order(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let ranges: [ClosedRange<UInt32>] = [0x20...0x7E, 0x80...0x7FF, 0x600...0x6FF, 0x800...0xD7FF, 0xE000...0xFFFF, 0x10000...0x10FFFF]
        func scalars(upTo count: Int) -> String {
            String((0..<Int.random(in: 0...count, using: &rng)).map { _ in
                Character(Unicode.Scalar(UInt32.random(in: ranges.randomElement(using: &rng)!, using: &rng))!)
            })
        }
        for _ in 0..<5_000 {
            let prefix = scalars(upTo: 2)
            let (a, b) = (prefix + scalars(upTo: 3), prefix + scalars(upTo: 3))
            #expect(JSONValue.precedesInUTF16(a, b) == a.utf16.lexicographicallyPrecedes(b.utf16), "\(a.unicodeScalars.map(\.value)) vs \(b.unicodeScalars.map(\.value))")
        }
    }

    @Test func controlCharactersAreEscapedLowercaseAndOthersVerbatim() {
        let value: JSONValue = .string("\u{0}\u{1F}\u{7F}\u{2028}\t\u{8}\u{C}ی")
        #expect(value.canonicalString == "\"\\u0000\\u001f\u{7F}\u{2028}\\t\\b\\fی\"")
    }

    @Test(arguments: [
        "1.5", "1e3", "1E3", "-0.0", "2e-3", "333333333.33333329", "1.0",
    ])
    func nonIntegersAreRefused(_ text: String) {
        #expect(throws: JSONError.self) { try JSONValue.parse(text) }
        do { _ = try JSONValue.parse(text) } catch { #expect(error.code == .nonInteger) }
    }

    @Test func integersBeyondTwoToThe53AreRefused() throws {
        #expect(try JSONValue.parse("9007199254740991") == .int(9_007_199_254_740_991))
        #expect(try JSONValue.parse("-9007199254740991") == .int(-9_007_199_254_740_991))
        for text in ["9007199254740992", "-9007199254740992", "123456789012345678901234567890"] {
            do {
                _ = try JSONValue.parse(text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.code == .integerOutOfRange)
            }
        }
    }

    @Test(arguments: [
        #"{"a":1,"a":2}"#, #"[1,]"#, #"{"a":1,}"#, #"01"#, #"[1 2]"#, #""\ud800""#, #""\udc00x""#,
        "\"a\u{01}\"", #"{"a"}"#, #"tru"#, #"[1] x"#, "", #""unterminated"#, #""\x""#,
    ])
    func malformedJSONIsRefused(_ text: String) {
        #expect(throws: JSONError.self) { try JSONValue.parse(text) }
    }

    @Test func invalidUTF8IsRefused() {
        #expect(throws: JSONError.self) { try JSONValue.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func deepNestingIsRefused() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONError.self) { try JSONValue.parse(deep) }
    }

    @Test func roundTripIsStable() throws {
        let value: JSONValue = ["b": [1, -2, "x"], "a": ["z": nil, "y": true], "ی": "ك\n\"/"]
        let once = value.canonicalBytes
        let twice = try JSONValue.parse(once).canonicalBytes
        #expect(once == twice)
        #expect(try JSONValue.parse(once) == value)
        #expect(String(decoding: once, as: UTF8.self) == #"{"a":{"y":true,"z":null},"b":[1,-2,"x"],"ی":"ك\n\"/"}"#)
    }

    @Test func minusZeroIsZero() throws {
        #expect(try JSONValue.parse("-0").canonicalString == "0")
    }
}

import DaftarCore
import Testing

@Suite("Snippets from highlights")
struct SnippetTests {
    let o = String(MarkedSnippet.open), c = String(MarkedSnippet.close)

    func marked(_ words: [String], matches: Set<Int>) -> MarkedSnippet {
        MarkedSnippet(marked: words.enumerated().map { matches.contains($0.offset) ? o + $0.element + c : $0.element }.joined(separator: " "))
    }

    /// The text at each match range is the matched word.
    func matchedTexts(_ s: MarkedSnippet) -> [String] {
        let scalars = Array(s.text.unicodeScalars)
        return s.matches.map { String(String.UnicodeScalarView(scalars[$0])) }
    }

    @Test("Marked text is read over UTF-8: ranges are in scalars, markers removed")
    func readsMarkers() {
        let s = MarkedSnippet(marked: "سفر \(o)پوتین\(c) به \(o)تهران\(c)")
        #expect(s.text == "سفر پوتین به تهران")
        #expect(s.matches == [4..<9, 13..<18])
        #expect(matchedTexts(s) == ["پوتین", "تهران"])
    }

    @Test("The passage shows the most different matched words, cut with …")
    func passagePrefersDistinctMatches() throws {
        var words = (0..<200).map { "واژه\($0)" }
        // Word 20 and 25 match "a" twice; word 120 and 124 match two different words.
        words[20] = "نفت"; words[25] = "نفت"; words[120] = "نفت"; words[124] = "گاز"
        let s = marked(words, matches: [20, 25, 120, 124])
        let passage = try #require(s.passage(words: 10))
        #expect(passage.text.hasPrefix("…") && passage.text.hasSuffix("…"))
        #expect(matchedTexts(passage) == ["نفت", "گاز"])
        #expect(passage.text.split(separator: " ").count == 10)
    }

    @Test("A passage at the start or end is not marked as cut there; no match, no passage")
    func passageEdges() throws {
        let start = try #require(marked(["نفت", "و", "گاز"], matches: [0]).passage(words: 24))
        #expect(start.text == "نفت و گاز")
        #expect(matchedTexts(start) == ["نفت"])
        #expect(marked(["نفت", "و", "گاز"], matches: []).passage() == nil)
    }
}

@Suite("White space by value")
struct WhiteSpaceTests {
    @Test("isWhiteSpace agrees with Unicode's White_Space property on every scalar")
    func agreesWithTheProperty() {
        var disagreements: [UInt32] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            if scalar.isWhiteSpace != scalar.properties.isWhitespace { disagreements.append(value) }
        }
        #expect(disagreements.isEmpty, "\(disagreements.map { String($0, radix: 16) })")
    }
}

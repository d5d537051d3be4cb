/// A search as typed by the analyst, turned into an FTS5 expression over the folded index.
///
/// Every word must match (in any order). Words are folded exactly as the index folds text,
/// and quoted, so no input can reach FTS5 as syntax.
///
/// ```swift
/// try SearchQuery(parsing: "ولاديمير پوتين").ftsExpression  // "\"ولادیمیر\" \"پوتین\""
/// ```
public struct SearchQuery: Sendable, Hashable {
    /// The folded words, in the order typed.
    public let words: [String]

    public init(parsing text: String) throws(DaftarError) {
        let words = PersianFolding.words(in: text).map(\.folded)
        guard !words.isEmpty else {
            throw DaftarError(.badQuery, "nothing to search for: the query has no letters or digits")
        }
        self.words = words
    }

    /// The FTS5 MATCH expression: each folded word as a quoted string, all required.
    public var ftsExpression: String {
        words.map { "\"\($0)\"" }.joined(separator: " ")
    }
}

/// A snippet of original text with the matched words marked.
public struct MarkedSnippet: Sendable, Hashable {
    /// The snippet text, without markers.
    public let text: String
    /// The matched ranges, in Unicode scalars of ``text``.
    public let matches: [Range<Int>]

    /// Private-use scalars the store asks FTS5 to put around matches.
    public static let open: Unicode.Scalar = "\u{E000}"
    public static let close: Unicode.Scalar = "\u{E001}"

    /// Reads a snippet produced with ``open`` and ``close`` around the matches.
    public init(marked: String) {
        var text = String.UnicodeScalarView()
        var matches: [Range<Int>] = []
        var start: Int? = nil
        var count = 0
        for scalar in marked.unicodeScalars {
            if scalar == Self.open {
                start = count
            } else if scalar == Self.close {
                if let s = start { matches.append(s..<count) }
                start = nil
            } else {
                text.append(scalar)
                count += 1
            }
        }
        self.text = String(text)
        self.matches = matches
    }

    /// The snippet with each match wrapped in `before` and `after`.
    public func rendered(before: String, after: String) -> String {
        var out = ""
        let scalars = Array(text.unicodeScalars)
        var i = 0
        for match in matches {
            out.unicodeScalars.append(contentsOf: scalars[i..<match.lowerBound])
            out += before
            out.unicodeScalars.append(contentsOf: scalars[match])
            out += after
            i = match.upperBound
        }
        out.unicodeScalars.append(contentsOf: scalars[i...])
        return out
    }
}

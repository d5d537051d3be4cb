import Crypto

/// What the archive reads out of an article's original text (DESIGN §4). The original stays
/// verbatim in the event; this is recomputed by the projection, so a better parser improves
/// every stored article on the next rebuild without changing any id.
///
/// - an optional metadata prefix ` date YYYY-MM-DD`, possibly sharing the first line with the
///   title, becomes ``published``;
/// - the first non-empty line is the ``title`` — it stays in the ``body`` too, because it is
///   sometimes a caption or a dateline rather than a headline;
/// - everything from the first line that is exactly `مطالب مرتبط`, `نظرات کاربران` or `|` to
///   the end is a scraped tail (other articles' teasers) and is left out of the body.
public struct ArticleText: Sendable, Hashable {
    /// The first non-empty line after the metadata prefix, whitespace-trimmed.
    public let title: String
    /// `YYYY-MM-DD` from the metadata prefix, when there is one.
    public let published: String?
    /// The article's own text: the original after the prefix, before the scraped tail,
    /// trimmed of surrounding whitespace. A verbatim slice of the original.
    public let body: String
    /// Where ``body`` starts in the original, in Unicode scalars.
    public let bodyStart: Int

    /// Lines that start a scraped tail.
    public static let tailMarkers: Set<String> = ["مطالب مرتبط", "نظرات کاربران", "|"]

    /// The article id: SHA-256 (hex) of the NFC original text's UTF-8.
    public static func id(of original: String) -> String {
        ByteEncoding.hex(SHA256.hash(data: Array(original.nfc.utf8)))
    }

    public init(parsing original: String) {
        let scalars = Array(original.unicodeScalars)
        var i = 0
        func isSpace(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace }
        func skipSpaces() { while i < scalars.count, isSpace(scalars[i]) { i += 1 } }

        // Metadata prefix: `date YYYY-MM-DD`.
        var published: String? = nil
        skipSpaces()
        let afterSpaces = i
        if Self.matches(scalars, at: i, "date") {
            var j = i + 4
            if j < scalars.count, isSpace(scalars[j]) {
                while j < scalars.count, isSpace(scalars[j]), scalars[j] != "\n" { j += 1 }
                if let date = Self.isoDate(scalars, at: j) {
                    published = date
                    i = j + 10
                    skipSpaces()
                }
            }
        }
        if published == nil { i = afterSpaces }
        let start = i

        // Body end: the first tail-marker line, or the end.
        var end = scalars.count
        var lineStart = start
        var k = start
        while k <= scalars.count {
            if k == scalars.count || scalars[k] == "\n" {
                let line = String(String.UnicodeScalarView(scalars[lineStart..<k])).trimmingWhitespace
                if Self.tailMarkers.contains(line) {
                    end = lineStart
                    break
                }
                lineStart = k + 1
            }
            k += 1
        }
        while end > start, isSpace(scalars[end - 1]) { end -= 1 }

        let body = String(String.UnicodeScalarView(scalars[start..<end]))
        self.body = body
        self.bodyStart = start
        self.published = published
        let firstLine = body.unicodeScalars.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: true).first
        self.title = firstLine.map { String(String.UnicodeScalarView($0)).trimmingWhitespace } ?? ""
    }

    private static func matches(_ scalars: [Unicode.Scalar], at i: Int, _ word: String) -> Bool {
        let w = Array(word.unicodeScalars)
        guard i + w.count <= scalars.count else { return false }
        return Array(scalars[i..<i + w.count]) == w
    }

    /// `YYYY-MM-DD` at `i`, followed by whitespace or the end; nil otherwise.
    private static func isoDate(_ scalars: [Unicode.Scalar], at i: Int) -> String? {
        guard i + 10 <= scalars.count else { return nil }
        let candidate = scalars[i..<i + 10]
        for (offset, s) in candidate.enumerated() {
            let isDigit = ("0"..."9").contains(s)
            if offset == 4 || offset == 7 {
                guard s == "-" else { return nil }
            } else if !isDigit {
                return nil
            }
        }
        if i + 10 < scalars.count, !scalars[i + 10].properties.isWhitespace { return nil }
        let text = String(String.UnicodeScalarView(candidate))
        let month = Int(text.dropFirst(5).prefix(2))!, day = Int(text.suffix(2))!
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        return text
    }
}

extension String {
    /// The string without leading and trailing whitespace (Unicode White_Space).
    public var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}

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
///   the end is a scraped tail (other articles' teasers) and is left out of the body;
/// - line endings (CR LF, CR) become LF and each line's trailing whitespace is dropped, so a
///   copy saved on another system is the same body.
///
/// Copies whose bodies are equal are one article with several sources: ``story`` names them.
public struct ArticleText: Sendable, Hashable {
    /// The first non-empty line after the metadata prefix, whitespace-trimmed.
    public let title: String
    /// `YYYY-MM-DD` from the metadata prefix, when there is one.
    public let published: String?
    /// The article's own text: the original after the prefix, before the scraped tail,
    /// trimmed of surrounding whitespace, with LF line endings and no trailing whitespace on
    /// any line.
    public let body: String
    /// Where ``body`` starts in the original, in Unicode scalars.
    public let bodyStart: Int

    /// Lines that start a scraped tail.
    public static let tailMarkers: Set<String> = ["مطالب مرتبط", "نظرات کاربران", "|"]

    /// The article id: SHA-256 (hex) of the NFC original text's UTF-8.
    public static func id(of original: String) -> String {
        ByteEncoding.hex(SHA256.hash(data: Array(original.nfc.utf8)))
    }

    /// The story: SHA-256 (hex) of the NFC body. Copies of one article (other line endings,
    /// another scraped tail) share it, and are shown as one article.
    public var story: String { ByteEncoding.hex(SHA256.hash(data: Array(body.nfc.utf8))) }

    /// What makes two files the same text for a reader: SHA-256 (hex) of the NFC original
    /// without a byte-order mark, with LF line endings, without trailing whitespace on any line
    /// and without blank lines at either end. The same content under the same file name is
    /// already archived.
    public static func content(of original: String, id known: String? = nil) -> String {
        let scalars = original.unicodeScalars
        // Most files are already in that form, but for whitespace at the ends: hash the text
        // between them as it is (the article id itself when there is none).
        if let first = scalars.firstIndex(where: { !$0.isWhiteSpace }), scalars[first] != "\u{FEFF}",
            let last = scalars.lastIndex(where: { !$0.isWhiteSpace }), isReaderNormal(scalars[first...last])
        {
            if first == scalars.startIndex, scalars.index(after: last) == scalars.endIndex, let known { return known }
            return ByteEncoding.hex(SHA256.hash(data: Array(String(scalars[first...last]).nfc.utf8)))
        }
        var nfc = original.nfc.unicodeScalars[...]
        if nfc.first == "\u{FEFF}" { nfc = nfc.dropFirst() }
        return ByteEncoding.hex(SHA256.hash(data: normalizedUTF8(nfc)))
    }

    /// True when `scalars` have no CR and no whitespace before a line break: inside a
    /// trimmed text, ``content(of:)`` would change nothing. Scans the UTF-8 bytes: a scalar is
    /// decoded only where one ends just before a line break.
    static func isReaderNormal(_ scalars: Substring.UnicodeScalarView) -> Bool {
        let utf8 = Substring(scalars).utf8
        var i = utf8.startIndex
        var previousStart: Substring.UTF8View.Index? = nil  // where the scalar before `i` starts
        while i < utf8.endIndex {
            let byte = utf8[i]
            if byte == 0x0D { return false }
            if byte == 0x0A, let start = previousStart {
                let previous = Substring(utf8[start..<i]).unicodeScalars.first!
                if previous.isWhiteSpace, previous != "\n" { return false }
            }
            if byte & 0xC0 != 0x80 { previousStart = i }  // a scalar's first byte
            i = utf8.index(after: i)
        }
        return true
    }

    /// `scalars` as UTF-8 with CR LF and CR as LF, each line's trailing whitespace removed,
    /// and no whitespace at either end. Written byte by byte into one buffer: this runs for
    /// every article ingested or replayed.
    static func normalizedUTF8(_ scalars: Substring.UnicodeScalarView) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(scalars.count * 2)
        var pending = scalars.startIndex  // start of the whitespace not yet written
        var pendingNewlines = 0  // line breaks in it, written as LF once text follows
        var inWhitespace = true
        var atStart = true
        var i = scalars.startIndex
        while i < scalars.endIndex {
            let s = scalars[i]
            if s == "\r" || s == "\n" {
                if s == "\r", scalars.index(after: i) < scalars.endIndex, scalars[scalars.index(after: i)] == "\n" {
                    i = scalars.index(after: i)
                }
                pendingNewlines += 1
                i = scalars.index(after: i)
                pending = i
                inWhitespace = true
                continue
            }
            if s.isWhiteSpace {
                if !inWhitespace { pending = i; inWhitespace = true }
                i = scalars.index(after: i)
                continue
            }
            // Whitespace before the first text is dropped; otherwise the line breaks are
            // written, then the whitespace since the last one (a line's indent, or the
            // space between two words).
            if !atStart {
                out.append(contentsOf: repeatElement(UInt8(ascii: "\n"), count: pendingNewlines))
                for w in scalars[pending..<i] { UTF8.encode(w) { out.append($0) } }
            }
            atStart = false
            pendingNewlines = 0
            inWhitespace = false
            UTF8.encode(s) { out.append($0) }
            i = scalars.index(after: i)
            pending = i
        }
        return out
    }

    /// `scalars` with CR LF and CR as LF and each line's trailing whitespace removed (the
    /// text is already trimmed at both ends).
    static func normalizingLines(_ scalars: Substring.UnicodeScalarView) -> String {
        String(decoding: normalizedUTF8(scalars), as: UTF8.self)
    }

    public init(parsing original: String) {
        // Walks the scalar view by index and slices the original: no per-line strings (this
        // runs for every article ingested or replayed).
        let view = original.unicodeScalars
        var i = view.startIndex
        var offset = 0
        func skipSpaces() {
            while i < view.endIndex, view[i].isWhiteSpace || view[i] == "\u{FEFF}" {
                i = view.index(after: i)
                offset += 1
            }
        }

        // Metadata prefix: `date YYYY-MM-DD`.
        var published: String? = nil
        skipSpaces()
        let (afterSpaces, afterSpacesOffset) = (i, offset)
        if view[i...].starts(with: "date".unicodeScalars) {
            var j = view.index(i, offsetBy: 4)
            var k = offset + 4
            if j < view.endIndex, view[j].isWhiteSpace {
                while j < view.endIndex, view[j].isWhiteSpace, view[j] != "\n" {
                    j = view.index(after: j)
                    k += 1
                }
                if let date = Self.isoDate(Array(view[j...].prefix(11))) {
                    published = date
                    i = view.index(j, offsetBy: 10)
                    offset = k + 10
                    skipSpaces()
                }
            }
        }
        if published == nil { (i, offset) = (afterSpaces, afterSpacesOffset) }
        let start = i
        let startOffset = offset

        // Body end: the first tail-marker line, or the end. Markers are short: only short
        // lines are compared.
        var end = view.endIndex
        var lineStart = start
        var lineLength = 0
        var k = start
        while true {
            let atEnd = k == view.endIndex
            if atEnd || view[k] == "\n" || view[k] == "\r" {
                if lineLength <= Self.longestMarker + 8,
                    Self.tailMarkers.contains(String(view[lineStart..<k]).trimmingWhitespace)
                {
                    end = lineStart
                    break
                }
                if atEnd { break }
                lineStart = view.index(after: k)
                lineLength = 0
            } else {
                lineLength += 1
            }
            k = view.index(after: k)
        }
        while end > start, view[view.index(before: end)].isWhiteSpace { end = view.index(before: end) }

        let slice = view[start..<end]
        let body = Self.isReaderNormal(slice) ? String(slice) : Self.normalizingLines(slice)
        self.body = body
        self.bodyStart = startOffset
        self.published = published
        let bodyView = body.unicodeScalars
        let firstLineEnd = bodyView.firstIndex(of: "\n") ?? bodyView.endIndex
        self.title = String(bodyView[bodyView.startIndex..<firstLineEnd]).trimmingWhitespace
    }

    static let longestMarker = tailMarkers.map(\.unicodeScalars.count).max() ?? 0

    /// `YYYY-MM-DD` at the start of `scalars`, followed by whitespace or the end; nil otherwise.
    private static func isoDate(_ scalars: [Unicode.Scalar]) -> String? {
        guard scalars.count >= 10 else { return nil }
        let candidate = scalars[0..<10]
        for (offset, s) in candidate.enumerated() {
            let isDigit = ("0"..."9").contains(s)
            if offset == 4 || offset == 7 {
                guard s == "-" else { return nil }
            } else if !isDigit {
                return nil
            }
        }
        if scalars.count > 10, !scalars[10].isWhiteSpace { return nil }
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
        guard let first = scalars.firstIndex(where: { !$0.isWhiteSpace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.isWhiteSpace })!
        return String(scalars[first...last])
    }
}

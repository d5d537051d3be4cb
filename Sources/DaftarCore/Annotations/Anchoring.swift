/// Where an annotation points in an article body: the W3C `TextQuoteSelector` (exact text with
/// some context) and `TextPositionSelector` (offsets in Unicode scalars of the body).
public struct TextAnchor: Sendable, Hashable, Codable {
    public var exact: String
    public var prefix: String
    public var suffix: String
    public var start: Int
    public var end: Int

    public init(exact: String, prefix: String, suffix: String, start: Int, end: Int) {
        (self.exact, self.prefix, self.suffix, self.start, self.end) = (exact, prefix, suffix, start, end)
    }

    /// Scalars of context kept on each side.
    public static let contextLength = 32

    /// The anchor of `start..<end` in `body`, with the body's own text as exact, prefix and suffix.
    public init(body: [Unicode.Scalar], start: Int, end: Int) {
        func text(_ r: Range<Int>) -> String { String(String.UnicodeScalarView(body[r])) }
        self.init(
            exact: text(start..<end),
            prefix: text(max(0, start - Self.contextLength)..<start),
            suffix: text(end..<min(body.count, end + Self.contextLength)),
            start: start, end: end)
    }

    /// The whole article rather than a passage of it: an imported annotation about the page
    /// (a W3C target with no selector). No quote, no place: `start == end == 0`.
    public static let wholeArticle = TextAnchor(exact: "", prefix: "", suffix: "", start: 0, end: 0)

    /// True for ``wholeArticle``: nothing to mark in the text.
    public var isWholeArticle: Bool { exact.isEmpty && end == start }

    /// The `target` of an `annotation.created` event: the passage's selectors, or
    /// `{"whole": true}` for the whole article.
    public var eventTarget: JSONValue {
        if isWholeArticle { return ["whole": true] }
        return [
            "exact": .string(exact), "prefix": .string(prefix), "suffix": .string(suffix),
            "start": .int(Int64(start)), "end": .int(Int64(end)),
        ]
    }

    /// Reads an event's `target`; nil when it is neither a passage nor the whole article.
    public init?(eventTarget target: JSONValue?) {
        if target?["whole"] == .bool(true) {
            self = .wholeArticle
            return
        }
        guard let exact = target?["exact"]?.stringValue, let start = target?["start"]?.intValue, let end = target?["end"]?.intValue
        else { return nil }
        self.init(exact: exact, prefix: target?["prefix"]?.stringValue ?? "", suffix: target?["suffix"]?.stringValue ?? "",
                  start: Int(start), end: Int(end))
    }
}

/// Finds a quote in an article body the way a Persian reader means it: with the folding of
/// search (letter forms, digits, ZWNJ and diacritics ignored) and ignoring where words are
/// separated (so `بین المللی` anchors on `بینالمللی` and the other way round).
///
/// The body is folded once into a sequence of word scalars with a map back to original
/// positions, so a match is reported in the original text.
public struct Anchoring: Sendable {
    /// The body's scalars.
    public let body: [Unicode.Scalar]
    /// Folded word scalars of the body, separators removed.
    let folded: [Unicode.Scalar]
    /// For each folded scalar, the original scalar range it came from.
    let origin: [Range<Int>]

    public init(body: String) {
        self.body = Array(body.unicodeScalars)
        (folded, origin) = Self.fold(self.body)
    }

    static func fold(_ scalars: [Unicode.Scalar]) -> ([Unicode.Scalar], [Range<Int>]) {
        var folded: [Unicode.Scalar] = []
        var origin: [Range<Int>] = []
        folded.reserveCapacity(scalars.count)
        origin.reserveCapacity(scalars.count)
        var inWord = false
        for (i, s) in scalars.enumerated() {
            let action = PersianFolding.action(for: s)
            defer { if action != .ignorable { inWord = action != .separator } }
            switch action {
            case .keep:
                // A word-final ء after a long vowel is dropped, as search folds it.
                if dropsHamza(scalars, at: i, after: inWord ? folded.last : nil) { break }
                folded.append(s)
                origin.append(i..<i + 1)
            case .replace(let r):
                for x in r {
                    folded.append(x)
                    origin.append(i..<i + 1)
                }
            case .ignorable, .separator:
                break
            }
        }
        return (folded, origin)
    }

    /// True when `scalars[i]` is a ء that folding drops: after `letter` (the folded letter
    /// before it in its word, if any) when that is a long vowel, and at the word's end.
    static func dropsHamza(_ scalars: [Unicode.Scalar], at i: Int, after letter: Unicode.Scalar?) -> Bool {
        scalars[i].value == PersianFolding.hamza && letter.map { PersianFolding.isLongVowel($0.value) } == true
            && separates(scalars[(i + 1)...].first { PersianFolding.action(for: $0) != .ignorable })
    }

    /// True when `scalar` (the nearest one that is not ignorable) ends a word: a separator, or
    /// none — the text's edge.
    static func separates(_ scalar: Unicode.Scalar?) -> Bool {
        scalar.map { PersianFolding.action(for: $0) == .separator } ?? true
    }

    public static func foldedScalars(_ text: String) -> [Unicode.Scalar] {
        fold(Array(text.unicodeScalars)).0
    }

    /// A match: the original scalar range.
    public typealias Match = Range<Int>

    /// `end` moved past what belongs to the letter before it though folding leaves it out:
    /// combining marks (a final kasra, a hamza above) and a dropped word-final hamza — so a
    /// passage never stops before its last letter's marks, and its suffix never begins with one.
    func wordEnd(after start: Int) -> Int {
        var end = start
        while end < body.count {
            let scalar = body[end]
            let isMark = [.nonspacingMark, .enclosingMark, .spacingMark].contains(scalar.properties.generalCategory)
            guard isMark || Self.dropsHamza(body, at: end, after: end > 0 ? PersianFolding.folded(body[end - 1]) : nil) else { break }
            end += 1
        }
        return end
    }

    /// True when `match` starts and ends at word boundaries (not inside a longer word).
    public func isWholeWords(_ match: Match) -> Bool {
        let before = body[..<match.lowerBound].last { PersianFolding.action(for: $0) != .ignorable }
        let after = body[match.upperBound...].first { PersianFolding.action(for: $0) != .ignorable }
        return Self.separates(before) && Self.separates(after)
    }

    /// Every occurrence of `quote`, in reading order (overlapping ones included).
    public func occurrences(of quote: String) -> [Match] {
        let needle = Self.foldedScalars(quote)
        guard !needle.isEmpty, needle.count <= folded.count else { return [] }
        var out: [Match] = []
        var i = 0
        while i + needle.count <= folded.count {
            if folded[i] == needle[0], Array(folded[i..<i + needle.count]) == needle {
                out.append(origin[i].lowerBound..<wordEnd(after: origin[i + needle.count - 1].upperBound))
            }
            i += 1
        }
        return out
    }

    /// The occurrences whose folded context ends with `prefix` and starts with `suffix`.
    public func occurrences(of quote: String, prefix: String?, suffix: String?) -> [Match] {
        let p = prefix.map(Self.foldedScalars) ?? []
        let s = suffix.map(Self.foldedScalars) ?? []
        return occurrences(of: quote).filter { match in
            let before = Self.fold(Array(body[..<match.lowerBound])).0
            let after = Self.fold(Array(body[match.upperBound...])).0
            return before.suffix(p.count).elementsEqual(p) && after.prefix(s.count).elementsEqual(s)
        }
    }

    /// The passage of the body closest to `quote`: where the longest beginning of the quote
    /// occurs; nil when not even its first letter does.
    public func closestPassage(to quote: String) -> Match? {
        let needle = Self.foldedScalars(quote)
        var best: Match? = nil
        var lo = 1, hi = needle.count
        while lo <= hi {
            let mid = (lo + hi) / 2
            let prefix = String(String.UnicodeScalarView(needle[0..<mid]))
            if let first = occurrences(of: prefix).first {
                best = first.lowerBound..<min(body.count, first.lowerBound + max(needle.count, first.count) + 8)
                lo = mid + 1
            } else {
                hi = mid - 1
            }
        }
        return best
    }

    /// `anchor` placed in this body when its positions were counted in another text (a copy
    /// with other line endings): the occurrence of its quote with its context, else of the
    /// quote alone, nearest to its old start; nil when the quote is not here.
    public func relocate(_ anchor: TextAnchor) -> TextAnchor? {
        var candidates = occurrences(of: anchor.exact, prefix: anchor.prefix, suffix: anchor.suffix)
        if candidates.isEmpty { candidates = occurrences(of: anchor.exact) }
        guard let nearest = candidates.min(by: { abs($0.lowerBound - anchor.start) < abs($1.lowerBound - anchor.start) }) else {
            return nil
        }
        return TextAnchor(body: body, start: nearest.lowerBound, end: nearest.upperBound)
    }

    /// The body's text in `range`.
    public func text(_ range: Range<Int>) -> String {
        String(String.UnicodeScalarView(body[range.clamped(to: 0..<body.count)]))
    }
}

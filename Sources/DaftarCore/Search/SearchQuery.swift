/// A search as typed by the analyst, turned into an FTS5 expression over the folded index.
///
/// The query language:
///
/// | input | meaning |
/// |---|---|
/// | `روسیه ایران` | every word must occur, anywhere |
/// | `"پیمان همکاری"` | the words in this order, adjacent |
/// | `پوتین OR شویگو` | either (`OR` in capitals, between two terms) |
/// | `-اوکراین` | articles with this word (or `-"a phrase"`) are left out |
/// | `همکار*` | any word starting with this |
///
/// Words are folded exactly as the index folds text and always quoted, so no input reaches
/// FTS5 as syntax: unbalanced quotes close at the end, stray operators and punctuation are
/// dropped, FTS5 keywords (`AND`, `NOT`, `NEAR`) are ordinary words.
///
/// Persian writes one word joined, with a zero-width non-joiner, or spaced (`بینالمللی`,
/// `بین‌المللی`, `بین المللی`). Each plain word therefore also matches as the phrase of its
/// two halves (at a ZWNJ it had, else at each split leaving two or more letters on each side),
/// or of three pieces around a `و` ("and") inside it (`صداوسیما` finds `صدا و سیما`); two or
/// three adjacent plain words also match joined into one word; in a quoted phrase, too,
/// adjacent words may be written joined. The expansion is bounded: at most
/// ``maxSplitsPerWord`` splits per word (those nearest the word's ends first, where Persian
/// attaches affixes) and ``maxAndSplits`` compounds, joins only within runs of ``maxJoinRun``
/// words, and at most ``maxTerms`` terms per query.
///
/// A plain word also finds its inflected forms (``PersianForms``: `موشک` finds `موشکها`,
/// `موشک‌های`), through the stems the index keeps beside each inflected word; a typed
/// inflected form finds its stem's forms. A quoted word or phrase, or `forms: false`
/// (`--exact`), matches only as written (up to folding and spacing).
public struct SearchQuery: Sendable, Hashable {
    /// A matchable unit.
    public indirect enum Term: Sendable, Hashable {
        /// A folded word; `splits` are the positions (in scalars) where the typed word had a ZWNJ.
        case word(String, splits: [Int])
        /// A word prefix (`word*`).
        case prefix(String)
        /// Folded words that must be adjacent, in order.
        case phrase([String])
        /// Any of these.
        case any([Term])
    }

    /// Terms that must all match.
    public let required: [Term]
    /// Terms whose articles are left out.
    public let excluded: [Term]
    /// A raw FTS5 expression (`--fts`), used instead of the terms.
    public let raw: String?
    /// Whether plain words also find their inflected forms.
    public let forms: Bool
    /// Other spellings of plain words (folded word → folded spellings), from the analyst's
    /// alias groups (``AliasGroups``); the store fills them in.
    public private(set) var aliases: [String: [String]] = [:]

    /// The query with these alias spellings for its plain words (at most
    /// ``AliasGroups/maxSpellings`` each).
    public func with(aliases: [String: [String]]) -> SearchQuery {
        var copy = self
        copy.aliases = aliases.mapValues { Array($0.prefix(AliasGroups.maxSpellings)) }
        return copy
    }

    /// The folded plain words (not phrases or prefixes), required or excluded: what forms and
    /// aliases expand.
    public var plainWords: [String] {
        func words(_ term: Term) -> [String] {
            switch term {
            case .word(let w, _): [w]
            case .any(let terms): terms.flatMap(words)
            case .prefix, .phrase: []
            }
        }
        return (required + excluded).flatMap(words)
    }

    /// How plain words are widened: their forms, their aliases.
    struct Expansion {
        var forms: Bool
        var aliases: [String: [String]]
    }

    var expansion: Expansion { Expansion(forms: forms, aliases: aliases) }

    public static let maxTerms = 32
    public static let maxSplitsPerWord = 8
    public static let maxJoinRun = 6
    /// Words shorter than this (in scalars) are not split.
    public static let minSplitLength = 4

    /// Parses the query language above; `forms: false` matches words only as written.
    /// Throws only when nothing is left to search for.
    public init(parsing text: String, forms: Bool = true) throws(DaftarError) {
        var required: [Term] = []
        var excluded: [Term] = []
        var pendingOr = false
        for chunk in Self.chunks(of: text) {
            switch chunk {
            case .or:
                pendingOr = !required.isEmpty
            case .term(let term, let negated):
                if negated {
                    excluded.append(term)
                    pendingOr = false
                } else if pendingOr, let last = required.popLast() {
                    if case .any(let alternatives) = last {
                        required.append(.any(alternatives + [term]))
                    } else {
                        required.append(.any([last, term]))
                    }
                    pendingOr = false
                } else {
                    required.append(term)
                }
            }
        }
        guard required.count + excluded.count <= Self.maxTerms else {
            throw DaftarError(.badQuery, "the query is too long: at most \(Self.maxTerms) words, phrases or exclusions")
        }
        guard !required.isEmpty else {
            throw DaftarError(.badQuery, excluded.isEmpty
                ? "nothing to search for: the query has no letters or digits"
                : "nothing to search for: -word only excludes; add a word to find")
        }
        self.required = required
        self.excluded = excluded
        self.raw = nil
        self.forms = forms
    }

    /// A raw FTS5 expression, passed as given (`daftar search --fts`).
    public init(fts expression: String) throws(DaftarError) {
        guard !expression.trimmingWhitespace.isEmpty else {
            throw DaftarError(.badQuery, "the raw FTS5 expression is empty")
        }
        self.required = []
        self.excluded = []
        self.raw = expression
        self.forms = false
    }

    /// The folded words of the plain terms, in order (for tests and display).
    public var words: [String] {
        required.flatMap { term -> [String] in
            switch term {
            case .word(let w, _), .prefix(let w): [w]
            case .phrase(let ws): ws
            case .any: []
            }
        }
    }

    // MARK: - Lexing

    enum Chunk {
        case or
        case term(Term, negated: Bool)
    }

    /// Splits the input into terms: quoted phrases, `OR`, `-negations`, `prefix*`, words.
    static func chunks(of text: String) -> [Chunk] {
        let scalars = Array(text.unicodeScalars)
        var chunks: [Chunk] = []
        var i = 0
        while i < scalars.count {
            if scalars[i].isWhiteSpace {
                i += 1
                continue
            }
            var negated = false
            if scalars[i] == "-", i + 1 < scalars.count, !scalars[i + 1].isWhiteSpace {
                negated = true
                i += 1
            }
            if scalars[i] == "\"" {
                var j = i + 1
                while j < scalars.count, scalars[j] != "\"" { j += 1 }
                let inner = String(String.UnicodeScalarView(scalars[(i + 1)..<j]))
                i = j + 1
                let found = PersianFolding.words(in: inner)
                if found.count == 1 {
                    // Quoted: as written, without its other forms.
                    chunks.append(.term(.phrase([found[0].folded]), negated: negated))
                } else if found.count > 1 {
                    // A word typed with a ZWNJ is its pieces, which the phrase's spacing forms
                    // join again or keep apart: `"همکاری‌های نظامی"` finds `همکاری های نظامی`.
                    // So is a word typed joined, at a verb prefix or an inflection
                    // (`"همکاریهای نظامی"` too), while the phrase stays short enough to vary.
                    func pieces(affixes: Bool) -> [String] {
                        found.flatMap { word -> [String] in
                            let scalars = Array(word.folded.unicodeScalars)
                            let zwnj = zwnjSplits(inner, word)
                            var cuts = [0] + (zwnj.isEmpty && affixes ? affixSplits(word.folded) : zwnj) + [scalars.count]
                            cuts = Array(Set(cuts)).sorted()
                            return zip(cuts, cuts.dropFirst()).map { String(String.UnicodeScalarView(scalars[$0..<$1])) }
                        }
                    }
                    let split = pieces(affixes: true)
                    chunks.append(.term(.phrase(split.count <= maxVariedPhrase ? split : pieces(affixes: false)), negated: negated))
                }
                continue
            }
            var j = i
            while j < scalars.count, !scalars[j].isWhiteSpace, scalars[j] != "\"" { j += 1 }
            let raw = Array(scalars[i..<j])
            i = j
            if raw == ["O", "R"], !negated {
                chunks.append(.or)
                continue
            }
            let isPrefix = raw.last == "*"
            let body = String(String.UnicodeScalarView(isPrefix ? raw.dropLast() : raw[...]))
            let words = PersianFolding.words(in: body)
            switch words.count {
            case 0:
                continue
            case 1 where isPrefix:
                chunks.append(.term(.prefix(words[0].folded), negated: negated))
            case 1:
                chunks.append(.term(.word(words[0].folded, splits: zwnjSplits(body, words[0])), negated: negated))
            default:
                // `3+3` or `پوتین،روسیه`: what FTS5 itself would read as a phrase.
                chunks.append(.term(.phrase(words.map(\.folded)), negated: negated))
            }
        }
        return chunks
    }

    /// Where a word typed joined may have been written spaced: after the verb prefix `می` or
    /// `نمی`, and before an inflection ``PersianForms`` knows (`همکاریهای` → `همکاری` `های`).
    static func affixSplits(_ folded: String) -> [Int] {
        let scalars = Array(folded.unicodeScalars)
        var cuts: [Int] = []
        for prefix in ["نمی", "می"] where scalars.starts(with: prefix.unicodeScalars) && scalars.count - prefix.unicodeScalars.count >= 2 {
            cuts.append(prefix.unicodeScalars.count)
            break
        }
        if let stem = PersianForms.stems(of: folded).first, scalars.starts(with: stem.unicodeScalars), stem.unicodeScalars.count < scalars.count {
            cuts.append(stem.unicodeScalars.count)
        }
        return cuts
    }

    /// Where, in the folded word, the typed word had a ZWNJ.
    static func zwnjSplits(_ text: String, _ word: PersianFolding.Word) -> [Int] {
        let scalars = Array(text.unicodeScalars)[word.scalarRange]
        var folded = 0
        var splits: [Int] = []
        for s in scalars {
            if s == "\u{200C}" {
                if folded > 0 { splits.append(folded) }
                continue
            }
            switch PersianFolding.action(for: s) {
            case .keep: folded += 1
            case .replace(let r): folded += r.count
            case .ignorable, .separator: break
            }
        }
        return splits.filter { $0 < word.folded.unicodeScalars.count }
    }

    // MARK: - FTS5 expression

    /// The FTS5 MATCH expression, with the spacing variants.
    public var ftsExpression: String {
        if let raw { return raw }
        var parts: [String] = []
        var run: [String] = []  // consecutive plain words, for joins
        var runSplits: [[Int]] = []
        func flushRun() {
            var start = 0
            while start < run.count {
                let end = min(start + Self.maxJoinRun, run.count)
                parts.append(Self.segmentations(Array(run[start..<end]), Array(runSplits[start..<end]), expansion))
                start = end
            }
            run.removeAll()
            runSplits.removeAll()
        }
        for term in required {
            if case .word(let w, let splits) = term {
                run.append(w)
                runSplits.append(splits)
            } else {
                flushRun()
                parts.append(Self.render(term, expansion))
            }
        }
        flushRun()
        var expression = parts.count == 1 ? parts[0] : parts.map { "(\($0))" }.joined(separator: " AND ")
        if !excluded.isEmpty {
            expression = "(\(expression)) NOT (\(excluded.map { Self.render($0, expansion) }.joined(separator: " OR ")))"
        }
        return expression
    }

    static func quote(_ words: [String]) -> String {
        // Folded words never contain `"` (it separates words), so quoting is safe.
        "\"\(words.joined(separator: " "))\""
    }

    static func render(_ term: Term, _ expansion: Expansion) -> String {
        switch term {
        case .word(let w, let splits): alternatives(w, splits: splits, expansion)
        case .prefix(let w): "\(quote([w])) *"
        case .phrase(let words): phraseVariants(words)
        case .any(let terms): terms.map { render($0, expansion) }.joined(separator: " OR ")
        }
    }

    /// Longest phrase whose spacing is varied (2^(n-1) forms: 32 at most).
    public static let maxVariedPhrase = 6

    /// A phrase keeps word order and adjacency, not the writer's spaces: each pair of adjacent
    /// words may also be written joined (`"همکاری های نظامی"` finds `همکاریهای نظامی`, `"بین
    /// الملل"` finds `بینالملل`). Longer phrases than ``maxVariedPhrase`` match as typed.
    static func phraseVariants(_ words: [String]) -> String {
        guard words.count > 1, words.count <= maxVariedPhrase else { return quote(words) }
        var forms: [[String]] = [[words[0]]]
        for word in words.dropFirst() {
            forms = forms.flatMap { form in [form + [word], form.dropLast() + [form.last! + word]] }
        }
        return "(" + forms.map(quote).joined(separator: " OR ") + ")"
    }

    /// A word, its inflected forms, the phrase of its two halves at each split point, and its
    /// alias spellings (with their forms).
    static func alternatives(_ word: String, splits: [Int], _ expansion: Expansion) -> String {
        var terms = [quote([word])] + (expansion.forms ? formTerms(word, zwnj: splits) : []) + splitPhrases(word, zwnj: splits).map(quote)
        for alias in expansion.aliases[word] ?? [] {
            terms.append(quote([alias]))
            if expansion.forms { terms += formTerms(alias, zwnj: []) }
        }
        return terms.count == 1 ? terms[0] : "(\(terms.joined(separator: " OR ")))"
    }

    /// The index terms of a word's forms: the words whose stem it is and, when it is itself
    /// inflected, its stem and the words whose stem that is. A stem of fewer than three letters
    /// is not searched as a word of its own (`بهتر` must not find every `به`, "to").
    static func formTerms(_ word: String, zwnj: [Int]) -> [String] {
        var terms = [quote([PersianForms.term(word)])]
        for stem in PersianForms.stems(of: word, zwnjAt: zwnj) {
            if stem.unicodeScalars.count >= 3 { terms.append(quote([stem])) }
            terms.append(quote([PersianForms.term(stem)]))
        }
        return terms
    }

    /// The two-word phrases a word may have been written as.
    public static func splitPhrases(_ word: String, zwnj: [Int] = []) -> [[String]] {
        let scalars = Array(word.unicodeScalars)
        func piece(_ r: Range<Int>) -> String { String(String.UnicodeScalarView(scalars[r])) }
        let n = scalars.count
        var points: [Int]
        if !zwnj.isEmpty {
            points = zwnj
        } else if n >= minSplitLength {
            points = Array(2...(n - 2)).sorted { (min($0, n - $0), $0) < (min($1, n - $1), $1) }
            points = Array(points.prefix(maxSplitsPerWord))
        } else {
            points = []
        }
        guard scalars.allSatisfy({ !("0"..."9").contains($0) }) else { return [] }  // numbers are not split
        let phrases = points.map { [piece(0..<$0), piece($0..<n)] }
        let ands = andPhrases(word).filter { !phrases.contains($0) }
        // Three-piece readings have no one-letter piece, so none is a compound's.
        return phrases + ands + (zwnj.isEmpty ? threePieces(word) : [])
    }

    /// A long word read as three words, hashtag style (`محمدجوادظریف` finds `محمد جواد ظریف`):
    /// words of ``minThreePieceLength`` to ``maxThreePieceLength`` letters, each piece three letters or more, the
    /// most even cuts first, at most ``maxThreePieces`` of them.
    public static func threePieces(_ word: String) -> [[String]] {
        let scalars = Array(word.unicodeScalars)
        let n = scalars.count
        guard (minThreePieceLength...maxThreePieceLength).contains(n), scalars.allSatisfy({ !("0"..."9").contains($0) }) else { return [] }
        func piece(_ r: Range<Int>) -> String { String(String.UnicodeScalarView(scalars[r])) }
        var cuts: [(Int, Int)] = []
        for i in 3...(n - 6) { for j in (i + 3)...(n - 3) { cuts.append((i, j)) } }
        func spread(_ cut: (Int, Int)) -> Int {
            let lengths = [cut.0, cut.1 - cut.0, n - cut.1]
            return lengths.max()! - lengths.min()!
        }
        cuts.sort { (spread($0), $0.0, $0.1) < (spread($1), $1.0, $1.1) }
        return cuts.prefix(maxThreePieces).map { [piece(0..<$0.0), piece($0.0..<$0.1), piece($0.1..<n)] }
    }

    public static let minThreePieceLength = 10
    public static let maxThreePieceLength = 40
    public static let maxThreePieces = 12

    /// A compound in three pieces: `و` ("and") between two words of two letters or more,
    /// written as its own word or joined to either side (رفتوآمد → رفت و آمد, رفت وآمد,
    /// رفتو آمد). At most ``maxAndSplits`` of them, nearest the middle.
    public static func andPhrases(_ word: String) -> [[String]] {
        let scalars = Array(word.unicodeScalars)
        func piece(_ r: Range<Int>) -> String { String(String.UnicodeScalarView(scalars[r])) }
        let n = scalars.count
        guard n >= 5 else { return [] }
        let ands = (2..<(n - 2)).filter { scalars[$0] == "و" }.sorted { (abs(2 * $0 - n), $0) < (abs(2 * $1 - n), $1) }
        return ands.prefix(maxAndSplits).flatMap { at -> [[String]] in
            let (left, right) = (piece(0..<at), piece((at + 1)..<n))
            return [[left, "و", right], [left, "و" + right], [left + "و", right]]
        }
    }

    /// How many `و` inside one word are tried as a compound's "and".
    public static let maxAndSplits = 2

    /// Words joined into one, or — a compound with `و` — read in three pieces
    /// (`رفت وآمد` finds `رفت و آمد`).
    static func joinedForms(_ word: String) -> String {
        let forms = [quote([word])] + andPhrases(word).map(quote)
        return forms.count == 1 ? forms[0] : "(\(forms.joined(separator: " OR ")))"
    }

    /// All ways to read a run of words: each word alone, or two or three adjacent words joined
    /// into one (`صدا و سیما` finds `صداوسیما`). Within a run of ``maxJoinRun`` words, so the
    /// expression stays bounded (at most 24 readings of a six-word run).
    static func segmentations(_ words: [String], _ splits: [[Int]], _ expansion: Expansion) -> String {
        var memo: [Int: String?] = [:]
        func go(_ i: Int) -> String? {
            if i == words.count { return nil }
            if let known = memo[i] { return known }
            var readings: [String] = []
            for width in 1...3 where i + width <= words.count {
                let head = width == 1 ? alternatives(words[i], splits: splits[i], expansion) : joinedForms(words[i..<(i + width)].joined())
                readings.append(go(i + width).map { "\(head) AND \($0)" } ?? head)
            }
            let reading = readings.count == 1 ? readings[0] : readings.map { "(\($0))" }.joined(separator: " OR ")
            memo[i] = reading
            return reading
        }
        return go(0) ?? ""
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
        // Over the UTF-8 bytes: a highlight is a whole article, read for every result.
        // The markers are EE 80 80 and EE 80 81; a scalar starts at every non-continuation byte.
        var marked = marked
        (text, matches) = marked.withUTF8 { bytes -> (String, [Range<Int>]) in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var matches: [Range<Int>] = []
            var start: Int? = nil
            var count = 0
            var i = 0
            while i < bytes.count {
                let byte = bytes[i]
                if byte == 0xEE, i + 2 < bytes.count, bytes[i + 1] == 0x80, bytes[i + 2] & 0xFE == 0x80 {
                    if bytes[i + 2] == 0x80 {
                        start = count
                    } else {
                        if let s = start { matches.append(s..<count) }
                        start = nil
                    }
                    i += 3
                    continue
                }
                if byte & 0xC0 != 0x80 { count += 1 }
                out.append(byte)
                i += 1
            }
            return (String(decoding: out, as: UTF8.self), matches)
        }
    }

    /// A snippet made of `text` and its matched ranges (scalar offsets).
    public init(text: String, matches: [Range<Int>]) {
        (self.text, self.matches) = (text, matches)
    }

    /// The passage of about `words` words of this (whole, highlighted) text that shows the
    /// most different matched words, then the most matches, then comes first; "…" marks
    /// where it was cut. Nil when nothing matched.
    ///
    /// The store derives snippets this way from the body's highlight instead of asking FTS5
    /// for a snippet too: that would tokenize the article twice more per result.
    public func passage(words: Int = 24) -> MarkedSnippet? {
        guard !matches.isEmpty else { return nil }
        let scalars = Array(text.unicodeScalars)
        // Word starts (scalar offsets), words being runs of non-whitespace.
        var starts: [Int] = []
        var inWord = false
        for (i, scalar) in scalars.enumerated() {
            let space = scalar.isWhiteSpace
            if !space, !inWord { starts.append(i) }
            inWord = !space
        }
        func word(at offset: Int) -> Int {
            var lo = 0, hi = starts.count - 1
            while lo < hi {
                let mid = (lo + hi + 1) / 2
                if starts[mid] <= offset { lo = mid } else { hi = mid - 1 }
            }
            return lo
        }
        let matchWords = matches.map { word(at: $0.lowerBound) }
        let texts = matches.map { String(String.UnicodeScalarView(scalars[$0])) }
        // Candidate windows start a few words before each match.
        var best: (distinct: Int, count: Int, start: Int)? = nil
        for first in Set(matchWords.map { max(0, $0 - 3) }).sorted() {
            let inside = matchWords.indices.filter { matchWords[$0] >= first && matchWords[$0] < first + words }
            let distinct = Set(inside.map { texts[$0] }).count
            if best == nil || (distinct, inside.count) > (best!.distinct, best!.count) {
                best = (distinct, inside.count, first)
            }
        }
        let first = best!.start
        let lower = first == 0 ? 0 : starts[first]
        var upper = scalars.count
        if first + words < starts.count {
            upper = starts[first + words]
            while upper > lower, scalars[upper - 1].isWhiteSpace { upper -= 1 }
        }
        var out = String.UnicodeScalarView()
        let prefix = lower > 0 ? 1 : 0
        if lower > 0 { out.append("…") }
        out.append(contentsOf: scalars[lower..<upper])
        if upper < scalars.count { out.append("…") }
        let kept = matches.filter { $0.lowerBound >= lower && $0.upperBound <= upper }
            .map { ($0.lowerBound - lower + prefix)..<($0.upperBound - lower + prefix) }
        return MarkedSnippet(text: String(out), matches: kept)
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

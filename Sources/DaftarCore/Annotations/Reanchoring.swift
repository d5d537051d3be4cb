/// Where an annotation made on one version of an article is shown on another version, and how
/// that place was found — or why it has none there.
public struct Placement: Sendable, Hashable, Codable {
    public enum Method: String, Sendable, Hashable, Codable {
        /// The same words with the same words around them.
        case exact
        /// The same words; what surrounds them, or where they are, changed.
        case moved
        /// Words like the annotated ones (typos fixed, a word changed), found within the edit
        /// budget; ``Placement/score`` says how alike.
        case fuzzy
        /// Not placed: the passage is gone, too changed, or in two places that score alike.
        case orphan
        /// About the whole article, not a passage: it belongs to every version.
        case whole
    }

    public var method: Method
    /// The passage on this version; nil for an orphan.
    public var anchor: TextAnchor?
    /// How sure the placement is, 0…1 (1 for exact).
    public var score: Double
    /// Why an orphan has no place, in words.
    public var reason: String?
    /// An orphan's candidate passages (scalar ranges of this version) when several scored alike.
    public var candidates: [Range<Int>] = []

    static func placed(_ anchor: TextAnchor, _ method: Method, _ score: Double) -> Placement {
        Placement(method: method, anchor: anchor, score: (score * 1000).rounded() / 1000)
    }

    static func orphan(_ reason: String, candidates: [Range<Int>] = []) -> Placement {
        Placement(method: .orphan, anchor: nil, score: 0, reason: reason, candidates: candidates)
    }

    /// "exact", "moved", "fuzzy 0.87", "orphan", "whole article".
    public var label: String {
        switch method {
        case .fuzzy: "fuzzy \(String(format: "%.2f", score))"
        case .whole: "whole article"
        default: method.rawValue
        }
    }
}

/// Re-anchoring: an annotation's passage, found in another version of its text. First by its
/// quote (folded, as search reads it, so letter forms, digits, ZWNJ and spacing do not count),
/// with the words around it and where it was choosing among several occurrences; then by an
/// approximate match of the quote within an edit budget, scored by how alike the quote, the
/// words around it and its place are. A placement that scores too low, or two that score
/// alike, make an orphan — listed, never placed silently. A function of the two texts and the
/// anchor only, so every replica places an annotation the same way.
extension Anchoring {
    /// Lowest score a placement that is not exact (moved or fuzzy) needs.
    public static let placementThreshold = 0.7
    /// Two candidates whose scores differ by less than this are alike: the annotation is an orphan.
    public static let ambiguityMargin = 0.04
    /// Quotes shorter than this (folded letters) are only placed by an exact match.
    public static let shortestFuzzyQuote = 3

    /// Quotes shorter than this (folded letters) are placed only where the words around them
    /// are alike too: a short word recurs in many places.
    public static let distinctiveQuote = 12

    /// Where `anchor`, made on a text of `sourceLength` scalars, belongs in this body.
    public func place(_ anchor: TextAnchor, sourceLength: Int) -> Placement {
        if anchor.isWholeArticle { return Placement(method: .whole, anchor: anchor, score: 1) }
        let needle = Self.foldedScalars(anchor.exact)
        guard !needle.isEmpty else { return .orphan("its passage has no words") }
        let context = Context(anchor, in: self, sourceLength: sourceLength)
        func scored(_ range: Range<Int>, quote: Double) -> Candidate {
            let c = context.similarity(range)
            let score = c.map { 0.6 * quote + 0.3 * $0 } ?? 0.85 * quote
            return Candidate(range: range, quote: quote, context: c, score: score + (c == nil ? 0.15 : 0.1) * context.position(range))
        }

        // The quote itself, where the words around it are the same: placed exactly.
        var pool = occurrences(of: anchor.exact).map { scored($0, quote: 1) }.sorted(by: Candidate.better)
        if let best = pool.first, (best.context ?? 1) >= 0.9, pool.count == 1 || best.score - pool[1].score >= Self.ambiguityMargin {
            return .placed(TextAnchor(body: body, start: best.range.lowerBound, end: best.range.upperBound), .exact, 1)
        }
        // Else every passage within the edit budget competes with the quote's other places.
        if needle.count >= Self.shortestFuzzyQuote {
            for match in approximateMatches(needle, budget: max(1, needle.count / 4)) where match.distance > 0 {
                let range = context.snapped(origin[match.start].lowerBound..<wordEnd(after: origin[match.end - 1].upperBound))
                if pool.contains(where: { $0.range.overlaps(range) }) { continue }
                pool.append(scored(range, quote: 1 - Double(match.distance) / Double(needle.count)))
            }
            pool.sort(by: Candidate.better)
        }
        // A short quote needs the words around it: alone it recurs anywhere; changed, it is
        // another word unless its surroundings are nearly the same.
        if needle.count < Self.distinctiveQuote { pool.removeAll { ($0.context ?? 1) < ($0.quote == 1 ? 0.5 : 0.8) } }
        guard let best = pool.first, best.score >= Self.placementThreshold else {
            return .orphan("its words are not in this version" + (pool.first.map { String(format: " (the closest passage scores %.2f)", $0.score) } ?? ""))
        }
        let rivals = pool.dropFirst().filter { !$0.range.overlaps(best.range) && best.score - $0.score < Self.ambiguityMargin }
        if !rivals.isEmpty {
            return .orphan("its words are in \(rivals.count + 1) places here that are alike", candidates: ([best] + rivals).map(\.range).sorted { $0.lowerBound < $1.lowerBound })
        }
        let placed = TextAnchor(body: body, start: best.range.lowerBound, end: best.range.upperBound)
        return best.quote == 1 ? .placed(placed, .moved, best.score) : .placed(placed, .fuzzy, best.score)
    }

    /// A passage that may be the annotated one, scored: how alike its words (`quote`), the
    /// words around it (`context`, nil when the passage had none) and, overall, its place.
    struct Candidate {
        var range: Range<Int>
        var quote: Double
        var context: Double?
        var score: Double

        /// Higher score first; the earlier passage on a tie, so the order is total.
        static func better(_ a: Candidate, _ b: Candidate) -> Bool {
            (a.score, -a.range.lowerBound) > (b.score, -b.range.lowerBound)
        }
    }

    /// What surrounds the annotated passage on its own version, for scoring places here.
    struct Context {
        let prefix: [Unicode.Scalar]
        let suffix: [Unicode.Scalar]
        /// Where the passage was, as a fraction of its text.
        let fraction: Double
        let wholeWords: (start: Bool, end: Bool)
        let anchoring: Anchoring

        init(_ anchor: TextAnchor, in anchoring: Anchoring, sourceLength: Int) {
            prefix = Array(Anchoring.foldedScalars(anchor.prefix).suffix(24))
            suffix = Array(Anchoring.foldedScalars(anchor.suffix).prefix(24))
            fraction = Double(anchor.start) / Double(max(sourceLength, 1))
            wholeWords = (anchor.prefix.unicodeScalars.last.map(Self.isBoundary) ?? true, anchor.suffix.unicodeScalars.first.map(Self.isBoundary) ?? true)
            self.anchoring = anchoring
        }

        /// How alike the folded words before and after `range` are to the passage's own, 0…1;
        /// nil when the passage had none (it was the whole text).
        func similarity(_ range: Range<Int>) -> Double? {
            let at = anchoring.foldedIndex(atOrAfter: range.lowerBound)
            let after = anchoring.foldedIndex(atOrAfter: range.upperBound)
            var scores: [Double] = []
            if !prefix.isEmpty {
                let before = anchoring.folded[max(0, at - prefix.count)..<at]
                scores.append(Anchoring.likeness(prefix, Array(before)))
            }
            if !suffix.isEmpty {
                let next = anchoring.folded[after..<min(anchoring.folded.count, after + suffix.count)]
                scores.append(Anchoring.likeness(suffix, Array(next)))
            }
            return scores.isEmpty ? nil : scores.reduce(0, +) / Double(scores.count)
        }

        /// 1 at the same relative place in the text, falling to 0 half a text away.
        func position(_ range: Range<Int>) -> Double {
            let here = Double(range.lowerBound) / Double(max(anchoring.body.count, 1))
            return max(0, 1 - 2 * abs(here - fraction))
        }

        /// True for what ends a word as a reader sees it: a separator, or a ZWNJ (which joins
        /// the word and the next one only in how they are drawn).
        static func isBoundary(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "\u{200C}" || PersianFolding.action(for: scalar) == .separator
        }

        /// `range` moved to the nearest word boundaries, when the annotated passage was whole words.
        func snapped(_ range: Range<Int>) -> Range<Int> {
            let body = anchoring.body
            func isSeparator(_ i: Int) -> Bool { Self.isBoundary(body[i]) }
            var start = range.lowerBound, end = range.upperBound
            // Into the word it cuts when more of that word is inside the range than outside.
            if wholeWords.start && start > 0 && !isSeparator(start - 1) {
                var back = start, wordEnd = start
                while back > 0 && !isSeparator(back - 1) { back -= 1 }
                while wordEnd < end && !isSeparator(wordEnd) { wordEnd += 1 }
                var next = wordEnd
                while next < end && isSeparator(next) { next += 1 }
                start = (start - back < wordEnd - start || next >= end) ? back : next
            }
            if wholeWords.end && end < body.count && !isSeparator(end) {
                var forward = end, wordStart = end
                while forward < body.count && !isSeparator(forward) { forward += 1 }
                while wordStart > start && !isSeparator(wordStart - 1) { wordStart -= 1 }
                var previous = wordStart
                while previous > start && isSeparator(previous - 1) { previous -= 1 }
                end = (forward - end < end - wordStart || previous <= start) ? forward : previous
            }
            return start..<end
        }
    }

    /// The index in ``folded`` of the first folded scalar from original position `position` on.
    func foldedIndex(atOrAfter position: Int) -> Int {
        var lo = 0, hi = origin.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if origin[mid].lowerBound < position { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// 1 − edit distance / the longer length: 1 for equal sequences, 0 for nothing in common.
    static func likeness(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Double {
        let longer = max(a.count, b.count)
        guard longer > 0 else { return 1 }
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var diagonal = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let up = row[j]
                row[j] = min(up + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1))
                diagonal = up
            }
        }
        return 1 - Double(row[b.count]) / Double(longer)
    }

    /// Passages of the folded body within `budget` edits of `needle` (Sellers' algorithm: edit
    /// distance to the best substring ending at each place), each the best of its neighbourhood.
    func approximateMatches(_ needle: [Unicode.Scalar], budget: Int) -> [(start: Int, end: Int, distance: Int)] {
        let m = needle.count
        guard !folded.isEmpty else { return [] }
        var cost = [Int32](0...Int32(m)), start = [Int32](repeating: 0, count: m + 1)
        var ends: [(start: Int, end: Int, distance: Int)] = []
        for j in 0..<folded.count {
            let letter = folded[j]
            var diagonal = cost[0], diagonalStart = start[0]
            cost[0] = 0
            start[0] = Int32(j + 1)
            for i in 1...m {
                let up = cost[i], upStart = start[i]
                var best = diagonal + (needle[i - 1] == letter ? 0 : 1), bestStart = diagonalStart
                if cost[i - 1] + 1 < best { (best, bestStart) = (cost[i - 1] + 1, start[i - 1]) }
                if up + 1 < best { (best, bestStart) = (up + 1, upStart) }
                (diagonal, diagonalStart) = (up, upStart)
                cost[i] = best
                start[i] = bestStart
            }
            let distance = Int(cost[m])
            guard distance <= budget, Int(start[m]) <= j else { continue }
            // Keep the best end of each run of overlapping matches.
            if let last = ends.last, Int(start[m]) <= last.end - 1 {
                if distance < last.distance { ends[ends.count - 1] = (Int(start[m]), j + 1, distance) }
            } else {
                ends.append((Int(start[m]), j + 1, distance))
            }
        }
        return ends
    }
}

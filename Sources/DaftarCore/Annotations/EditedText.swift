/// A text edited the ways a news story is between versions — typos made or fixed, sentences
/// inserted and deleted, lines reflowed, words spaced, joined or ZWNJ'd, Arabic letter forms,
/// another digit script — remembering where each scalar of the original went. It is the
/// generated edit corpus that re-anchoring is measured on (`ReanchoringCorpusTests`,
/// `daftar-bench --phases anchoring`): the truth of where a passage is now.
public struct EditedText: Sendable {
    /// The edited text's scalars.
    public private(set) var scalars: [Unicode.Scalar]
    /// For each scalar, the index of the original scalar it is (or is another form of); nil
    /// for a scalar the edits wrote.
    public private(set) var from: [Int?]

    public init(_ original: String) {
        scalars = Array(original.unicodeScalars)
        from = scalars.indices.map { $0 }
    }

    public var text: String { String(String.UnicodeScalarView(scalars)) }

    /// Where the original passage `range` is now: from its first to its last surviving scalar,
    /// when at least `surviving` of them are left; nil when the passage is (mostly) gone.
    public func whereIs(_ range: Range<Int>, surviving: Double = 0.6) -> Range<Int>? {
        var first: Int?, last = 0, count = 0
        for (i, f) in from.enumerated() {
            guard let f, range.contains(f) else { continue }
            if first == nil { first = i }
            last = i
            count += 1
        }
        guard let first, Double(count) >= surviving * Double(range.count) else { return nil }
        return first..<last + 1
    }

    static func isLetter(_ s: Unicode.Scalar) -> Bool { s.properties.isAlphabetic }

    private mutating func replace(_ range: Range<Int>, with new: [Unicode.Scalar], from origins: [Int?]? = nil) {
        scalars.replaceSubrange(range, with: new)
        from.replaceSubrange(range, with: origins ?? Array(repeating: nil, count: new.count))
    }

    /// How a placement of an original passage compares with where the passage is now.
    public enum Verdict: String, Sendable, CaseIterable {
        /// Placed on the passage (overlapping at least half of it, and half of the placement on it).
        case placed
        /// An orphan because the passage is gone: right.
        case rightlyOrphaned
        /// An orphan though the passage is still there: nothing shown, but nothing wrong shown.
        case orphaned
        /// Placed somewhere else, or placed though the passage is gone.
        case misplaced

        public var isCorrect: Bool { self == .placed || self == .rightlyOrphaned }
    }

    /// The verdict on `placement` of the original passage `range`: placed when at least half
    /// of the placement is the passage's scalars, and it holds at least half of those left
    /// (a passage a new sentence split is rightly placed on its larger part).
    public func judge(_ placement: Placement, of range: Range<Int>) -> Verdict {
        let gone = whereIs(range) == nil
        guard let anchor = placement.anchor else { return gone ? .rightlyOrphaned : .orphaned }
        guard !gone else { return .misplaced }
        let left = from.count { $0.map(range.contains) == true }
        let placed = anchor.start..<anchor.end
        let ours = from[placed.clamped(to: from.indices)].count { $0.map(range.contains) == true }
        return ours * 2 >= placed.count && ours * 2 >= left ? .placed : .misplaced
    }

    /// A letter substituted, doubled or dropped: in a random word, or in the original passage `within`.
    public mutating func typo<R: RandomNumberGenerator>(within: Range<Int>? = nil, using rng: inout R) {
        let letters = scalars.indices.filter { Self.isLetter(scalars[$0]) && (within == nil || from[$0].map(within!.contains) == true) }
        guard let i = letters.randomElement(using: &rng) else { return }
        let alphabet = Array("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی".unicodeScalars)
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: replace(i..<i + 1, with: [alphabet.randomElement(using: &rng)!])
        case 1: replace(i..<i, with: [scalars[i]])
        default: replace(i..<i + 1, with: [])
        }
    }

    /// Sentence ends: after `.`, `؟`, `!` or a line break.
    private var sentenceEnds: [Int] {
        [0] + scalars.indices.filter { [".", "؟", "!", "\n"].contains(Character(scalars[$0])) }.map { $0 + 1 }
    }

    /// `sentence` inserted after a random sentence end.
    public mutating func insert<R: RandomNumberGenerator>(sentence: String, using rng: inout R) {
        let at = sentenceEnds.randomElement(using: &rng)!
        let new = Array((at > 0 && scalars[at - 1] != "\n" ? " " : "").unicodeScalars) + Array(sentence.unicodeScalars) + [" "]
        replace(at..<at, with: new)
    }

    /// A random sentence deleted.
    public mutating func deleteSentence<R: RandomNumberGenerator>(using rng: inout R) {
        let ends = sentenceEnds + [scalars.count]
        guard ends.count > 2 else { return }
        let k = Int.random(in: 0..<(ends.count - 1), using: &rng)
        replace(ends[k]..<ends[k + 1], with: [])
    }

    /// Line breaks become spaces and a few spaces line breaks.
    public mutating func reflow<R: RandomNumberGenerator>(using rng: inout R) {
        for i in scalars.indices where scalars[i] == "\n" || (scalars[i] == " " && Int.random(in: 0..<12, using: &rng) == 0) {
            scalars[i] = scalars[i] == "\n" ? " " : "\n"
        }
    }

    /// Some word breaks change: a space becomes a ZWNJ, a ZWNJ a space or nothing.
    public mutating func respace<R: RandomNumberGenerator>(using rng: inout R) {
        var i = scalars.count - 1
        while i > 0 {
            if scalars[i] == "\u{200C}" {
                if Bool.random(using: &rng) { replace(i..<i + 1, with: Bool.random(using: &rng) ? [" "] : []) }
            } else if scalars[i] == " ", Int.random(in: 0..<8, using: &rng) == 0, Self.isLetter(scalars[i - 1]), i + 1 < scalars.count, Self.isLetter(scalars[i + 1]) {
                replace(i..<i + 1, with: ["\u{200C}"])
            }
            i -= 1
        }
    }

    /// Persian yeh and kaf written in their Arabic forms (as many sites do), here and there.
    public mutating func arabicLetters<R: RandomNumberGenerator>(using rng: inout R) {
        let everywhere = Bool.random(using: &rng)
        for i in scalars.indices where everywhere || Bool.random(using: &rng) {
            if scalars[i] == "ی" { scalars[i] = "ي" } else if scalars[i] == "ک" { scalars[i] = "ك" }
        }
    }

    /// Persian digits written as Latin ones, or the other way round.
    public mutating func otherDigits() {
        for i in scalars.indices {
            let v = scalars[i].value
            if (0x06F0...0x06F9).contains(v) {
                scalars[i] = Unicode.Scalar(v - 0x06F0 + 0x30)!
            } else if (0x30...0x39).contains(v) {
                scalars[i] = Unicode.Scalar(v - 0x30 + 0x06F0)!
            }
        }
    }
}

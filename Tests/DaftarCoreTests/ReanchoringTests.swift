import DaftarCore
import DaftarTestSupport
import Foundation
import Testing

/// Re-anchoring an annotation made on one version of an article onto another.
@Suite("Re-anchoring")
struct ReanchoringTests {
    static let old = """
        وزیر امور خارجه روسیه در مسکو گفت همکاری نظامی با ایران ادامه دارد.
        او افزود که مذاکرات هسته‌ای به مرحله تازه‌ای رسیده است.
        سخنگوی وزارت خارجه ایران این سخنان را تایید کرد.
        """

    static func anchor(_ quote: String, in text: String) -> TextAnchor {
        let body = Array(text.unicodeScalars), q = Array(quote.unicodeScalars)
        let start = (0...(body.count - q.count)).first { Array(body[$0..<$0 + q.count]) == q }!
        return TextAnchor(body: body, start: start, end: start + q.count)
    }

    static func place(_ quote: String, from old: String = old, in new: String) -> (Placement, String?) {
        let placement = Anchoring(body: new).place(anchor(quote, in: old), sourceLength: old.unicodeScalars.count)
        return (placement, placement.anchor.map(\.exact))
    }

    @Test func theSameTextPlacesExactly() {
        let (placement, quote) = Self.place("مذاکرات هسته‌ای", in: Self.old)
        #expect(placement.method == .exact)
        #expect(quote == "مذاکرات هسته‌ای")
    }

    @Test func aPassageWhoseSurroundingsChangedIsMoved() {
        let new = "خبر فوری: " + Self.old.replacingOccurrences(of: "او افزود که", with: "وی همچنین گفت")
        let (placement, quote) = Self.place("مذاکرات هسته‌ای", in: new)
        #expect(placement.method == .moved)
        #expect(quote == "مذاکرات هسته‌ای")
    }

    @Test func lettersFormsSpacingAndDigitsAreNoChange() {
        let new = Self.old.replacingOccurrences(of: "هسته‌ای", with: "هسته ای").replacingOccurrences(of: "ی", with: "ي")
        let (placement, quote) = Self.place("مذاکرات هسته‌ای به مرحله", in: new)
        #expect(placement.method == .exact)
        #expect(quote == "مذاکرات هسته اي به مرحله")
    }

    @Test func aTypoFixedIsFoundFuzzily() {
        let typo = Self.old.replacingOccurrences(of: "همکاری نظامی", with: "همکاری نضامی")
        let (placement, quote) = Self.place("همکاری نضامی با ایران", from: typo, in: Self.old)
        #expect(placement.method == .fuzzy)
        #expect(placement.score > 0.8 && placement.score < 1)
        #expect(quote == "همکاری نظامی با ایران")
    }

    @Test func aDeletedPassageIsAnOrphan() {
        let new = Self.old.replacingOccurrences(of: "او افزود که مذاکرات هسته‌ای به مرحله تازه‌ای رسیده است.\n", with: "")
        let (placement, _) = Self.place("مذاکرات هسته‌ای به مرحله تازه‌ای", in: new)
        #expect(placement.method == .orphan)
        #expect(placement.reason?.contains("not in this version") == true)
    }

    @Test func twoPlacesAlikeMakeAnOrphanWithItsCandidates() {
        let line = "این سخنان را تایید کرد"
        // The passage in the middle: in the text twice over, its two places are as near.
        let old = "خبر یک و خبر دو و خبر سه. " + line + ". خبر چهار."
        let new = old + " " + old
        let (placement, _) = Self.place(line, from: old, in: new)
        #expect(placement.method == .orphan)
        #expect(placement.candidates.count == 2)
        // The context decides when it can.
        let decided = "مقدمه. خبر یک و خبر دو و خبر سه. " + line + ". خبر دیگر. " + line + "."
        let (chosen, _) = Self.place(line, from: old, in: decided)
        #expect(chosen.method == .moved)  // the words before are the same, those after are not
        #expect(chosen.anchor?.start == 33)
    }

    /// A passage typed with a typo in a word is snapped to whole words.
    @Test func fuzzyPlacementsKeepWholeWords() {
        let new = Self.old.replacingOccurrences(of: "سخنگوی وزارت", with: "سخنگویِ وزارتخانه")
        let (placement, quote) = Self.place("سخنگوی وزارت خارجه ایران", in: new)
        #expect(placement.method == .fuzzy)
        #expect(quote == "سخنگویِ وزارتخانه خارجه ایران")
    }

    // MARK: - The generated edit corpus

    /// Articles for the corpus: the seeds, and articles made of the judged corpus's texts.
    static func articles(_ rng: inout SplitMix64) throws -> [String] {
        let judged = try judgedTexts()
        var out = try seeds()
        for _ in 0..<45 {
            out.append(judged.shuffled(using: &rng).prefix(Int.random(in: 12...30, using: &rng)).joined(separator: Bool.random(using: &rng) ? "\n" : "\n\n"))
        }
        return out
    }

    static func seeds() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: Repository.seedsDirectory).sorted()
            .map { try String(contentsOfFile: Repository.seedsDirectory + "/" + $0, encoding: .utf8) }
    }

    /// The lines of the judged corpus's texts (titles and bodies), without its headers.
    static func judgedTexts() throws -> [String] {
        try String(contentsOfFile: Repository.root + "/Tests/Judged/corpus.txt", encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.contains("|") }.map(String.init)
    }

    /// Figures over the corpus: counts per verdict and per method.
    struct Figures: CustomStringConvertible {
        var verdicts: [EditedText.Verdict: Int] = [:]
        var methods: [Placement.Method: Int] = [:]
        var total: Int { verdicts.values.reduce(0, +) }
        func share(_ verdict: EditedText.Verdict...) -> Double {
            Double(verdict.reduce(0) { $0 + verdicts[$1, default: 0] }) / Double(max(total, 1))
        }
        var description: String {
            let v = EditedText.Verdict.allCases.map { "\($0.rawValue) \(verdicts[$0, default: 0])" }.joined(separator: ", ")
            let m = [Placement.Method.exact, .moved, .fuzzy, .orphan].map { "\($0.rawValue) \(methods[$0, default: 0])" }.joined(separator: ", ")
            return "\(total) annotations: correct \(String(format: "%.3f", share(.placed, .rightlyOrphaned))), misplaced \(String(format: "%.3f", share(.misplaced))) — \(v); by method: \(m)"
        }
    }

    /// One version of `text` edited as a story is updated, with `annotations` (passages of the
    /// original) re-anchored on it.
    /// Passages are 1–10 words; `acrossParagraphs` says whether they may cross a line break
    /// (highlights seldom do; a passage split by a sentence inserted into it is harder).
    static func trial(_ text: String, annotations: Int, others: [String], acrossParagraphs: Bool = false, _ rng: inout SplitMix64, figures: inout Figures) {
        let words = PersianFolding.words(in: text)
        guard words.count > 20 else { return }
        let body = Array(text.unicodeScalars)
        var passages: [Range<Int>] = []
        while passages.count < annotations {
            let first = Int.random(in: 0..<(words.count - 12), using: &rng)
            let last = first + Int.random(in: 0..<10, using: &rng)
            let passage = words[first].scalarRange.lowerBound..<words[last].scalarRange.upperBound
            if acrossParagraphs == body[passage].contains("\n") { passages.append(passage) }
        }
        var edited = EditedText(text)
        for passage in passages where Int.random(in: 0..<4, using: &rng) == 0 { edited.typo(within: passage, using: &rng) }
        for _ in 0..<Int.random(in: 0...4, using: &rng) { edited.typo(using: &rng) }
        for _ in 0..<Int.random(in: 1...2, using: &rng) { edited.deleteSentence(using: &rng) }
        for _ in 0..<Int.random(in: 1...2, using: &rng) { edited.insert(sentence: others.randomElement(using: &rng)!, using: &rng) }
        if Bool.random(using: &rng) { edited.reflow(using: &rng) }
        if Bool.random(using: &rng) { edited.respace(using: &rng) }
        if Int.random(in: 0..<3, using: &rng) == 0 { edited.arabicLetters(using: &rng) }
        if Int.random(in: 0..<3, using: &rng) == 0 { edited.otherDigits() }
        let anchoring = Anchoring(body: edited.text)
        for passage in passages {
            let placement = anchoring.place(TextAnchor(body: body, start: passage.lowerBound, end: passage.upperBound), sourceLength: body.count)
            let verdict = edited.judge(placement, of: passage)
            if ProcessInfo.processInfo.environment["DAFTAR_SHOW_MISSES"] != nil, !verdict.isCorrect {
                let truth = edited.whereIs(passage).map { String(String.UnicodeScalarView(edited.scalars[$0])) } ?? "(gone)"
                print("\(verdict) \(placement.label) «\(String(String.UnicodeScalarView(body[passage])))» → «\(placement.anchor?.exact ?? placement.reason ?? "")» truth «\(truth)»".replacingOccurrences(of: "\n", with: "⏎"))
            }
            figures.verdicts[verdict, default: 0] += 1
            figures.methods[placement.method, default: 0] += 1
        }
    }

    /// The issue's bar on a seeded corpus: ≥ 95 % placed correctly (placed on the passage, or
    /// an orphan because it is gone), ≤ 1 % misplaced; the rest are orphans, listed.
    @Test func theEditCorpusMeetsTheBar() throws {
        var rng = SplitMix64(seed: 20_261_130)
        let articles = try Self.articles(&rng)
        let sentences = articles.flatMap { $0.split(separator: ".").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) + "." } }
            .filter { $0.count > 20 }
        var figures = Figures(), across = Figures()
        for round in 0..<4 {
            for article in articles { Self.trial(article, annotations: round == 0 ? 12 : 8, others: sentences, &rng, figures: &figures) }
        }
        for article in articles { Self.trial(article, annotations: 8, others: sentences, acrossParagraphs: true, &rng, figures: &across) }
        print("re-anchoring corpus: \(figures)")
        print("re-anchoring corpus, passages across paragraphs: \(across)")
        #expect(across.share(.misplaced) <= 0.02)
        #expect(figures.total > 1_500)
        #expect(figures.share(.placed, .rightlyOrphaned) >= 0.95)
        #expect(figures.share(.misplaced) <= 0.01)
    }
}


import DaftarCore
import Foundation

/// Re-anchoring on a 50 KB article: annotations made on one version placed on an edited one
/// (``EditedText``: typos in and around the passages, sentences deleted and written, lines
/// reflowed, words spaced and joined, Arabic letter forms, other digits). The time per
/// annotation, against the baseline of folding the article once (what any placement needs),
/// and how the placements compare with where the passages really went.
extension Phase {
    static let anchoringBytes = 50_000
    static let anchoringAnnotations = 300

    func anchoring() throws -> [Figure] {
        let corpus = try corpus()
        var text = "", n = 0
        while text.utf8.count < Self.anchoringBytes {
            text += corpus.article(900_000 + n, seed: seed) + "\n\n"
            n += 1
        }
        var rng = SplitMix64(seed: seed ^ 0xA9C4)
        let body = Array(text.unicodeScalars)
        let words = PersianFolding.words(in: text)
        let passages = (0..<Self.anchoringAnnotations).map { _ -> Range<Int> in
            let first = Int.random(in: 0..<(words.count - 12), using: &rng)
            return words[first].scalarRange.lowerBound..<words[first + Int.random(in: 0..<10, using: &rng)].scalarRange.upperBound
        }
        var edited = EditedText(text)
        for passage in passages where Int.random(in: 0..<4, using: &rng) == 0 { edited.typo(within: passage, using: &rng) }
        for _ in 0..<20 { edited.typo(using: &rng) }
        let others = corpus.article(950_000, seed: seed).split(separator: ".").map(String.init)
        for _ in 0..<6 {
            edited.deleteSentence(using: &rng)
            edited.insert(sentence: others.randomElement(using: &rng)!, using: &rng)
        }
        edited.reflow(using: &rng)
        edited.respace(using: &rng)
        edited.arabicLetters(using: &rng)
        edited.otherDigits()
        let newText = edited.text

        // Baseline: folding the edited article once (every placement starts from it).
        let foldMS = Self.medianMS { _ = Anchoring(body: newText) }
        let anchoring = Anchoring(body: newText)
        var times: [Double] = []
        var verdicts: [EditedText.Verdict: Int] = [:]
        var methods: [Placement.Method: Int] = [:]
        for passage in passages {
            let anchor = TextAnchor(body: body, start: passage.lowerBound, end: passage.upperBound)
            var placement: Placement?
            times.append(try Self.seconds { placement = anchoring.place(anchor, sourceLength: body.count) } * 1000)
            verdicts[edited.judge(placement!, of: passage), default: 0] += 1
            methods[placement!.method, default: 0] += 1
        }
        let total = Double(passages.count)
        var figures = [
            Figure("anchoring", size, "article_kb", Double(text.utf8.count) / 1000, "KB"),
            Figure("anchoring", size, "fold_article_ms", foldMS, "ms"),
            Figure("anchoring", size, "place_p50_ms", Self.percentile(times, 0.5), "ms"),
            Figure("anchoring", size, "place_p95_ms", Self.percentile(times, 0.95), "ms"),
            Figure("anchoring", size, "place_mean_ms", times.reduce(0, +) / total, "ms"),
            Figure("anchoring", size, "place_p50_to_fold", Self.percentile(times, 0.5) / foldMS, "×"),
            Figure("anchoring", size, "correct", Double(verdicts[.placed, default: 0] + verdicts[.rightlyOrphaned, default: 0]) / total, "share"),
            Figure("anchoring", size, "misplaced", Double(verdicts[.misplaced, default: 0]) / total, "share"),
            Figure("anchoring", size, "orphaned_though_there", Double(verdicts[.orphaned, default: 0]) / total, "share"),
        ]
        for method in [Placement.Method.exact, .moved, .fuzzy, .orphan] {
            figures.append(Figure("anchoring", size, "method_\(method.rawValue)", Double(methods[method, default: 0]), "annotations"))
        }
        return figures
    }
}

import DaftarCore
import Foundation
import Testing

/// Telling a new version of a story from another article, and what changed between versions.
@Suite("Story versions")
struct StorySketchTests {
    /// The threshold sits in the gap: every edited version (two paragraphs' worth of sentences
    /// deleted and inserted, typos, letter forms, spacing) is above it, every pair of distinct
    /// articles below.
    @Test func theThresholdSeparatesVersionsFromOtherArticles() throws {
        var rng = SplitMix64(seed: 7)
        // Distinct articles of news length (1–5 KB): the seeds, and the judged corpus's lines
        // forty to an article.
        let judged = try ReanchoringTests.judgedTexts()
        let articles = try ReanchoringTests.seeds() + stride(from: 0, to: judged.count - 20, by: 40).map { judged[$0..<min($0 + 40, judged.count)].joined(separator: "\n") }
        let sentences = articles.flatMap { $0.split(separator: ".").map(String.init) }.filter { (20...200).contains($0.count) }
        let sketches = articles.map(StorySketch.init(body:))
        var lowestVersion = 1.0, highestOther = 0.0
        for (i, article) in articles.enumerated() {
            // An update: a tenth of the sentences deleted, as many written, typos, another site's spelling.
            var edited = EditedText(article)
            let changed = max(1, article.split(whereSeparator: { $0 == "." || $0 == "\n" }).count / 10)
            for _ in 0..<changed { edited.deleteSentence(using: &rng) }
            for _ in 0..<changed { edited.insert(sentence: sentences.randomElement(using: &rng)!, using: &rng) }
            for _ in 0..<6 { edited.typo(using: &rng) }
            edited.respace(using: &rng)
            edited.arabicLetters(using: &rng)
            let version = StorySketch(body: edited.text)
            lowestVersion = min(lowestVersion, version.similarity(to: sketches[i]))
            for j in articles.indices where j != i {
                highestOther = max(highestOther, sketches[i].similarity(to: sketches[j]))
            }
        }
        print("story sketch: lowest similarity of a version \(String(format: "%.3f", lowestVersion)), highest of two articles \(String(format: "%.3f", highestOther)), threshold \(StorySketch.threshold)")
        #expect(lowestVersion > StorySketch.threshold + 0.1)
        #expect(highestOther < StorySketch.threshold - 0.1)
    }

    @Test func theIndexIngestKeepsIsTheSketchsSmallestHashes() throws {
        for text in try ReanchoringTests.seeds() {
            #expect(StorySketch.index(of: text) == StorySketch(body: text).index)
        }
        #expect(StorySketch.index(of: "خبر کوتاه") == nil)
    }

    @Test func similarityIsSymmetricAndShortTextsAreNeverVersions() throws {
        let text = try ReanchoringTests.seeds()[0]
        let a = StorySketch(body: "خبر نخست. " + text + "سخنگوی دولت هم سخن گفت.")
        let b = StorySketch(body: "خبر دوم. " + text + "سخنگوی دولت سکوت کرد.")
        #expect(a.similarity(to: b) == b.similarity(to: a))
        #expect(a.isVersion(of: b))
        let short = StorySketch(body: "خبر کوتاه امروز")
        #expect(!short.isVersion(of: short))
    }

    @Test func theDiffListsWordsRemovedAndAddedInReadingOrder() {
        let old = "وزیر امور خارجه روسیه امروز در مسکو گفت همکاری نظامی ادامه دارد. این دیدار دو ساعت طول کشید."
        let new = "وزير امور خارجه روسیه دیروز در مسکو گفت همکاری نظامی ادامه دارد. این دیدار دو ساعت طول کشید و بیانیه‌ای منتشر شد."
        let diff = WordDiff(from: old, to: new)
        #expect(diff.changes == [.removed("امروز"), .added("دیروز"), .added("و بیانیه‌ای منتشر شد")])
        #expect(WordDiff(from: old, to: old).changes.isEmpty)
        #expect(WordDiff(from: "", to: "یک دو").changes == [.added("یک دو")])
    }
}

import DaftarCore
import Foundation

/// Persian-like articles with a realistic vocabulary: the words of `seeds/` plus synthesized
/// Persian-looking words, ≥ 50,000 distinct, drawn with a Zipf distribution; names, Persian
/// digits, and words written joined, with a ZWNJ or spaced.
struct Corpus {
    let vocabulary: [String]
    private let cumulative: [Double]
    static let names = ["پوتین", "لاوروف", "شویگو", "پزشکیان", "عراقچی", "بلوسوف", "جلالی", "امیرعبداللهیان", "ترامپ", "اردوغان"]
    static let prefixed = ["می", "نمی"]
    static let suffixes = ["ها", "های", "ای"]

    init(seedTexts: [String], distinctWords: Int = 60_000, seed: UInt64) {
        var rng = SplitMix64(seed: seed ^ 0x5EED)
        var seen = Set<String>()
        var words: [String] = []
        for text in seedTexts {
            for word in text.split(whereSeparator: { $0.isWhitespace || $0.isPunctuation }) where seen.insert(String(word)).inserted {
                words.append(String(word))
            }
        }
        let letters = Array("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی")
        while words.count < distinctWords {
            let length = Int.random(in: 2...8, using: &rng)
            let word = String((0..<length).map { _ in letters.randomElement(using: &rng)! })
            if seen.insert(word).inserted { words.append(word) }
        }
        // Zipf (s = 1): frequent words first — the seeds' words, then the synthesized ones.
        vocabulary = words
        var total = 0.0
        cumulative = (1...words.count).map { rank in
            total += 1.0 / Double(rank)
            return total
        }
    }

    func word(_ rng: inout SplitMix64) -> String {
        let x = Double.random(in: 0..<cumulative.last!, using: &rng)
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return vocabulary[lo]
    }

    static func persianDigits(_ n: Int) -> String {
        String(String(n).map { Character(Unicode.Scalar(0x06F0 + UInt32($0.wholeNumberValue!))!) })
    }

    /// Article `index`: ~3 KB, a title line, paragraphs, sometimes a date prefix.
    func article(_ index: Int, seed: UInt64) -> String {
        var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9)
        func phrase(_ count: Int) -> String {
            (0..<count).map { _ -> String in
                switch Int.random(in: 0..<100, using: &rng) {
                case 0..<3: return Self.names.randomElement(using: &rng)!
                case 3..<5: return Self.persianDigits(Int.random(in: 1..<1500, using: &rng))
                case 5..<8:  // verb with می: joined, ZWNJ or spaced
                    let stem = word(&rng)
                    return [Self.prefixed[0] + stem, Self.prefixed[0] + "\u{200C}" + stem, Self.prefixed[0] + " " + stem][Int.random(in: 0..<3, using: &rng)]
                case 8..<11:  // plural: joined, ZWNJ or spaced
                    let stem = word(&rng), suffix = Self.suffixes.randomElement(using: &rng)!
                    return [stem + suffix, stem + "\u{200C}" + suffix, stem + " " + suffix][Int.random(in: 0..<3, using: &rng)]
                default: return word(&rng)
                }
            }.joined(separator: " ")
        }
        var text = ""
        if Int.random(in: 0..<2, using: &rng) == 0 {
            text += " date 202\(Int.random(in: 0...5, using: &rng))-0\(Int.random(in: 1...9, using: &rng))-1\(Int.random(in: 0...9, using: &rng)) "
        }
        text += phrase(Int.random(in: 6...12, using: &rng)) + "\n\n"
        while text.utf8.count < 2_600 + Int.random(in: 0...800, using: &rng) {
            text += phrase(Int.random(in: 25...60, using: &rng)) + ".\n\n"
        }
        text += "شماره \(index)"  // every article distinct
        return text
    }
}

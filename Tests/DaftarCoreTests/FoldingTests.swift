import DaftarCore
import Testing

@Suite("Persian folding")
struct FoldingTests {
    @Test(arguments: [
        ("روسيه", "روسیه"),           // Arabic yeh
        ("علی", "علی"), ("على", "علی"),  // alef maksura
        ("كرملين", "کرملین"),          // Arabic kaf
        ("مدرسة", "مدرسه"), ("خانۀ", "خانه"), ("ھمه", "همه"),  // teh marbuta, heh with yeh, heh doachashmee
        ("أحمد", "احمد"), ("إيران", "ایران"), ("آب", "اب"), ("ٱلله", "الله"),  // alef forms
        ("مؤسسه", "موسسه"),            // waw with hamza
        ("رئیس", "رییس"), ("جزئیات", "جزییات"), ("ارائه", "ارایه"), ("بقائی", "بقایی"),  // yeh with hamza
        ("ارتقاء", "ارتقا"), ("احیاء", "احیا"), ("سوء", "سو"), ("شیء", "شی"),  // word-final hamza after a long vowel
        ("ارتقاءً", "ارتقا"), ("ارتقاء و", "ارتقا و"),   // … before a tanwin, before another word
        ("جزء", "جزء"), ("ء", "ء"), ("اء", "ا"), ("مسئله", "مسیله"), ("هیئت", "هییت"),  // other hamzas stay
        ("خانهٔ", "خانه"),               // heh with hamza above (a mark)
        ("۱۴۰۴", "1404"), ("٢٠٢٥", "2025"), ("14۰4", "1404"),  // digits
        ("بین‌المللی", "بینالمللی"),   // ZWNJ
        ("بین‍المللی", "بینالمللی"),   // ZWJ
        ("تهـــران", "تهران"),          // tatweel
        ("مُحَمَّد", "محمد"), ("قرآنٰ", "قران"),  // diacritics, superscript alef
        ("\u{200F}ایران\u{200E}", "ایران"), ("\u{2067}ایران\u{2069}", "ایران"),  // direction marks, isolates
        ("soft\u{AD}ware", "software"),
        ("Putin", "putin"), ("ÉCOLE", "école"),
        ("\u{FEE9}\u{FEEE}\u{FE8E}", "هوا"),  // presentation forms
        ("\u{FEFB}", "لا"),             // lam-alef ligature
        ("\u{FB8E}", "ک"),              // keheh isolated form
    ])
    func foldingRule(_ input: String, _ expected: String) {
        #expect(PersianFolding.fold(input) == expected)
    }

    @Test(arguments: [
        ("روسیه ایران", ["روسیه", "ایران"]),
        ("روسیه\u{00A0}ایران", ["روسیه", "ایران"]),   // NO-BREAK SPACE separates
        ("روسیه،ایران", ["روسیه", "ایران"]),           // Arabic comma
        ("«پوتین»", ["پوتین"]),
        ("3+3", ["3", "3"]),
        ("\u{200C} \u{200C}", []),                      // ignorables alone are no word
        ("می‌کنند", ["میکنند"]),
    ])
    func wordBoundaries(_ input: String, _ expected: [String]) {
        #expect(PersianFolding.words(in: input).map(\.folded) == expected)
    }

    @Test func positionsPointIntoTheOriginal() {
        let text = "در «بین‌المللی» ۱۴۰۴"
        let words = PersianFolding.words(in: text)
        let scalars = Array(text.unicodeScalars)
        let utf8 = Array(text.utf8)
        #expect(words.map(\.folded) == ["در", "بینالمللی", "1404"])
        #expect(String(String.UnicodeScalarView(scalars[words[1].scalarRange])) == "بین‌المللی")
        #expect(String(decoding: utf8[words[2].utf8Range], as: UTF8.self) == "۱۴۰۴")
    }

    @Test func foldingIsIdempotent() throws {
        for name in ["000_1ecfb78ca4866ac4.txt", "002_0a9e599e7ddfaa65.txt", "004_8002fddc3a075398.txt"] {
            let folded = PersianFolding.fold(try Fixtures.seed(name))
            #expect(PersianFolding.fold(folded) == folded)
        }
    }

    /// The byte-level tokenizer used by FTS5 must find exactly the words `words(in:)` finds.
    @Test func tokenizerAgreesWithWordsOnSeeds() throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: Fixtures.seedsDirectory) {
            let text = try Fixtures.seed(name)
            #expect(tokens(text) == reference(text), "\(name)")
        }
    }

    @Test func tokenizerAgreesWithWordsOnRandomText() {
        let pool: [Unicode.Scalar] = [
            "a", "Z", "5", " ", ".", "\n", "ی", "ي", "ك", "ک", "ة", "آ", "۱", "٣", "\u{200C}", "\u{200D}", "\u{0640}",
            "\u{064E}", "\u{0670}", "\u{200F}", "\u{00AD}", "\u{00A0}", "«", "،", "\u{FEFB}", "\u{FB8E}", "É", "ß",
            "😀", "\u{E000}", "\u{0301}", "中", "\u{2066}", "-", "ء", "ئ", "ا", "و", "\u{064B}",
        ]
        let seed = UInt64.random(in: 0...UInt64.max)
        var rng = SplitMix64(seed: seed)
        for _ in 0..<500 {
            var s = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...40, using: &rng) { s.append(pool.randomElement(using: &rng)!) }
            let text = String(s)
            #expect(tokens(text) == reference(text), "seed \(seed): \(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test func tokenizerTreatsInvalidUTF8AsSeparator() {
        let bytes: [UInt8] = Array("ab".utf8) + [0xFF] + Array("cd".utf8) + [0xD8]
        var found: [String] = []
        bytes.withUnsafeBufferPointer { buffer in
            FoldingTokenizer.tokenize(utf8: buffer) { token, _, _ in
                found.append(String(decoding: token, as: UTF8.self))
                return true
            }
        }
        #expect(found == ["ab", "cd"])
    }

    func tokens(_ text: String) -> [[String]] {
        var out: [[String]] = []
        Array(text.utf8).withUnsafeBufferPointer { buffer in
            FoldingTokenizer.tokenize(utf8: buffer) { token, start, end in
                out.append([String(decoding: token, as: UTF8.self), "\(start)", "\(end)"])
                return true
            }
        }
        return out
    }

    func reference(_ text: String) -> [[String]] {
        PersianFolding.words(in: text).map { [$0.folded, "\($0.utf8Range.lowerBound)", "\($0.utf8Range.upperBound)"] }
    }
}

import Foundation

import DaftarCore
import DaftarTestSupport
import Testing

@Suite("Persian word forms")
struct PersianFormsTests {
    /// The stems of a word as typed (ZWNJs included), through the index's tokenizer.
    func stems(_ typed: String) -> [String] {
        var found: [String] = []
        Array(typed.utf8).withUnsafeBufferPointer { buffer in
            FoldingTokenizer.scan(utf8: buffer) { token, _, _, zwnj in
                found += PersianForms.stems(of: Array(String(decoding: token, as: UTF8.self).unicodeScalars), zwnj: zwnj)
                return true
            }
        }
        return found
    }

    @Test(arguments: [
        // Plurals, joined, with a ZWNJ, with ezafe and clitics.
        ("موشکها", "موشک"), ("تحریم‌ها", "تحریم"), ("دیدارهای", "دیدار"), ("کشورهایی", "کشور"),
        ("پیامهایش", "پیام"), ("سلاح‌هایشان", "سلاح"), ("خانه‌ها", "خانه"), ("روستاها", "روستا"),
        // Comparative and superlative.
        ("بزرگ‌تر", "بزرگ"), ("بزرگترین", "بزرگ"), ("مهم‌ترین", "مهم"), ("بیشتر", "بیش"),
        // After a ZWNJ: ezafe, possessive, verb endings.
        ("خانه‌ی", "خانه"), ("خانه‌اش", "خانه"), ("نامه‌شان", "نامه"), ("رفته‌اند", "رفته"),
        // Ezafe after a long vowel (the ی is a glide).
        ("شورای", "شورا"), ("سخنگوی", "سخنگو"), ("دریای", "دریا"), ("آقای", "اقا"),
        // Plurals in گان, یان, ات.
        ("نمایندگان", "نماینده"), ("ایرانیان", "ایرانی"), ("دانشجویان", "دانشجو"), ("آقایان", "اقا"),
        ("اقدامات", "اقدام"), ("جزئیات", "جزیی"), ("مذاکرات", "مذاکره"), ("حملات", "حمله"),
    ])
    func inflectedFormsHaveTheirStem(_ typed: String, _ stem: String) {
        #expect(stems(typed) == [stem])
    }

    /// Words that only look inflected, and suffixes too short to leave a word.
    @Test(arguments: [
        "تنها", "پایان", "ایران", "تهران", "هسته‌ای", "منطقه‌ای", "منطقهای", "دکتر", "توییتر", "فیلتر",
        "گروگان", "عملیات", "مهمات", "بی‌نهایت", "نهایی", "رهایی", "رای", "قوی", "کتابی", "ایرانی", "سازمان",
        "زمان", "تمرین", "شهرت", "موشک", "گفتگوست", "کشورش", "2024ها", "ها",
    ])
    func lookalikesAreNotAnalysed(_ typed: String) {
        #expect(stems(typed) == [], "\(typed)")
    }

    /// The ZWNJ decides `ه‌ای`: before ای it is an adjective, before ها a plural.
    @Test func zwnjTellsAdjectiveFromPlural() {
        #expect(stems("هسته‌ها") == ["هسته"])
        #expect(stems("هسته‌های") == ["هسته"])
        #expect(stems("هسته‌ای") == [])
    }

    /// The index's quick filter never turns away a word that has a stem: over every word of
    /// the seeds and the judged corpus, and random words made of suffix letters.
    @Test func quickFilterKeepsEveryWordWithAStem() throws {
        var texts = try ["000_1ecfb78ca4866ac4.txt", "001_e43867a11d68460e.txt", "003_8fc7de84c5610d4c.txt"].map(Fixtures.seed)
        texts.append(try String(contentsOfFile: Repository.root + "/Tests/Judged/corpus.txt", encoding: .utf8))
        var rng = SplitMix64(seed: 14)
        let letters = Array("اهیتنرشمدگوبکسزپ\u{200C}".unicodeScalars)
        for _ in 0..<3000 {
            texts.append(String(String.UnicodeScalarView((0..<Int.random(in: 2...9, using: &rng)).map { _ in letters.randomElement(using: &rng)! })))
        }
        var withStems = 0
        for text in texts {
            Array(text.utf8).withUnsafeBufferPointer { buffer in
                FoldingTokenizer.scan(utf8: buffer) { token, _, _, zwnj in
                    let stems = PersianForms.stems(of: Array(String(decoding: token, as: UTF8.self).unicodeScalars), zwnj: zwnj)
                    if !stems.isEmpty {
                        withStems += 1
                        #expect(PersianForms.mayHaveStem(utf8: token, zwnj: zwnj), "\(String(decoding: token, as: UTF8.self)) → \(stems)")
                    }
                    return true
                }
            }
        }
        #expect(withStems > 200)
    }
}

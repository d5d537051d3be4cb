import DaftarCore
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
}

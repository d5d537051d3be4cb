/// Persian word forms for search: the stem a folded word is an inflection of, so that `موشک`
/// finds `موشکها`, `موشک‌های` and `موشک ها`.
///
/// The index stores, beside each inflected word, its stem behind ``marker`` at the same
/// position (an FTS5 colocated token), so a query for a word stays one or two terms and the
/// whole inflected word is what a highlight marks. Rules, on the folded word, first match wins:
///
/// | suffix | example | condition |
/// |---|---|---|
/// | plural `ها` `های` `هایی` `هایم` `هایت` `هایش` `هایمان` `هایتان` `هایشان` | `تحریم‌ها`, `دیدارهای` | stem ≥ 2 letters; not `ه‌ای` (a ZWNJ before `ای`: `هسته‌ای` is an adjective) |
/// | comparative `ترین` `تر` | `بزرگ‌ترین`, `بیشتر` | stem ≥ 2 letters |
/// | after a ZWNJ: `ی` `اش` `ام` `ات` `مان` `تان` `شان` `اند` `ایم` `اید` | `خانه‌ی`, `خانه‌اش`, `رفته‌اند` | the writer put the ZWNJ there |
/// | plural `گان` → `ه` | `نمایندگان` → `نماینده` | stem ≥ 3 letters |
/// | plural `یان` after `ی`/a vowel | `ایرانیان` → `ایرانی`, `دانشجویان` → `دانشجو` | stem ≥ 4 letters |
/// | plural `ات` | `اقدامات` → `اقدام`, `مذاکرات` → `مذاکره` (listed) | stem ≥ 3 letters |
/// | ezafe `ی` after `ا`/`و` | `شورای` → `شورا`, `سخنگوی` → `سخنگو` | stem ≥ 3 letters |
///
/// ``exceptions`` are words that only look inflected (`تنها` is "alone", not `تن` + `ها`;
/// `دکتر`, `توییتر`; joined `منطقهای`); words outside the Arabic script, and the generic
/// plural `ان` (`ایران`, `پایان`, `تهران` are not plurals), are never analysed. The rules favour
/// precision: an unanalysed form is a missed result, a wrong analysis a false one.
public enum PersianForms {
    /// Put before a stem in the index, so that stems and words are different terms.
    public static let marker: Unicode.Scalar = "\u{E002}"

    /// The stems `word` (folded, as ``PersianFolding`` writes it) is an inflected form of;
    /// empty when it is not analysed as inflected. `zwnj` has bit `i` set when the word as
    /// written had a ZWNJ before its folded scalar `i`.
    public static func stems(of word: [Unicode.Scalar], zwnj: UInt64 = 0) -> [String] {
        let n = word.count
        guard n >= 3, word.allSatisfy({ (0x0621...0x06FF).contains($0.value) }) else { return [] }
        let text = String(String.UnicodeScalarView(word))
        if exceptions.contains(text) { return [] }
        if let stem = irregular[text] { return [stem] }
        func zwnjBefore(_ i: Int) -> Bool { i < 64 && zwnj & (1 << UInt64(i)) != 0 }
        func ends(_ suffix: [Unicode.Scalar]) -> Bool { n > suffix.count && word[(n - suffix.count)...].elementsEqual(suffix) }
        func head(_ count: Int) -> String { String(String.UnicodeScalarView(word[..<count])) }

        for suffix in plural where ends(suffix) {
            let cut = n - suffix.count
            // `هسته‌ای`: ه then a ZWNJ then ای, an adjective, not `هست` + `های`.
            guard cut >= 2, !zwnjBefore(cut + 1) else { return [] }
            return [head(cut)]
        }
        for suffix in comparative where ends(suffix) {
            let cut = n - suffix.count
            return cut >= 2 ? [head(cut)] : []
        }
        for suffix in clitics where ends(suffix) && zwnjBefore(n - suffix.count) && n - suffix.count >= 2 {
            return [head(n - suffix.count)]
        }
        if ends(gan), n - 3 >= 3 {
            return [head(n - 3) + "ه"]
        }
        if ends(yan), n - 2 >= 4 {
            // `دانشجویان` → `دانشجوی` → `دانشجو`: the ی between a vowel and ان is a glide.
            let stem = Array(word[..<(n - 2)])
            if let vowel = stem.dropLast().last, vowel == "ا" || vowel == "و" { return [head(n - 3)] }
            return [head(n - 2)]
        }
        if ends(at), n - 2 >= 3 {
            return [head(n - 2)]
        }
        if word[n - 1] == "ی", word[n - 2] == "ا" || word[n - 2] == "و", n - 1 >= 3 {
            return [head(n - 1)]
        }
        return []
    }

    /// ``stems(of:zwnj:)`` for a folded word given as a string, with the scalar offsets where
    /// it had a ZWNJ.
    public static func stems(of word: String, zwnjAt offsets: [Int] = []) -> [String] {
        let mask = offsets.reduce(UInt64(0)) { $1 < 64 ? $0 | (1 << UInt64($1)) : $0 }
        return stems(of: Array(word.unicodeScalars), zwnj: mask)
    }

    /// Whether a folded word (UTF-8) may have a stem: false for most words, decided from its
    /// last two letters without decoding it, so the index pays ``stems(of:zwnj:)`` only for
    /// candidates. Never false for a word that has one (a property test holds them together).
    @inline(__always)
    public static func mayHaveStem(utf8 word: UnsafeBufferPointer<UInt8>, zwnj: UInt64) -> Bool {
        let n = word.count
        guard n >= 6 else { return false }
        if zwnj != 0 { return true }
        let last = UInt16(word[n - 2]) << 8 | UInt16(word[n - 1])
        let previous = UInt16(word[n - 4]) << 8 | UInt16(word[n - 3])
        switch last {
        case 0xD8A7: return previous == 0xD987  // ها
        case 0xDB8C: return previous == 0xD8A7 || previous == 0xD988 || previous == 0xDB8C  // های ای وی هایی
        case 0xD986: return previous == 0xDB8C || previous == 0xD8A7  // ترین; یان گان …شان …تان …مان
        case 0xD8AA: return previous == 0xD8A7 || previous == 0xDB8C  // ات هایت
        case 0xD8B1: return previous == 0xD8AA  // تر
        case 0xD8B4, 0xD985: return previous == 0xDB8C  // هایش هایم
        default: return false
        }
    }

    /// The index term of a stem.
    public static func term(_ stem: String) -> String { String(marker) + stem }

    private static func scalars(_ s: String) -> [Unicode.Scalar] { Array(s.unicodeScalars) }

    // Longest first, so `هایشان` is not read as `ها` + `یشان`.
    private static let plural = ["هایشان", "هایتان", "هایمان", "هایش", "هایت", "هایم", "هایی", "های", "ها"].map(scalars)
    private static let comparative = ["ترین", "تر"].map(scalars)
    private static let clitics = ["شان", "تان", "مان", "اند", "ایم", "اید", "اش", "ام", "ات", "ی"].map(scalars)
    private static let gan = scalars("گان")
    private static let yan = scalars("یان")
    private static let at = scalars("ات")

    /// Words that end like an inflection but are not one (folded).
    public static let exceptions: Set<String> = [
        // ها
        "تنها", "تنهایی", "تنهای", "انتها", "انتهای", "اشتها", "اشتهای", "بینهایت",
        // ه‌ای written joined: adjectives, not plurals of a shorter word.
        "هستهای", "منطقهای", "حرفهای", "رسانهای", "لحظهای", "دورهای", "شبکهای", "چندجانبهای", "دوجانبهای",
        // تر
        "دختر", "دفتر", "بستر", "انگشتر", "کبوتر", "فیلتر", "توییتر", "تویتر", "دکتر", "چتر", "اختر", "خاکستر",
        "پوستر", "تئاتر", "تیاتر", "کامپیوتر", "لیتر", "سنتر", "اکستر", "کنسرتر", "استر", "قاطر", "شتر",
        // گان, یان, ات
        "گروگان", "بازرگان", "رایگان", "مژگان", "پایان", "نمایان", "شایان", "عریان",
        "عملیات", "ادبیات", "ملاقات", "اوقات", "حیات", "نجات", "ثبات", "اثبات", "امارات", "سادات", "مساوات",
        "زکات", "صلوات", "مقررات", "مهمات", "واردات",
    ]

    /// Plurals in `ات` of words ending in `ه`.
    public static let irregular: [String: String] = [
        "حملات": "حمله", "مذاکرات": "مذاکره", "جلسات": "جلسه", "خاطرات": "خاطره", "مبادلات": "مبادله",
        "معاملات": "معامله", "مناقشات": "مناقشه", "مکاتبات": "مکاتبه", "مسابقات": "مسابقه",
        "منازعات": "منازعه", "مطالعات": "مطالعه", "محاسبات": "محاسبه", "نظریات": "نظریه", "مصوبات": "مصوبه",
        "مشاهدات": "مشاهده", "مبارزات": "مبارزه", "معاهدات": "معاهده", "محاکمات": "محاکمه",
    ]
}

import DaftarCore
@testable import DaftarStore
import Foundation
import GRDB
import Testing

@Suite("Search on the seeds")
struct SearchTests {
    static let s000 = "000_1ecfb78ca4866ac4.txt", s001 = "001_e43867a11d68460e.txt", s002 = "002_0a9e599e7ddfaa65.txt"
    static let s003 = "003_8fc7de84c5610d4c.txt", s004 = "004_8002fddc3a075398.txt"

    let fixture: StoreFixture
    let store: Store

    init() throws {
        fixture = try StoreFixture()
        store = try fixture.open()
        try store.ingest(StoreFixture.seedFiles())
    }

    func files(_ text: String, _ filter: SearchFilter = SearchFilter()) throws -> Set<String> {
        Set(try store.search(SearchQuery(parsing: text), filter: filter).map(\.file))
    }

    /// Joined, with a ZWNJ, or spaced: the same articles (the seeds write it joined in three
    /// and spaced in one).
    @Test(arguments: ["بین المللی", "بینالمللی", "بین‌المللی", "بين المللي"])
    func internationalInAnySpelling(_ query: String) throws {
        #expect(try files(query) == [Self.s000, Self.s002, Self.s003, Self.s004])
    }

    @Test(arguments: ["مي‌کنند", "می‌کنند", "میکنند", "می کنند"])
    func spacedVerbPrefix(_ query: String) throws {
        #expect(try files(query).contains(Self.s003))  // «امضا می کنند»
    }

    @Test(arguments: ["همکاری های", "همکاریهای", "همکاری‌های"])
    func spacedPluralSuffix(_ query: String) throws {
        #expect(try files(query) == [Self.s000, Self.s001, Self.s002, Self.s003, Self.s004])
    }

    @Test func digitsInEitherScript() throws {
        #expect(try files("1404") == [Self.s000])
        #expect(try files("۱۴۰۴") == [Self.s000])
        #expect(try files("٢٠٢٤") == [Self.s003])  // Arabic-Indic digits find Persian ۲۰۲۴
        #expect(try files("3") .contains(Self.s004))  // «3+3»
    }

    @Test func arabicLetterForms() throws {
        #expect(try files("ولاديمير پوتين") == [Self.s000, Self.s002, Self.s003])
        #expect(try files("كرملين") == (try files("کرملین")))
    }

    /// Compounds in three pieces, on a text written for this test: `رفت و آمد` spaced,
    /// `صداوسیما` joined, `حمل‌ونقل` with a ZWNJ; each found however the query writes it.
    @Test func compoundsInThreePieces() throws {
        let extra = try fixture.write("c/compound.txt", "عنوان\nگزارش رفت و آمد مرزی و برنامهٔ صداوسیما دربارهٔ حمل‌ونقل کالا.")
        try store.ingest([try SourceFile.read(path: extra)])
        // Typed as one word (joined, with ZWNJs): this article — and the seeds that write the
        // same compound (000 spaced, «صدا و سیما»; 003 joined, «حملونقل»).
        for (query, also) in [("رفت‌وآمد", nil), ("رفتوآمد", nil), ("صداوسیما", Self.s000), ("صدا‌و‌سیما", Self.s000), ("حملونقل", Self.s003)] {
            let found = try files(query)
            #expect(found == Set(["compound.txt"] + [also].compactMap { $0 }), "query \(query): \(found.sorted())")
        }
        // Typed as words, every word must occur (others may hold them apart); joined, they find it.
        for query in ["رفت وآمد", "صدا و سیما", "صدا وسیما", "حمل و نقل"] {
            let found = try files(query)
            #expect(found.contains("compound.txt"), "query \(query): \(found.sorted())")
        }
        // Three words typed apart find the seed that joins them.
        #expect(try files("حمل و نقل").contains(Self.s003))
        // Order is kept: the pieces the other way round are another phrase.
        #expect(try files("سیماوصدا").isEmpty)
    }

    /// Word forms, on texts written for this test: a word finds its plurals, ezafe and
    /// comparatives however they are joined, highlights mark the whole inflected word, and
    /// look-alikes stay apart; quoted or `forms: false`, only the word as written.
    @Test func wordFindsItsForms() throws {
        let texts = [
            "plural.txt": "عنوان\nآزمایش موشکها و تحریم‌های تازه پس از دیدارهای دو کشور.",
            "compare.txt": "عنوان\nاین بزرگ‌ترین نشست سال و مهمترین دیدار بود.",
            "alike.txt": "عنوان\nتنها راه پایان جنگ همکاری ایران و پای‌بندی به توافق هسته‌ای است.",
            "plain.txt": "عنوان\nیک موشک و یک تحریم و یک تن گندم.",
        ]
        let files = try texts.map { try SourceFile.read(path: fixture.write("forms/\($0.key)", $0.value)) }
        try store.ingest(files)
        func found(_ text: String, forms: Bool = true) throws -> Set<String> {
            Set(try store.search(SearchQuery(parsing: text, forms: forms), filter: SearchFilter(fileGlob: "*.txt")).map(\.file))
                .intersection(texts.keys)
        }
        #expect(try found("موشک") == ["plural.txt", "plain.txt"])
        #expect(try found("تحریم") == ["plural.txt", "plain.txt"])
        #expect(try found("دیدار") == ["plural.txt", "compare.txt"])
        #expect(try found("بزرگ") == ["compare.txt"])
        #expect(try found("مهم") == ["compare.txt"])
        // A typed plural finds the singular too.
        #expect(try found("موشک‌ها") == ["plural.txt", "plain.txt"])
        // Look-alikes: تنها is "alone", پایان is not پا, هسته‌ای is not هست.
        #expect(try found("تن") == ["plain.txt"])
        #expect(try found("پا").isEmpty)
        #expect(try found("هست").isEmpty)
        #expect(try found("ایر").isEmpty)  // ایران is no form of ایر
        // Forms off: quoted, or exact.
        #expect(try found("\"موشک\"") == ["plain.txt"])
        #expect(try found("موشک", forms: false) == ["plain.txt"])
        #expect(try found("-موشک یک") == [])
        // The highlight marks the whole inflected word.
        let hit = try #require(try store.search(SearchQuery(parsing: "موشک"), filter: SearchFilter(fileGlob: "plural.txt")).first)
        let body = Array(try store.article(hit.id).body.unicodeScalars)
        #expect(hit.bodyMatches.map { String(String.UnicodeScalarView(body[$0])) } == ["موشکها"])
    }

    /// A three-word name typed as one word, hashtag style, finds the spaced name.
    @Test func hashtagNamesFindTheSpacedName() throws {
        let text = try fixture.write("n/names.txt", "عنوان\nسخنان محمد جواد ظریف و علی اکبر ولایتی درباره برجام.")
        try store.ingest([try SourceFile.read(path: text)])
        #expect(try files("محمدجوادظریف") == ["names.txt"])
        #expect(try files("علیاکبرولایتی") == ["names.txt"])
        #expect(try files("ظریفجوادمحمد").isEmpty, "order still counts")
    }

    /// Hamza forms: the seeds write `رئیس` and `مسائل`; typed with yeh they are found, and
    /// the reverse; a word-final hamza after a long vowel is optional.
    @Test func hamzaForms() throws {
        let withHamza = try files("رئیس")
        #expect(withHamza.contains(Self.s000))
        #expect(try files("رییس") == withHamza)
        #expect(try files("مسایل") == (try files("مسائل")))
        let extra = try fixture.write("h/hamza.txt", "عنوان\nبرای ارتقاء همکاری و احیاء توافق، جزء نخست اجرا شد.")
        try store.ingest([try SourceFile.read(path: extra)])
        func exact(_ text: String) throws -> Set<String> {
            Set(try store.search(SearchQuery(parsing: text, forms: false)).map(\.file))
        }
        #expect(try exact("ارتقا") == ["hamza.txt"])
        #expect(try exact("احیا") == ["hamza.txt"])
        #expect(try exact("ارتقاء") == ["hamza.txt"])
        // With forms, also the seeds' `ارتقای` and `احیای` (ezafe): one word to a reader.
        #expect(try files("ارتقا") == ["hamza.txt", Self.s004])
        #expect(try files("احیا") == ["hamza.txt", Self.s001])  // 002 is the same story as 001
        #expect(try files("ارتقاء") == (try files("ارتقا")))
        #expect(try files("جز").isEmpty, "a hamza after a consonant is a letter: جزء is not جز")
        #expect(try files("جزء") == ["hamza.txt"])
    }

    /// A quoted phrase is about word order, not where the writer put spaces: seed 000 writes
    /// «همکاریهای نظامی» and «بینالمللی», joined.
    @Test func phrasesIgnoreSpacing() throws {
        #expect(try files("\"همکاری های نظامی\"").contains(Self.s000))
        #expect(try files("\"همکاری های نظامی\"") == (try files("\"همکاریهای نظامی\"")))
        #expect(try files("\"امنیت بین المللی\"") == [Self.s000])
        #expect(try files("\"نظامی همکاری های\"").isEmpty, "order still counts")
        // A word typed with a ZWNJ inside a phrase also matches the text spaced there.
        let spaced = try fixture.write("p/spaced.txt", "عنوان\nگسترش همکاری های نظامی دو کشور.")
        try store.ingest([try SourceFile.read(path: spaced)])
        #expect(try files("\"همکاری‌های نظامی\"").isSuperset(of: [Self.s000, "spaced.txt"]))
        // And so does a word typed joined, at an inflection or a verb prefix.
        #expect(try files("\"همکاریهای نظامی\"").isSuperset(of: [Self.s000, "spaced.txt"]))
        let verb = try fixture.write("p/verb.txt", "عنوان\nدو کشور همکاری را گسترش می دهند.")
        try store.ingest([try SourceFile.read(path: verb)])
        #expect(try files("\"گسترش میدهند\"") == ["verb.txt"])
        #expect(try files("\"میدهند گسترش\"").isEmpty, "order still counts")
    }

    @Test func phrasesAndExclusions() throws {
        #expect(try files(#""پیمان همکاری""#) == [Self.s003])
        #expect(try files("پوتین -اوکراین") == [Self.s000, Self.s002])
        #expect(try files(#"روسیه -"جمهوری آذربایجان""#).isDisjoint(with: [Self.s001]))
        #expect(try files("لاوروف OR شایگو") == [Self.s001, Self.s004])
        #expect(try files("پزشک*") == [Self.s000, Self.s003])
    }

    @Test func filters() throws {
        #expect(try files("پوتین", SearchFilter(since: "2025-01-01")) == [Self.s000])
        #expect(try files("پوتین", SearchFilter(until: "2025-08-25")).isEmpty)
        #expect(try files("پوتین", SearchFilter(fileGlob: "00[23]*")) == [Self.s002, Self.s003])
    }

    @Test func matchOffsetsPointIntoTheOriginalBody() throws {
        let hits = try store.search(SearchQuery(parsing: "بين المللي"))
        #expect(hits.count == 4)
        for hit in hits {
            let body = Array(try store.article(hit.id).body.unicodeScalars)
            #expect(!hit.bodyMatches.isEmpty)
            let matched = hit.bodyMatches.map { PersianFolding.fold(String(String.UnicodeScalarView(body[$0]))) }
            // Every mark is a form of the query's words (as typed, every word is highlighted)…
            #expect(matched.allSatisfy { ["بین", "المللی", "بینالمللی", "بین المللی"].contains($0) }, "\(hit.file): \(matched)")
            // …and the compound itself is among them.
            #expect(matched.contains { $0 == "بینالمللی" || $0 == "بین المللی" } || matched.contains("المللی"), "\(hit.file)")
        }
    }

    @Test func rankingIsStableAndTiesBreakById() throws {
        let first = try store.search(SearchQuery(parsing: "روسیه"))
        #expect(first.count == 5)
        #expect(first.map(\.score) == first.map(\.score).sorted())
        #expect(try store.search(SearchQuery(parsing: "روسیه")).map(\.id) == first.map(\.id))
    }

    @Test func indexStaysCorrectAfterRebuild() throws {
        let queries = ["بین المللی", "مي‌کنند", "همکاری های", "1404", #""پیمان همکاری""#, "پوتین -اوکراین"]
        let before = try queries.map { try store.search(SearchQuery(parsing: $0)).map(\.id) }
        _ = try store.rebuild()
        let after = try queries.map { try store.search(SearchQuery(parsing: $0)).map(\.id) }
        #expect(before == after)
        // FTS5's own consistency check of the external-content index.
        try store.writer.write { db in try db.execute(sql: "INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')") }
    }

    /// Whatever is typed: results or a clear `badQuery` message, never an SQLite error.
    @Test(arguments: [
        #"""#, #"""""#, #""unbalanced"#, "OR", "پوتین OR", "OR پوتین", "AND", "NOT پوتین", "NEAR(پوتین", "پوتین)",
        "(((", "*", "پو*تین", "**پوتین", "-", "--پوتین", "-پوتین", "^پوتین", "پوتین:روسیه", "col:پوتین", "{پوتین}",
        "'", "\\", "\u{0}", "\u{200C}\u{200C}", "\u{202E}پوتین", "🙂", "؟!،", "پوتین\"روسیه", "\"-\"",
        String(repeating: "پوتین ", count: 31), String(repeating: "x", count: 10_000), String(repeating: "\" ", count: 5_000),
        String(repeating: "ب", count: 10_000), (0..<40).map { "w\($0)" }.joined(separator: " "),
    ])
    func hostileQuery(_ text: String) {
        do {
            let query = try SearchQuery(parsing: text)
            _ = try store.search(query)
        } catch let error as DaftarError {
            #expect(error.code == .badQuery)
            #expect(!error.message.contains("SQLite"))
            #expect(!error.message.contains("fts5"))
        } catch {
            Issue.record("unexpected error \(error) for \(text.prefix(40))")
        }
    }

    @Test(arguments: ["پوتین AND", "NEAR(", "\"", "a:b", "(", "پوتین NOT"])
    func invalidRawFTSIsAClearError(_ text: String) throws {
        let error = #expect(throws: DaftarError.self) { try store.search(SearchQuery(fts: text)) }
        #expect(error?.code == .badQuery)
        #expect(error?.message.contains("raw FTS5") == true)
        #expect(error?.message.contains("--") == false, "the library names no command-line flags: \(String(describing: error))")
    }

    @Test func rawFTSWorks() throws {
        let hits = try store.search(SearchQuery(fts: "NEAR(ولادیمیر پوتین, 1)"))
        #expect(Set(hits.map(\.file)) == [Self.s000, Self.s002, Self.s003])
    }
}

import DaftarCore
@testable import DaftarStore
import Foundation
import GRDB
import Testing

/// `daftar_rank` skips rows that cannot reach the top `limit`; these tests hold it to what
/// FTS5's own bm25 ranks, on seeded random archives full of frequent words and exact ties.
@Suite("Ranking equals bm25")
struct RankTests {
    static let vocabulary = ["کشور", "روسیه", "ایران", "همکاری", "پیمان", "دفاعی", "اقتصاد", "نفت", "گاز", "مرز",
                             "پوتین", "پزشکیان", "سفر", "دیدار", "امنیت", "بانک", "تحریم", "بندر", "راه", "نشست"]

    /// Word `rank` drawn roughly by Zipf: the first words are in nearly every article.
    static func word(_ rng: inout SplitMix64) -> String {
        let x = Double.random(in: 0..<1, using: &rng)
        return vocabulary[min(vocabulary.count - 1, Int(Double(vocabulary.count) * x * x * x))]
    }

    /// `count` articles; every fifth a copy of another's words in another order (equal length and
    /// frequencies, so bm25 ties exactly) — ties must still be ordered by article id.
    static func archive(seed: UInt64, count: Int) -> [SourceFile] {
        var rng = SplitMix64(seed: seed)
        var files: [SourceFile] = []
        var texts: [[String]] = []
        for i in 0..<count {
            var words: [String]
            if i % 5 == 4, let other = texts.randomElement(using: &rng) {
                words = other.shuffled(using: &rng)
            } else {
                words = (0..<Int.random(in: 3...40, using: &rng)).map { _ in word(&rng) }
            }
            texts.append(words)
            // The title line is the first few words; the number keeps every article distinct.
            let text = words.prefix(3).joined(separator: " ") + "\n\n" + words.dropFirst(3).joined(separator: " ") + "\n\nشماره \(i)"
            files.append(SourceFile(path: "a\(i).txt", name: "a\(i).txt", text: text))
        }
        return files
    }

    /// What FTS5's bm25 ranks first for `query`: every match scored, best first, ties by id.
    static func bm25(_ store: Store, _ query: SearchQuery, since: String? = nil, limit: Int) throws -> [(String, Double)] {
        try store.writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT a.id, bm25(articles_fts, 3.0, 1.0) AS score
                FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid
                WHERE articles_fts MATCH ? AND (? IS NULL OR a.published >= ?)
                ORDER BY score, a.id LIMIT ?
                """, arguments: [query.ftsExpression, since, since, limit]
            ).map { ($0[0] as String, $0[1] as Double) }
        }
    }

    static let queries = ["کشور", "روسیه", "کشور روسیه", "\"کشور روسیه\"", "پوتین OR پزشکیان", "کشور -نشست",
                          "ایران همکاری", "نشست", "راه*", "پیمان دفاعی OR نفت", "بانک تحریم بندر", "شماره"]

    @Test("The same articles, scores and order as bm25, over seeded archives", arguments: [1, 2, 3] as [UInt64])
    func sameAsBM25(seed: UInt64) throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        _ = try store.ingest(Self.archive(seed: seed, count: 400))
        for text in Self.queries {
            for limit in [1, 5, 20, 100] {
                let query = try SearchQuery(parsing: text)
                let expected = try Self.bm25(store, query, limit: limit)
                let got = try store.search(query, limit: limit).filter { $0.kind == .article }.map { ($0.id, $0.score) }
                #expect(got.map(\.0) == expected.map(\.0), "seed \(seed), \(text), limit \(limit)")
                #expect(got.map(\.1) == expected.map(\.1), "seed \(seed), \(text), limit \(limit): scores")
            }
        }
    }

    @Test("Exact ties at the cut are decided by article id")
    func tiesAtTheCut() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        // 60 articles of the same length with the word once each: all tie.
        let files = (0..<60).map { i in
            SourceFile(path: "t\(i).txt", name: "t\(i).txt", text: "خبر\n\nدیدار در پایتخت شماره \(i)")
        }
        _ = try store.ingest(files)
        let query = try SearchQuery(parsing: "دیدار")
        let expected = try Self.bm25(store, query, limit: 7)
        #expect(Set(expected.map(\.1)).count == 1, "the fixture should make every score equal")
        #expect(try store.search(query, limit: 7).map(\.id) == expected.map(\.0))
    }

    @Test("Filters apply before the cut")
    func filtersBeforeTheCut() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        var files = Self.archive(seed: 9, count: 200)
        for i in files.indices where i % 3 == 0 {
            files[i] = SourceFile(path: files[i].path, name: files[i].name, text: " date 2025-0\(1 + i % 9)-10 " + files[i].text)
        }
        _ = try store.ingest(files)
        for text in ["کشور", "روسیه ایران"] {
            let query = try SearchQuery(parsing: text)
            let expected = try Self.bm25(store, query, since: "2025-05-01", limit: 10)
            let got = try store.search(query, filter: SearchFilter(since: "2025-05-01"), limit: 10).map(\.id)
            #expect(got == expected.map(\.0), "\(text)")
        }
    }
}

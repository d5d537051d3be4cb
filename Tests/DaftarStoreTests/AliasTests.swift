import DaftarCore
@testable import DaftarStore
import Foundation
import Testing

@Suite("Alias groups in the store and search")
struct AliasTests {
    let fixture: StoreFixture
    let store: Store

    init() throws {
        fixture = try StoreFixture()
        store = try fixture.open()
        let texts = [
            "a.txt": "عنوان\nشویگو وزیر دفاع روسیه به تهران رفت.",
            "b.txt": "عنوان\nسرگئی شایگو در دیدار با همتای خود سخن گفت.",
            "c.txt": "عنوان\nگفتگوهای شوئیگوها با فرماندهان ادامه دارد.",
            "d.txt": "عنوان\nخبری دیگر بدون این نام.",
        ]
        try store.ingest(texts.map { try SourceFile.read(path: fixture.write("aliases/\($0.key)", $0.value)) })
    }

    func found(_ text: String) throws -> [String: [String]] {
        Dictionary(uniqueKeysWithValues: try store.search(SearchQuery(parsing: text)).map { ($0.file, $0.aliases) })
    }

    @Test func aGroupIsOneWordForSearchAndSaysWhichAliasMatched() throws {
        #expect(try found("شایگو") == ["b.txt": []])
        let group = try store.addAlias(["شویگو", "شایگو", "شوئیگو"])
        #expect(group.spellings == ["شایگو", "شویگو", "شوئیگو"])
        // Every spelling finds all three, with forms (شوئیگوها); each says which alias matched.
        #expect(try found("شایگو") == ["a.txt": ["شویگو"], "b.txt": [], "c.txt": ["شوئیگوها"]])
        #expect(try found("شويگو") == ["a.txt": [], "b.txt": ["شایگو"], "c.txt": ["شوئیگوها"]])
        // Highlighted in the article's own spelling.
        let hit = try #require(try store.search(SearchQuery(parsing: "شایگو")).first { $0.file == "a.txt" })
        #expect(hit.snippet.matches.map { String(String.UnicodeScalarView(Array(hit.snippet.text.unicodeScalars)[$0])) } == ["شویگو"])
        // Exclusions and quoted phrases: the group for a word, as written for a quote.
        #expect(Set(try found("وزیر -شایگو").keys).isEmpty)
        #expect(Set(try found("\"شایگو\"").keys) == ["b.txt"])

        // Taken out, a spelling is itself again.
        try store.removeAlias(["شوئیگو"])
        #expect(try store.aliasGroups().map(\.spellings) == [["شایگو", "شویگو"]])
        #expect(Set(try found("شایگو").keys) == ["a.txt", "b.txt"])
        #expect(try store.aliasHistory().map(\.summary) == [
            "made one word for search: شویگو = شایگو = شوئیگو", "took out of their alias groups: شوئیگو",
        ])
        // Rebuilt from the log, the same.
        let report = try store.rebuild()
        #expect(report.digestAfter == report.digestBefore)
        #expect(try store.aliasGroups().map(\.spellings) == [["شایگو", "شویگو"]])
    }

    @Test func badAliasesAreRefusedAndWriteNothing() throws {
        let before = try store.count("events")
        func refused(_ code: DaftarError.Code, _ body: () throws -> Void) {
            #expect { try body() } throws: { ($0 as? DaftarError)?.code == code }
        }
        refused(.badInput) { try store.addAlias(["شویگو"]) }
        refused(.badInput) { try store.addAlias(["شویگو", "شويگو"]) }  // one word once folded
        refused(.badInput) { try store.addAlias(["شویگو", "سرگئی شایگو"]) }
        refused(.badInput) { try store.addAlias((0..<17).map { "نام\($0)" }) }
        refused(.notFound) { try store.removeAlias(["شایگو"]) }
        #expect(try store.count("events") == before)
        try store.addAlias(["شویگو", "شایگو"])
        refused(.badInput) { try store.addAlias(["شایگو", "شویگو"]) }  // already one word
        #expect(try store.count("events") == before + 1)
    }
}

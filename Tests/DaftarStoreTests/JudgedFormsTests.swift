import DaftarCore
import DaftarStore
import DaftarTestSupport
import Foundation
import Testing

/// The judged query set of `Tests/Judged`: short texts written for it, and for each query the
/// articles a reader takes to hold the same word (decided by reading them, recorded in each
/// article's header). Search with word forms must find more of them than without, and stay
/// precise; the figures go to BENCHMARKS.md.
@Suite("Word forms on the judged query set")
struct JudgedFormsTests {
    struct Article {
        var id: String
        var words: Set<String>
        var text: String
    }

    static let folder = Repository.root + "/Tests/Judged"

    static func articles() throws -> [Article] {
        let lines = try String(contentsOfFile: folder + "/corpus.txt", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var articles: [Article] = []
        for line in lines where !line.hasPrefix("#") {
            if let bar = line.firstIndex(of: "|"), line.hasPrefix("j") {
                let id = line[..<bar].trimmingCharacters(in: .whitespaces)
                let words = line[line.index(after: bar)...].split(separator: " ").map(String.init)
                articles.append(Article(id: id, words: Set(words), text: ""))
            } else if !articles.isEmpty, !line.isEmpty {
                articles[articles.count - 1].text += line + "\n"
            }
        }
        return articles
    }

    /// Each query and the word it is judged as.
    static func queries() throws -> [(query: String, word: String)] {
        try String(contentsOfFile: folder + "/queries.txt", encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }
            .map { line in
                let parts = line.split(separator: "\t").map(String.init)
                return (parts[0], parts.count > 1 ? parts[1] : parts[0])
            }
    }

    struct Score: CustomStringConvertible {
        var relevant = 0, found = 0, correct = 0
        var recall: Double { Double(correct) / Double(relevant) }
        var precision: Double { Double(correct) / Double(found) }
        var description: String {
            String(format: "recall %.3f (%d of %d), precision %.3f (%d of %d found)", recall, correct, relevant, precision, correct, found)
        }
    }

    @Test func formsRaiseRecallAndKeepPrecision() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        let articles = try Self.articles()
        let queries = try Self.queries()
        #expect(articles.count >= 90 && queries.count >= 50)
        let files = try articles.map { try SourceFile.read(path: fixture.write("judged/\($0.id).txt", $0.text)) }
        try store.ingest(files)

        var scores: [Bool: Score] = [true: Score(), false: Score()]
        var report: [String] = []
        for (text, word) in queries {
            let relevant = Set(articles.filter { $0.words.contains(word) }.map(\.id))
            #expect(!relevant.isEmpty, "no article is judged to hold \(word)")
            for forms in [true, false] {
                let hits = try store.search(SearchQuery(parsing: text, forms: forms), limit: 500)
                let found = Set(hits.map { ($0.file as NSString).deletingPathExtension })
                scores[forms]!.relevant += relevant.count
                scores[forms]!.found += found.count
                scores[forms]!.correct += found.intersection(relevant).count
                if forms, found != relevant {
                    report.append("\(text): missed \(relevant.subtracting(found).sorted()), wrongly found \(found.subtracting(relevant).sorted())")
                }
            }
        }
        print("judged set, \(queries.count) queries over \(articles.count) articles")
        print("  without forms: \(scores[false]!)")
        print("  with forms:    \(scores[true]!)")
        for line in report { print("  " + line) }
        #expect(scores[true]!.recall > scores[false]!.recall + 0.1)
        #expect(scores[true]!.precision >= 0.98)
    }
}

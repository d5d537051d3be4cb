import ArgumentParser
import DaftarCore
import DaftarStore

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find articles by word, best match first.",
        discussion: """
            Every word must occur. Matching folds Persian and Arabic letter forms (ي/ی, ك/ک, ة/ه, \
            أ/ا …), Persian, Arabic-Indic and Latin digits, and ignores zero-width non-joiners, \
            diacritics and tatweel, so `روسيه` finds `روسیه`, `1404` finds `۱۴۰۴` and \
            `بین‌المللی` finds `بینالمللی`.
            """)

    @ParentCommand var daftar: Daftar

    @Argument(help: "Words to find.")
    var words: [String]

    @Option(help: "Show at most this many results.")
    var limit: Int = 20

    @Flag(help: "Print JSON: id, title, file, published, snippet, matches (scalar offsets in the snippet), score.")
    var json = false

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
    }

    struct Hit: Encodable {
        var id: String
        var title: String
        var file: String
        var published: String?
        var snippet: String
        var matches: [[Int]]
        var score: Double
    }

    func run() throws {
        let query = try SearchQuery(parsing: words.joined(separator: " "))
        let hits = try daftar.openStore(forWriting: false).search(query, limit: limit)
        if json {
            return try Terminal.printJSON(hits.map {
                Hit(id: $0.id, title: $0.title, file: $0.file, published: $0.published, snippet: $0.snippet.text,
                    matches: $0.snippet.matches.map { [$0.lowerBound, $0.upperBound] }, score: $0.score)
            })
        }
        let mark = Terminal.highlight
        for hit in hits {
            print("\(hit.id.prefix(12))  \(Terminal.clip(hit.title, 80))")
            print("    \(Terminal.dim([hit.file, hit.published].compactMap { $0 }.joined(separator: " · ")))")
            print("    \(hit.snippet.rendered(before: mark.before, after: mark.after).replacingOccurrences(of: "\n", with: " "))")
        }
        Terminal.note(hits.isEmpty ? "no articles match" : "\(hits.count) article\(hits.count == 1 ? "" : "s")\(hits.count == limit ? " (--limit reached)" : "")")
    }
}

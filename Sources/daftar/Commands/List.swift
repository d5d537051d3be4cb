import ArgumentParser
import DaftarStore

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List archived articles, most recently added first.")

    @ParentCommand var daftar: Daftar

    @Option(help: "Show at most this many (default: all; Persian digits are fine).")
    var limit: Number<Int>?

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var past: PastOption

    func validate() throws {
        if let limit, limit.value < 0 { throw ValidationError("--limit must be 0 or more") }
    }

    func run() throws {
        let live = try daftar.openStoreForReading()
        let articles = try daftar.pastMoment(live, asOf: past.asOf).map { try live.articles(limit: limit?.value, at: $0) }
            ?? live.articles(limit: limit?.value)
        if json { return try Terminal.printJSON(articles) }
        let calendar = try daftar.calendar(live)
        for article in articles {
            let date = article.published.map(calendar.show) ?? "          "
            let versions = article.versions > 1 ? Terminal.dim("  (\(article.versions) versions)") : ""
            print("\(article.id.prefix(12))  \(date)  \(Terminal.clip(article.title, 70))  \(Terminal.dim(article.file))\(versions)")
        }
        if articles.isEmpty {
            if limit?.value == 0 {
                Terminal.note("--limit 0 lists no articles; the archive holds \(try live.status().articles)")
            } else {
                Terminal.note("the archive is empty; add articles with `daftar ingest PATH`")
            }
        }
    }
}

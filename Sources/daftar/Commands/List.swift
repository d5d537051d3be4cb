import ArgumentParser
import DaftarStore

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List archived articles, most recently added first.")

    @ParentCommand var daftar: Daftar

    @Option(help: "Show at most this many (default: all).")
    var limit: Int?

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
    }

    func run() throws {
        let articles = try daftar.openStoreForReading().articles(limit: limit)
        if json { return try Terminal.printJSON(articles) }
        for article in articles {
            let date = article.published ?? "          "
            print("\(article.id.prefix(12))  \(date)  \(Terminal.clip(article.title, 70))  \(Terminal.dim(article.file))")
        }
        if articles.isEmpty { Terminal.note("the archive is empty; add articles with `daftar ingest PATH`") }
    }
}

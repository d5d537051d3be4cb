import ArgumentParser
import DaftarCore
import DaftarStore

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show an article: its title, date, provenance and text.",
        discussion: "ID may be any unambiguous prefix of the article id, like git.")

    @ParentCommand var daftar: Daftar

    @Argument(help: "Article id or unambiguous prefix.")
    var id: String

    @Flag(help: "Print the original file text verbatim instead (including the parts left out of the body).")
    var original = false

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let store = try daftar.openStore(forWriting: false)
        let id = try store.resolveArticle(self.id)
        if original {
            print(try store.originalText(id) ?? "", terminator: "")
            return
        }
        let article = try store.article(id)
        if json { return try Terminal.printJSON(article) }
        print(article.summary.title)
        print(Terminal.dim("id:        \(article.summary.id)"))
        if let published = article.summary.published { print(Terminal.dim("published: \(published)")) }
        for source in article.sources {
            print(Terminal.dim("source:    \(source.file) — \(source.author), \(Terminal.time(source.time)), event \(source.origin.prefix(8)):\(source.seq)"))
        }
        print()
        print(article.body)
    }
}

import ArgumentParser
import DaftarApp
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

    @OptionGroup var past: PastOption

    func run() throws {
        let live = try daftar.openStoreForReading()
        let id = try live.resolveArticle(self.id)
        // As it was then, from its own events; or as it is.
        let shown = try daftar.pastMoment(live, asOf: past.asOf).map { try live.article(id, at: $0) }
        if original {
            print(try shown.map(\.original) ?? live.originalText(id) ?? "", terminator: "")
            return
        }
        let article = try shown?.detail ?? live.article(id)
        let annotations = try shown.map { $0.annotations.filter { !$0.deleted } } ?? live.annotations(article: id)
        if json { return try Terminal.printJSON(Output(article: article, annotations: annotations.map(AnnotationOutput.init))) }
        print(article.summary.title)
        print(Terminal.dim("id:        \(article.summary.id)"))
        if let published = article.summary.published { print(Terminal.dim("published: \(try daftar.calendar(live).show(published))")) }
        for source in article.sources {
            let copy = source.article == article.summary.id ? "" : " (a copy: \(source.article.prefix(12)))"
            print(Terminal.dim("source:    \(Terminal.safe(source.file)) — \(source.author), \(Terminal.time(source.time)), event \(source.origin.prefix(8)):\(source.seq)\(copy)"))
        }
        let tags = try (shown?.tags ?? live.tags(of: .article(id))).sorted { $0.key < $1.key }.map { "#\($0.value)" }
        if !tags.isEmpty { print(Terminal.dim("tags:      \(tags.joined(separator: " "))")) }
        print()
        print(Self.marked(article.body, annotations))
        if !annotations.isEmpty { print() }
        for (n, view) in annotations.enumerated() {
            let tags = view.tags.sorted { $0.key < $1.key }.map { "#\($0.value)" }.joined(separator: " ")
            let note = view.note.displayed?.value ?? ""
            print("{\(n + 1)} \(view.id.prefix(13))  \(view.motivation.displayed?.value ?? "")\(note.isEmpty ? "" : ": \(note)") \(tags)\(view.inConflict ? "  [CONFLICT]" : "")")
        }
    }

    struct Output: Encodable {
        var article: ArticleDetail
        var annotations: [AnnotationOutput]
    }

    /// The body with each annotated passage marked (reverse video on a terminal, ⟦…⟧ otherwise)
    /// and followed by its number, in logical order.
    static func marked(_ body: String, _ annotations: [AnnotationView]) -> String {
        let scalars = Array(body.unicodeScalars)
        var opens: [Int: Int] = [:], closes: [Int: [Int]] = [:]
        for (n, view) in annotations.enumerated() where view.anchor.end <= scalars.count {
            opens[view.anchor.start, default: 0] += 1
            closes[view.anchor.end, default: []].append(n + 1)
        }
        let (open, close) = Terminal.stdoutIsTTY ? ("\u{1B}[7m", "\u{1B}[27m") : ("⟦", "⟧")
        var out = String.UnicodeScalarView()
        for i in 0...scalars.count {
            for n in closes[i] ?? [] { out.append(contentsOf: "\(close){\(n)}".unicodeScalars) }
            for _ in 0..<(opens[i] ?? 0) { out.append(contentsOf: open.unicodeScalars) }
            if i < scalars.count { out.append(scalars[i]) }
        }
        return String(out)
    }
}

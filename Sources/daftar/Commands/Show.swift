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

    @Option(help: ArgumentHelp("Show version N of the article's story (see `daftar versions ID`); default: the version ID names.", valueName: "n"))
    var version: Int?

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var past: PastOption

    func run() throws {
        let live = try daftar.openStoreForReading()
        var id = try live.resolveArticle(self.id)
        let versions = try live.versions(of: id)
        if let version {
            guard let chosen = versions.first(where: { $0.number == version }) else {
                throw DaftarError(.badInput, "article \(id.prefix(12)) has \(versions.count) version\(versions.count == 1 ? "" : "s"); --version takes 1…\(versions.count)")
            }
            id = chosen.summary.id
        }
        // As it was then, from its own events; or as it is.
        let shown = try daftar.pastMoment(live, asOf: past.asOf).map { try live.article(id, at: $0) }
        if original {
            print(try shown.map(\.original) ?? live.originalText(id) ?? "", terminator: "")
            return
        }
        let article = try shown?.detail ?? live.article(id)
        let annotations = try shown.map { $0.annotations.filter { !$0.deleted } } ?? live.annotations(article: id)
        // Annotations made on the other versions, placed on this one (not in a past view).
        let carried = shown == nil ? try live.carriedAnnotations(onto: id) : []
        if json {
            return try Terminal.printJSON(Output(
                article: article, annotations: annotations.map(AnnotationOutput.init),
                versions: versions.count > 1 ? versions : nil,
                carried: carried.isEmpty ? nil : carried.map(CarriedOutput.init)))
        }
        print(article.summary.title)
        print(Terminal.dim("id:        \(article.summary.id)"))
        if let published = article.summary.published { print(Terminal.dim("published: \(try daftar.calendar(live).show(published))")) }
        for source in article.sources {
            let copy = source.article == article.summary.id ? "" : " (a copy: \(source.article.prefix(12)))"
            print(Terminal.dim("source:    \(Terminal.safe(source.file)) — \(source.author), \(Terminal.time(source.time)), event \(source.origin.prefix(8)):\(source.seq)\(copy)"))
        }
        let tags = try (shown?.tags ?? live.tags(of: .article(id))).sorted { $0.key < $1.key }.map { "#\($0.value)" }
        if !tags.isEmpty { print(Terminal.dim("tags:      \(tags.joined(separator: " "))")) }
        if let number = versions.first(where: { $0.summary.id == id })?.number, versions.count > 1 {
            print(Terminal.dim("version:   \(number) of \(versions.count) (`daftar versions \(id.prefix(12))`)"))
        }
        // This version's annotations, then those carried from other versions that were placed.
        let placed = carried.filter { $0.placement.anchor != nil }
        let marked = annotations + placed.map { carried -> AnnotationView in
            var view = carried.view
            view.anchor = carried.placement.anchor!
            return view
        }
        print()
        print(Self.marked(article.body, marked))
        if !marked.isEmpty { print() }
        for (n, view) in annotations.enumerated() { print("{\(n + 1)} " + Self.line(view)) }
        // The {n} of an annotation about the whole article marks no passage; its line says so.
        for (n, carried) in placed.enumerated() {
            print("{\(annotations.count + n + 1)} " + Self.line(carried.view) + Terminal.dim("  [from version \(carried.version), \(carried.placement.label)]"))
        }
        let orphans = carried.filter { $0.placement.anchor == nil }
        if !orphans.isEmpty {
            print()
            print("not placed on this version (orphans):")
            for orphan in orphans {
                print("  \(orphan.view.id.prefix(13)) from version \(orphan.version) \(Terminal.quote(orphan.view.anchor, 60)): \(orphan.placement.reason ?? "")")
            }
        }
    }

    /// An annotation's line under the text: id, motivation, note, tags, conflict.
    static func line(_ view: AnnotationView) -> String {
        let tags = view.tags.sorted { $0.key < $1.key }.map { "#\($0.value)" }.joined(separator: " ")
        let note = view.note.displayed?.value ?? ""
        let whole = view.anchor.isWholeArticle ? "  (the whole article)" : ""
        return "\(view.id.prefix(13))  \(view.motivation.displayed?.value ?? "")\(note.isEmpty ? "" : ": \(note)") \(tags)\(view.inConflict ? "  [CONFLICT]" : "")\(whole)"
    }

    /// An annotation of another version, and how it was placed on this one.
    struct CarriedOutput: Encodable {
        var annotation: AnnotationOutput
        var version: Int
        var placement: Placement
        init(_ carried: CarriedAnnotation) {
            (annotation, version, placement) = (AnnotationOutput(carried.view), carried.version, carried.placement)
        }
    }

    struct Output: Encodable {
        var article: ArticleDetail
        var annotations: [AnnotationOutput]
        /// Every version of the story, when it has several.
        var versions: [ArticleVersion]?
        /// Annotations made on other versions, with where they are on this one.
        var carried: [CarriedOutput]?
    }

    /// The body with each annotated passage marked (reverse video on a terminal, ⟦…⟧ otherwise)
    /// and followed by its number, in logical order.
    static func marked(_ body: String, _ annotations: [AnnotationView]) -> String {
        let scalars = Array(body.unicodeScalars)
        var opens: [Int: Int] = [:], closes: [Int: [Int]] = [:]
        for (n, view) in annotations.enumerated() where view.anchor.end <= scalars.count && !view.anchor.isWholeArticle {
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

import ArgumentParser
import DaftarCore
import DaftarStore
import Foundation

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export annotations (W3C JSON-LD, Markdown or CSV), or the raw log as JSON Lines.",
        discussion: """
            --format w3c (the default) writes an AnnotationCollection: each annotation with its \
            motivation, its note as a TextualBody (language fa, textDirection rtl when Persian), \
            each tag as a TextualBody with purpose tagging, and a target whose source is \
            urn:daftar:article:<id> with a TextQuoteSelector and a TextPositionSelector; then, for \
            each tagged article, one annotation with motivation tagging whose target is the whole \
            article (urn:daftar:article:<id>, no selector) and whose bodies are its tags. \
            `daftar import` reads it back.

            --format markdown writes, per article with annotations or tags (by published date), \
            its title as a heading, its date, file and tags, then each annotation in reading order: \
            the passage as a block quote, its note, its tags. Persian articles are wrapped in \
            <div dir="rtl" lang="fa"> so that GitHub and Pandoc lay them out right to left.

            --format csv writes one row per annotation (RFC 4180: CRLF line ends, fields with a \
            comma, quote or line break quoted, quotes doubled) under the header annotation, \
            article, title, file, published, quote, note, tags (separated by ;), motivation, \
            creator, created, modified (ISO 8601), conflict (true/false). It is UTF-8 without a \
            byte order mark, which most tools want; add --bom for Excel, which otherwise reads \
            Persian as the system's code page.

            --format events writes every stored event, oldest first, one canonical JSON per line.

            Deleted annotations are left out of every format but events.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case w3c, markdown, csv, events
    }

    @ParentCommand var daftar: Daftar

    @Option(help: "w3c, markdown, csv or events.")
    var format: Format = .w3c

    @Flag(help: "Start the CSV with a UTF-8 byte order mark (for Excel).")
    var bom = false

    @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?

    @OptionGroup var past: PastOption

    func validate() throws {
        if bom && format != .csv { throw ValidationError("--bom is for --format csv") }
    }

    func run() throws {
        let store = try daftar.shownStore(daftar.openStoreForReading(), asOf: past.asOf)
        var bytes: [UInt8] = []
        let written: String
        switch format {
        case .w3c, .markdown, .csv:
            let articles = try store.annotatedArticles()
            let annotations = articles.reduce(0) { $0 + $1.annotations.count }
            let tagged = articles.filter { !$0.tags.isEmpty }.count
            switch format {
            case .w3c:
                let views = articles.flatMap(\.annotations).sorted { ($0.article, $0.anchor.start, $0.id) < ($1.article, $1.anchor.start, $1.id) }
                bytes = Array(W3CAnnotations.collection(views, articles: articles, label: "Daftar annotations").prettyString.utf8)
            case .markdown:
                bytes = Array(MarkdownExport.render(articles).utf8)
            default:
                bytes = CSVExport.render(articles, bom: bom)
            }
            written = "\(annotations) annotation\(annotations == 1 ? "" : "s")"
                + (format == .csv ? "" : " and the tags of \(tagged) article\(tagged == 1 ? "" : "s")")
        case .events:
            var count = 0
            try store.forEachEvent { event in
                bytes += event
                bytes.append(0x0A)
                count += 1
            }
            written = "\(count) events"
        }
        if let output {
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw DaftarError(.badInput, "cannot write \(output): \(error.localizedDescription)")
            }
            Terminal.note("wrote \(written) to \(output)")
        } else {
            FileHandle.standardOutput.write(Data(bytes))
        }
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import W3C Web Annotations (ours or another tool's).",
        discussion: """
            Each annotation is anchored in its article — at its position when the text there is \
            its quote, else by its quote — or, when its source is not an article of this archive, \
            by its quote across the archive. The original creator and created time are kept. \
            Annotations that cannot be anchored are reported as orphans (exit status 1), never \
            dropped silently; one that cannot be read (an unknown motivation, a time that is not \
            one, a position that is not a whole number) is refused on its own and the others are \
            imported. What Daftar does not model — other bodies (IRIs, HTML, Markdown with their \
            format and language), every target and creator, generator, rights, audience, via, \
            canonical, modified — is kept with the annotation and exported again. Reads W3C \
            JSON-LD (compacted or expanded) and Hypothesis's API JSON. Importing the same file \
            again changes nothing.

            An article's tags (an annotation with motivation tagging whose target is a whole \
            article, as `daftar export` writes them) are added to the article when it is in this \
            archive — except tags it has already and tags removed from it here, which an import \
            does not bring back — and reported as orphans when it is not.
            """)

    @ParentCommand var daftar: Daftar

    @Argument(help: "A JSON-LD file: an AnnotationCollection, AnnotationPage, Annotation or array of them.")
    var file: String

    @Flag(help: "Print the outcome as JSON.")
    var json = false

    struct Output: Encodable {
        struct Orphan: Encodable {
            var id: String
            var reason: String
        }
        struct Tagged: Encodable {
            var article: String
            var tags: [String]
        }
        var imported: [String]
        /// Of those imported, the ones about a whole article (no passage to mark).
        var wholeArticle: [String]
        var alreadyPresent: [String]
        var orphans: [Orphan]
        /// Annotations of the file that could not be read, each with why.
        var refused: [Orphan]
        var articlesTagged: [Tagged]
        var articleTagsPresent: [String]
    }

    /// The largest W3C file an import reads (about 100,000 annotations): it is parsed whole.
    static let maxBytes = 64 << 20

    func run() throws {
        // Judged before a byte is read: only a regular file, at most maxBytes (through links too).
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: (file as NSString).resolvingSymlinksInPath) else {
            throw DaftarError(.badInput, "\(file): no such file, or it cannot be read")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw DaftarError(.badInput, "\(file): not a regular file (a folder, a pipe or a device); not read")
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        guard size <= Self.maxBytes else {
            throw DaftarError(
                .tooLarge, "\(file): \(size >> 20) MiB is over the \(Self.maxBytes >> 20) MiB an import reads; split it into smaller files")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw DaftarError(.badInput, "\(file): no such file, or it cannot be read")
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw DaftarError(.badInput, "\(file) is not JSON; expected a W3C annotation file (JSON-LD)")
        }
        let file = try W3CAnnotations.parse(parsed)
        let items = file.items
        let store = try daftar.openStore(forWriting: true)
        var report = try store.importAnnotations(items)
        report.refused = file.refused
        if json {
            try Terminal.printJSON(Output(
                imported: report.imported, wholeArticle: report.wholeArticle, alreadyPresent: report.alreadyPresent,
                orphans: report.orphans.map { .init(id: $0.annotation.originalID, reason: $0.reason) },
                refused: report.refused.map { .init(id: $0.originalID, reason: $0.reason) },
                articlesTagged: report.articlesTagged.map { .init(article: $0.article, tags: $0.tags) },
                articleTagsPresent: report.articleTagsPresent))
        } else {
            for refused in report.refused {
                Terminal.error("refused \(Terminal.safe(refused.originalID)): \(Terminal.safe(refused.reason))")
            }
            for orphan in report.orphans {
                Terminal.error("orphan \(Terminal.safe(orphan.annotation.originalID)): \(Terminal.safe(orphan.reason))")
            }
            let annotations = items.filter { !$0.isArticleTagging }.count + report.refused.count
            var line = "\(annotations) annotations: \(report.imported.count) imported, \(report.alreadyPresent.count) already present, \(report.orphans.count) orphan\(report.orphans.count == 1 ? "" : "s")"
            if !report.refused.isEmpty { line += ", \(report.refused.count) refused" }
            if !report.wholeArticle.isEmpty { line += " (\(report.wholeArticle.count) about a whole article: attached to it, no passage to mark)" }
            if items.count > annotations {
                func articles(_ n: Int) -> String { "\(n) article\(n == 1 ? "" : "s")" }
                let added = report.articlesTagged.reduce(0) { $0 + $1.tags.count }
                line += "; article tags: \(added) added to \(articles(report.articlesTagged.count)), \(articles(report.articleTagsPresent.count)) unchanged"
            }
            print(line)
        }
        if !report.orphans.isEmpty || !report.refused.isEmpty { throw ExitCode(1) }
    }
}

import Foundation
import Testing

/// Exports people use, through the `daftar` binary: article tags in the W3C export and back
/// through import, Markdown to read, CSV for spreadsheets.
@Suite("daftar export: W3C with article tags, Markdown, CSV")
struct ExportCLITests {
    typealias A = AnnotationCLITests

    /// A note that needs CSV quoting: a comma, quotes, a line break.
    static let trickyNote = "یادداشت، با «نقل» و \"گیومه\"\nخط دوم"

    /// The seeds with: two annotations on 000 made out of reading order (the later passage
    /// first), one on 003, a deleted one on 001; tags on articles 000 and 002; 004 tagged and
    /// untagged again.
    struct Fixture {
        let box: Sandbox
        let articles: [String: String]
        let later: String
        let earlier: String
        let other: String
        let deleted: String
        var store: String { box.store }
        func article(_ seed: String) -> String { articles[seed]! }
    }

    static func fixture(sourceLocation: SourceLocation = #_sourceLocation) throws -> Fixture {
        let box = try Sandbox()
        let articles = try A.ingestSeeds(box, store: box.store, sourceLocation: sourceLocation)
        func annotate(_ arguments: String...) throws -> String {
            let result = try box.run(["annotate"] + arguments, store: box.store)
            expectSuccess(result, sourceLocation: sourceLocation)
            return try #require(A.annotatedID(result), "\(result)", sourceLocation: sourceLocation)
        }
        func ok(_ arguments: String...) throws { expectSuccess(try box.run(arguments, store: box.store), sourceLocation: sourceLocation) }
        let a000 = articles[A.seed000]!
        let later = try annotate(a000, "--quote", "سرهنگ ژنرال الکساندر فومین", "--note", trickyNote, "--tag", "نظم جهانی", "--tag", "امنیت")
        let earlier = try annotate(a000, "--quote", "امنیت بینالمللی", "--note", "نخست")
        let other = try annotate(articles[A.seed003]!, "--quote", "پیمان همکاری جامع راهبردی", "--motivation", "questioning", "--note", "متن پیمان؟")
        let deleted = try annotate(articles[A.seed001]!, "--quote", "اقدام تروریستی", "--note", "برای حذف")
        try ok("delete", deleted)
        try ok("tag", String(a000.prefix(12)), "روسیه", "قفقاز")
        try ok("tag", String(articles[A.seed002]!.prefix(12)), "شریک")
        try ok("tag", String(articles[A.seed004]!.prefix(12)), "موقت")
        try ok("untag", String(articles[A.seed004]!.prefix(12)), "موقت")
        return Fixture(box: box, articles: articles, later: later, earlier: earlier, other: other, deleted: deleted)
    }

    /// `annotations --json` by id.
    static func annotations(_ fixture: Fixture) throws -> [String: [String: Any]] {
        Dictionary(uniqueKeysWithValues: try A.annotations(fixture.box, store: fixture.store).map { ($0["id"] as! String, $0) })
    }

    /// `list --json` by id.
    static func list(_ box: Sandbox, store: String) throws -> [String: [String: Any]] {
        let result = try box.run(["list", "--json"], store: store)
        expectSuccess(result)
        return Dictionary(uniqueKeysWithValues: try result.jsonArray().map { ($0["id"] as! String, $0) })
    }

    /// `tags --json`, as comparable text.
    static func tags(_ box: Sandbox, store: String) throws -> [String] {
        let result = try box.run(["tags", "--json"], store: store)
        expectSuccess(result)
        return try result.jsonArray().map { "\($0["tag"] ?? "?") annotations:\($0["annotations"] ?? "?") articles:\($0["articles"] ?? "?")" }.sorted()
    }

    // MARK: - W3C

    @Test("W3C: each tagged article is one tagging annotation on the whole article; import applies it once and never undoes an untag")
    func w3cArticleTagsRoundTrip() throws {
        let fixture = try Self.fixture()
        let box = fixture.box
        let file = box.path("export.jsonld")
        let export = try box.run("export", "--output", file)
        expectSuccess(export)
        #expect(export.stderr.contains("wrote 3 annotations and the tags of 2 articles"), "\(export)")
        let exported = try #require(box.contents(file))
        let collection = try #require(try JSONSerialization.jsonObject(with: exported) as? [String: Any])
        let items = try #require((collection["first"] as? [String: Any])?["items"] as? [[String: Any]])
        #expect(collection["total"] as? Int == items.count)
        let articleTags = items.filter { ($0["id"] as? String)?.hasPrefix("urn:daftar:article-tags:") == true }
        #expect(items.count - articleTags.count == 3, "\(items)")
        #expect(Set(articleTags.compactMap { $0["target"] as? String })
            == Set([A.seed000, A.seed002].map { "urn:daftar:article:\(fixture.article($0))" }), "\(articleTags)")
        let on000 = try #require(articleTags.first { $0["target"] as? String == "urn:daftar:article:\(fixture.article(A.seed000))" })
        #expect(on000["id"] as? String == "urn:daftar:article-tags:\(fixture.article(A.seed000))")
        #expect(on000["type"] as? String == "Annotation")
        #expect(on000["motivation"] as? String == "tagging")
        let bodies = try #require(on000["body"] as? [[String: Any]])
        #expect(bodies.allSatisfy { $0["type"] as? String == "TextualBody" && $0["purpose"] as? String == "tagging" }, "\(bodies)")
        #expect(Set(bodies.compactMap { $0["value"] as? String }) == ["روسیه", "قفقاز"], "\(bodies)")
        #expect(on000["created"] is String && on000["modified"] is String, "\(on000)")

        // Into a fresh store with the same seeds: the annotations and the article tags.
        let fresh = box.path("fresh.sqlite")
        try A.ingestSeeds(box, store: fresh)
        let first = try box.run(["import", file], store: fresh)
        expectSuccess(first)
        #expect(first.stdout.contains("3 annotations: 3 imported, 0 already present, 0 orphans; article tags: 3 added to 2 articles, 0 articles unchanged"), "\(first)")
        #expect(try Self.tags(box, store: fresh) == Self.tags(box, store: fixture.store))

        // Again: nothing changes.
        let before = try box.snapshot(store: fresh)
        let again = try box.run(["import", file], store: fresh)
        expectSuccess(again)
        #expect(again.stdout.contains("0 imported, 3 already present, 0 orphans; article tags: 0 added to 0 articles, 2 articles unchanged"), "\(again)")
        #expect(try box.snapshot(store: fresh) == before)

        // A tag removed here on purpose is not brought back by importing the file once more.
        expectSuccess(try box.run(["untag", String(fixture.article(A.seed000).prefix(12)), "روسیه"], store: fresh))
        let untagged = try box.snapshot(store: fresh)
        expectSuccess(try box.run(["import", file], store: fresh))
        #expect(try box.snapshot(store: fresh) == untagged)
        let show = try box.run(["show", fixture.article(A.seed000)], store: fresh)
        #expect(show.stdout.contains("#قفقاز") && !show.stdout.contains("#روسیه"), "\(show)")

        // Where the article is not archived, its tags are an orphan, named, never dropped silently.
        let empty = box.path("empty.sqlite")
        expectSuccess(try box.run(["init"], store: empty))
        let orphaned = try box.run(["import", file], store: empty)
        #expect(orphaned.status == 1, "\(orphaned)")
        #expect(orphaned.stderr.contains("orphan urn:daftar:article-tags:\(fixture.article(A.seed002))"), "\(orphaned)")
    }

    // MARK: - Markdown

    @Test("Markdown: per annotated or tagged article, title, date, tags, then each annotation in reading order, right to left")
    func markdown() throws {
        let fixture = try Self.fixture()
        let box = fixture.box
        let result = try box.run("export", "--format", "markdown")
        expectSuccess(result)
        let markdown = result.stdout
        let lines = markdown.components(separatedBy: "\n")
        let articles = try Self.list(box, store: fixture.store)
        let views = try Self.annotations(fixture)
        func title(_ seed: String) -> String { articles[fixture.article(seed)]?["title"] as? String ?? "?" }

        // 000 (dated) first, then the undated ones by title; none for 001 (its only annotation
        // is deleted) or 004 (untagged again).
        #expect(lines.filter { $0.hasPrefix("## ") } == [A.seed000, A.seed002, A.seed003].map { "## " + title($0) }, "\(markdown)")
        #expect(lines.filter { $0 == "<div dir=\"rtl\" lang=\"fa\">" }.count == 3, "\(markdown)")
        #expect(lines.filter { $0 == "</div>" }.count == 3, "\(markdown)")
        #expect(!markdown.contains("اقدام تروریستی") && !markdown.contains("موقت"), "\(markdown)")

        // Article 000, line by line (blank lines between blocks, so GitHub renders the Markdown
        // inside the div).
        let start = try #require(lines.firstIndex(of: "## " + title(A.seed000)))
        let section = Array(lines[(start - 2)...].prefix { $0 != "</div>" }).filter { !$0.isEmpty }
        let earlier = try #require(views[fixture.earlier]), later = try #require(views[fixture.later])
        #expect(lines[start - 1].isEmpty && lines[start - 2] == "<div dir=\"rtl\" lang=\"fa\">")
        #expect(section == [
            "<div dir=\"rtl\" lang=\"fa\">",
            "## " + title(A.seed000),
            "2025-08-26 · `\(A.seed000)`",
            "`روسیه` `قفقاز`",
            "> " + (earlier["exact"] as? String ?? "?"),
            "نخست",
            "> " + (later["exact"] as? String ?? "?"),
            "یادداشت، با «نقل» و \"گیومه\"  ",
            "خط دوم",
            "`امنیت` `نظم جهانی`",
        ], "\(section)")

        // An article with tags only: heading, file, tags.
        let tagged = try #require(lines.firstIndex(of: "## " + title(A.seed002)))
        #expect(Array(lines[tagged...].prefix { $0 != "</div>" }.filter { !$0.isEmpty }) == [
            "## " + title(A.seed002), "`\(A.seed002)`", "`شریک`",
        ], "\(markdown)")
    }

    // MARK: - CSV

    /// Parses RFC 4180 CSV: records end with CRLF; a quoted field may hold anything, `""` is a quote.
    static func parseCSV(_ text: String) throws -> [[String]] {
        var records: [[String]] = [], record: [String] = [], field = ""
        var scalars = Array(text.unicodeScalars)[...]
        var quoted = false, atFieldStart = true
        while let c = scalars.popFirst() {
            if quoted {
                if c == "\"" {
                    if scalars.first == "\"" { scalars.removeFirst(); field.unicodeScalars.append("\"") } else { quoted = false }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" && atFieldStart {
                quoted = true
                atFieldStart = false
            } else if c == "," {
                record.append(field); field = ""; atFieldStart = true
            } else if c == "\r" {
                guard scalars.popFirst() == "\n" else { throw CLITestError("a bare CR outside quotes") }
                record.append(field); records.append(record); record = []; field = ""; atFieldStart = true
            } else {
                if c == "\n" || c == "\"" { throw CLITestError("a bare LF or quote outside quotes") }
                field.unicodeScalars.append(c)
                atFieldStart = false
            }
        }
        if quoted || !record.isEmpty || !field.isEmpty { throw CLITestError("the last record does not end with CRLF") }
        return records
    }

    @Test("CSV: RFC 4180, a header, one row per annotation; a byte order mark only with --bom")
    func csv() throws {
        let fixture = try Self.fixture()
        let box = fixture.box
        let file = box.path("annotations.csv")
        let export = try box.run("export", "--format", "csv", "--output", file)
        expectSuccess(export)
        #expect(export.stderr.contains("wrote 3 annotations to"), "\(export)")
        let data = try #require(box.contents(file))
        #expect(Array(data.prefix(3)) != [0xEF, 0xBB, 0xBF], "a BOM without --bom")
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.hasPrefix("annotation,article,title,file,published,quote,note,tags,motivation,creator,created,modified,conflict\r\n"))
        // The tricky note: quoted, its quotes doubled, its line break kept.
        #expect(text.contains("\"یادداشت، با «نقل» و \"\"گیومه\"\"\nخط دوم\""), "\(text)")

        let records = try Self.parseCSV(text)
        #expect(records.first == ["annotation", "article", "title", "file", "published", "quote", "note", "tags", "motivation", "creator", "created", "modified", "conflict"])
        let rows = records.dropFirst()
        #expect(rows.allSatisfy { $0.count == 13 }, "\(records)")
        #expect(Set(rows.map { $0[0] }) == [fixture.earlier, fixture.later, fixture.other], "\(records)")
        let views = try Self.annotations(fixture)
        let articles = try Self.list(box, store: fixture.store)
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for row in rows {
            let view = try #require(views[row[0]])
            let article = try #require(articles[row[1]])
            #expect(row[1] == view["article"] as? String)
            #expect(row[2] == article["title"] as? String && row[3] == article["file"] as? String, "\(row)")
            #expect(row[4] == (article["published"] as? String ?? ""), "\(row)")
            #expect(row[5] == view["exact"] as? String && row[6] == view["note"] as? String, "\(row)")
            #expect(row[8] == view["motivation"] as? String && row[9] == view["creator"] as? String, "\(row)")
            #expect(iso.date(from: row[10]) != nil && iso.date(from: row[11]) != nil, "\(row)")
            #expect(row[12] == "false", "\(row)")
        }
        let later = try #require(rows.first { $0[0] == fixture.later })
        #expect(later[6].unicodeScalars.elementsEqual(Self.trickyNote.unicodeScalars), "\(later)")
        #expect(later[7] == "امنیت;نظم جهانی", "\(later)")
        #expect(later[4] == "2025-08-26", "\(later)")

        // --bom: the same bytes after EF BB BF.
        let withBOM = try box.run("export", "--format", "csv", "--bom")
        expectSuccess(withBOM)
        #expect(Array(withBOM.stdoutData.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(withBOM.stdoutData.dropFirst(3) == data)
        // --bom belongs to CSV.
        let misplaced = try box.run("export", "--format", "markdown", "--bom")
        #expect(misplaced.status == 64 && misplaced.stderr.contains("--bom"), "\(misplaced)")
    }
}

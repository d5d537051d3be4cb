import Foundation
import Testing

/// End-to-end tests of annotations through the `daftar` executable (issue 4): the "Done when"
/// walk-through on the seeds as a new user would try it, and every kind of bad input — each a
/// clear one-line message, a non-zero exit, and a store left exactly as it was.
@Suite("daftar annotations on the command line")
struct AnnotationCLITests {
    static let seed000 = "000_1ecfb78ca4866ac4.txt"
    static let seed001 = "001_e43867a11d68460e.txt"
    static let seed002 = "002_0a9e599e7ddfaa65.txt"
    static let seed003 = "003_8fc7de84c5610d4c.txt"
    static let seed004 = "004_8002fddc3a075398.txt"

    /// The fields an annotation must keep through export → import.
    static let roundTripFields = ["id", "article", "exact", "prefix", "suffix", "start", "end", "note", "motivation", "tags", "creator"]

    // MARK: - Helpers

    /// Persian text as typed on an Arabic keyboard: Persian yeh → Arabic yeh (U+064A), keheh →
    /// Arabic kaf (U+0643).
    static func arabicTyped(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { s -> Unicode.Scalar in
            switch s {
            case "\u{06CC}": "\u{064A}"
            case "\u{06A9}": "\u{0643}"
            default: s
            }
        }))
    }

    /// Runs `daftar --store STORE ARGS…`.
    static func run(_ box: Sandbox, _ store: String, _ arguments: [String]) throws -> RunResult {
        try box.run(arguments, store: store)
    }

    /// `ingest seeds` into `store`, checked; returns the article id of each seed file.
    @discardableResult
    static func ingestSeeds(_ box: Sandbox, store: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: String] {
        let ingest = try run(box, store, ["ingest", DaftarBinary.seedsDirectory])
        expectSuccess(ingest, sourceLocation: sourceLocation)
        #expect(ingest.stdout.contains("5 new articles"), "\(ingest)", sourceLocation: sourceLocation)
        let list = try run(box, store, ["list", "--json"])
        expectSuccess(list, sourceLocation: sourceLocation)
        var ids: [String: String] = [:]
        for article in try list.jsonArray() {
            if let file = article["file"] as? String, let id = article["id"] as? String { ids[file] = id }
        }
        try #require(ids.count == 5, "\(list)", sourceLocation: sourceLocation)
        return ids
    }

    /// `annotations [ARGS…] --json`, checked to succeed.
    static func annotations(_ box: Sandbox, store: String, _ arguments: [String] = [], sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        let result = try run(box, store, ["annotations"] + arguments + ["--json"])
        expectSuccess(result, sourceLocation: sourceLocation)
        return try result.jsonArray()
    }

    /// The article body, from `show ID --json`.
    static func body(_ box: Sandbox, store: String, _ article: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let show = try run(box, store, ["show", article, "--json"])
        expectSuccess(show, sourceLocation: sourceLocation)
        let object = try show.jsonObject()
        let detail = object["article"] as? [String: Any] ?? object
        return try #require(detail["body"] as? String, "\(show)", sourceLocation: sourceLocation)
    }

    /// The body's text in a range of Unicode scalars (clamped).
    static func scalars(_ text: String, _ range: Range<Int>) -> String {
        let all = Array(text.unicodeScalars)
        return String(String.UnicodeScalarView(all[range.clamped(to: 0..<all.count)]))
    }

    /// The annotation id printed by `annotate` ("annotated ID on …").
    static func annotatedID(_ result: RunResult) -> String? {
        let words = result.stdout.split(separator: " ")
        guard words.count > 1, words[0] == "annotated" else { return nil }
        return String(words[1])
    }

    static func isUUID(_ s: String?) -> Bool {
        guard let s, let uuid = UUID(uuidString: s) else { return false }
        return uuid.uuidString.lowercased() == s
    }

    /// The chosen fields of an annotation as canonical JSON text, for comparing two stores.
    static func fields(_ annotation: [String: Any], _ keys: [String]) throws -> String {
        var picked: [String: Any] = [:]
        for key in keys { picked[key] = annotation[key] ?? NSNull() }
        let data = try JSONSerialization.data(withJSONObject: picked, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// A sandbox with the seeds ingested, one live annotation on 000 («امنیت بینالمللی», note,
    /// tag) and one deleted annotation on 001.
    struct Fixture {
        let box: Sandbox
        let articles: [String: String]
        let live: String
        let deleted: String
        var store: String { box.store }
    }

    static func fixture(sourceLocation: SourceLocation = #_sourceLocation) throws -> Fixture {
        let box = try Sandbox()
        let articles = try ingestSeeds(box, store: box.store, sourceLocation: sourceLocation)
        let first = try box.run("annotate", articles[seed000]!, "--quote", "امنیت بینالمللی", "--note", "یادداشت آزمایشی", "--tag", "امنیت")
        expectSuccess(first, sourceLocation: sourceLocation)
        let second = try box.run("annotate", articles[seed001]!, "--quote", "اقدام تروریستی", "--note", "برای حذف")
        expectSuccess(second, sourceLocation: sourceLocation)
        let live = try #require(annotatedID(first), "\(first)", sourceLocation: sourceLocation)
        let deleted = try #require(annotatedID(second), "\(second)", sourceLocation: sourceLocation)
        expectSuccess(try box.run("delete", deleted), sourceLocation: sourceLocation)
        return Fixture(box: box, articles: articles, live: live, deleted: deleted)
    }

    /// One passage to annotate in the walk-through.
    struct Passage {
        var file: String
        /// What the analyst types.
        var quote: String
        var extra: [String] = []
        /// What the article says there.
        var exact: String
        var note: String
        var tags: [String]
        var motivation: String
    }

    static let passages: [Passage] = [
        // Typed with a space where the article joins: «امنیت بینالمللی».
        Passage(
            file: seed000, quote: "امنیت بین المللی", exact: "امنیت بینالمللی",
            note: "گفتگوی امنیتی؛ پیگیری در گزارش هفتگی", tags: ["امنیت", "قفقاز"], motivation: "commenting"),
        // Typed with Arabic yeh.
        Passage(
            file: seed001, quote: arabicTyped("اقدام تروریستی"), exact: "اقدام تروریستی",
            note: "روایت باکو", tags: ["آذربایجان"], motivation: "commenting"),
        // Arabic yeh and kaf; occurs twice (title and quotation): the second.
        Passage(
            file: seed002, quote: arabicTyped("شریک راهبردی"), extra: ["--occurrence", "2"], exact: "شریک راهبردی",
            note: "نقل قول مستقیم شویگو", tags: ["راهبردی"], motivation: "commenting"),
        Passage(
            file: seed003, quote: arabicTyped("پیمان همکاری جامع راهبردی"), extra: ["--motivation", "questioning"],
            exact: "پیمان همکاری جامع راهبردی", note: "آیا متن پیمان منتشر شد؟", tags: ["پیمان"], motivation: "questioning"),
        // Occurs three times; the prefix (typed with Arabic yeh) picks the first.
        Passage(
            file: seed004, quote: "نظام چند قطبی", extra: ["--prefix", arabicTyped("برای ایجاد")], exact: "نظام چند قطبی",
            note: "چندقطبی بودن جهان", tags: ["نظم-جهانی"], motivation: "commenting"),
    ]

    // MARK: - 1. The walk-through of "Done when"

    @Test("walk-through on the seeds: annotate, list, edit, delete/restore, tag, search notes, show, W3C round trip, rebuild, events")
    func walkThroughOnSeeds() throws {
        let box = try Sandbox()
        let articles = try Self.ingestSeeds(box, store: box.store)

        // Annotate a Persian passage in each article.
        #expect(Self.passages.contains { $0.quote.unicodeScalars.contains("\u{064A}") })
        #expect(Self.passages.contains { $0.quote.unicodeScalars.contains("\u{0643}") })
        var ids: [String: String] = [:]  // file → annotation id
        for passage in Self.passages {
            let article = try #require(articles[passage.file])
            var arguments = ["annotate", String(article.prefix(10)), "--quote", passage.quote, "--note", passage.note]
            for tag in passage.tags { arguments += ["--tag", tag] }
            let result = try box.run(arguments + passage.extra, store: box.store)
            expectSuccess(result)
            #expect(result.stdout.contains("«\(passage.exact)»"), "\(result)")
            let id = try #require(Self.annotatedID(result), "\(result)")
            #expect(Self.isUUID(id), "\(result)")
            ids[passage.file] = id
        }
        #expect(Set(ids.values).count == 5)

        // List them: right articles, the article's own text, notes, tags.
        let listed = try Self.annotations(box, store: box.store)
        #expect(listed.count == 5)
        for passage in Self.passages {
            let article = articles[passage.file]!
            let id = ids[passage.file]!
            let annotation = try #require(listed.first { $0["id"] as? String == id }, "\(id) not listed")
            #expect(annotation["article"] as? String == article)
            #expect(annotation["exact"] as? String == passage.exact)
            #expect(annotation["note"] as? String == passage.note)
            #expect(annotation["tags"] as? [String] == passage.tags.sorted())
            #expect(annotation["motivation"] as? String == passage.motivation)
            #expect(annotation["deleted"] as? Bool == false)
            #expect(annotation["conflict"] as? Bool == false)
            let body = try Self.body(box, store: box.store, article)
            let start = try #require(annotation["start"] as? Int), end = try #require(annotation["end"] as? Int)
            #expect(Self.scalars(body, start..<end) == passage.exact, "\(annotation)")
            #expect(annotation["prefix"] as? String == Self.scalars(body, max(0, start - 32)..<start))
            #expect(annotation["suffix"] as? String == Self.scalars(body, end..<(end + 32)))
        }
        // --occurrence 2 picked the quotation, --prefix the passage after «برای ایجاد».
        let on002 = try #require(listed.first { $0["id"] as? String == ids[Self.seed002] })
        #expect((on002["suffix"] as? String)?.hasPrefix(" روسیه است") == true, "\(on002)")
        let on004 = try #require(listed.first { $0["id"] as? String == ids[Self.seed004] })
        #expect((on004["prefix"] as? String)?.hasSuffix("برای ایجاد ") == true, "\(on004)")

        // Filters: one article (by prefix), one tag (typed with Arabic yeh).
        let ofArticle = try Self.annotations(box, store: box.store, [String(articles[Self.seed003]!.prefix(8))])
        #expect(ofArticle.compactMap { $0["id"] as? String } == [ids[Self.seed003]!])
        let withTag = try Self.annotations(box, store: box.store, ["--tag", Self.arabicTyped("امنیت")])
        #expect(withTag.compactMap { $0["id"] as? String } == [ids[Self.seed000]!])

        // Edit one note.
        let edited = ids[Self.seed001]!
        let newNote = "روایت رسمی باکو؛ نیازمند بازبینی"
        let edit = try box.run("edit", String(edited.prefix(8)), "--note", newNote)
        expectSuccess(edit)
        #expect(edit.stdout.contains("edited \(edited)"), "\(edit)")
        let afterEdit = try Self.annotations(box, store: box.store)
        #expect(afterEdit.first { $0["id"] as? String == edited }?["note"] as? String == newNote)
        #expect(afterEdit.first { $0["id"] as? String == edited }?["conflict"] as? Bool == false)

        // Delete one: hidden from `annotations` and `show`, listed with --deleted; restore it.
        let removed = ids[Self.seed002]!
        let delete = try box.run("delete", String(removed.prefix(8)))
        expectSuccess(delete)
        #expect(delete.stdout.contains("deleted \(removed)"), "\(delete)")
        let plain = try box.run("annotations")
        expectSuccess(plain)
        #expect(!plain.stdout.contains(String(removed.prefix(13))), "\(plain)")
        #expect(plain.stdout.contains(String(ids[Self.seed000]!.prefix(13))), "\(plain)")
        #expect(try Self.annotations(box, store: box.store).count == 4)
        let withDeleted = try Self.annotations(box, store: box.store, ["--deleted"])
        #expect(withDeleted.count == 5)
        #expect(withDeleted.first { $0["id"] as? String == removed }?["deleted"] as? Bool == true)
        let showDeleted = try box.run("show", articles[Self.seed002]!)
        expectSuccess(showDeleted)
        #expect(!showDeleted.stdout.contains("⟦"), "a deleted annotation is not marked: \(showDeleted)")
        let restore = try box.run("restore", String(removed.prefix(8)))
        expectSuccess(restore)
        #expect(restore.stdout.contains("restored \(removed)"), "\(restore)")
        let restored = try Self.annotations(box, store: box.store)
        #expect(restored.count == 5)
        #expect(restored.first { $0["id"] as? String == removed }?["deleted"] as? Bool == false)

        // Tag and untag an annotation.
        expectSuccess(try box.run("tag", String(edited.prefix(8)), "حمله", "مهم"))
        expectSuccess(try box.run("untag", String(edited.prefix(8)), "مهم"))
        #expect(try Self.annotations(box, store: box.store).first { $0["id"] as? String == edited }?["tags"] as? [String] == ["آذربایجان", "حمله"])
        // A tag in another spelling is the same tag (compared folded): added, then removed.
        expectSuccess(try box.run("tag", String(removed.prefix(8)), Self.arabicTyped("امنیت")))
        #expect(try Self.annotations(box, store: box.store, ["--tag", "امنیت"]).count == 2)
        expectSuccess(try box.run("untag", String(removed.prefix(8)), "امنیت"))
        #expect(try Self.annotations(box, store: box.store, ["--tag", "امنیت"]).count == 1)

        // Tag and untag articles (the untag typed in the other spelling).
        let article000 = articles[Self.seed000]!, article001 = articles[Self.seed001]!
        expectSuccess(try box.run("tag", String(article000.prefix(12)), "روسیه"))
        expectSuccess(try box.run("tag", String(article001.prefix(12)), "روسیه", "قفقاز"))
        let untagArticle = try box.run("untag", String(article001.prefix(12)), Self.arabicTyped("روسیه"))
        expectSuccess(untagArticle)
        #expect(untagArticle.stdout.contains("untagged"), "\(untagArticle)")

        // Tag counts.
        let tags = try box.run("tags", "--json")
        expectSuccess(tags)
        var counts: [String: [Int]] = [:]
        for row in try tags.jsonArray() {
            if let tag = row["tag"] as? String { counts[tag] = [row["annotations"] as? Int ?? -1, row["articles"] as? Int ?? -1] }
        }
        #expect(counts == [
            "امنیت": [1, 0], "قفقاز": [1, 1], "آذربایجان": [1, 0], "حمله": [1, 0], "راهبردی": [1, 0],
            "پیمان": [1, 0], "نظم-جهانی": [1, 0], "روسیه": [0, 1],
        ], "\(tags)")

        // Search a word of a note: a hit of kind note, naming the annotation.
        let weekly = try box.run("search", "هفتگی", "--json")
        expectSuccess(weekly)
        let weeklyHits = try weekly.jsonArray()
        #expect(weeklyHits.count == 1, "\(weekly)")
        let hit = try #require(weeklyHits.first)
        #expect(hit["kind"] as? String == "note")
        #expect(hit["annotation"] as? String == ids[Self.seed000])
        #expect(hit["id"] as? String == article000)
        // The edited note is searchable by its new words.
        let review = try box.run("search", "بازبینی", "--json")
        expectSuccess(review)
        let reviewHits = try review.jsonArray()
        #expect(reviewHits.contains { $0["kind"] as? String == "note" && $0["annotation"] as? String == edited }, "\(review)")
        let plainSearch = try box.run("search", "هفتگی")
        expectSuccess(plainSearch)
        #expect(plainSearch.stdout.contains("note \(ids[Self.seed000]!.prefix(13))"), "\(plainSearch)")

        // Show: the passage marked in the body (⟦…⟧ when not a terminal), the note, the tags.
        let show = try box.run("show", String(article000.prefix(12)))
        expectSuccess(show)
        #expect(show.stdout.contains("⟦امنیت بینالمللی⟧{1}"), "\(show)")
        #expect(show.stdout.contains("گفتگوی امنیتی؛ پیگیری در گزارش هفتگی"), "\(show)")
        #expect(show.stdout.contains(String(ids[Self.seed000]!.prefix(13))), "\(show)")
        #expect(show.stdout.contains("#قفقاز"), "\(show)")
        #expect(show.stdout.contains("#روسیه"), "the article's tag: \(show)")
        #expect(show.stdout.components(separatedBy: "⟦").count == 2, "one passage marked: \(show)")
        let show004 = try box.run("show", articles[Self.seed004]!)
        expectSuccess(show004)
        #expect(show004.stdout.contains("ایجاد ⟦نظام چند قطبی⟧{1}"), "\(show004)")

        // Rebuild reproduces everything.
        let digestBefore = try box.snapshot()
        let rebuild = try box.run("rebuild")
        expectSuccess(rebuild)
        #expect(rebuild.stdout.contains("digest unchanged"), "\(rebuild)")
        #expect(try box.snapshot() == digestBefore)

        // The raw log as JSON Lines: one object per event.
        let events = try box.run("export", "--format", "events")
        expectSuccess(events)
        let lines = events.stdout.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == digestBefore.events, "\(lines.count) lines, \(digestBefore.events) events")
        #expect(events.stdout.hasSuffix("\n"))
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["type"] is String && object?["hash"] is String, "\(line.prefix(200))")
        }
        #expect(lines.filter { $0.contains("\"type\":\"annotation.created\"") }.count == 5)

        // Export W3C JSON-LD.
        let file = box.path("annotations.jsonld")
        let export = try box.run("export", "--format", "w3c", "--output", file)
        expectSuccess(export)
        #expect(export.stderr.contains("5 annotations"), "\(export)")
        let exported = try #require(box.contents(file))
        let collection = try #require(try JSONSerialization.jsonObject(with: exported) as? [String: Any])
        #expect(collection["@context"] as? String == "http://www.w3.org/ns/anno.jsonld")
        #expect(collection["type"] as? String == "AnnotationCollection")
        let all = try #require((collection["first"] as? [String: Any])?["items"] as? [[String: Any]])
        // The two tagged articles' tags come after the annotations (ExportCLITests checks them).
        let items = all.filter { ($0["id"] as? String)?.hasPrefix("urn:uuid:") == true }
        #expect(items.count == 5)
        #expect(all.count == 7)
        for item in items {
            #expect(item["type"] as? String == "Annotation")
            let id = try #require(item["id"] as? String)
            #expect(ids.values.contains { id == "urn:uuid:\($0)" }, "\(id)")
            let target = try #require(item["target"] as? [String: Any])
            #expect(Set(articles.values.map { "urn:daftar:article:\($0)" }).contains(target["source"] as? String ?? ""))
            let selectorTypes = Set(((target["selector"] as? [[String: Any]]) ?? []).compactMap { $0["type"] as? String })
            #expect(selectorTypes == ["TextQuoteSelector", "TextPositionSelector"])
            let bodies = (item["body"] as? [[String: Any]]) ?? []
            let note = try #require(bodies.first { $0["purpose"] == nil }, "\(item)")
            #expect(note["type"] as? String == "TextualBody")
            #expect(note["language"] as? String == "fa")
            #expect(note["textDirection"] as? String == "rtl")
            #expect(!bodies.filter { $0["purpose"] as? String == "tagging" }.isEmpty, "\(item)")
            #expect(item["created"] is String && item["modified"] is String && item["creator"] != nil)
        }

        // A fresh store with the same seeds imports them and shows the same annotations.
        let fresh = box.path("fresh.sqlite")
        try Self.ingestSeeds(box, store: fresh)
        let firstImport = try Self.run(box, fresh, ["import", file])
        expectSuccess(firstImport)
        #expect(firstImport.stdout.contains("5 imported"), "\(firstImport)")
        #expect(firstImport.stdout.contains("0 orphans"), "\(firstImport)")
        let original = try Self.annotations(box, store: box.store).sorted { ($0["id"] as? String ?? "") < ($1["id"] as? String ?? "") }
        let imported = try Self.annotations(box, store: fresh).sorted { ($0["id"] as? String ?? "") < ($1["id"] as? String ?? "") }
        #expect(imported.count == 5)
        #expect(try original.map { try Self.fields($0, Self.roundTripFields) } == imported.map { try Self.fields($0, Self.roundTripFields) })

        // Importing the same file again is a no-op.
        let freshBefore = try box.snapshot(store: fresh)
        let again = try Self.run(box, fresh, ["import", file])
        expectSuccess(again)
        #expect(again.stdout.contains("0 imported"), "\(again)")
        #expect(again.stdout.contains("5 already present"), "\(again)")
        #expect(try box.snapshot(store: fresh) == freshBefore)
        let freshRebuild = try Self.run(box, fresh, ["rebuild"])
        expectSuccess(freshRebuild)
        #expect(freshRebuild.stdout.contains("digest unchanged"), "\(freshRebuild)")

        // Both logs still verify: every hash, chain link and seal.
        expectSuccess(try box.run("verify"))
        expectSuccess(try Self.run(box, fresh, ["verify"]))
    }

    @Test(
        "tags: one tag in two spellings is listed once, displayed as first written")
    func tagDisplayedAsFirstWritten() throws {
        let fixture = try Self.fixture()
        let box = fixture.box
        // The fixture tagged the live annotation "امنیت" (Persian yeh) first.
        let other = try box.run("annotate", fixture.articles[Self.seed002]!, "--quote", "شریک راهبردی", "--occurrence", "1")
        expectSuccess(other)
        let otherID = try #require(Self.annotatedID(other))
        expectSuccess(try box.run("tag", otherID, Self.arabicTyped("امنیت")))
        let tags = try box.run("tags", "--json")
        expectSuccess(tags)
        let rows = try tags.jsonArray()
        #expect(rows.count == 1, "\(tags)")
        #expect(rows.first?["tag"] as? String == "امنیت", "\(tags)")
        #expect(rows.first?["annotations"] as? Int == 2, "\(tags)")
    }

    // MARK: - 2. Bad input: annotate

    @Test("annotate with an unknown article id", arguments: ["ffffffffffff", String(repeating: "0", count: 64)])
    func annotateUnknownArticle(_ article: String) throws {
        let fixture = try Self.fixture()
        let before = try fixture.box.snapshot()
        let result = try fixture.box.run("annotate", article, "--quote", "ایران", "--note", "x")
        expectCleanFailure(result, status: 1, mentioning: ["no article", article])
        #expect(result.stdout.isEmpty, "\(result)")
        #expect(try fixture.box.snapshot() == before)
    }

    @Test("annotate with a quote not in the article names the closest passage when part of it is there")
    func annotateMissingQuote() throws {
        let fixture = try Self.fixture()
        let box = fixture.box
        let before = try box.snapshot()
        let article = fixture.articles[Self.seed000]!

        let partly = try box.run("annotate", article, "--quote", "امنیت بین المللی ماهواره", "--note", "x")
        expectCleanFailure(partly, status: 1, mentioning: ["not in article", "closest passage", "امنیت بینالمللی"])
        #expect(partly.stdout.isEmpty, "\(partly)")

        let absent = try box.run("annotate", article, "--quote", "zebra xylophone")
        expectCleanFailure(absent, status: 1, mentioning: ["not in article"])

        let noLetters = try box.run("annotate", article, "--quote", "،، ...")
        expectCleanFailure(noLetters, status: 1, mentioning: ["quote"])

        let badPositions = try box.run("annotate", article, "--start", "5", "--end", "3")
        expectCleanFailure(badPositions, status: 1, mentioning: ["5", "3"])
        #expect(try box.snapshot() == before)
    }

    @Test("annotate with an ambiguous quote lists the candidates and says how to pick one")
    func annotateAmbiguousQuote() throws {
        let fixture = try Self.fixture()
        let box = fixture.box
        let before = try box.snapshot()
        let article = fixture.articles[Self.seed002]!

        let ambiguous = try box.run("annotate", article, "--quote", Self.arabicTyped("شریک راهبردی"), "--note", "x")
        expectCleanFailure(ambiguous, status: 1, mentioning: ["2 times", "--occurrence", "--prefix", "1: ", "2: ", "ماست", "روسیه است"])

        let tooFar = try box.run("annotate", article, "--quote", "شریک راهبردی", "--occurrence", "3")
        expectCleanFailure(tooFar, status: 1, mentioning: ["occurrence 3", "2 times"])

        let wrongPrefix = try box.run("annotate", article, "--quote", "شریک راهبردی", "--prefix", "کهکشان")
        expectCleanFailure(wrongPrefix, status: 1, mentioning: ["prefix"])
        #expect(try box.snapshot() == before)
    }

    @Test("annotate or edit with an unknown motivation lists the W3C ones")
    func unknownMotivation() throws {
        let fixture = try Self.fixture()
        let box = fixture.box
        let before = try box.snapshot()
        let annotate = try box.run("annotate", fixture.articles[Self.seed000]!, "--quote", "قفقاز جنوبی", "--motivation", "liking")
        expectCleanFailure(annotate, status: 1, mentioning: ["liking", "commenting", "highlighting"])
        let edit = try box.run("edit", fixture.live, "--motivation", "liking")
        expectCleanFailure(edit, status: 1, mentioning: ["liking", "commenting"])
        #expect(try box.snapshot() == before)
    }

    @Test("annotate with both --quote and --start is a usage error (exit 64)")
    func annotateQuoteAndPositions() throws {
        let fixture = try Self.fixture()
        let box = fixture.box
        let before = try box.snapshot()
        let result = try box.run("annotate", fixture.articles[Self.seed000]!, "--quote", "امنیت", "--start", "1", "--end", "3")
        #expect(result.status == 64 && !result.signaled, "\(result)")
        #expect(result.stderrLines.first?.contains("either --quote or --start/--end") == true, "\(result)")
        #expect(result.stdout.isEmpty, "\(result)")
        for bad in leakedInternals { #expect(!result.stderr.contains(bad), "\(result)") }
        #expect(try box.snapshot() == before)
    }

    // MARK: - 2. Bad input: annotation ids

    @Test("edit, delete, restore, tag, untag with an unknown annotation id", arguments: [
        ["edit", "00000000-0000-4000-8000-000000000000", "--note", "x"], ["delete", "00000000-0000-4000-8000-000000000000"], ["restore", "00000000-0000-4000-8000-000000000000"],
        ["tag", "00000000-0000-4000-8000-000000000000", "x"], ["untag", "00000000-0000-4000-8000-000000000000", "x"], ["edit", "ffff", "--note", "x"],
    ])
    func unknownAnnotationID(_ arguments: [String]) throws {
        let fixture = try Self.fixture()
        let box = fixture.box
        let before = try box.snapshot()
        let result = try box.run(arguments, store: box.store)
        expectCleanFailure(result, status: 1, mentioning: ["no ", arguments[1]])
        #expect(result.stdout.isEmpty, "\(result)")
        #expect(try box.snapshot() == before)
    }

    @Test("delete of a deleted annotation and restore of a live one are refused")
    func deleteTwice() throws {
        let fixture = try Self.fixture()
        let box = fixture.box
        let before = try box.snapshot()
        let again = try box.run("delete", fixture.deleted)
        expectCleanFailure(again, status: 1, mentioning: ["already deleted"])
        #expect(again.stdout.isEmpty, "\(again)")
        let live = try box.run("restore", fixture.live)
        expectCleanFailure(live, status: 1, mentioning: ["not deleted"])
        // Tagging what already has the tag writes nothing either.
        let tagged = try box.run("tag", fixture.live, "امنیت")
        expectCleanFailure(tagged, status: 1, mentioning: ["already tagged"])
        #expect(try box.snapshot() == before)
    }

    // MARK: - 2. Bad input: import

    @Test("import of a file that is not JSON, of {\"type\":\"Foo\"}, of a missing file")
    func importInvalidFiles() throws {
        let fixture = try Self.fixture()
        let box = fixture.box
        let before = try box.snapshot()

        let notJSON = try box.write("notes.txt", "این یک فایل JSON نیست\n")
        let r1 = try box.run("import", notJSON)
        expectCleanFailure(r1, status: 1, mentioning: ["notes.txt", "not JSON"])

        let foo = try box.write("foo.json", #"{"type":"Foo"}"#)
        let r2 = try box.run("import", foo)
        expectCleanFailure(r2, status: 1, mentioning: ["not an annotation file", "Foo"])

        let r3 = try box.run("import", box.path("missing.jsonld"))
        expectCleanFailure(r3, status: 1, mentioning: ["missing.jsonld"])
        for r in [r1, r2, r3] { #expect(r.stdout.isEmpty, "\(r)") }
        #expect(try box.snapshot() == before)
    }

    @Test("import of a W3C file with an unknown motivation: that one refused by name, the valid one imported, exit 1")
    func importUnknownMotivation() throws {
        // Export from one store (two annotations), spoil one motivation, import into a fresh one.
        let fixture = try Self.fixture()
        let box = fixture.box
        expectSuccess(try box.run("restore", fixture.deleted))
        let file = box.path("export.jsonld")
        expectSuccess(try box.run("export", "--format", "w3c", "--output", file))
        let text = String(decoding: try #require(box.contents(file)), as: UTF8.self)
        #expect(text.components(separatedBy: #""motivation": "commenting""#).count == 3, "\(text)")
        let spoiled = try box.write("spoiled.jsonld", text.replacingOccurrences(of: #""motivation": "commenting""#, with: #""motivation": "liking""#, options: [], range: text.range(of: #""motivation": "commenting""#)))

        let fresh = box.path("fresh.sqlite")
        try Self.ingestSeeds(box, store: fresh)
        let before = try box.snapshot(store: fresh)
        let result = try Self.run(box, fresh, ["import", spoiled])
        expectCleanFailure(result, status: 1, mentioning: ["refused", "unknown motivation", "liking"])
        #expect(result.stdout.contains("1 imported") && result.stdout.contains("1 refused"), "\(result)")
        #expect(try box.snapshot(store: fresh).events == before.events + 1)  // one commit: the valid one
        #expect(try Self.annotations(box, store: fresh, ["--deleted"]).count == 1)
    }

    @Test("import of an annotation whose quote is in no article: exit 1, the orphan named, nothing stored for it")
    func importOrphan() throws {
        let fixture = try Self.fixture()
        let box = fixture.box
        let orphanID = "https://example.org/anno/orphan-1"
        let orphan = """
            {"id": "\(orphanID)", "type": "Annotation", "motivation": "commenting",
             "bodyValue": "یادداشت ابزار دیگر", "creator": "another tool", "created": "2024-01-02T03:04:05Z",
             "target": {"source": "https://example.org/article/42",
                        "selector": {"type": "TextQuoteSelector", "exact": "کهکشان راه شیری و ستاره ها"}}}
            """
        let good = """
            {"id": "https://example.org/anno/good-1", "type": "Annotation", "motivation": "highlighting",
             "creator": {"type": "Person", "name": "Other Tool"}, "created": "2024-01-02T03:04:05Z",
             "target": {"source": "https://example.org/article/43",
                        "selector": {"type": "TextQuoteSelector", "exact": "\(Self.arabicTyped("چشمانداز توسعه روابط دوجانبه"))"}}}
            """

        // Only the orphan: nothing at all is written.
        let before = try box.snapshot()
        let onlyOrphan = try box.write("orphan.jsonld", #"{"@context": "http://www.w3.org/ns/anno.jsonld", "type": "AnnotationPage", "items": ["# + orphan + "]}")
        let r1 = try box.run("import", onlyOrphan)
        expectCleanFailure(r1, status: 1, mentioning: ["orphan", orphanID, "no article"])
        #expect(r1.stdout.contains("1 orphan"), "\(r1)")
        #expect(try box.snapshot() == before)

        // With an annotation that anchors: that one is stored, the orphan is not.
        let mixed = try box.write("mixed.jsonld", "[" + orphan + ", " + good + "]")
        let r2 = try box.run("import", mixed)
        expectCleanFailure(r2, status: 1, mentioning: ["orphan", orphanID])
        #expect(r2.stdout.contains("1 imported"), "\(r2)")
        #expect(r2.stdout.contains("1 orphan"), "\(r2)")
        let after = try box.snapshot()
        #expect(after.events == before.events + 1)
        let all = try Self.annotations(box, store: box.store, ["--deleted"])
        #expect(all.count == 3)
        let imported = try #require(all.first { $0["creator"] as? String == "Other Tool" }, "\(all)")
        #expect(imported["article"] as? String == fixture.articles[Self.seed003])
        #expect(imported["exact"] as? String == "چشمانداز توسعه روابط دوجانبه")
        #expect(imported["created"] as? String == "2024-01-02T03:04:05.000Z")  // xsd:dateTime, normalised
        #expect(!all.contains { ($0["note"] as? String)?.contains("ابزار دیگر") == true }, "\(all)")

        // Again: the anchored one is already present, the orphan still reported, nothing written.
        let r3 = try box.run("import", mixed)
        expectCleanFailure(r3, status: 1, mentioning: ["orphan", orphanID])
        #expect(r3.stdout.contains("0 imported, 1 already present, 1 orphan"), "\(r3)")
        #expect(try box.snapshot() == after)
    }
}

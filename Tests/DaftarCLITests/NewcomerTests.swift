import DaftarTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a new analyst meets in the first hour, tried through the `daftar` binary.
@Suite("What a newcomer trips over")
struct NewcomerTests {
    typealias C = CLITests

    static func seedText(_ name: String) throws -> String {
        try String(contentsOfFile: DaftarBinary.seedsDirectory + "/" + name, encoding: .utf8)
    }

    /// The seeds, then the same five files with CRLF line endings, with a trailing newline,
    /// and with another comment count in the scraped tail: five articles, each listing its
    /// sources, and a search lists the story once.
    @Test func copiesOfAStoryAreOneArticle() throws {
        let box = try Sandbox()
        try C.ingestSeeds(box)
        for name in C.allSeeds {
            let text = try Self.seedText(name)
            try box.write("crlf/\(name)", text.replacingOccurrences(of: "\n", with: "\r\n"))
            try box.write("newline/\(name)", text + "\n\n")
            try box.write("tail/\(name)", text + "\nنظرات کاربران\n۱۲ نظر\n")
        }
        let crlf = try box.run("ingest", box.path("crlf"))
        expectSuccess(crlf)
        #expect(crlf.stdout.contains("5 already archived"), "\(crlf)")
        let newline = try box.run("ingest", box.path("newline"))
        #expect(newline.stdout.contains("5 already archived"), "\(newline)")
        let tail = try box.run("ingest", box.path("tail"))
        expectSuccess(tail)
        #expect(tail.stdout.contains("5 copies of archived articles"), "\(tail)")
        #expect(tail.stderrLines.filter { $0.contains("is a copy of article") }.count == 5, "\(tail)")

        let articles = try C.list(box)
        #expect(articles.count == 5)
        for article in articles {
            let show = try box.run("show", article["id"] as! String, "--json")
            let sources = try C.articleDetail(show)["sources"] as? [[String: Any]] ?? []
            #expect(sources.count == 2, "\(show)")
        }
        #expect(try C.search(box, "شویگو").count == 1)
    }

    /// `search پوتین -اوکراین` as typed in a shell; options may follow the words.
    @Test func queryWordsMayStartWithADash() throws {
        let box = try Sandbox()
        try C.ingestSeeds(box)
        let all = try C.search(box, "پوتین")
        let without = try C.search(box, "پوتین", "-اوکراین")
        #expect(!without.isEmpty && without.count < all.count, "\(all.count) → \(without.count)")
        let limited = try box.run(["search", "پوتین", "-اوکراین", "--limit", "1", "--json"], store: box.store)
        expectSuccess(limited)
        #expect(try limited.jsonArray().count == 1)
        // A mistyped option is not a query word; after --, anything is.
        let mistyped = try box.run("search", "پوتین", "--sinse", "2025-01-01")
        #expect(mistyped.status != 0 && mistyped.stderr.contains("unknown option --sinse"), "\(mistyped)")
        let afterDashes = try box.run(["search", "--json", "--", "پوتین", "-Shahed"], store: box.store)
        expectSuccess(afterDashes)
        #expect(try afterDashes.jsonArray().count == all.count, "\(afterDashes)")
        let phrase = try box.bash("daftar --store archive.sqlite search '\"پیمان همکاری\"' --json")
        expectSuccess(phrase)
        #expect(try phrase.jsonArray().count == 1, "\(phrase)")
    }

    /// Notes from a file, from standard input and from $EDITOR; the same annotation twice.
    @Test func notesLongerThanAShellLine() throws {
        let box = try Sandbox()
        try C.ingestSeeds(box)
        let article = "7ea8effc0c5d"
        let long = "یادداشتی بلند\nدر چند خط، با «نقل‌قول» و 'علامت‌ها' و $HOME"
        let noteFile = try box.write("note.txt", long + "\n")
        let fromFile = try box.run("annotate", article, "--quote", "شریک راهبردی ماست", "--note-file", noteFile, "--json")
        expectSuccess(fromFile)
        #expect(try fromFile.jsonObject()["note"] as? String == long)

        let fromStdin = try box.run(["annotate", article, "--quote", "پوتین", "--occurrence", "۱", "--note", "-", "--json"],
                                    store: box.store, input: Data((long + " از ورودی\n").utf8))
        expectSuccess(fromStdin)
        #expect(try fromStdin.jsonObject()["note"] as? String == long + " از ورودی")

        // The same annotate again writes nothing; --again writes another.
        let events = try box.status()["events"] as? Int
        let again = try box.run("annotate", article, "--quote", "شریک راهبردی ماست", "--note-file", noteFile)
        expectSuccess(again)
        #expect(again.stdout.contains("already annotated"), "\(again)")
        #expect(try box.status()["events"] as? Int == events)
        expectSuccess(try box.run("annotate", article, "--quote", "شریک راهبردی ماست", "--note-file", noteFile, "--again"))
        #expect(try box.status()["events"] as? Int == events.map { $0 + 1 })

        // $EDITOR on the current note.
        let id = try #require(try fromFile.jsonObject()["id"] as? String)
        let editor = try box.write("editor.sh", "#!/bin/sh\nprintf 'نوشته در ویرایشگر\\n' > \"$1\"\n")
        chmod(editor, 0o755)
        let edited = try box.run(["edit", String(id.prefix(8))], store: box.store, environment: ["EDITOR": editor, "VISUAL": nil])
        expectSuccess(edited)
        let shown = try box.run("annotations", article, "--json")
        #expect(try shown.jsonArray().contains { $0["id"] as? String == id && $0["note"] as? String == "نوشته در ویرایشگر" }, "\(shown)")
        let unchanged = try box.run(["edit", String(id.prefix(8))], store: box.store, environment: ["EDITOR": "true", "VISUAL": nil])
        expectSuccess(unchanged)
        #expect(unchanged.stdout.contains("nothing written"))
        let failing = try box.run(["edit", String(id.prefix(8))], store: box.store, environment: ["EDITOR": "false", "VISUAL": nil])
        expectCleanFailure(failing, mentioning: ["editor", "nothing was written"])
        let none = try box.run(["edit", String(id.prefix(8))], store: box.store, environment: ["EDITOR": nil, "VISUAL": nil])
        expectCleanFailure(none, mentioning: ["$EDITOR"])
    }

    @Test func persianNumbersAndDates() throws {
        let box = try Sandbox()
        try C.ingestSeeds(box)
        #expect(try C.search(box, "--limit", "۱", "ایران").count == 1)
        #expect(try C.search(box, "--limit", "١", "ایران").count == 1)
        let occurrence = try box.run("annotate", "7ea8effc0c5d", "--quote", "ایران شریک راهبردی", "--occurrence", "۲", "--json")
        expectSuccess(occurrence)
        #expect((try occurrence.jsonObject()["start"] as? Int ?? 0) > 100)

        // 1404-06-04 (Solar Hijri) is 2025-08-26, the one dated seed.
        let persian = try C.search(box, "--since", "۱۴۰۴-۰۶-۰۴", "ایران")
        #expect(C.files(persian) == [C.seed000])
        #expect(C.files(try C.search(box, "--since", "2025-08-26", "ایران")) == [C.seed000])
        #expect(try C.search(box, "--since", "۱۴۰۴/۰۶/۰۵", "ایران").isEmpty)
        let leftOut = try box.run(["search", "--until", "۱۴۰۵-۰۱-۰۱", "ایران"], store: box.store)
        expectSuccess(leftOut)
        #expect(leftOut.stderr.contains("left out 4 matching articles without a date"), "\(leftOut)")
        #expect(try C.search(box, "--until", "۱۴۰۵-۰۱-۰۱", "--include-undated", "ایران").count == 5)
        // Esfand 30 exists only in leap years: 1403 is one, 1404 is not.
        expectSuccess(try box.run("search", "--since", "۱۴۰۳-۱۲-۳۰", "ایران"))
        let esfand30 = try box.run("search", "--since", "۱۴۰۴-۱۲-۳۰", "ایران")
        #expect(esfand30.status != 0 && esfand30.stderr.contains("invalid for '--since"), "\(esfand30)")

        let list = try box.run(["--calendar", "persian", "list"], store: box.store)
        #expect(list.stdout.contains("1404-06-04") && !list.stdout.contains("2025-08-26"), "\(list)")
        expectSuccess(try box.run("init", "--calendar", "persian"))
        #expect(try box.run("show", "bb204d59a7b9").stdout.contains("published: 1404-06-04"))
        #expect(try box.run(["--calendar", "gregorian", "list"], store: box.store).stdout.contains("2025-08-26"))
    }

    @Test func theLogSaysWhatHappenedInWords() throws {
        let box = try Sandbox()
        try C.ingestSeeds(box)
        let created = try box.run("annotate", "7ea8effc0c5d", "--quote", "شریک راهبردی ماست", "--note", "ادعای روسیه", "--tag", "روسیه", "--json")
        let id = try #require(try created.jsonObject()["id"] as? String)
        expectSuccess(try box.run("edit", id, "--note", "ادعای تازه"))
        expectSuccess(try box.run("tag", "7ea8effc0c5d", "دفاع"))
        expectSuccess(try box.run("delete", id))
        let log = try box.run("log")
        expectSuccess(log)
        let lines = log.stdoutLines
        #expect(lines.count == 9, "\(log)")
        #expect(lines[0].contains("archived 000_1ecfb78ca4866ac4.txt") && lines[0].contains("cli-tests (this replica)"), "\(log)")
        #expect(lines[5].contains("annotated «شریک راهبردی ماست»") && lines[5].contains("ادعای روسیه") && lines[5].contains("#روسیه"), "\(log)")
        #expect(lines[6].contains("«ادعای روسیه» → «ادعای تازه»"), "\(log)")
        #expect(lines[7].contains("tagged article «روسیه: ایران شریک راهبردی ماست» #دفاع"), "\(log)")
        #expect(lines[8].contains("deleted annotation \(id.prefix(13))"), "\(log)")
        let json = try box.run("log", "--json", "--limit", "۱").jsonArray()
        #expect(json.count == 1 && json[0]["type"] as? String == "article.ingested" && json[0]["summary"] is String)
    }

    /// A long rebuild in another process holds the write lock: reading commands answer meanwhile.
    @Test func readingNeverWaitsForWriting() throws {
        let box = try Sandbox()
        var rng = SystemRandomNumberGenerator()
        let words = try Self.seedText(C.seed002).split(whereSeparator: \.isWhitespace).map(String.init)
        for i in 0..<600 {
            try box.write("many/\(i).txt", "عنوان \(i)\n" + (0..<300).map { _ in words.randomElement(using: &rng)! }.joined(separator: " "))
        }
        expectSuccess(try box.run("ingest", box.path("many"), timeout: 600))
        let rebuild = try box.start(["rebuild"], store: box.store)
        // Its first line is written once its write transaction has begun.
        let deadline = Date().addingTimeInterval(60)
        while !rebuild.stderrSoFar.contains("replaying"), rebuild.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(rebuild.stderrSoFar.contains("replaying 600 events"), "\(rebuild.stderrSoFar)")
        for command in [["list", "--limit", "1"], ["search", "ایران", "--limit", "1"], ["status"], ["log", "--limit", "1"]] {
            let started = Date()
            let result = try box.run(command, store: box.store, timeout: 60)
            expectSuccess(result)
            #expect(Date().timeIntervalSince(started) < 5, "\(command) waited for the rebuild")
        }
        #expect(rebuild.isRunning, "the rebuild ended before the reads: this test needs a longer one")
        // verify re-derives everything itself (in memory): it takes as long, but never waits.
        expectSuccess(try box.run(["verify"], store: box.store, timeout: 120))
        expectSuccess(try rebuild.wait(timeout: 600))
    }

    /// A store the user cannot write (root's, read by `nobody`; or a read-only file).
    @Test func aStoreThatCannotBeWrittenIsReadable() throws {
        let box = try Sandbox()
        try FileManager.default.createDirectory(atPath: box.path("shared"), withIntermediateDirectories: true)
        let store = box.path("shared/archive.sqlite")
        expectSuccess(try box.run(["ingest", DaftarBinary.seedsDirectory], store: store))
        chmod(box.directory, 0o755)
        chmod(box.path("shared"), 0o555)
        chmod(store, 0o444)
        defer { chmod(box.path("shared"), 0o755) }
        func run(_ arguments: [String]) throws -> RunResult {
            guard getuid() == 0 else { return try box.run(arguments, store: store) }
            // A copy of the binary `nobody` can reach (the build folder may be private).
            let binary = box.path("bin/daftar")
            if !box.exists(binary) {
                try FileManager.default.createDirectory(atPath: box.path("bin"), withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: try #require(DaftarBinary.path), toPath: binary)
                chmod(box.path("bin"), 0o755)
                chmod(binary, 0o755)
            }
            return try box.bash(
                "runuser -u nobody -- env HOME=/tmp DAFTAR_AUTHOR=nobody " + ([binary, "--store", store] + arguments).map { "'\($0)'" }.joined(separator: " "))
        }
        for command in [["list"], ["show", "7ea8effc0c5d"], ["search", "پوتین"], ["annotations"], ["export"], ["log"], ["verify"], ["status"], ["digest"]] {
            expectSuccess(try run(command))
        }
        expectCleanFailure(try run(["annotate", "7ea8effc0c5d", "--quote", "شریک راهبردی ماست"]), mentioning: ["read-only"])
        expectCleanFailure(try run(["ingest", DaftarBinary.seedsDirectory]), mentioning: ["read-only"])
    }

    @Test func smallThings() throws {
        let box = try Sandbox()
        // A symlinked folder is walked; a link loop inside is reported, not followed forever.
        try FileManager.default.createSymbolicLink(atPath: box.path("L"), withDestinationPath: DaftarBinary.seedsDirectory)
        try FileManager.default.createDirectory(atPath: box.path("loop"), withIntermediateDirectories: true)
        try box.write("loop/a.txt", "عنوان\nمتن یک خبر")
        try FileManager.default.createSymbolicLink(atPath: box.path("loop/again"), withDestinationPath: box.path("loop"))
        let linked = try box.run("ingest", box.path("L"))
        expectSuccess(linked)
        #expect(linked.stdout.contains("5 new articles"), "\(linked)")
        let loop = try box.run("ingest", box.path("loop"), "--verbose", "--json")
        expectSuccess(loop)
        let report = try loop.jsonObject()  // valid JSON only, even with --verbose
        #expect(report["added"] as? Int == 1)
        #expect(loop.stderr.contains("symbolic link loop"), "\(loop)")

        // list --limit 0 does not claim the archive is empty.
        let none = try box.run("list", "--limit", "0")
        #expect(!none.stderr.contains("empty") && none.stderr.contains("holds 6"), "\(none)")

        expectCleanFailure(try box.run("annotate", "7ea8effc0c5d", "--quote", "شریک راهبردی ماست", "--tag", ""), mentioning: ["empty"])
        expectCleanFailure(try box.run("tag", "7ea8effc0c5d", "!!!"), mentioning: ["no letters"])
        expectCleanFailure(try box.run(["list"], store: ""), mentioning: ["empty"])

        // An empty $DAFTAR_AUTHOR falls back to the login name.
        let created = try box.run(["annotate", "7ea8effc0c5d", "--quote", "شریک راهبردی ماست", "--json"], store: box.store,
                                  environment: ["DAFTAR_AUTHOR": "", "USER": "login-name"])
        expectSuccess(created)
        #expect(try created.jsonObject()["creator"] as? String == "login-name")

        // Every subcommand's help names the global --store.
        for command in ["ingest", "list", "show", "search", "annotate", "edit", "export", "sync", "serve", "log", "status"] {
            let help = try box.run([command, "--help"], store: nil)
            expectSuccess(help)
            #expect(help.stdout.contains("--store <path>"), "\(command) --help")
        }
        let nested = try box.run(["bundle", "create", "--help"], store: nil)
        #expect(nested.stdout.contains("--store <path>"))
    }
}

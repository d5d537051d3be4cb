import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// End-to-end tests of the `daftar` executable: each runs the built binary as a child process
/// against a store in a fresh temporary directory and checks its exit status, stdout and stderr.
@Suite("daftar command line")
struct CLITests {
    static let seed000 = "000_1ecfb78ca4866ac4.txt"
    static let seed001 = "001_e43867a11d68460e.txt"
    static let seed002 = "002_0a9e599e7ddfaa65.txt"
    static let seed003 = "003_8fc7de84c5610d4c.txt"
    static let seed004 = "004_8002fddc3a075398.txt"
    static let allSeeds: Set = [seed000, seed001, seed002, seed003, seed004]

    static let notRoot = getuid() != 0

    // MARK: - Helpers

    /// `ingest seeds` into the sandbox store, checked to archive all five.
    @discardableResult
    static func ingestSeeds(_ box: Sandbox, sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        let result = try box.run("ingest", DaftarBinary.seedsDirectory)
        expectSuccess(result, sourceLocation: sourceLocation)
        #expect(result.stdout.contains("5 new articles"), "\(result)", sourceLocation: sourceLocation)
        return result
    }

    /// The `file` of each search hit.
    static func files(_ hits: [[String: Any]]) -> [String] { hits.compactMap { $0["file"] as? String } }

    /// `search WORDS --json`, checked to succeed.
    static func search(_ box: Sandbox, _ words: String..., sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        let result = try box.run(["search"] + words + ["--json"], store: box.store)
        expectSuccess(result, sourceLocation: sourceLocation)
        return try result.jsonArray()
    }

    /// `list --json`, checked to succeed.
    static func list(_ box: Sandbox, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
        let result = try box.run("list", "--json")
        expectSuccess(result, sourceLocation: sourceLocation)
        return try result.jsonArray()
    }

    /// The article of `show --json`: `{summary, body, sources}`, at the top level or under `article`.
    static func articleDetail(_ show: RunResult) throws -> [String: Any] {
        let object = try show.jsonObject()
        return object["article"] as? [String: Any] ?? object
    }

    static func isHexID(_ value: Any?) -> Bool {
        guard let s = value as? String else { return false }
        return s.count == 64 && s.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    /// A small, distinct, Persian-looking article.
    static func syntheticArticle(_ i: Int) -> String {
        """
        عنوان خبر شماره \(i)

        متن خبر شماره \(i) درباره همکاری های اقتصادی و فرهنگی دو کشور در سال ۱۴۰۴ است. \
        نشست کارشناسان در روز \(i % 28 + 1) برگزار شد و موضوع \(i * 7 % 1000) بررسی شد. \
        این یک متن آزمایشی برای آزمون بایگانی است؛ شناسه \(i).

        """
    }

    // MARK: - 1. The main job on the seeds

    @Test("ingest seeds archives five; an Arabic-yeh query finds the three Putin articles")
    func ingestAndSearchSeeds() throws {
        let box = try Sandbox()
        let ingest = try box.run("ingest", DaftarBinary.seedsDirectory)
        expectSuccess(ingest)
        #expect(ingest.stdout.contains("5 new articles"), "\(ingest)")
        #expect(ingest.stdout.contains("0 already archived"), "\(ingest)")
        #expect(!ingest.stdout.contains("failed"), "\(ingest)")

        // Typed with ARABIC YEH (U+064A); the seeds write PERSIAN YEH (U+06CC).
        let query = "ولاديمير پوتين"
        #expect(query.unicodeScalars.contains("\u{064A}"))
        let hits = try Self.search(box, query)
        #expect(Set(Self.files(hits)) == [Self.seed000, Self.seed002, Self.seed003])
        #expect(hits.count == 3)
        for hit in hits {
            #expect(Self.isHexID(hit["id"]), "\(hit)")
            #expect(!((hit["title"] as? String) ?? "").isEmpty, "\(hit)")
            #expect(!((hit["file"] as? String) ?? "").isEmpty, "\(hit)")
            let snippet = (hit["snippet"] as? String) ?? ""
            #expect(!snippet.isEmpty, "\(hit)")
            #expect(snippet.contains("پوتین"), "snippet should show the match: \(snippet)")
        }
        // Plain-text output too: each hit with its file and the match in [brackets] (not a
        // terminal), and the count on stderr.
        let plain = try box.run("search", query)
        expectSuccess(plain)
        for file in [Self.seed000, Self.seed002, Self.seed003] { #expect(plain.stdout.contains(file), "\(plain)") }
        #expect(!plain.stdout.contains(Self.seed001) && !plain.stdout.contains(Self.seed004), "\(plain)")
        #expect(plain.stdout.contains("[پوتین]"), "\(plain)")
        #expect(plain.stderr.hasPrefix("daftar: 3 "), "\(plain)")
    }

    @Test("ingesting the seeds again adds nothing and says they are already archived")
    func reingestingSeedsAddsNothing() throws {
        let box = try Sandbox()
        try Self.ingestSeeds(box)
        let before = try box.snapshot()
        #expect(before.articles == 5)
        #expect(before.events == 5)

        let again = try box.run("ingest", DaftarBinary.seedsDirectory)
        expectSuccess(again)
        #expect(again.stdout.contains("0 new articles"), "\(again)")
        #expect(again.stdout.contains("5 already archived"), "\(again)")
        #expect(again.stdout.contains("nothing new"), "\(again)")
        #expect(try box.snapshot() == before)
    }

    // MARK: - 2. Provenance

    @Test("the same text under another file name records new provenance, not a new article")
    func copiedSeedRecordsProvenance() throws {
        let box = try Sandbox()
        try Self.ingestSeeds(box)
        let original = try #require(box.contents(DaftarBinary.seedsDirectory + "/" + Self.seed000))
        let copy = try box.write("copy-of-000.txt", original)

        let ingest = try box.run("ingest", copy)
        expectSuccess(ingest)
        #expect(ingest.stdout.contains("1 new provenance"), "\(ingest)")
        #expect(ingest.stdout.contains("0 new articles"), "\(ingest)")

        let articles = try Self.list(box)
        #expect(articles.count == 5)
        let id = try #require(articles.first { $0["file"] as? String == Self.seed000 }?["id"] as? String)

        let show = try box.run("show", String(id.prefix(10)), "--json")
        expectSuccess(show)
        let detail = try Self.articleDetail(show)
        let sources = try #require(detail["sources"] as? [[String: Any]], "\(show)")
        #expect(sources.count == 2)
        #expect(Set(sources.compactMap { $0["file"] as? String }) == [Self.seed000, "copy-of-000.txt"])
        let summary = detail["summary"] as? [String: Any]
        #expect(summary?["id"] as? String == id)

        // And the copy, ingested again, is now already archived.
        let again = try box.run("ingest", copy)
        expectSuccess(again)
        #expect(again.stdout.contains("1 already archived"), "\(again)")
        #expect(try box.status()["events"] as? Int == 6)
    }

    // MARK: - 3. Search folding

    @Test("Latin and Arabic-Indic digits find Persian digits")
    func searchFoldsDigits() throws {
        let box = try Sandbox()
        try Self.ingestSeeds(box)
        #expect(Self.files(try Self.search(box, "1404")) == [Self.seed000])
        #expect(Self.files(try Self.search(box, "١٤٠٤")) == [Self.seed000])
        #expect(Self.files(try Self.search(box, "۱۴۰۴")) == [Self.seed000])
    }

    @Test("a query word with a zero-width non-joiner finds the word written joined")
    func searchIgnoresZWNJ() throws {
        let box = try Sandbox()
        try Self.ingestSeeds(box)
        let withZWNJ = "بین\u{200C}المللی"
        let found = Set(Self.files(try Self.search(box, withZWNJ)))
        // 000, 002 and 003 write it joined (بینالمللی); 004 writes it spaced; 001 not at all.
        #expect(found.isSuperset(of: [Self.seed000, Self.seed002, Self.seed003]), "\(found)")
        #expect(!found.contains(Self.seed001), "\(found)")
        let joined = Set(Self.files(try Self.search(box, "بینالمللی")))
        #expect(found == joined)
    }

    // MARK: - 4. Errors: ingest

    @Test("a missing file is reported by name; the other files are archived; exit 1 with a summary")
    func ingestMissingFile() throws {
        let box = try Sandbox()
        try Self.ingestSeeds(box)
        let before = try box.snapshot()
        let good = try box.write("good.txt", Self.syntheticArticle(1))

        let result = try box.run("ingest", "does-not-exist.txt", good)
        expectCleanFailure(result, status: 1, mentioning: ["does-not-exist.txt", "skipped"])
        #expect(result.stdout.contains("2 files: 1 new article, 0 already archived, 1 failed"), "\(result)")

        let after = try box.snapshot()
        #expect(after.events == before.events + 1)
        #expect(after.articles == 6)
        #expect(Set(try Self.list(box).compactMap { $0["file"] as? String }).contains("good.txt"))
    }

    /// Files ingest must refuse, each with the words its message must contain.
    enum BadFile: String, CaseIterable, Sendable {
        case empty, whitespaceOnly, binary, controlCharacters, windows1256, invalidUTF8, oddUTF16, tooLarge

        var bytes: [UInt8] {
            switch self {
            case .empty: []
            case .whitespaceOnly: Array(" \n\t \n".utf8)
            case .binary: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D] + Array("IHDR".utf8)
            case .controlCharacters: Array("خبر\u{01}\u{02} متن".utf8)
            // «سلام بر شما» in Windows-1256.
            case .windows1256: [0xD3, 0xE1, 0xC7, 0xE3, 0x20, 0xC8, 0xD1, 0x20, 0xD4, 0xE3, 0xC7, 0x0A]
            case .invalidUTF8: Array("خبر ".utf8) + [0xD8, 0x20, 0xFF, 0x0A]
            case .oddUTF16: [0xFF, 0xFE, 0x41, 0x00, 0x42]
            case .tooLarge: Array(String(repeating: "خبر بزرگ ", count: 400).utf8)  // ~6.8 KB
            }
        }

        var expected: String {
            switch self {
            case .empty, .whitespaceOnly: "empty"
            case .binary, .controlCharacters: "binary"
            case .windows1256, .invalidUTF8: "not UTF-8"
            case .oddUTF16: "UTF-16"
            case .tooLarge: "limit"
            }
        }
    }

    @Test("an unreadable file is skipped by name, exit 1, the good file archived", arguments: BadFile.allCases)
    func ingestSkipsBadFile(_ bad: BadFile) throws {
        let box = try Sandbox()
        try Self.ingestSeeds(box)
        let before = try box.snapshot()
        let badPath = try box.write("bad-\(bad.rawValue).txt", bytes: bad.bytes)
        let good = try box.write("good.txt", Self.syntheticArticle(2))

        let result = try box.run("ingest", "--max-size", "4000", badPath, good)
        expectCleanFailure(result, status: 1, mentioning: ["bad-\(bad.rawValue).txt", bad.expected])
        #expect(result.stdout.contains("2 files: 1 new article, 0 already archived, 1 failed"), "\(result)")
        let after = try box.snapshot()
        #expect(after.events == before.events + 1)
        #expect(after.articles == before.articles + 1)
        let files = Set(try Self.list(box).compactMap { $0["file"] as? String })
        #expect(files.contains("good.txt"))
        #expect(!files.contains("bad-\(bad.rawValue).txt"))
    }

    @Test("several bad files in one command: one line each, the good ones archived")
    func ingestSkipsEveryBadFileInOneRun() throws {
        let box = try Sandbox()
        var paths: [String] = []
        for bad in BadFile.allCases { paths.append(try box.write("in/bad-\(bad.rawValue).txt", bytes: bad.bytes)) }
        try box.write("in/good-1.txt", Self.syntheticArticle(1))
        try box.write("in/good-2.txt", Self.syntheticArticle(2))

        let result = try box.run("ingest", "--max-size", "4000", box.path("in"), "missing.txt")
        let failures = BadFile.allCases.count + 1
        expectCleanFailure(result, status: 1, lines: failures, mentioning: ["missing.txt"])
        for bad in BadFile.allCases {
            #expect(result.stderrLines.contains { $0.contains("bad-\(bad.rawValue).txt") && $0.contains(bad.expected) }, "\(bad): \(result)")
        }
        #expect(result.stdout.contains("\(failures + 2) files: 2 new articles, 0 already archived, \(failures) failed"), "\(result)")
        #expect(try box.status()["articles"] as? Int == 2)
        #expect(try box.run("verify").status == 0)
    }

    @Test("UTF-8 with a byte-order mark and UTF-16 (LE and BE) with one are archived")
    func ingestAcceptsByteOrderMarks() throws {
        let box = try Sandbox()
        let utf8 = try box.write("utf8-bom.txt", bytes: [0xEF, 0xBB, 0xBF] + Array("خبر نخست\n\nکلمهیکتا در متن اول\n".utf8))
        let le = "خبر دوم\n\nکلمهدوتا در متن دوم\n"
        let utf16le = try box.write("utf16le.txt", bytes: [0xFF, 0xFE] + le.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let be = "خبر سوم\n\nکلمهسهتا در متن سوم\n"
        let utf16be = try box.write("utf16be.txt", bytes: [0xFE, 0xFF] + be.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })

        let result = try box.run("ingest", utf8, utf16le, utf16be)
        expectSuccess(result)
        #expect(result.stdout.contains("3 new articles"), "\(result)")
        #expect(result.stderr.isEmpty, "\(result)")

        let titles = Dictionary(uniqueKeysWithValues: try Self.list(box).compactMap { a -> (String, String)? in
            guard let f = a["file"] as? String, let t = a["title"] as? String else { return nil }
            return (f, t)
        })
        #expect(titles["utf8-bom.txt"] == "خبر نخست", "the byte-order mark must not reach the title")
        #expect(titles["utf16le.txt"] == "خبر دوم")
        #expect(titles["utf16be.txt"] == "خبر سوم")
        #expect(Self.files(try Self.search(box, "کلمهیکتا")) == ["utf8-bom.txt"])
        #expect(Self.files(try Self.search(box, "کلمهدوتا")) == ["utf16le.txt"])
        #expect(Self.files(try Self.search(box, "کلمهسهتا")) == ["utf16be.txt"])
    }

    @Test("--max-size beyond 2 MiB and --batch 0 are usage errors")
    func ingestOptionLimits() throws {
        let box = try Sandbox()
        let good = try box.write("good.txt", Self.syntheticArticle(1))
        let tooBig = try box.run("ingest", "--max-size", "\(3 << 20)", good)
        #expect(tooBig.status == 64, "\(tooBig)")
        #expect(tooBig.stderr.contains("--max-size"), "\(tooBig)")
        let zeroBatch = try box.run("ingest", "--batch", "0", good)
        #expect(zeroBatch.status == 64, "\(zeroBatch)")
        #expect(!box.exists(box.store), "a usage error must not create the store")
    }

    // MARK: - 4. Errors: the store path

    @Test("--store pointing at a directory is refused", arguments: ["ingest", "list"])
    func storeIsADirectory(_ command: String) throws {
        let box = try Sandbox()
        let folder = box.path("folder")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let good = try box.write("good.txt", Self.syntheticArticle(1))
        let result = try box.run(command == "ingest" ? ["ingest", good] : [command], store: folder)
        expectCleanFailure(result, mentioning: [folder, "directory"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        #expect(!box.exists(folder + ".key"))
    }

    @Test("--store in a directory that does not exist is refused, and nothing is created")
    func storeInMissingDirectory() throws {
        let box = try Sandbox()
        let good = try box.write("good.txt", Self.syntheticArticle(1))
        let store = box.path("no/such/dir/archive.sqlite")
        let result = try box.run(["ingest", good], store: store)
        expectCleanFailure(result, mentioning: ["does not exist"])
        #expect(!box.exists(box.path("no")))
    }

    @Test("--store pointing at a text file is refused and the file left byte-for-byte unchanged", arguments: ["ingest", "list", "search", "status"])
    func storeIsATextFile(_ command: String) throws {
        let box = try Sandbox()
        let original = Data("یادداشت‌های من — not a database\nsecond line\n".utf8)
        let notes = try box.write("notes.txt", original)
        let good = try box.write("good.txt", Self.syntheticArticle(1))
        let arguments: [String] = switch command {
        case "ingest": ["ingest", good]
        case "search": ["search", "خبر"]
        default: [command]
        }
        let result = try box.run(arguments, store: notes)
        expectCleanFailure(result, mentioning: ["notes.txt", "not a Daftar store"])
        #expect(box.contents(notes) == original)
        for sibling in ["-wal", "-shm", "-journal", ".key"] {
            #expect(!box.exists(notes + sibling), "\(sibling) left beside the text file")
        }
    }

    @Test("a read-only command on a store path that does not exist creates nothing",
          arguments: [["list"], ["search", "روسیه"], ["show", "abc"], ["log"], ["status"], ["digest"], ["verify"], ["rebuild"],
                     ["annotations"], ["tags"], ["export"]])
    func readOnlyCommandOnMissingStore(_ arguments: [String]) throws {
        let box = try Sandbox()
        let store = box.path("absent.sqlite")
        let result = try box.run(arguments, store: store)
        expectCleanFailure(result, mentioning: ["no archive at", store])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: box.directory).filter { $0.hasPrefix("absent") }
        #expect(leftovers.isEmpty, "created \(leftovers)")
    }

    @Test("a read-only command on an empty (0-byte) file does not turn it into a store")
    func readOnlyCommandOnEmptyFile() throws {
        let box = try Sandbox()
        let empty = try box.write("empty.sqlite", Data())
        let result = try box.run(["list"], store: empty)
        expectCleanFailure(result, mentioning: ["empty.sqlite"])
        #expect(box.contents(empty) == Data())
    }

    // MARK: - 4. Errors: the key file

    @Test("a key file holding garbage is refused, named, and neither replaced nor written past")
    func garbageKeyFileIsRefused() throws {
        let box = try Sandbox()
        try Self.ingestSeeds(box)
        let before = try box.snapshot()
        let garbage = Data("this is not a key\n".utf8)
        try garbage.write(to: URL(fileURLWithPath: box.keyPath))
        chmod(box.keyPath, 0o600)
        let good = try box.write("good.txt", Self.syntheticArticle(1))

        let result = try box.run("ingest", good)
        expectCleanFailure(result, mentioning: [box.keyPath, "key file"])
        #expect(!result.stdout.contains("new article"), "\(result)")
        #expect(box.contents(box.keyPath) == garbage, "the key file must not be replaced")
        #expect(try box.snapshot() == before)
    }

    @Test("an unreadable key file (chmod 000) is refused, named, and the store unchanged",
          .enabled(if: CLITests.notRoot, "root reads files whatever their mode; the garbage-key test covers this path"))
    func unreadableKeyFileIsRefused() throws {
        let box = try Sandbox()
        try Self.ingestSeeds(box)
        let before = try box.snapshot()
        let key = try #require(box.contents(box.keyPath))
        chmod(box.keyPath, 0o000)
        let good = try box.write("good.txt", Self.syntheticArticle(1))

        let result = try box.run("ingest", good)
        expectCleanFailure(result, mentioning: [box.keyPath, "key file"])
        chmod(box.keyPath, 0o600)
        #expect(box.contents(box.keyPath) == key)
        #expect(try box.snapshot() == before)
    }

    @Test("a key file readable by others is refused with the chmod that fixes it")
    func keyFileReadableByOthersIsRefused() throws {
        let box = try Sandbox()
        try Self.ingestSeeds(box)
        let before = try box.snapshot()
        chmod(box.keyPath, 0o644)
        let good = try box.write("good.txt", Self.syntheticArticle(1))

        let result = try box.run("ingest", good)
        expectCleanFailure(result, mentioning: [box.keyPath, "chmod 600"])
        #expect(try box.snapshot() == before)
        chmod(box.keyPath, 0o600)
        expectSuccess(try box.run("ingest", good))
    }

    @Test("a missing key file gives new writes a new replica, said on stderr; the log still verifies")
    func missingKeyFileStartsNewReplica() throws {
        let box = try Sandbox()
        try Self.ingestSeeds(box)
        let firstReplica = try box.status()["replica"] as? String
        #expect(firstReplica != nil)
        try FileManager.default.removeItem(atPath: box.keyPath)
        let good = try box.write("good.txt", Self.syntheticArticle(1))

        let result = try box.run("ingest", good)
        expectSuccess(result)
        #expect(result.stdout.contains("1 new article"), "\(result)")
        #expect(result.stderrLines.count == 1 && result.stderr.hasPrefix("daftar: "), "\(result)")
        #expect(result.stderr.contains("new replica"), "\(result)")
        #expect(result.stderr.contains(box.keyPath), "\(result)")
        #expect(box.exists(box.keyPath))
        let mode = (try FileManager.default.attributesOfItem(atPath: box.keyPath)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)

        let status = try box.status()
        let heads = try #require(status["versionVector"] as? [[String: Any]])
        #expect(heads.count == 2)
        let origins = Set(heads.compactMap { $0["origin"] as? String })
        #expect(origins.count == 2)
        if let firstReplica { #expect(origins.contains(firstReplica)) }
        #expect(status["replica"] as? String != firstReplica)
        #expect(status["articles"] as? Int == 6)

        let verify = try box.run("verify")
        expectSuccess(verify)
        #expect(verify.stdout.contains("2 replicas"), "\(verify)")
    }

    // MARK: - 4. Errors: queries and ids

    @Test("a query of punctuation only is refused with a clear message", arguments: ["!!! ...", "؟؟ ، «»", "\"\"", "-"])
    func punctuationOnlyQuery(_ query: String) throws {
        let box = try Sandbox()
        try Self.ingestSeeds(box)
        let before = try box.snapshot()
        let result = try box.run("search", query)
        expectCleanFailure(result, status: 1, mentioning: ["nothing to search for"])
        #expect(result.stdout.isEmpty, "\(result)")
        #expect(try box.snapshot() == before)
    }

    @Test("a malformed --fts expression is a clear error, not raw SQLite text")
    func malformedFTSExpression() throws {
        let box = try Sandbox()
        try Self.ingestSeeds(box)
        let result = try box.run("search", "--fts", "\"unterminated")
        expectCleanFailure(result, status: 1, mentioning: ["--fts"])
    }

    @Test("search with no words is a usage error (exit 64)")
    func searchWithoutWords() throws {
        let box = try Sandbox()
        try Self.ingestSeeds(box)
        let result = try box.run("search")
        #expect(result.status == 64 && !result.signaled, "\(result)")
        #expect(result.stderr.contains("Missing expected argument"), "\(result)")
        #expect(result.stdout.isEmpty)
    }

    @Test("show with an unknown id prefix says there is no such article", arguments: ["ffffffffffff", "0000000000000000"])
    func showUnknownPrefix(_ prefix: String) throws {
        let box = try Sandbox()
        try Self.ingestSeeds(box)
        let before = try box.snapshot()
        let result = try box.run("show", prefix)
        expectCleanFailure(result, status: 1, mentioning: ["no article", prefix])
        #expect(result.stdout.isEmpty, "\(result)")
        #expect(try box.snapshot() == before)
    }

    @Test("show with something that is not hex names it as not an id")
    func showNonHexID() throws {
        let box = try Sandbox()
        try Self.ingestSeeds(box)
        for bad in ["", "xyz", "پوتین"] {
            let result = try box.run("show", bad)
            expectCleanFailure(result, status: 1, mentioning: ["not an article id"])
        }
    }

    @Test("show with an ambiguous prefix says so and lists candidates")
    func showAmbiguousPrefix() throws {
        let box = try Sandbox()
        // 17 articles: at least two share their first hex digit.
        for i in 0..<17 { try box.write("in/\(i).txt", Self.syntheticArticle(i)) }
        expectSuccess(try box.run("ingest", box.path("in")))
        let ids = try Self.list(box).compactMap { $0["id"] as? String }
        #expect(ids.count == 17)
        let groups = Dictionary(grouping: ids, by: { String($0.prefix(1)) })
        let (prefix, shared) = try #require(groups.first { $0.value.count >= 2 })
        let before = try box.snapshot()

        let result = try box.run("show", prefix)
        expectCleanFailure(result, status: 1, mentioning: [prefix])
        #expect(result.stderr.contains("ambiguous") || result.stderr.contains("matches several"), "\(result)")
        for id in shared.prefix(5) { #expect(result.stderr.contains(String(id.prefix(12))), "\(result)") }
        #expect(result.stdout.isEmpty)
        #expect(try box.snapshot() == before)

        // A full id still resolves.
        let show = try box.run("show", shared[0], "--json")
        expectSuccess(show)
        #expect((try Self.articleDetail(show)["summary"] as? [String: Any])?["id"] as? String == shared[0])
    }

    // MARK: - 5. Crash safety

    @Test("an ingest killed with SIGKILL keeps whole batches; running it again completes it")
    func killedIngestKeepsWholeBatches() throws {
        let box = try Sandbox()
        let count = 3000, batch = 100
        let corpus = box.path("corpus")
        for i in 0..<count {
            try box.write("corpus/\(String(format: "%05d", i)).txt", Self.syntheticArticle(i))
        }

        var killedAt: (store: String, articles: Int)? = nil
        var finishedFirst = 0
        for attempt in 1...3 where killedAt == nil {
            let store = box.path("crash-\(attempt).sqlite")
            let child = try box.start(["ingest", corpus, "--batch", "\(batch)"], store: store)
            // Wait until at least one batch is committed: poll with a separate `status`.
            let deadline = Date().addingTimeInterval(120)
            var committed = 0
            while child.isRunning, Date() < deadline {
                if box.exists(store), let status = try? box.run(["status", "--json"], store: store, timeout: 30),
                    status.status == 0, let events = (try? status.jsonObject())?["events"] as? Int, events > 0
                {
                    committed = events
                    break
                }
                usleep(1_000)
            }
            kill(child.pid, SIGKILL)
            let result = try child.wait(timeout: 60)
            guard result.signaled else {
                // It finished before the kill landed: try again with a fresh store.
                finishedFirst += 1
                expectSuccess(result)
                continue
            }
            #expect(result.status == SIGKILL)
            #expect(committed > 0)

            let verify = try box.run(["verify"], store: store)
            expectSuccess(verify)
            let status = try box.status(store: store)
            let articles = try #require(status["articles"] as? Int)
            #expect(articles % batch == 0, "a partial batch survived: \(articles) articles")
            #expect(articles >= committed, "committed events were lost: saw \(committed), now \(articles)")
            #expect(articles < count, "the ingest finished before the kill")
            #expect(status["events"] as? Int == articles)
            #expect(status["seals"] as? Int == articles / batch)
            killedAt = (store, articles)
        }
        let (store, partial) = try #require(killedAt, "the ingest finished before SIGKILL in \(finishedFirst) attempts; raise the file count")

        let rerun = try box.run(["ingest", corpus, "--batch", "\(batch)"], store: store, timeout: 600)
        expectSuccess(rerun)
        #expect(rerun.stdout.contains("\(count) files: \(count - partial) new articles, \(partial) already archived"), "\(rerun)")
        let status = try box.status(store: store)
        #expect(status["articles"] as? Int == count)
        #expect(status["events"] as? Int == count)
        let verify = try box.run(["verify"], store: store)
        expectSuccess(verify)
        #expect(verify.stdout.contains("verified \(count) events"), "\(verify)")
    }

    // MARK: - 6. Help

    @Test("--help of the root lists every subcommand")
    func rootHelp() throws {
        let box = try Sandbox()
        for arguments in [["--help"], ["help"]] {
            let result = try box.run(arguments, store: nil)
            expectSuccess(result)
            for command in ["init", "ingest", "list", "show", "search", "log", "rebuild", "digest", "verify", "status"] {
                #expect(result.stdout.contains("  \(command) "), "\(command) missing from \(arguments): \(result)")
            }
            #expect(result.stdout.contains("--store"))
        }
        // Every subcommand the root help lists has its own help.
        let root = try box.run(["--help"], store: nil)
        let section = root.stdout.components(separatedBy: "SUBCOMMANDS:").last ?? ""
        let listed = section.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            return line.split(separator: " ").first.map(String.init)
        }.filter { $0.allSatisfy { ("a"..."z").contains($0) || $0 == "-" } }
        #expect(listed.count >= 10, "\(listed)")
        for command in listed {
            let help = try box.run([command, "--help"], store: nil)
            expectSuccess(help)
            #expect(help.stdout.contains("USAGE: daftar \(command)"), "\(help)")
        }
        #expect(!box.exists(box.path("home/.local/share/daftar/archive.sqlite")), "--help must not create the default store")
    }

    @Test("search --help explains the Persian folding")
    func searchHelp() throws {
        let box = try Sandbox()
        let result = try box.run(["search", "--help"], store: nil)
        expectSuccess(result)
        for needle in ["ي→ی", "1404", "۱۴۰۴", "zero-width non-joiner", "--json", "--limit"] {
            #expect(result.stdout.contains(needle), "\(needle) missing: \(result)")
        }
        #expect(result.stdout.lowercased().contains("fold"))
    }

    // MARK: - The default store

    @Test("without --store: $DAFTAR_STORE, else $XDG_DATA_HOME/daftar/archive.sqlite, key beside it (0600)")
    func defaultStoreLocation() throws {
        let box = try Sandbox()
        let xdg = box.path("xdg")
        let expected = xdg + "/daftar/archive.sqlite"

        let ingest = try box.run(["ingest", DaftarBinary.seedsDirectory], store: nil, environment: ["XDG_DATA_HOME": xdg])
        expectSuccess(ingest)
        #expect(ingest.stdout.contains("5 new articles"), "\(ingest)")
        #expect(box.exists(expected))
        let mode = (try FileManager.default.attributesOfItem(atPath: expected + ".key")[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        let status = try box.run(["status", "--json"], store: nil, environment: ["XDG_DATA_HOME": xdg])
        expectSuccess(status)
        #expect(try status.jsonObject()["store"] as? String == expected)
        #expect(try status.jsonObject()["articles"] as? Int == 5)

        // $DAFTAR_STORE wins over XDG; --store wins over $DAFTAR_STORE.
        let envStore = box.path("env.sqlite")
        let viaEnv = try box.run(["ingest", DaftarBinary.seedsDirectory + "/" + Self.seed001], store: nil,
                                 environment: ["XDG_DATA_HOME": xdg, "DAFTAR_STORE": envStore])
        expectSuccess(viaEnv)
        #expect(box.exists(envStore))
        #expect(try box.status(store: envStore)["articles"] as? Int == 1)
        #expect(try box.status(store: expected)["articles"] as? Int == 5)
        let explicit = try box.run(["status", "--json"], store: box.store, environment: ["DAFTAR_STORE": envStore])
        // box.store does not exist and status only reads: --store must have been used, not $DAFTAR_STORE.
        expectCleanFailure(explicit, mentioning: ["no archive at", box.store])

    }

    @Test("without --store or $XDG_DATA_HOME, the store is $HOME/.local/share/daftar/archive.sqlite")
    func defaultStoreFollowsHOME() throws {
        let box = try Sandbox()
        // If the bug is present this writes into the real home: remove what it creates there.
        let passwdHome = getpwuid(getuid()).map { String(cString: $0.pointee.pw_dir) }
        let strayFolder = passwdHome.map { $0 + "/.local/share/daftar" }
        let strayExisted = strayFolder.map { box.exists($0) } ?? true
        defer {
            if let strayFolder, !strayExisted { try? FileManager.default.removeItem(atPath: strayFolder) }
        }
        let good = try box.write("good.txt", Self.syntheticArticle(1))
        let result = try box.run(["ingest", good], store: nil, environment: ["XDG_DATA_HOME": nil])
        expectSuccess(result)
        #expect(box.exists(box.path("home/.local/share/daftar/archive.sqlite")), "HOME=\(box.path("home"))")
    }
}

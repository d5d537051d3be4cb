import ArgumentParser
import DaftarApp
import DaftarCore
import DaftarStore
import Foundation

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find articles by word, best match first.",
        discussion: """
            QUERY LANGUAGE
              روسیه ایران          every word must occur, anywhere in the article
              "پیمان همکاری"       the words adjacent, in this order
              پوتین OR شویگو       either (OR in capitals, between two terms)
              -اوکراین             leave out articles with this word (or -"a phrase")
              همکار*               any word starting with this
            A word also finds its inflected forms (موشک finds موشکها, موشک‌های; بزرگ finds \
            بزرگ‌تر, بزرگترین; سخنگو finds سخنگوی); a quoted word or phrase, or --exact, matches \
            only as written. A word in an alias group (daftar alias add) finds every spelling \
            of the group; the result says which alias matched.
            Anything else (punctuation, unbalanced quotes, AND/NOT/NEAR) is read as plain words.
            --fts passes a raw SQLite FTS5 expression instead.

            IN A SHELL
            Type the query as it is: daftar search پوتین -اوکراین works (words starting with - \
            are query words, options may come before or after them). A Latin word after - can \
            read as short options (-Shahed holds -h, help): put the query after --, as in \
            daftar search -- drone -Shahed. A phrase needs its quotes \
            kept from the shell: daftar search '"پیمان همکاری"'. Quote a word with * (همکار*) \
            so the shell does not expand it.

            PERSIAN
            Letters are folded (ي→ی, ك→ک, ة/ۀ→ه, أ/إ/آ→ا, ؤ→و), digits too (۱۴۰۴, ١٤٠٤ → 1404), and \
            zero-width non-joiners, diacritics and tatweel are ignored inside a word. A word also \
            matches written in two parts (بینالمللی finds بین المللی, می‌کنند finds می کنند), a \
            compound with و in three (صداوسیما finds صدا و سیما and صدا وسیما), a long word as \
            three words (محمدجوادظریف finds محمد جواد ظریف), and two or three adjacent words \
            also match joined (همکاری های finds همکاریهای). In a quoted phrase, words may be \
            joined or spaced ("همکاریهای نظامی" finds همکاری های نظامی); the order counts.

            RESULTS
            Articles and annotation notes, ranked by bm25 (title weighted 3×), ties by id. The snippet comes from the original \
            text, matches marked (reverse video on a terminal, [brackets] otherwise). --json gives \
            id, title, file, published, snippet, snippetMatches, matches (ranges in Unicode \
            scalars of the article body) and score; kind says whether an article or an annotation's \
            note matched (annotation: its id).
            """)

    @ParentCommand var daftar: Daftar

    /// Every word the option parser does not know is a query word, wherever it stands, so
    /// that `-اوکراین` (leave out) works as typed in a shell.
    @Argument(parsing: .allUnrecognized, help: "The query (see QUERY LANGUAGE).")
    var words: [String]

    @Option(help: "Show at most this many results.")
    var limit = Number(20)

    @Option(help: ArgumentHelp("Only articles published on or after this date (a year below 1700 is Solar Hijri).", valueName: "YYYY-MM-DD"))
    var since: DateArgument?

    @Option(help: ArgumentHelp("Only articles published on or before this date (a year below 1700 is Solar Hijri).", valueName: "YYYY-MM-DD"))
    var until: DateArgument?

    @Flag(help: "With --since/--until, keep articles that have no date.")
    var includeUndated = false

    @Option(help: ArgumentHelp("Only articles from a file whose name matches this glob (e.g. '00*.txt').", valueName: "glob"))
    var file: String?

    @Option(help: "Only articles with this tag (on the article or one of its annotations), and notes of annotations with it.")
    var tag: String?

    @Flag(help: "Treat the query as a raw SQLite FTS5 expression.")
    var fts = false

    @Flag(help: "Match words only as written, not their inflected forms (plurals, ezafe, comparatives).")
    var exact = false

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var past: PastOption

    func validate() throws {
        guard limit.value >= 1 else { throw ValidationError("--limit must be at least 1") }
        // Words the option parser did not know are query words; a mistyped option
        // (`--sinse`) must not quietly become one.
        for word in words.prefix(while: { $0 != "--" }) where word.hasPrefix("--") && word.count > 2 {
            throw ValidationError("unknown option \(word); see `daftar search --help` (a query word starting with -- goes after --)")
        }
    }

    /// The query's words: as given, without the `--` that ends the options.
    var queryWords: [String] {
        guard let end = words.firstIndex(of: "--") else { return words }
        return Array(words[..<end] + words[(end + 1)...])
    }

    /// Runs `body`, naming the flag in a refused raw expression (the library names none).
    func naming<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DaftarError where fts && error.code == .badQuery {
            throw DaftarError(error.code, error.message + " (--fts)", cause: error)
        }
    }

    func run() throws {
        let text = queryWords.joined(separator: " ")
        let query = try naming { try fts ? SearchQuery(fts: text) : SearchQuery(parsing: text, forms: !exact) }
        var filter = SearchFilter(since: since?.gregorian, until: until?.gregorian, fileGlob: file, tag: tag)
        filter.includeUndated = includeUndated
        let live = try daftar.openStoreForReading()
        let moment = try daftar.pastMoment(live, asOf: past.asOf)
        let hits = try naming { try live.search(query, filter: filter, limit: limit.value, at: moment) }
        let undated = filter.leavesOutUndated ? try naming { try live.undatedMatches(query, filter: filter, at: moment) } : 0
        defer {
            if undated > 0 {
                Terminal.note("left out \(undated) matching article\(undated == 1 ? "" : "s") without a date; --include-undated keeps them")
            }
        }
        if json { return try Terminal.printJSON(hits.map(SearchHitJSON.init)) }
        let mark = Terminal.highlight
        let calendar = try daftar.calendar(live)
        for hit in hits {
            if let annotation = hit.annotation {
                print("\(hit.id.prefix(12))  note \(annotation.prefix(13)) on «\(Terminal.clip(hit.title, 60))»")
            } else {
                print("\(hit.id.prefix(12))  \(Terminal.clip(hit.title, 80))")
            }
            print("    \(Terminal.dim([Terminal.safe(hit.file), hit.published.map(calendar.show)].compactMap { $0 }.joined(separator: " · ")))")
            print("    \(hit.snippet.rendered(before: mark.before, after: mark.after).replacingOccurrences(of: "\n", with: " "))")
            if !hit.aliases.isEmpty { print("    " + Terminal.dim("by alias: " + hit.aliases.map(Terminal.safe).joined(separator: ", "))) }
            if hit.kind == .article && hit.versions > 1 { print("    " + Terminal.dim("version \(hit.version) of \(hit.versions) (`daftar versions \(hit.id.prefix(12))`)")) }
        }
        Terminal.note(hits.isEmpty ? "nothing matches" : "\(hits.count) result\(hits.count == 1 ? "" : "s")\(hits.count == limit.value ? " (--limit reached)" : "")")
    }
}

import DaftarCore
import DaftarStore
import Foundation
import GRDB

/// The work of one child process. Every timed region is one clock reading before and after;
/// the baselines run on the same SQLite library, in one transaction, with prepared statements.
struct Phase {
    let dir: String
    let size: Int
    let events: Int
    let seed: UInt64

    var storePath: String { dir + "/daftar.sqlite" }

    static func sqliteVersion() -> String {
        (try? DatabaseQueue().read { db in try String.fetchOne(db, sql: "SELECT sqlite_version()") }) ?? "?"
    }

    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// Peak resident set of this process, in MiB (ru_maxrss is in KiB on Linux).
    static func peakRSS() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    /// The nearest-rank percentile `p` (0…1) of `values`.
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        return sorted[max(0, min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
    }

    func corpus() throws -> Corpus {
        var seeds: [String] = []
        let seedsDir = FileManager.default.currentDirectoryPath + "/seeds"
        // Sorted: the vocabulary's order (hence the Zipf ranks) must not depend on the file system.
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: seedsDir)) ?? []).sorted() {
            seeds.append(try String(contentsOfFile: seedsDir + "/" + name, encoding: .utf8))
        }
        return Corpus(seedTexts: seeds, seed: seed)
    }

    func run(_ phase: String) async throws -> [Figure] {
        switch phase {
        case "sync": return try await sync()
        case "sync-server": return try await syncServer()
        case "ingest": return try ingest()
        case "ingest-baseline": return try ingestBaselines()
        case "small": return try small()
        case "small-baseline": return try smallBaselines()
        case "replay": return try replay()
        case "replay-baseline": return try replayBaseline()
        case "search": return try search()
        case "history": return try history()
        case "reader": return try await reader()
        case "anchoring": return try anchoring()
        case "hub": return try await hub()
        case "hub-server": return try await hubServer()
        case "hostile": return try await hostile()
        default: throw DaftarError(.badInput, "unknown phase \(phase)")
        }
    }

    // MARK: ingest

    func ingest() throws -> [Figure] {
        let corpus = try corpus()
        let store = try Store.open(at: storePath)
        var bytes = 0
        var elapsed = 0.0
        // Articles are generated batch by batch (untimed) so memory stays bounded.
        // Batches as `daftar ingest` makes them by default (1,024 files; ~3 MB, under its 8 MiB cap).
        for start in stride(from: 0, to: size, by: 1024) {
            let batch = (start..<min(start + 1024, size)).map {
                SourceFile(path: "a\($0).txt", name: "a\($0).txt", text: corpus.article($0, seed: seed))
            }
            bytes += batch.reduce(0) { $0 + $1.text.utf8.count }
            elapsed += try Self.seconds { _ = try store.ingest(batch) }
        }
        return [
            Figure("ingest", size, "daftar_articles_per_s", Double(size) / elapsed, "articles/s"),
            Figure("ingest", size, "corpus_mib", Double(bytes) / 1_048_576, "MiB"),
            Figure("ingest", size, "daftar_peak_rss", Self.peakRSS(), "MiB"),
        ]
    }

    func ingestBaselines() throws -> [Figure] {
        let corpus = try corpus()
        // (a) the engine limit: plain rows + FTS5 unicode61.
        let a = try DatabaseQueue(path: dir + "/baseline-a.sqlite")
        try a.write { db in
            try db.execute(sql: """
                CREATE TABLE articles(rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL, body TEXT NOT NULL);
                CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, content='articles', content_rowid='rowid', tokenize='unicode61');
                """)
        }
        var texts: [String] = []
        texts.reserveCapacity(size)
        for i in 0..<size { texts.append(corpus.article(i, seed: seed)) }
        let prepared = texts.map { text -> (String, String, String) in
            let parsed = ArticleText(parsing: text)
            return (ArticleText.id(of: text), parsed.title, parsed.body)
        }
        let timeA = try Self.seconds {
            try a.write { db in
                let row = try db.makeStatement(sql: "INSERT INTO articles(id, title, body) VALUES (?, ?, ?)")
                let fts = try db.makeStatement(sql: "INSERT INTO articles_fts(rowid, title, body) VALUES (?, ?, ?)")
                for (id, title, body) in prepared {
                    try row.execute(arguments: [id, title, body])
                    try fts.execute(arguments: [db.lastInsertedRowID, title, body])
                }
            }
        }
        texts.removeAll()

        // (b) the same rows Daftar wrote (events and projections), with Daftar's tokenizer.
        let daftar = try DatabaseQueue(path: storePath, configuration: Self.readOnly)
        let events = try daftar.read { db in try Row.fetchAll(db, sql: "SELECT origin, seq, hash, prev, type, time, is_seal, body, arrived FROM events ORDER BY position") }
        let articles = try daftar.read { db in try Row.fetchAll(db, sql: "SELECT id, title, published, body, body_start, file, first_time, first_origin, first_seq, story FROM articles ORDER BY rowid") }
        let sources = try daftar.read { db in try Row.fetchAll(db, sql: "SELECT origin, seq, article, file, time, author, story, content FROM article_sources") }
        let b = try Self.sameSchemaDatabase(dir + "/baseline-b.sqlite")
        let timeB = try Self.seconds {
            try b.write { db in try Self.insertSameRows(db, events: events, articles: articles, sources: sources) }
        }
        return [
            Figure("ingest", size, "baseline_a_articles_per_s", Double(size) / timeA, "articles/s"),
            Figure("ingest", size, "baseline_b_articles_per_s", Double(size) / timeB, "articles/s"),
        ]
    }

    static var readOnly: Configuration {
        var config = Configuration()
        config.readonly = true
        return config
    }

    /// A database (WAL, like Daftar's) with Daftar's schema and tokenizer; created when new.
    static func sameSchemaDatabase(_ path: String) throws -> DatabasePool {
        let exists = FileManager.default.fileExists(atPath: path)
        var config = Configuration()
        config.prepareDatabase { db in db.add(tokenizer: FoldingFTS5Tokenizer.self) }
        let pool = try DatabasePool(path: path, configuration: config)
        if !exists { try pool.write { db in try db.execute(sql: Schema.currentSQL) } }
        return pool
    }

    static func insertSameRows(_ db: Database, events: [Row], articles: [Row], sources: [Row]) throws {
        let insertEvent = try db.makeStatement(sql: "INSERT INTO events(origin, seq, hash, prev, type, time, is_seal, body, arrived) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        for row in events { try insertEvent.execute(arguments: StatementArguments(row.databaseValues)) }
        let insertArticle = try db.makeStatement(sql: "INSERT INTO articles(id, title, published, body, body_start, file, first_time, first_origin, first_seq, story) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        let insertFTS = try db.makeStatement(sql: "INSERT INTO articles_fts(rowid, title, body) VALUES (?, ?, ?)")
        for row in articles {
            try insertArticle.execute(arguments: StatementArguments(row.databaseValues))
            try insertFTS.execute(arguments: [db.lastInsertedRowID, row[1] as String, row[3] as String])
        }
        let insertSource = try db.makeStatement(sql: "INSERT INTO article_sources(origin, seq, article, file, time, author, story, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        for row in sources { try insertSource.execute(arguments: StatementArguments(row.databaseValues)) }
    }

    // MARK: small events

    static func noteDraft(_ i: Int) -> EventDraft {
        EventDraft(type: "bench.note", data: ["n": .int(Int64(i)), "note": .string("یادداشت کوتاه شماره \(i) درباره همکاری‌های دوجانبه")])
    }

    func small() throws -> [Figure] {
        let store = try Store.open(at: dir + "/small.sqlite")
        let elapsed = try Self.seconds {
            for start in stride(from: 0, to: events, by: 256) {
                try store.commit((start..<min(start + 256, events)).map(Self.noteDraft))
            }
        }
        return [
            Figure("small", size, "daftar_events_per_s", Double(events) / elapsed, "events/s"),
            Figure("small", size, "daftar_peak_rss", Self.peakRSS(), "MiB"),
        ]
    }

    func smallBaselines() throws -> [Figure] {
        let daftar = try DatabaseQueue(path: dir + "/small.sqlite", configuration: Self.readOnly)
        let rows = try daftar.read { db in try Row.fetchAll(db, sql: "SELECT origin, seq, hash, prev, type, time, is_seal, body, arrived FROM events ORDER BY position") }
        let same = try Self.sameSchemaDatabase(dir + "/small-baseline.sqlite")
        let sameTime = try Self.seconds {
            // Batches of 256 as Daftar commits them, each a transaction.
            for start in stride(from: 0, to: rows.count, by: 256) {
                try same.write { db in try Self.insertSameRows(db, events: Array(rows[start..<min(start + 256, rows.count)]), articles: [], sources: []) }
            }
        }
        let plain = try DatabaseQueue(path: dir + "/small-plain.sqlite")
        try plain.write { db in try db.execute(sql: "CREATE TABLE notes(id INTEGER PRIMARY KEY, n INTEGER, note TEXT)") }
        let plainTime = try Self.seconds {
            for start in stride(from: 0, to: events, by: 256) {
                try plain.write { db in
                    let insert = try db.cachedStatement(sql: "INSERT INTO notes(n, note) VALUES (?, ?)")
                    for i in start..<min(start + 256, events) {
                        try insert.execute(arguments: [i, Self.noteDraft(i).data["note"]!.stringValue!])
                    }
                }
            }
        }
        return [
            Figure("small", size, "baseline_same_rows_events_per_s", Double(events) / sameTime, "events/s"),
            Figure("small", size, "baseline_plain_rows_per_s", Double(events) / plainTime, "rows/s"),
        ]
    }

    // MARK: replay

    func replay() throws -> [Figure] {
        let store = try Store.open(at: storePath, forWriting: false)
        var result: RebuildReport? = nil
        let elapsed = try Self.seconds { result = try store.rebuild() }
        let report = result!
        return [
            Figure("replay", size, "daftar_events_per_s", Double(report.events) / elapsed, "events/s"),
            Figure("replay", size, "digest_unchanged", report.digestBefore == report.digestAfter ? 1 : 0, "bool"),
            Figure("replay", size, "daftar_peak_rss", Self.peakRSS(), "MiB"),
        ]
    }

    /// Re-deriving the same projection tables from the same rows, in SQL.
    func replayBaseline() throws -> [Figure] {
        let b = try Self.sameSchemaDatabase(dir + "/baseline-b.sqlite")
        let count = try b.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0 }
        try b.write { db in
            try db.execute(sql: "CREATE TABLE saved_articles AS SELECT * FROM articles; CREATE TABLE saved_sources AS SELECT * FROM article_sources")
        }
        let elapsed = try Self.seconds {
            try b.write { db in
                try db.execute(sql: """
                    DELETE FROM article_sources; DELETE FROM articles;
                    INSERT INTO articles_fts(articles_fts) VALUES ('delete-all');
                    INSERT INTO articles SELECT * FROM saved_articles;
                    INSERT INTO article_sources SELECT * FROM saved_sources;
                    INSERT INTO articles_fts(articles_fts) VALUES ('rebuild');
                    """)
            }
        }
        return [Figure("replay", size, "baseline_events_per_s", Double(count) / elapsed, "events/s")]
    }

    // MARK: search

    /// A fixed query mix: single words of several frequencies, phrases taken from articles,
    /// and words typed in another spacing than the text (joined, ZWNJ, spaced).
    func queries(_ corpus: Corpus) -> [String] {
        var rng = SplitMix64(seed: seed ^ 0xC0FFEE)
        var out: [String] = []
        for rank in [3, 10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000, 50_000] {
            out.append(corpus.vocabulary[rank])
        }
        for _ in 0..<10 {
            let article = corpus.article(Int.random(in: 0..<size, using: &rng), seed: seed)
            let words = PersianFolding.words(in: ArticleText(parsing: article).body).map(\.folded)
            let i = Int.random(in: 0..<(words.count - 2), using: &rng)
            out.append("\"\(words[i]) \(words[i + 1])\"")
            out.append("\(words[i]) \(words[i + 1])")
        }
        for name in Corpus.names.prefix(5) { out.append(name) }
        for i in 0..<10 {
            let stem = corpus.vocabulary[200 + i * 37]
            out.append(["می‌" + stem, "می " + stem, stem + " های", stem + "‌ها", stem + "های"][i % 5])
        }
        out.append("بین المللی")
        out.append("همکاری های دوجانبه")
        return out
    }

    func search() throws -> [Figure] {
        let corpus = try corpus()
        let store = try Store.open(at: storePath, forWriting: false)
        let mix = queries(corpus)
        // expanded: as `daftar search` runs it; forms false: without word forms (`--exact`);
        // not expanded: without forms or spacing variants.
        func latencies(expanded: Bool, forms: Bool = true) throws -> [Double] {
            var out: [Double] = []
            for _ in 0..<3 {
                for text in mix {
                    let parsed = try SearchQuery(parsing: text, forms: forms)
                    let query = try expanded ? parsed : SearchQuery(fts: Self.plain(parsed))
                    out.append(try Self.seconds { _ = try store.search(query) } * 1000)
                }
            }
            return out.sorted()
        }
        _ = try latencies(expanded: true)  // warm the page cache
        let plain = try latencies(expanded: false)
        let exact = try latencies(expanded: true, forms: false)
        let expanded = try latencies(expanded: true)
        return [
            Figure("search", size, "p50_ms", Self.percentile(expanded, 0.50), "ms"),
            Figure("search", size, "p95_ms", Self.percentile(expanded, 0.95), "ms"),
            Figure("search", size, "p99_ms", Self.percentile(expanded, 0.99), "ms"),
            Figure("search", size, "no_variants_p50_ms", Self.percentile(plain, 0.50), "ms"),
            Figure("search", size, "no_variants_p95_ms", Self.percentile(plain, 0.95), "ms"),
            Figure("search", size, "variant_cost_p50_ratio", Self.percentile(expanded, 0.50) / Self.percentile(plain, 0.50), "×"),
            Figure("search", size, "variant_cost_p95_ratio", Self.percentile(expanded, 0.95) / Self.percentile(plain, 0.95), "×"),
            Figure("search", size, "exact_p50_ms", Self.percentile(exact, 0.50), "ms"),
            Figure("search", size, "exact_p95_ms", Self.percentile(exact, 0.95), "ms"),
            Figure("search", size, "forms_cost_p95_ratio", Self.percentile(expanded, 0.95) / Self.percentile(exact, 0.95), "×"),
            Figure("search", size, "queries", Double(mix.count), "queries"),
            Figure("search", size, "peak_rss", Self.peakRSS(), "MiB"),
        ]
    }

    /// The same query without spacing variants: each term as typed, all required.
    static func plain(_ query: SearchQuery) -> String {
        func render(_ term: SearchQuery.Term) -> String {
            switch term {
            case .word(let w, _): "\"\(w)\""
            case .prefix(let w): "\"\(w)\" *"
            case .phrase(let ws): "\"\(ws.joined(separator: " "))\""
            case .any(let terms): "(" + terms.map(render).joined(separator: " OR ") + ")"
            }
        }
        return query.required.map(render).joined(separator: " AND ")
    }
}

import ArgumentParser
import DaftarCore
import DaftarStore
import Foundation
import GRDB

/// Measures Daftar against raw-SQLite baselines in the same run, each phase in its own
/// process (so that its peak RSS is its own), and prints one JSON line per figure, then a
/// table. Run with `swift run -c release daftar-bench`.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daftar-bench",
        abstract: "Daftar's speed and memory as ratios to raw SQLite, measured in the same run.",
        discussion: """
            Phases: ingest (Daftar vs (a) plain rows + FTS5 unicode61, (b) the same rows Daftar \
            writes, with Daftar's tokenizer), small (small events vs the same rows and plain rows), \
            replay (rebuild vs re-deriving the same tables from the same rows), search (latency of \
            a fixed query mix, with and without the Persian spacing variants), sync (initial and \
            no-change sync over loopback HTTP, against Daftar's own ingest rate), history (one \
            annotation edited 200/800/2,000 times: edit, rebuild and receive cost; then, on the \
            archive plus 20,000 annotations: show --as-of, history of 1,000 revisions, changes \
            since a sync, list and search --as-of, each beside its live counterpart; it writes \
            into the ingested store, so it runs last).
            """)

    @Option(help: "Comma-separated corpus sizes (articles).")
    var sizes: String = "2000,10000"

    @Option(help: "Small events per run of the small-events phase.")
    var events: Int = 20_000

    @Option(help: "Corpus seed.")
    var seed: UInt64 = 42

    @Option(help: "Only these phases (comma-separated): ingest, small, replay, search, sync, history, anchoring, reader (needs chromium and chromium-driver), hub (needs $DAFTAR_BENCH_POSTGRES), hostile.")
    var phases: String = "ingest,small,replay,search,sync,history,anchoring,reader,hub,hostile"

    @Option(help: "Comma-separated page sizes (events) of the hostile phase: N edits, tags, deletes of one annotation, N annotations on one article.")
    var hostileSizes: String = "1000,8000"

    @Option(help: "Comma-separated replica counts of the hub phase.")
    var replicas: String = "10,100"

    @Option(help: "Comma-separated sizes of a larger archive for the hub phase: that many annotations more, pulled by every replica (its figures are phase hub+N). 0: none.")
    var hubArchive: String = "0"

    @Option(help: .hidden) var child: String?
    @Option(help: .hidden) var dir: String?
    @Option(help: .hidden) var size: Int = 0

    func run() async throws {
        if let child, let dir {
            let phase = Phase(dir: dir, size: size, events: events, seed: seed)
            let figures = try await phase.run(child)
            for figure in figures { print(figure.jsonLine) }
            return
        }
        let sizes = self.sizes.split(separator: ",").compactMap { Int($0) }
        let phases = self.phases.split(separator: ",").map(String.init)
        var all: [Figure] = []
        FileHandle.standardError.write(Data("daftar-bench: SQLite \(Phase.sqliteVersion()), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB\n".utf8))
        for size in sizes {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("daftar-bench-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            // ingest must run first: the other phases use its store.
            var steps = ["ingest", "ingest-baseline"].filter { _ in ["ingest", "replay", "search", "sync", "history"].contains(where: phases.contains) }
            if phases.contains("small") { steps += ["small", "small-baseline"] }
            if phases.contains("replay") { steps += ["replay", "replay-baseline"] }
            if phases.contains("search") { steps += ["search"] }
            if phases.contains("sync") { steps += ["sync"] }
            if phases.contains("history") { steps += ["history"] }
            // The reader's store is its own (one long article); it runs once, at the first size.
            if phases.contains("reader"), size == sizes.first { steps += ["reader"] }
            // Re-anchoring uses one generated 50 KB article: once, at the first size.
            if phases.contains("anchoring"), size == sizes.first { steps += ["anchoring"] }
            for step in steps {
                FileHandle.standardError.write(Data("daftar-bench: \(size) articles: \(step)…\n".utf8))
                let lines = try runChild(step, dir: dir, size: size)
                for line in lines {
                    print(line)
                    if let figure = Figure(jsonLine: line) { all.append(figure) }
                }
            }
            for ratio in Self.ratios(all.filter { $0.size == size }) {
                print(ratio.jsonLine)
                all.append(ratio)
            }
        }
        // The team hub: its own replicas and database, at each replica count.
        if phases.contains("hub") {
            if Phase.benchPostgres == nil {
                FileHandle.standardError.write(Data("daftar-bench: hub phase skipped: set DAFTAR_BENCH_POSTGRES=postgres://USER@HOST:PORT/postgres (.ci/postgres start DIR prints one)\n".utf8))
            } else {
                let counts = replicas.split(separator: ",").compactMap { Int($0) }
                for archive in hubArchive.split(separator: ",").compactMap({ Int($0) }) {
                    for count in counts {
                        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("daftar-bench-hub-\(UUID().uuidString)").path
                        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                        defer { try? FileManager.default.removeItem(atPath: dir) }
                        let more = archive > 0 ? ", \(archive) annotations more in the archive" : ""
                        FileHandle.standardError.write(Data("daftar-bench: hub with \(count) replicas\(more)…\n".utf8))
                        for line in try runChild("hub", dir: dir, size: count, events: archive) {
                            print(line)
                            if let figure = Figure(jsonLine: line) { all.append(figure) }
                        }
                    }
                }
            }
        }
        // Hostile pages: the growth of the time per event from the smallest size to the largest.
        if phases.contains("hostile") {
            let counts = hostileSizes.split(separator: ",").compactMap { Int($0) }
            var hostile: [Figure] = []
            for count in counts {
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("daftar-bench-hostile-\(UUID().uuidString)").path
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: dir) }
                FileHandle.standardError.write(Data("daftar-bench: hostile pages of \(count) events…\n".utf8))
                for line in try runChild("hostile", dir: dir, size: count) {
                    print(line)
                    if let figure = Figure(jsonLine: line) { hostile.append(figure) }
                }
            }
            for growth in Self.growth(hostile, from: counts.min() ?? 0, to: counts.max() ?? 0) {
                print(growth.jsonLine)
                hostile.append(growth)
            }
            all += hostile
        }
        print(Figure.table(all))
    }

    /// For each per-event figure of the hostile phase, its value at `large` over its value at
    /// `small` (`…_growth`, shown at the larger size; 1 when the work per event does not grow
    /// with the page).
    static func growth(_ figures: [Figure], from small: Int, to large: Int) -> [Figure] {
        guard large > small else { return [] }
        return figures.filter { $0.size == large && $0.metric.hasSuffix("_per_event") }.compactMap { big in
            guard let little = figures.first(where: { $0.size == small && $0.metric == big.metric }), little.value > 0 else { return nil }
            return Figure("hostile", large, big.metric.replacingOccurrences(of: "_us_per_event", with: "_growth"), big.value / little.value, "×")
        }
    }

    /// Daftar's figures over the same run's baselines.
    static func ratios(_ figures: [Figure]) -> [Figure] {
        func value(_ phase: String, _ metric: String) -> Double? {
            figures.first { $0.phase == phase && $0.metric == metric }?.value
        }
        // (phase, Daftar's metric, the baseline's phase and metric, the ratio's name)
        let pairs: [(String, String, String, String, String)] = [
            ("ingest", "daftar_articles_per_s", "ingest", "baseline_a_articles_per_s", "ratio_to_baseline_a"),
            ("ingest", "daftar_articles_per_s", "ingest", "baseline_b_articles_per_s", "ratio_to_baseline_b"),
            ("small", "daftar_events_per_s", "small", "baseline_same_rows_events_per_s", "ratio_to_same_rows"),
            ("small", "daftar_events_per_s", "small", "baseline_plain_rows_per_s", "ratio_to_plain_rows"),
            ("replay", "daftar_events_per_s", "replay", "baseline_events_per_s", "ratio_to_baseline"),
            // Sync against Daftar's own local ingest (one event per article).
            ("sync", "initial_events_per_s", "ingest", "daftar_articles_per_s", "ratio_to_local_ingest"),
        ]
        return pairs.compactMap { phase, daftar, baselinePhase, baseline, name in
            guard let d = value(phase, daftar), let b = value(baselinePhase, baseline), let size = figures.first?.size else { return nil }
            return Figure(phase, size, name, d / b, "×")
        }
    }

    func runChild(_ phase: String, dir: String, size: Int, events: Int? = nil) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["--child", phase, "--dir", dir, "--size", "\(size)", "--events", "\(events ?? self.events)", "--seed", "\(seed)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ExitCode(process.terminationStatus) }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}

/// One measured figure.
struct Figure: Codable {
    var phase: String
    var size: Int
    var metric: String
    var value: Double
    var unit: String

    var jsonLine: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    init(_ phase: String, _ size: Int, _ metric: String, _ value: Double, _ unit: String) {
        (self.phase, self.size, self.metric, self.value, self.unit) = (phase, size, metric, value, unit)
    }

    init?(jsonLine: String) {
        guard let figure = try? JSONDecoder().decode(Figure.self, from: Data(jsonLine.utf8)) else { return nil }
        self = figure
    }

    static func table(_ figures: [Figure]) -> String {
        var out = "\n" + "phase".padding(toLength: 16, withPad: " ", startingAt: 0) + "size".padding(toLength: 9, withPad: " ", startingAt: 0)
            + "metric".padding(toLength: 34, withPad: " ", startingAt: 0) + "value\n"
        for f in figures {
            let value = f.value >= 100 ? String(format: "%.0f", f.value) : String(format: "%.3f", f.value)
            out += f.phase.padding(toLength: 16, withPad: " ", startingAt: 0) + "\(f.size)".padding(toLength: 9, withPad: " ", startingAt: 0)
                + f.metric.padding(toLength: 34, withPad: " ", startingAt: 0) + "\(value) \(f.unit)\n"
        }
        return out
    }
}

import ArgumentParser
import DaftarCore
import DaftarStore

struct Rebuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drop every projection and re-derive it by replaying the log.")

    @ParentCommand var daftar: Daftar

    @Flag(help: "Print JSON.")
    var json = false

    struct Output: Encodable {
        var events: Int
        var byType: [String: Int]
        var articles: Int
        var digestBefore: String
        var digestAfter: String
        var seconds: Double
    }

    func run() throws {
        let store = try daftar.openStore(forWriting: false)
        let report = try store.rebuild { done, total in
            if done == 0 {
                Terminal.note("replaying \(total) events; reading commands keep answering meanwhile")
            } else {
                Terminal.progress("replaying: \(done)/\(total) events")
            }
        }
        Terminal.clearProgress()
        if json {
            return try Terminal.printJSON(Output(
                events: report.events, byType: report.byType, articles: report.articles,
                digestBefore: report.digestBefore, digestAfter: report.digestAfter, seconds: report.seconds))
        }
        let types = report.byType.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        print("replayed \(report.events) events (\(types.isEmpty ? "none" : types)) into \(report.articles) articles in \(String(format: "%.2f", report.seconds)) s")
        if report.digestBefore == report.digestAfter {
            print("digest unchanged: \(report.digestAfter)")
        } else {
            print("digest changed: \(report.digestBefore) → \(report.digestAfter)")
        }
    }
}

struct Digest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the digest of what the archive shows: equal on stores holding the same events.")

    @ParentCommand var daftar: Daftar

    @OptionGroup var past: PastOption

    func run() throws {
        print(try daftar.shownStore(daftar.openStoreForReading(), asOf: past.asOf).digest())
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-check every event's hash, chain link, seal and clock from the stored bytes, and the projections.",
        discussion: """
            Also checks that each origin's head is sealed and matches the version vector, that no \
            (origin, seq) holds two events, that the log's append-only triggers are in place, and \
            that what is shown equals a fresh rebuild of the log. Every problem is listed, each \
            with its kind and event; the exit status is non-zero when there is any.
            """)

    @ParentCommand var daftar: Daftar

    @Flag(help: "Print the report (counts and every problem) as JSON.")
    var json = false

    func run() throws {
        let report = try daftar.openStoreForReading().check()
        if json {
            try Terminal.printJSON(report)
        } else if report.problems.isEmpty {
            print("verified \(report.events) events (\(report.seals) seals) from \(report.origins) replica\(report.origins == 1 ? "" : "s"): hashes, chains, seals, clocks, triggers and projections intact")
        } else {
            for problem in report.problems {
                print("\(problem.kind.rawValue)\(problem.event.map { " \($0)" } ?? ""): \(problem.message)")
            }
        }
        if !report.problems.isEmpty {
            let n = report.problems.count
            throw DaftarError(.corrupt, "\(n) problem\(n == 1 ? "" : "s") in \(report.events) events; keep a copy of the store, then `daftar rebuild` re-derives the projections, and a sync from a peer restores what the log lost")
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the replica id, version vector and counts.")

    @ParentCommand var daftar: Daftar

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let status = try daftar.openStoreForReading().status()
        if json { return try Terminal.printJSON(status) }
        print("store:    \(status.store) (\(status.bytes / 1024) KiB)")
        print("replica:  \(status.replica ?? "(no key yet: created on the first write)")")
        print("author:   \(status.author)")
        print("events:   \(status.events) (\(status.seals) seals)")
        print("articles: \(status.articles) (\(status.sources) sources)")
        print("version vector:")
        for head in status.versionVector {
            let mine = head.origin == status.replica ? "  (this replica)" : ""
            print("  \(head.origin):\(head.seq)  \(head.hash.prefix(16))\(mine)")
        }
    }
}

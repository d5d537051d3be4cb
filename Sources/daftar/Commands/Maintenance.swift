import ArgumentParser
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
        abstract: "Re-check every event's hash, chain link and seal from the stored bytes.")

    @ParentCommand var daftar: Daftar

    func run() throws {
        let report = try daftar.openStoreForReading().verify()
        print("verified \(report.events) events (\(report.seals) seals) from \(report.origins) replica\(report.origins == 1 ? "" : "s"): hashes, chains and seals intact")
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

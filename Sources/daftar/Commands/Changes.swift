import ArgumentParser
import DaftarApp
import DaftarCore
import DaftarStore
import Foundation

struct Changes: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What changed since a moment — by default, what the last sync brought — grouped by article.",
        discussion: """
            WHEN is a time (2026-11-20, 2026-11-20T14:00, local; Solar Hijri dates too), a \
            position in this store's log, a version vector (ORIGIN:SEQ,…), or a sync \
            (sync:PEER is just before the last sync with that peer, sync:PEER~2 the one before). \
            Lists articles added (or copies of them), annotations created, edited (old → new), \
            deleted and restored, tags, and the conflicts that appeared or were resolved, with \
            who and from which replica.
            """)

    @ParentCommand var daftar: Daftar

    @Option(help: ArgumentHelp("From this moment (default: just before the last sync).", valueName: "when"))
    var since: When?

    @Option(help: ArgumentHelp("Up to this moment (default: now).", valueName: "when"))
    var until: When?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let store = try daftar.openStoreForReading()
        let from: PastMoment
        if let since {
            from = try since.moment(in: store)
        } else {
            guard let last = try store.lastSync() else {
                throw DaftarError(.notFound, "no sync is recorded in this store yet; give --since WHEN")
            }
            from = .position(last.position)
            if !json { Terminal.note("since the last sync, with \(last.peer) at \(Terminal.time(last.started))") }
        }
        let report = try store.changes(since: from, until: until.map { try $0.moment(in: store) })
        if json { return try Terminal.printJSON(report) }
        for group in report.articles {
            print("\(group.isNew ? "new article " : "")\(group.article.prefix(12))  «\(Terminal.clip(group.title, 60))»")
            for entry in group.events {
                let replica = entry.replica ?? "replica \(entry.origin.prefix(8))"
                print("    \(Terminal.time(entry.time))  \(Terminal.safe(entry.author)) (\(replica))  \(Terminal.safe(entry.summary))")
            }
            for id in group.conflictsAppeared { print("    conflict appeared: annotation \(id.prefix(13)) (see `daftar conflicts`)") }
            for id in group.conflictsResolved { print("    conflict resolved: annotation \(id.prefix(13))") }
        }
        Terminal.note(report.events == 0 ? "nothing changed" : "\(report.events) event\(report.events == 1 ? "" : "s") on \(report.articles.count) article\(report.articles.count == 1 ? "" : "s")")
    }
}

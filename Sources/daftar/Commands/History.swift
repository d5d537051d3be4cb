import ArgumentParser
import DaftarCore
import DaftarStore
import Foundation

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Every event that touched an article or an annotation, oldest first, in words.",
        discussion: """
            ID is an article or annotation id, or an unambiguous prefix. For an article: each \
            copy archived (which file, which replica), its tags, and what happened to its \
            annotations. Each line: number, time, who (and which replica), what changed — old → \
            new for an edit. Events made without seeing each other are another branch: marked \
            "‖ concurrent with #N"; when they wrote different values of one field (or an edit \
            met a delete) the line says "conflict with #N", and the event that settled it says \
            "resolves #N ‖ #M".
            """)

    @ParentCommand var daftar: Daftar

    @Argument(help: "Article or annotation id, or an unambiguous prefix.")
    var id: String

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let store = try daftar.openStoreForReading()
        let target = try store.resolveTagTarget(id)
        let entries = try store.history(of: target)
        if json { return try Terminal.printJSON(entries) }
        switch target {
        case .article(let article):
            print("history of article \(article.prefix(12)) «\(Terminal.clip(try store.article(article).summary.title, 60))»")
        case .annotation(let annotation):
            let view = try store.annotation(annotation)
            print("history of annotation \(annotation.prefix(13)) \(Terminal.quote(view.anchor, 40))")
        }
        for entry in entries {
            var notes: [String] = []
            if !entry.concurrentWith.isEmpty { notes.append("‖ concurrent with " + entry.concurrentWith.map { "#\($0)" }.joined(separator: ", ")) }
            if !entry.conflictsWith.isEmpty { notes.append("conflict with " + entry.conflictsWith.map { "#\($0)" }.joined(separator: ", ")) }
            for pair in entry.resolves { notes.append("resolves " + pair.map { "#\($0)" }.joined(separator: " ‖ ")) }
            let replica = entry.replica ?? "replica \(entry.origin.prefix(8))"
            let branch = entry.concurrentWith.isEmpty ? "" : "  "
            print("#\(entry.number)  \(branch)\(Terminal.time(entry.time))  \(Terminal.safe(entry.author)) (\(replica))  \(Terminal.safe(entry.summary))")
            if !notes.isEmpty { print("    " + Terminal.dim(notes.joined(separator: "; "))) }
        }
        if entries.isEmpty { Terminal.note("no events here touch it") }
    }
}

import ArgumentParser
import DaftarApp
import DaftarCore
import DaftarStore

struct Conflicts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List annotations with concurrent notes or motivations, or edits concurrent with a delete.",
        discussion: "Each value is shown with its author, time and event id (ORIGIN:SEQ); `daftar resolve` settles them.")

    @ParentCommand var daftar: Daftar

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var past: PastOption

    func run() throws {
        let live = try daftar.openStoreForReading()
        let views = try daftar.pastMoment(live, asOf: past.asOf).map { try live.conflicts(at: $0) } ?? live.conflicts()
        if json { return try Terminal.printJSON(views.map(AnnotationOutput.init)) }
        for view in views {
            print("\(view.id)  on \(view.article.prefix(12))  \(Terminal.quote(view.anchor, 40))\(view.deleted ? "  (deleted)" : "")")
            func show(_ label: String, _ values: [RegisterValue]) {
                for v in values {
                    print("    \(label): \(Terminal.clip(v.value, 60))  — \(v.author), \(Terminal.time(v.time)), event \(v.dot.origin):\(v.dot.seq)")
                }
            }
            if view.note.inConflict { show("note", view.note.values) }
            if view.motivation.inConflict { show("motivation", view.motivation.values) }
            show("edit concurrent with delete", view.editsConcurrentWithDelete)
        }
        if views.isEmpty { Terminal.note("no conflicts") }
    }
}

struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Settle a conflict: write a note, keep one of the values, or confirm a delete.",
        discussion: """
            --note/--motivation write a value that supersedes every current one; --keep EVENT \
            (ORIGIN:SEQ from `daftar conflicts`, or a hash prefix) writes that value again — or, \
            for an edit concurrent with a delete, restores the annotation; --delete confirms the \
            delete. The new event has seen every value, so once synced the conflict is gone everywhere.
            """)

    @ParentCommand var daftar: Daftar

    @Argument(help: "Annotation id or unambiguous prefix.")
    var annotation: String

    @Option(help: "The note to keep.")
    var note: String?

    @Option(help: "The motivation to keep.")
    var motivation: String?

    @Option(help: ArgumentHelp("Keep the value written by this event.", valueName: "event"))
    var keep: String?

    @Flag(help: "Confirm the delete.")
    var delete = false

    func validate() throws {
        let given = [note != nil || motivation != nil, keep != nil, delete].filter { $0 }.count
        guard given == 1 else { throw ValidationError("give one of --note/--motivation, --keep EVENT or --delete") }
    }

    func run() throws {
        let store = try daftar.openStore(forWriting: true)
        let id = try store.resolveAnnotation(annotation)
        let resolution: Store.Resolution = if let keep { .keep(keep) } else if delete { .delete } else { .write(note: note, motivation: motivation) }
        let view = try store.resolve(annotation: id, resolution)
        print("resolved \(id)\(view.inConflict ? " (still in conflict: \(view.note.inConflict ? "note" : view.motivation.inConflict ? "motivation" : "delete"))" : "")")
    }
}

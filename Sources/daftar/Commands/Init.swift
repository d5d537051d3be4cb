import ArgumentParser
import DaftarCore
import DaftarStore

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the store (optional: any writing command creates it) and set the analyst name.",
        discussion: "`daftar init --calendar persian` makes Solar Hijri this store's default for showing dates.")

    @ParentCommand var daftar: Daftar

    @Option(help: "The analyst name recorded in new events (default: $DAFTAR_AUTHOR, else your login name).")
    var author: String?

    func run() throws {
        let store = try daftar.openStore(forWriting: true)
        if let author {
            guard !author.trimmingWhitespace.isEmpty else { throw ValidationError("--author must not be empty") }
            try store.setAuthor(author)
        }
        // The global --calendar, given to init, becomes this store's default.
        if let calendar = daftar.calendar { try store.setSetting("calendar", calendar.rawValue) }
        print("store:   \(store.path)")
        print("replica: \(store.identity!.origin)")
        print("author:  \(try store.author())")
        if let calendar = try store.setting("calendar") { print("dates:   \(calendar)") }
    }
}

import ArgumentParser
import DaftarStore

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List events, oldest first (local log order), each in words.",
        discussion: """
            Each line: log position, time, who (author, and which replica: this one, a peer's by \
            its name, else its id), and what happened — the file and title archived, the quote \
            and start of the note annotated, old → new for an edit, the tag. --json gives every \
            field (summary is the words).
            """)

    @ParentCommand var daftar: Daftar

    @Option(help: "Show at most this many.")
    var limit: Number<Int>?

    @Option(help: "Start after this log position.")
    var after = Number<Int64>(0)

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let entries = try daftar.openStoreForReading().log(after: after.value, limit: limit?.value)
        if json { return try Terminal.printJSON(entries) }
        for e in entries { print(Self.line(e)) }
    }

    /// One event in words: position, time, who and from which replica, what, whether sealed.
    static func line(_ e: LogEntry) -> String {
        let seal = e.seal ? Terminal.dim(" [sealed]") : ""
        let replica = e.replica ?? "replica \(e.origin.prefix(8))"
        return "\(e.position)  \(Terminal.time(e.time))  \(Terminal.safe(e.author)) (\(replica))  \(Terminal.safe(e.summary))\(seal)"
    }
}

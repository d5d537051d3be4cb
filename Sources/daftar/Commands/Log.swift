import ArgumentParser
import DaftarStore

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List events, oldest first (local log order).")

    @ParentCommand var daftar: Daftar

    @Option(help: "Show at most this many.")
    var limit: Int?

    @Option(help: "Start after this log position.")
    var after: Int64 = 0

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let entries = try daftar.openStoreForReading().log(after: after, limit: limit)
        if json { return try Terminal.printJSON(entries) }
        for e in entries {
            let seal = e.seal ? " [seal]" : ""
            print("\(e.position)\t\(Terminal.time(e.time))\t\(e.origin.prefix(8)):\(e.seq)\t\(e.type)\t\(e.author)\t\(e.summary)\(seal)")
        }
    }
}

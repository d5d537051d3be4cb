import ArgumentParser
import DaftarCore
import DaftarStore
import Foundation

extension Daftar {
    /// `daftar forks`: replicas frozen because they signed two histories.
    struct Forks: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List replicas frozen because they signed two different histories (equivocation).",
            discussion: """
                A replica is frozen only on a fork proof: two different events at one seq, each \
                authenticated by that replica's seal. For each, this shows both events (author, \
                time, type, and what it did when this store holds it), the last seq both histories \
                share, and what is held back: events of that replica after the shared seq, and \
                anything depending on them, are neither accepted nor sent.

                Typical cause: a store restored from an old backup that wrote again before \
                syncing. If the frozen replica is this store's own, sync tells you so.
                """)

        @ParentCommand var daftar: Daftar
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let forks = try daftar.openStoreForReading().forks()
            if json { return try Terminal.printJSON(forks) }
            if forks.isEmpty { return print("no forks: no replica has signed two histories") }
            for fork in forks {
                print("replica \(fork.origin)\(fork.isThisReplica ? " (this store's own)" : ""): two events at seq \(fork.seq.map(String.init) ?? "?"); both histories agree up to seq \(fork.agreed)")
                for (i, side) in fork.sides.enumerated() {
                    let what = side.summary.map { " — \(Terminal.clip($0))" } ?? ""
                    print("  \(i == 0 ? "A" : "B"): \(side.type) by \(side.author), \(Terminal.time(side.time))\(side.held ? " (held here)" : "")\(what)")
                }
                print("  held back: events after seq \(fork.agreed) of this replica and everything depending on them; this store holds \(fork.heldAfterAgreed) such events of its own side")
            }
        }
    }
}

import ArgumentParser
import DaftarCore
import DaftarStore
import Foundation

extension Daftar {
    /// `daftar rekey`: a new identity for a store whose replica signed two histories.
    struct Rekey: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give this store a new identity after its replica signed two histories (restored from an old backup?).",
            discussion: """
                When a store restored from an old backup writes again, its replica holds events \
                that contradict the ones it wrote before the backup was restored: peers prove the \
                fork and freeze that replica, and `sync` tells you. `rekey` then makes a new store \
                at the same path with a new identity: it keeps everything except this replica's \
                own events after the last seq both histories share, and re-issues that work \
                (ingests, annotations, edits, tags, deletes) under the new identity. Sync \
                afterwards: the other history arrives from peers, your re-issued work reaches \
                them, and nothing is lost or held twice. The old store file and key are kept as \
                STORE.before-rekey. If rekey is killed midway, run it again: it starts over, \
                or finishes swapping in the new store it had made (the store refuses to open \
                until then).
                """)

        @ParentCommand var daftar: Daftar
        @Flag(help: "Print what was done as JSON.") var json = false

        func run() throws {
            let (path, isDefault) = try daftar.storePath()
            if isDefault, !FileManager.default.fileExists(atPath: path) {
                throw DaftarError(.noStore, "no archive at \(path)")
            }
            let report = try Store.rekey(at: path)
            if json { return try Terminal.printJSON(report) }
            print("this store is now replica \(report.newReplica) (was \(report.oldReplica), which signed two histories after seq \(report.agreed))")
            print("re-issued \(report.reissued) event\(report.reissued == 1 ? "" : "s") of your work from the abandoned history; the old store and key are kept at \(report.backup)")
            if report.dropped > 0 {
                Terminal.note("\(report.dropped) events of other replicas depended on the abandoned history; they stay in the backup only")
            }
            Terminal.note("sync with your peers now: the other history arrives, and your work reaches them")
        }
    }
}

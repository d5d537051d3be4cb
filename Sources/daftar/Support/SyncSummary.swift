import DaftarApp
import DaftarCore
import Foundation

extension SyncSummary {
    func print() {
        let moved = pulledEvents + pushedEvents
        if inSync && moved == 0 {
            Swift.print("already in sync with \(peer) (\(totalBytes) bytes exchanged)")
        } else if inSync {
            Swift.print("in sync with \(peer): pulled \(pulledEvents) events, pushed \(pushedEvents) (\(totalBytes / 1024) KiB in \(pages) pages)")
        } else {
            Swift.print("pulled \(pulledEvents) events, pushed \(pushedEvents) with \(peer) (\(totalBytes / 1024) KiB in \(pages) pages); not in sync")
        }
        if pulledEvents > 0 {
            Swift.print("brought in: \(broughtIn.sentence)")
        }
        for fork in forks {
            if fork.isThisReplica && fork.diverged {
                Terminal.error("this store's own replica \(fork.origin) signed two different events at seq \(fork.seq) — was it restored from an old backup and written to again? Its history here is not the one the peer holds, so your new work cannot reach it. Run `daftar rekey`: a new identity that re-issues your work from this history; nothing is lost")
            } else if fork.isThisReplica {
                Terminal.error("another copy of this store (restored from a backup?) signed a different history as replica \(fork.origin) after seq \(fork.seq - 1); this store holds the history the peer holds, so nothing is needed here — but stop writing from that copy, or run `daftar rekey` there")
            } else {
                Terminal.error("replica \(fork.origin) signed two different events at seq \(fork.seq) (proof checked): frozen at seq \(fork.agreed.map(String.init) ?? "?") \(fork.frozenHere && fork.frozenThere ? "on both sides" : fork.frozenHere ? "here" : "at the peer"); see `daftar forks`")
            }
        }
        for claim in ignoredForkClaims {
            Terminal.error("ignored the peer's claim that replica \(claim.origin ?? "?") is forked: \(claim.reason); nothing was frozen")
        }
        if heldBackHere > 0 { Terminal.error("\(heldBackHere) events from the peer held back: they depend on a frozen history") }
        if heldBackThere > 0 { Terminal.error("\(heldBackThere) events held back by the peer: they depend on a frozen history") }
        if let stopped { Terminal.error("the sync ended early: \(stopped)") }
        if !notDelivered.isEmpty {
            let total = notDelivered.values.reduce(0, +)
            Terminal.error("\(total) event\(total == 1 ? "" : "s") this store holds did not reach the peer (\(Self.list(notDelivered)))")
        }
        if !notReceived.isEmpty {
            let total = notReceived.values.reduce(0, +)
            Terminal.note("the peer holds \(total) event\(total == 1 ? "" : "s") this store does not (\(Self.list(notReceived)))")
        }
    }

    static func list(_ counts: [String: Int64]) -> String {
        counts.sorted { $0.key < $1.key }.map { "\($0.key.prefix(12))…: \($0.value)" }.joined(separator: ", ")
    }
}

import DaftarCore
import DaftarStore
import Foundation

/// What a sync (or a bundle) did, in the analyst's terms: printed as text or JSON.
struct SyncSummary: Encodable {
    struct Counts: Encodable {
        var articles: Int
        var annotations: Int
        var conflicts: Int
        init(_ store: Store) throws {
            articles = try store.status().articles
            annotations = try store.annotations().count
            conflicts = try store.conflicts().count
        }
        init(articles: Int, annotations: Int, conflicts: Int) {
            (self.articles, self.annotations, self.conflicts) = (articles, annotations, conflicts)
        }

        /// "2 new articles, 1 new annotation, 0 new conflicts"
        var sentence: String {
            func count(_ n: Int, _ noun: String) -> String { "\(n) new \(noun)\(n == 1 ? "" : "s")" }
            return [count(articles, "article"), count(annotations, "annotation"), count(conflicts, "conflict")].joined(separator: ", ")
        }

        /// What `store` shows now that it did not show at `before`.
        static func broughtIn(_ store: Store, since before: Counts) throws -> Counts {
            let after = try Counts(store)
            return Counts(
                articles: max(0, after.articles - before.articles), annotations: max(0, after.annotations - before.annotations),
                conflicts: max(0, after.conflicts - before.conflicts))
        }
    }

    struct Fork: Encodable {
        var origin: String
        var seq: Int64
        var agreed: Int64?
        var frozenHere: Bool
        var frozenThere: Bool
        var isThisReplica: Bool
        /// True when the two sides hold different histories of this replica (else they agree on
        /// the one they hold, and only the proof was new).
        var diverged: Bool
    }

    struct Ignored: Encodable {
        var origin: String?
        var reason: String
    }

    var peer: String
    var inSync: Bool
    var pulledEvents: Int
    var pulledBytes: Int
    var pushedEvents: Int
    var pushedBytes: Int
    var headsBytes: Int
    var totalBytes: Int
    var pages: Int
    /// New articles, annotations and conflicts this store shows after the sync.
    var broughtIn: Counts
    var forks: [Fork]
    var ignoredForkClaims: [Ignored]
    var heldBackHere: Int
    var heldBackThere: Int
    /// Events this store holds that the peer does not, by replica.
    var notDelivered: [String: Int64]
    /// Events the peer holds that this store does not, by replica.
    var notReceived: [String: Int64]
    var stopped: String?

    var failed: Bool { !notDelivered.isEmpty || stopped != nil || forks.contains(where: \.diverged) }

    init(report: SyncReport, store: Store, peer: String, before: Counts) throws {
        let agreed = try store.frozenAt()
        let own = store.replicaID
        self.peer = peer
        inSync = report.inSync
        pulledEvents = report.pulledEvents
        pulledBytes = report.pulledBytes
        pushedEvents = report.pushedEvents
        pushedBytes = report.pushedBytes
        headsBytes = report.headsBytes
        totalBytes = report.totalBytes
        pages = report.pages
        broughtIn = try Counts.broughtIn(store, since: before)
        forks = report.forked.sorted().map { origin in
            let proof = report.frozenHere[origin] ?? report.frozenThere[origin]!
            return Fork(
                origin: origin.rawValue, seq: proof.seq, agreed: proof.agreedSeq, frozenHere: report.frozenHere[origin] != nil,
                frozenThere: report.frozenThere[origin] != nil, isThisReplica: origin.rawValue == own,
                diverged: report.localHeads[origin] != report.peerHeads[origin])
        }
        ignoredForkClaims = report.ignoredClaims.map { Ignored(origin: $0.origin?.rawValue, reason: $0.reason) }
        heldBackHere = report.heldBackHere
        heldBackThere = report.heldBackThere
        notDelivered = Dictionary(uniqueKeysWithValues: report.notDelivered(agreed: agreed).map { ($0.key.rawValue, $0.value) })
        notReceived = Dictionary(uniqueKeysWithValues: report.notReceived(agreed: agreed).map { ($0.key.rawValue, $0.value) })
        stopped = report.stopped?.description
    }

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

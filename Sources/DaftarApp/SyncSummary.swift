import DaftarCore
import DaftarStore
import Foundation

/// What a sync (or a bundle) did, in the analyst's terms: printed as text or JSON.
public struct SyncSummary: Encodable, Sendable {
    public struct Counts: Encodable, Sendable {
        public var articles: Int
        public var annotations: Int
        public var conflicts: Int
        public init(_ store: Store) throws {
            articles = try store.status().articles
            annotations = try store.annotationCount()
            conflicts = try store.conflicts().count
        }
        public init(articles: Int, annotations: Int, conflicts: Int) {
            (self.articles, self.annotations, self.conflicts) = (articles, annotations, conflicts)
        }

        /// "2 new articles, 1 new annotation, 0 new conflicts"
        public var sentence: String {
            func count(_ n: Int, _ noun: String) -> String { "\(n) new \(noun)\(n == 1 ? "" : "s")" }
            return [count(articles, "article"), count(annotations, "annotation"), count(conflicts, "conflict")].joined(separator: ", ")
        }

        /// What `store` shows now that it did not show at `before`.
        public static func broughtIn(_ store: Store, since before: Counts) throws -> Counts {
            let after = try Counts(store)
            return Counts(
                articles: max(0, after.articles - before.articles), annotations: max(0, after.annotations - before.annotations),
                conflicts: max(0, after.conflicts - before.conflicts))
        }
    }

    public struct Fork: Encodable, Sendable {
        public var origin: String
        public var seq: Int64
        public var agreed: Int64?
        public var frozenHere: Bool
        public var frozenThere: Bool
        public var isThisReplica: Bool
        /// True when the two sides hold different histories of this replica (else they agree on
        /// the one they hold, and only the proof was new).
        public var diverged: Bool
    }

    public struct Ignored: Encodable, Sendable {
        public var origin: String?
        public var reason: String
    }

    public var peer: String
    public var inSync: Bool
    public var pulledEvents: Int
    public var pulledBytes: Int
    public var pushedEvents: Int
    public var pushedBytes: Int
    public var headsBytes: Int
    public var totalBytes: Int
    public var pages: Int
    /// New articles, annotations and conflicts this store shows after the sync.
    public var broughtIn: Counts
    public var forks: [Fork]
    public var ignoredForkClaims: [Ignored]
    public var heldBackHere: Int
    public var heldBackThere: Int
    /// Events this store holds that the peer does not, by replica.
    public var notDelivered: [String: Int64]
    /// Events the peer holds that this store does not, by replica.
    public var notReceived: [String: Int64]
    public var stopped: String?

    public var failed: Bool { !notDelivered.isEmpty || stopped != nil || forks.contains(where: \.diverged) }

    public init(report: SyncReport, store: Store, peer: String, before: Counts) throws {
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
}

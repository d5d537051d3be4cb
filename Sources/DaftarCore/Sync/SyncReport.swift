/// What a sync did, and whether both sides now hold the same (DESIGN §5: an honest report).
public struct SyncReport: Sendable, Hashable {
    public var pulledEvents = 0
    /// Events this log held without payload that took the full event from the peer.
    public var restoredEvents = 0
    public var pulledBytes = 0
    public var pushedEvents = 0
    public var pushedBytes = 0
    public var pages = 0
    /// Bytes of the heads exchange (set by the driver).
    public var headsBytes = 0
    /// Events this log did not store because they depend on a frozen history.
    public var heldBackHere = 0
    /// Events the peer did not store for the same reason.
    public var heldBackThere = 0
    /// Forks proven during this sync and frozen here, by origin.
    public var frozenHere: [ReplicaID: ForkProof] = [:]
    /// Forks the peer proved in its push replies (verified here), by origin.
    public var frozenThere: [ReplicaID: ForkProof] = [:]
    /// Fork claims that came without a valid proof: nothing was frozen for them.
    public var ignoredClaims: [IgnoredClaim] = []
    /// Why the session stopped early, if it did.
    public var stopped: StopReason?
    /// The two sides' heads at the end.
    public var localHeads = VersionVector()
    public var peerHeads = VersionVector()
    /// The peer's own replica id, when it said (set by the driver).
    public var peerReplica: ReplicaID?
    /// Origins the peer had frozen when the sync began.
    public var peerFrozen: Set<ReplicaID> = []
    public init() {}

    /// All bytes on the wire.
    public var totalBytes: Int { pulledBytes + pushedBytes + headsBytes }

    /// Origins found forked in this sync, on either side.
    public var forked: Set<ReplicaID> { Set(frozenHere.keys).union(frozenThere.keys) }

    /// True when both sides hold the same heads: "in sync" means exactly this.
    public var inSync: Bool { localHeads == peerHeads }

    /// For each origin, how many events this side holds that the peer does not: by seq, or for
    /// an origin whose two sides hold different histories, everything after `agreed`.
    public func notDelivered(agreed: [ReplicaID: Int64]) -> [ReplicaID: Int64] {
        difference(from: localHeads, to: peerHeads, agreed: agreed)
    }

    /// For each origin, how many events the peer holds that this side does not.
    public func notReceived(agreed: [ReplicaID: Int64]) -> [ReplicaID: Int64] {
        difference(from: peerHeads, to: localHeads, agreed: agreed)
    }

    private func difference(from mine: VersionVector, to theirs: VersionVector, agreed: [ReplicaID: Int64]) -> [ReplicaID: Int64] {
        var out: [ReplicaID: Int64] = [:]
        for (origin, head) in mine.heads {
            let other = theirs[origin]
            if other == head { continue }
            var missing: Int64
            if let shared = agreed[origin] {
                // Forked: what this side holds after the shared part is not the peer's history.
                missing = head.seq - min(shared, other?.seq ?? 0)
            } else {
                missing = head.seq - (other?.seq ?? 0)
                if other?.seq == head.seq { missing = 1 }  // same seq, another event: not theirs
            }
            if missing > 0 { out[origin] = missing }
        }
        return out
    }
}

/// Why a session ended before both sides held the same.
public enum StopReason: Sendable, Hashable, CustomStringConvertible {
    /// The peer acknowledged pushes without its heads advancing.
    case peerDidNotAdvance(rounds: Int)
    /// The peer said it had more but sent nothing new.
    case peerSentNothingNew(rounds: Int)
    /// The session reached its round limit.
    case tooManyRounds(Int)

    public var description: String {
        switch self {
        case .peerDidNotAdvance(let n): "the peer acknowledged \(n) pushes in a row without holding more; stopped pushing"
        case .peerSentNothingNew(let n): "the peer sent \(n) pages in a row with nothing new; stopped pulling"
        case .tooManyRounds(let n): "stopped after \(n) requests"
        }
    }
}

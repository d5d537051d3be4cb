/// Verifies a sequence of events against what a store already holds, as a receiver must
/// before storing any of them (DESIGN §2): each event's own hashes and seal, the chain link to
/// its origin's previous event, contiguous seqs, and causal dependencies present.
///
/// ```swift
/// var verifier = ChainVerifier(heads: store.versionVector)
/// for event in page { try verifier.accept(event) }
/// try verifier.requireSealedHeads()
/// ```
public struct ChainVerifier: Sendable {
    /// The heads as they stand after the events accepted so far.
    public private(set) var heads: VersionVector
    /// For each origin, the seq of its last seal seen (in what was held or accepted).
    private var unsealedFrom: [ReplicaID: Int64] = [:]

    public init(heads: VersionVector) { self.heads = heads }

    /// Verifies `event` and advances its origin's head.
    public mutating func accept(_ event: Event) throws(EventError) {
        try event.verify()
        let name = "\(event.origin):\(event.seq)"
        let head = heads[event.origin]
        let expectedSeq = (head?.seq ?? 0) + 1
        guard event.seq == expectedSeq else {
            throw EventError(.brokenChain, "event \(name) is out of order: expected seq \(expectedSeq) of \(event.origin)")
        }
        guard event.prev == head?.hash else {
            throw EventError(.brokenChain, "event \(name) does not link to its origin's previous event (broken chain)")
        }
        for (origin, seq) in event.clock.entries where origin != event.origin {
            guard (heads[origin]?.seq ?? 0) >= seq else {
                throw EventError(.brokenChain, "event \(name) depends on \(origin):\(seq), which is not present")
            }
        }
        heads[event.origin] = ChainHead(seq: event.seq, hash: event.hash)
        if event.isSeal {
            unsealedFrom[event.origin] = nil
        } else if unsealedFrom[event.origin] == nil {
            unsealedFrom[event.origin] = event.seq
        }
    }

    /// Throws unless every origin's last accepted event is a seal: unsealed events are
    /// not authenticated and must not be stored.
    public func requireSealedHeads() throws(EventError) {
        if let (origin, seq) = unsealedFrom.min(by: { $0.key < $1.key }) {
            throw EventError(.unsealed, "events of \(origin) from seq \(seq) on are not covered by a seal")
        }
    }
}

/// What a page holds (DESIGN §5), as a pure planner a log adapter feeds: the events a
/// requester lacks after `request.have`, in the log's order (a causal order), only those the
/// requester can accept (their dependencies sent or held), each origin's last event a seal,
/// within the byte budget.
///
/// Forks: where the requester's head of an origin is not the event this log holds at that
/// seq, nothing more of that origin can follow, and the page leads with this log's chain from
/// that dot up to a seal — the requester holds the other event, so it now has a fork proof in
/// hand (unless it says it froze the origin already). When the requester sent checkpoints for
/// an origin, the chain starts just after the highest checkpoint both hold, so the requester
/// finds the exact seq where the histories part. Origins frozen here travel as their proofs;
/// their events are still sent to a requester whose history of them is a prefix of ours: no
/// log ever holds two histories of one origin, and logs converge on the one that reached them.
///
/// ```swift
/// var planner = PagePlanner(request: request, heads: heads, frozen: frozen, hashes: lookups)
/// for chain in planner.evidenceStarts { planner.offerEvidence(log.chainToSeal(from: chain)) }
/// for (event, size) in log.events(from: planner.startDots) where planner.offer(event, size: size) {}
/// let page = planner.page()
/// ```
public struct PagePlanner: Sendable {
    public let request: PullRequest
    public let heads: VersionVector
    /// Where this log's evidence chains start (one per contradicted origin), and the seq each
    /// must reach before it may end at a seal.
    public private(set) var evidenceStarts: [Dot] = []
    public private(set) var evidenceThrough: [ReplicaID: Int64] = [:]
    /// The first dot the requester lacks, per origin sent: the adapter reads the log from the
    /// earliest of these.
    public private(set) var startDots: [Dot] = []
    private let proofs: [ForkProof]
    /// Whole events for dots the requester holds without payload.
    private var payloads: [Event] = []
    private var builder: PageBuilder
    private var sent: VectorClock
    private var blocked: Set<ReplicaID>
    private var more = false

    /// - Parameters:
    ///   - frozen: this log's frozen origins, each with the last seq both histories share and its proof.
    ///   - hashes: this log's hashes at the requester's head seqs and checkpoint seqs it holds
    ///     (``dotsToLookUp(for:heads:)``).
    public init(request: PullRequest, heads: VersionVector, frozen: [ReplicaID: FrozenOrigin], hashes: [Dot: String]) {
        self.request = request
        self.heads = heads
        builder = PageBuilder(maxBytes: request.maxBytes)
        var excluded = request.exclude
        var sent = request.have.clock
        for (origin, theirs) in request.have.heads where !request.exclude.contains(origin) {
            guard let ours = hashes[Dot(origin: origin, seq: theirs.seq)], ours != theirs.hash else { continue }
            // Contradicted: the two sides hold different histories of this origin; nothing of
            // ours can follow theirs.
            excluded.insert(origin)
            var start = theirs.seq
            if let checkpoints = request.checkpoints[origin] {
                // From just after the last checkpoint both hold, through the first one that
                // differs: the requester finds the exact seq where the histories part.
                let held = checkpoints.filter { hashes[Dot(origin: origin, seq: $0.seq)] != nil }
                let agreed = held.filter { hashes[Dot(origin: origin, seq: $0.seq)] == $0.hash }.map(\.seq).max() ?? 0
                let differs = held.filter { $0.seq > agreed && hashes[Dot(origin: origin, seq: $0.seq)] != $0.hash }.map(\.seq).min()
                start = agreed + 1
                evidenceThrough[origin] = differs ?? theirs.seq
            } else if request.frozenAt[origin] != nil {
                sent[origin] = min(sent[origin], request.frozenAt[origin]!)
                continue  // the requester already holds a proof: no evidence needed
            }
            // Send our chain from the dot where the requester can see the fork.
            evidenceStarts.append(Dot(origin: origin, seq: start))
            sent[origin] = min(sent[origin], start - 1)
        }
        // A forked origin whose requester holds more of it than we do: we cannot confirm its
        // history is ours, so nothing depending on it beyond the shared part is sent.
        for (origin, theirs) in request.have.heads where !excluded.contains(origin) && (heads[origin]?.seq ?? 0) < theirs.seq {
            guard let shared = frozen[origin]?.agreed ?? request.frozenAt[origin] else { continue }
            sent[origin] = min(sent[origin], shared)
        }
        for (origin, head) in heads.heads where !excluded.contains(origin) && head.seq > sent[origin] {
            startDots.append(Dot(origin: origin, seq: sent[origin] + 1))
        }
        self.sent = sent
        // Not sent: excluded by the requester, or contradicted.
        blocked = excluded
        // Proofs of what we froze, unless the requester froze it too, as precisely.
        proofs = frozen.filter { origin, mine in
            !request.exclude.contains(origin) && (request.frozenAt[origin].map { $0 < mine.agreed } ?? true)
        }.sorted { $0.key < $1.key }.compactMap(\.value.proof)
    }

    /// The dots whose hashes the planner needs from the log.
    public static func dotsToLookUp(for request: PullRequest, heads: VersionVector) -> [Dot] {
        var dots: [Dot] = []
        for (origin, theirs) in request.have.heads where (heads[origin]?.seq ?? 0) >= theirs.seq {
            dots.append(Dot(origin: origin, seq: theirs.seq))
            for point in request.checkpoints[origin] ?? [] where point.seq <= (heads[origin]?.seq ?? 0) {
                dots.append(Dot(origin: origin, seq: point.seq))
            }
        }
        return dots
    }

    /// The dots the requester holds without payload: the adapter offers those it holds whole.
    public var payloadlessWanted: [Dot] { request.payloadless }

    /// Whole events for the requester's payloadless copies (they need no seal: the requester
    /// holds them already, and their dataHash proves the payload).
    public mutating func offerPayloads(_ events: [Event]) {
        payloads += events.filter { $0.data != nil }.prefix(PullRequest.maxPayloadless - payloads.count)
    }

    /// A contradicted origin's chain from its evidence start up to a seal, from this log.
    public mutating func offerEvidence(_ chain: [Event], sizes: [Int]) {
        for (event, size) in zip(chain, sizes) where !builder.isFull && event.data != nil { builder.offer(event, size: size) }
    }

    /// False when the event at `(origin, seq)` would be skipped anyway: the adapter need not
    /// read it.
    public func wants(_ origin: ReplicaID, _ seq: Int64) -> Bool {
        !blocked.contains(origin) && seq > sent[origin]
    }

    /// Offers the next event in log order; returns false once the page is full.
    public mutating func offer(_ event: Event, size: Int) -> Bool {
        let origin = event.origin
        if blocked.contains(origin) || event.seq <= sent[origin] { return true }
        // A copy this log holds without its payload cannot be sent (receivers refuse it):
        // nothing of that origin after it either.
        guard event.data != nil else {
            blocked.insert(origin)
            return true
        }
        // Only what the requester can accept: its predecessor and dependencies sent or held.
        guard event.seq == sent[origin] + 1, event.clock.entries.allSatisfy({ o, n in o == origin || sent[o] >= n }) else {
            blocked.insert(origin)
            return true
        }
        guard builder.offer(event, size: size) else {
            more = true
            return false
        }
        sent[origin] = event.seq
        return true
    }

    /// The page: what was offered up to the last point where every origin ended on a seal.
    public func page() -> Page {
        Page(events: payloads + builder.events, heads: heads, more: more, forks: proofs)
    }
}

/// An origin frozen in a log: the last seq both of its histories share, and the proof.
public struct FrozenOrigin: Sendable, Hashable {
    public var agreed: Int64
    /// Nil only for origins frozen by an older Daftar, before proofs existed.
    public var proof: ForkProof?
    public init(agreed: Int64, proof: ForkProof?) {
        self.agreed = agreed
        self.proof = proof
    }
}

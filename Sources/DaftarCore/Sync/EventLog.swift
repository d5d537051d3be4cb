/// All that sync knows of storage (DESIGN §1): a log that can say what it holds, cut a page
/// for a peer, store a verified page, and freeze an origin on proof. The SQLite store, the
/// in-memory test log and the PostgreSQL hub implement it; what a page holds and what a receive
/// accepts are decided by ``PagePlanner`` and ``ReceivePlanner``, so every log applies the same
/// rules.
public protocol EventLog: Sendable {
    /// This log's own replica id, when it writes events of its own (a relay has none).
    func replica() async throws -> ReplicaID?
    /// Each origin's head.
    func heads() async throws -> VersionVector
    /// Frozen origins, with the last agreed seq and the proof.
    func frozen() async throws -> [ReplicaID: FrozenOrigin]
    /// A page of what a requester lacks (``PagePlanner``).
    func page(for request: PullRequest) async throws -> Page
    /// Stores a verified page in one transaction (``ReceivePlanner/plan(_:held:)``), freezing
    /// the origins it proves forked.
    func receive(_ page: VerifiedPage) async throws -> ReceiveResult
    /// Freezes an origin on a verified proof; false when it was frozen at least as precisely already.
    func freeze(_ proof: ForkProof) async throws -> Bool
    /// Hashes of an origin's chain at its head, then 1, 2, 4 … seqs back, and at seq 1.
    func checkpoints(for origins: Set<ReplicaID>) async throws -> [ReplicaID: [ChainHead]]
    /// Events held without their payload (accepted by an earlier version from a peer that
    /// stripped them), to ask peers for; at most `limit`.
    func payloadless(limit: Int) async throws -> [Dot]
    /// A page as sent: its canonical JSON (a log that keeps its events' bytes may splice them).
    func encode(_ page: Page) -> [UInt8]
    /// Whether this log's calls hold their thread while they work (SQLite) rather than
    /// suspending (PostgreSQL): a server then makes them take turns, so that its few async
    /// threads are never all held by pages being stored while a quick question (heads) waits.
    var blocksItsThread: Bool { get }
}

/// What storing a received page did.
public struct ReceiveResult: Sendable, Hashable {
    /// Events newly stored.
    public var stored: Int
    /// Forks this page proved, now frozen.
    public var forks: [ForkProof]
    /// Events not stored because they depend on a frozen history, or belong to a frozen origin.
    public var heldBack: Int
    /// Copies held without their payload that took the full event.
    public var restored: Int

    public init(stored: Int, forks: [ForkProof] = [], heldBack: Int = 0, restored: Int = 0) {
        (self.stored, self.forks, self.heldBack, self.restored) = (stored, forks, heldBack, restored)
    }

    /// The origins frozen by this page.
    public var forked: Set<ReplicaID> { Set(forks.map(\.origin)) }
}

extension EventLog {
    public var blocksItsThread: Bool { false }

    public func encode(_ page: Page) -> [UInt8] { page.json.canonicalBytes }

    /// Freezes on each claim that carries a valid proof, and returns what happened to each.
    public func consider(_ claims: [ForkClaim]) async throws -> ClaimOutcome {
        var outcome = ClaimOutcome()
        for claim in claims {
            switch claim {
            case .unreadable(let origin, let why, _):
                outcome.ignored.append(IgnoredClaim(origin: origin, reason: why))
            case .proof(let proof):
                do throws(ForkProofError) {
                    try proof.verify()
                } catch {
                    outcome.ignored.append(IgnoredClaim(origin: proof.origin, reason: error.message))
                    continue
                }
                outcome.verified.append(proof)
                if try await freeze(proof) { outcome.frozen.append(proof) }
            }
        }
        return outcome
    }
}

/// What became of a peer's fork claims.
public struct ClaimOutcome: Sendable, Hashable {
    /// Every claim whose proof verified, whether or not it changed anything here.
    public var verified: [ForkProof] = []
    /// Verified proofs that froze an origin here (or located its fork more precisely).
    public var frozen: [ForkProof] = []
    /// Claims without a valid proof: nothing was frozen for them.
    public var ignored: [IgnoredClaim] = []
    public init() {}
}

/// A fork claim that was not believed, and why.
public struct IgnoredClaim: Sendable, Hashable {
    public var origin: ReplicaID?
    public var reason: String
    public init(origin: ReplicaID?, reason: String) {
        self.origin = origin
        self.reason = reason
    }
}

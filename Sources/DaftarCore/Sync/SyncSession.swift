/// One sync with a peer, as a state machine (STYLE 2): it decides what to ask for and when it
/// is done; a driver carries out its actions against the local log and a carrier (in memory,
/// HTTP, a bundle) and reports back with an ``Input``.
///
/// 1. fetch the peer's heads: the pull target is what the peer holds now;
/// 2. pull pages of what the local log lacks until it holds the target, or the peer has
///    nothing more it can send;
/// 3. push pages of what the peer lacks until the peer holds what the local log held when the
///    push began, or nothing more can be sent.
///
/// Every state handles every input explicitly: an input a state does not expect ends the
/// session with ``Action/fail(_:)``, never a silent finish. A session always ends: a peer that
/// acknowledges pushes without advancing its heads, or sends pages with nothing new, ends it
/// after ``maxIdleRounds`` rounds, and no session runs more than ``maxRounds``.
public struct SyncSession: Sendable {
    public enum Action: Sendable, Equatable {
        /// Ask the peer for its heads.
        case fetchHeads
        /// Ask the peer for a page of what we lack.
        case pull(PullRequest)
        /// Send the peer a page of what it lacks (it holds `peerHeads`), with the proofs of
        /// forks it has not frozen.
        case push(peerHeads: VersionVector)
        /// Finished; the report says whether both sides now hold the same.
        case done(SyncReport)
        /// The driver fed an input this state cannot take: a bug, reported, never hidden.
        case fail(String)
    }

    /// What the driver reports back.
    public enum Input: Sendable {
        /// The peer's heads, and the origins it has frozen.
        case heads(VersionVector, frozen: Set<ReplicaID>)
        /// A pulled page was stored; `local` is the log's version vector afterwards.
        case pulled(PullOutcome)
        /// The peer answered a push (or there was nothing to push: `sent == 0`).
        case pushed(PushOutcome)
    }

    enum State: Sendable, Equatable {
        case idle
        case awaitingHeads
        case pulling(target: VersionVector)
        case pushing(target: VersionVector)
        case finished
    }

    /// Rounds in a row without progress before the session gives up on the peer.
    public static let maxIdleRounds = 3
    /// Most requests in one session.
    public static let maxRounds = 100_000

    private(set) var state: State = .idle
    private var local: VersionVector
    private var peer = VersionVector()
    public private(set) var report = SyncReport()
    /// Origins known forked (frozen locally, or found during this sync): reported, and their
    /// histories are exchanged only where one side's is a prefix of the other's (the planners
    /// decide that), so they do not count against "holding the target".
    public private(set) var forked: Set<ReplicaID>
    /// Forked origins whose checkpoints have not been sent yet: the next pull carries them.
    private var needsAgreement: Set<ReplicaID> = []
    private var askedAgreement: Set<ReplicaID> = []
    private var idleRounds = 0
    private var rounds = 0
    /// The highest seq the peer has claimed to hold, per origin we push.
    private var bestPeer: [ReplicaID: Int64] = [:]
    /// Forks the peer knows of (frozen there, or whose proofs a push carried).
    private var peerKnows: Set<ReplicaID> = []

    /// Whether to pull once even when holding the peer's heads: the local log holds events
    /// without their payload, which the peer may send whole.
    private var wantsPayloads: Bool

    public init(local: VersionVector, frozen: Set<ReplicaID> = [], payloadless: Bool = false) {
        self.local = local
        self.forked = frozen
        self.wantsPayloads = payloadless
    }

    /// The first action.
    public mutating func start() -> Action {
        switch state {
        case .idle:
            state = .awaitingHeads
            return .fetchHeads
        case .awaitingHeads, .pulling, .pushing, .finished:
            return fail("start() called twice")
        }
    }

    /// The next action after `input`.
    public mutating func handle(_ input: Input) -> Action {
        rounds += 1
        if rounds > Self.maxRounds, state != .finished {
            report.stopped = .tooManyRounds(Self.maxRounds)
            return finish()
        }
        switch (state, input) {
        case (.awaitingHeads, .heads(let heads, let frozen)):
            peer = heads
            report.peerHeads = heads
            report.peerFrozen = frozen
            peerKnows = frozen
            bestPeer = heads.heads.mapValues(\.seq)
            return nextPull(target: heads)

        case (.pulling(let target), .pulled(let outcome)):
            report.pulledEvents += outcome.stored
            report.restoredEvents += outcome.restored
            report.pulledBytes += outcome.bytes
            report.heldBackHere += outcome.heldBack
            report.pages += 1
            local = outcome.local
            for proof in outcome.forks { found(proof, frozenHere: true) }
            report.ignoredClaims += outcome.ignored
            // Newly found forks whose agreed seq is unknown: ask once more with checkpoints,
            // so that the peer can show where the histories part.
            if !needsAgreement.isEmpty { return pullRequest() }
            let progressed = outcome.stored > 0 || outcome.restored > 0 || !outcome.forks.isEmpty
            idleRounds = progressed ? 0 : idleRounds + 1
            if holds(target) || !outcome.more { return startPush() }
            if idleRounds >= Self.maxIdleRounds {
                report.stopped = .peerSentNothingNew(rounds: idleRounds)
                return startPush()
            }
            return pullRequest()

        case (.pushing(let target), .pushed(let outcome)):
            report.pushedEvents += outcome.accepted
            report.pushedBytes += outcome.bytes
            report.heldBackThere += outcome.heldBack
            if outcome.sent > 0 { report.pages += 1 }
            report.ignoredClaims += outcome.ignored
            for proof in outcome.forks { found(proof, frozenHere: false) }
            // Progress only on what we push, against the most the peer ever claimed to hold:
            // a peer cannot fake it with made-up origins or heads that go back and forth.
            let advanced = target.heads.keys.contains { origin in (outcome.peerHeads[origin]?.seq ?? 0) > (bestPeer[origin] ?? 0) }
            for (origin, head) in outcome.peerHeads.heads where target[origin] != nil { bestPeer[origin] = max(bestPeer[origin] ?? 0, head.seq) }
            peer = outcome.peerHeads
            report.peerHeads = peer
            // A fork found by this push whose shared part is unknown: locate it with
            // checkpoints before going on (the push resumes from the heads just received).
            if !needsAgreement.isEmpty {
                state = .pulling(target: peer)
                return pullRequest()
            }
            if outcome.sent == 0 { return finish() }  // nothing more we can send
            idleRounds = advanced || !outcome.forks.isEmpty ? 0 : idleRounds + 1
            if idleRounds >= Self.maxIdleRounds {
                report.stopped = .peerDidNotAdvance(rounds: idleRounds)
                return finish()
            }
            return nextPush(target: target)

        case (.idle, _), (.awaitingHeads, _), (.pulling, _), (.pushing, _):
            return fail("unexpected \(input.name) while \(state.name)")
        case (.finished, _):
            return fail("\(input.name) after the session finished")
        }
    }

    /// True when `vv` (default: the local log) holds at least `target` for every origin.
    func holds(_ target: VersionVector, in vv: VersionVector? = nil) -> Bool {
        let have = vv ?? local
        return target.heads.allSatisfy { origin, head in (have[origin]?.seq ?? 0) >= head.seq }
    }

    private mutating func found(_ proof: ForkProof, frozenHere: Bool) {
        let origin = proof.origin
        let narrower = forked.contains(origin) && proof.agreedSeq != nil
        if frozenHere {
            report.frozenHere[origin] = proof
            // A proof that locates a known fork more precisely goes to the peer too.
            if narrower { peerKnows.remove(origin) }
        } else {
            report.frozenThere[origin] = proof
            peerKnows.insert(origin)
        }
        forked.insert(origin)
        if proof.agreedSeq == nil, !askedAgreement.contains(origin) { needsAgreement.insert(origin) }
    }

    private mutating func nextPull(target: VersionVector) -> Action {
        if holds(target) && needsAgreement.isEmpty && !wantsPayloads { return startPush() }
        wantsPayloads = false
        state = .pulling(target: target)
        return pullRequest()
    }

    private mutating func pullRequest() -> Action {
        var request = PullRequest(have: local)
        request.checkpointOrigins = needsAgreement
        askedAgreement.formUnion(needsAgreement)
        needsAgreement = []
        return .pull(request)
    }

    private mutating func startPush() -> Action {
        idleRounds = 0
        return nextPush(target: local)
    }

    private mutating func nextPush(target: VersionVector) -> Action {
        // Done when the peer holds the target and knows every fork we proved.
        if holds(target, in: peer) && forked.isSubset(of: peerKnows) { return finish() }
        state = .pushing(target: target)
        peerKnows.formUnion(forked)  // the push carries their proofs
        return .push(peerHeads: peer)
    }

    private mutating func finish() -> Action {
        state = .finished
        report.localHeads = local
        return .done(report)
    }

    private mutating func fail(_ why: String) -> Action {
        state = .finished
        return .fail("sync session: \(why)")
    }
}

/// What storing a pulled page did, as the driver reports it.
public struct PullOutcome: Sendable {
    public var stored: Int
    /// Payloadless copies that took the full event.
    public var restored = 0
    public var heldBack: Int
    /// Page bytes on the wire.
    public var bytes: Int
    /// Whether the peer said it holds more.
    public var more: Bool
    /// Forks frozen here because of this page: found in it, or proven by its claims.
    public var forks: [ForkProof]
    /// Fork claims in the page that carried no valid proof.
    public var ignored: [IgnoredClaim]
    /// The local log's heads afterwards.
    public var local: VersionVector

    public init(stored: Int, heldBack: Int = 0, bytes: Int, more: Bool, forks: [ForkProof] = [], ignored: [IgnoredClaim] = [], local: VersionVector) {
        (self.stored, self.heldBack, self.bytes, self.more, self.forks, self.ignored, self.local) = (stored, heldBack, bytes, more, forks, ignored, local)
    }
}

/// The peer's answer to a push, as the driver reports it.
public struct PushOutcome: Sendable {
    /// Events sent; 0 when there was nothing left to send.
    public var sent: Int
    public var accepted: Int
    public var heldBack: Int
    public var bytes: Int
    public var peerHeads: VersionVector
    /// Forks the peer proved (verified here), from its reply.
    public var forks: [ForkProof]
    public var ignored: [IgnoredClaim]

    public init(sent: Int, accepted: Int, heldBack: Int = 0, bytes: Int, peerHeads: VersionVector, forks: [ForkProof] = [], ignored: [IgnoredClaim] = []) {
        (self.sent, self.accepted, self.heldBack, self.bytes, self.peerHeads, self.forks, self.ignored) = (sent, accepted, heldBack, bytes, peerHeads, forks, ignored)
    }
}

extension SyncSession.Input {
    var name: String {
        switch self {
        case .heads: "heads"
        case .pulled: "a pulled page"
        case .pushed: "a push reply"
        }
    }
}

extension SyncSession.State {
    var name: String {
        switch self {
        case .idle: "not started"
        case .awaitingHeads: "awaiting heads"
        case .pulling: "pulling"
        case .pushing: "pushing"
        case .finished: "finished"
        }
    }
}

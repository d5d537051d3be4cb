/// One sync with a peer, as a state machine (STYLE 2): it decides what to ask for and when it
/// is done; a driver carries out its actions against the local store and a transport (in
/// memory, HTTP, a bundle) and reports back.
///
/// 1. fetch the peer's heads: the pull target is what the peer holds now;
/// 2. pull pages of what the local store lacks until it holds the target (each page verified
///    whole and committed by the driver);
/// 3. push pages of what the peer lacks until the peer acknowledges holding what the local
///    store held when the push began.
///
/// Origins found forked (two different events at one dot: equivocation) are excluded on both
/// sides from then on; every other origin still syncs.
public struct SyncSession: Sendable {
    public enum Action: Sendable, Equatable {
        /// Ask the peer for its heads.
        case fetchHeads
        /// Ask the peer for a page of what we lack.
        case pull(PullRequest)
        /// Send the peer a page of what it lacks (it holds `peerHeads`), leaving out `exclude`.
        case push(peerHeads: VersionVector, exclude: Set<ReplicaID>)
        /// Finished.
        case done(SyncReport)
    }

    enum State: Sendable {
        case start
        case awaitingHeads
        case pulling(target: VersionVector)
        case pushing(target: VersionVector)
        case finished
    }

    private var state: State = .start
    private var local: VersionVector
    private var peer = VersionVector()
    public private(set) var report = SyncReport()
    /// Origins not to exchange: frozen locally, or found forked during this sync.
    public private(set) var excluded: Set<ReplicaID>
    /// Forked origins whose checkpoints have not been sent yet: the next pull carries them.
    private var needsAgreement: Set<ReplicaID> = []
    private var askedAgreement: Set<ReplicaID> = []

    public init(local: VersionVector, frozen: Set<ReplicaID> = []) {
        self.local = local
        self.excluded = frozen
    }

    /// The first action.
    public mutating func start() -> Action {
        state = .awaitingHeads
        return .fetchHeads
    }

    /// The peer's heads arrived.
    public mutating func receivedHeads(_ heads: VersionVector) -> Action {
        peer = heads
        // Same seq, other hash: the two sides hold different events at one dot.
        for (origin, theirs) in heads.heads {
            if let mine = local[origin], mine.seq == theirs.seq, mine.hash != theirs.hash { fork(origin) }
        }
        return nextPull(target: heads)
    }

    /// A pulled page was stored; `local` is the store's version vector afterwards.
    public mutating func pulled(_ page: Page, stored: Int, bytes: Int, local: VersionVector) -> Action {
        report.pulledEvents += stored
        report.pulledBytes += bytes
        report.pages += 1
        self.local = local
        for origin in page.forked { fork(origin) }
        for (origin, seq) in page.agreed { report.agreed[origin] = seq }
        guard case .pulling(let target) = state else { return finish() }
        // Newly found forks: ask once more with checkpoints, so that the peer can send what
        // does not depend on the other history.
        if !needsAgreement.isEmpty { return pullRequest() }
        if page.events.isEmpty || stored == 0 || !page.more && !holds(target) {
            // The peer has nothing more for us: whatever is missing is excluded or forked.
            return startPush()
        }
        return nextPull(target: target)
    }

    /// The peer stored a pushed page and now holds `heads`.
    public mutating func pushed(events: Int, bytes: Int, peerHeads: VersionVector, forked: Set<ReplicaID>) -> Action {
        report.pushedEvents += events
        report.pushedBytes += bytes
        report.pages += 1
        peer = peerHeads
        for origin in forked { fork(origin) }
        guard case .pushing(let target) = state else { return finish() }
        if events == 0 { return finish() }  // nothing more we can send
        return nextPush(target: target)
    }

    /// True when `local` holds at least `target` for every origin not excluded.
    func holds(_ target: VersionVector, in vv: VersionVector? = nil) -> Bool {
        let have = vv ?? local
        return target.heads.allSatisfy { origin, head in excluded.contains(origin) || (have[origin]?.seq ?? 0) >= head.seq }
    }

    private mutating func fork(_ origin: ReplicaID) {
        if excluded.insert(origin).inserted { report.forked.insert(origin) }
        if !askedAgreement.contains(origin) { needsAgreement.insert(origin) }
    }

    private mutating func nextPull(target: VersionVector) -> Action {
        if holds(target) && needsAgreement.isEmpty { return startPush() }
        state = .pulling(target: target)
        return pullRequest()
    }

    private mutating func pullRequest() -> Action {
        var request = PullRequest(have: local, exclude: excluded)
        request.checkpointOrigins = needsAgreement
        askedAgreement.formUnion(needsAgreement)
        needsAgreement = []
        return .pull(request)
    }

    private mutating func startPush() -> Action {
        nextPush(target: local)
    }

    private mutating func nextPush(target: VersionVector) -> Action {
        if holds(target, in: peer) { return finish() }
        state = .pushing(target: target)
        return .push(peerHeads: peer, exclude: excluded)
    }

    private mutating func finish() -> Action {
        state = .finished
        return .done(report)
    }
}

/// What a sync moved.
public struct SyncReport: Sendable, Hashable {
    public var pulledEvents = 0
    public var pulledBytes = 0
    public var pushedEvents = 0
    public var pushedBytes = 0
    public var pages = 0
    /// Origins found to equivocate: frozen at the last agreed event.
    public var forked: Set<ReplicaID> = []
    /// For forked origins, the last seq both histories share, where known.
    public var agreed: [ReplicaID: Int64] = [:]
    /// Bytes of the heads exchange (set by the driver).
    public var headsBytes = 0
    /// All bytes on the wire.
    public var totalBytes: Int { pulledBytes + pushedBytes + headsBytes }
    public init() {}
}

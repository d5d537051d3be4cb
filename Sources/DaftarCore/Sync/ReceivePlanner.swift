/// What a receive accepts (DESIGN §2, §5), as a pure planner that every log (SQLite, in
/// memory, PostgreSQL) applies the same way.
///
/// Two steps, so that no signature is checked while a write transaction is open:
///
/// 1. ``verify(_:)`` — before any transaction: every event's own hashes and seal, its `data`
///    present, adjacent events of one origin linked, and which events a seal in the page
///    authenticates through its chain. Anything wrong refuses the whole page, naming the
///    event — even when the store already holds an event at its dot.
/// 2. ``plan(_:held:)`` — inside the log's transaction, against what it holds: which events
///    are new and storable, which contradict a held event (a fork, proven by the page's sealed
///    chain together with the log's own), which are held back because they depend on a frozen
///    history, and which refuse the page (a chain that does not continue the held one without
///    proof, a missing dependency).
public enum ReceivePlanner {
    /// Checks what a page proves on its own. Throws naming the first bad event.
    public static func verify(_ events: [Event]) throws(DaftarError) -> VerifiedPage {
        for event in events {
            do throws(EventError) {
                try event.verify()
            } catch {
                throw DaftarError(.invalidEvent, "refused \(error.message); nothing from this page was stored", cause: error)
            }
            guard event.data != nil else {
                throw DaftarError(
                    .invalidEvent,
                    "refused event \(event.dot): it carries no data (stripped in transit?) and no redaction by \(event.origin) covers it; nothing from this page was stored")
            }
        }
        // Adjacent events of one origin must link: a forged link is named here.
        var last: [ReplicaID: Event] = [:]
        for event in events {
            if let before = last[event.origin], event.seq == before.seq + 1, event.prev != before.hash {
                throw DaftarError(
                    .invalidEvent,
                    "refused event \(event.dot): it does not link to \(before.dot) before it (broken chain); nothing from this page was stored")
            }
            last[event.origin] = event
        }
        // Authenticated: a seal, or an event whose successor in the page links to it and is
        // authenticated. Walk each origin from its highest seq down.
        var successors: [String: [Event]] = [:]
        for event in events { if let prev = event.prev { successors[prev, default: []].append(event) } }
        var covered: Set<String> = []
        for event in events.sorted(by: { ($0.origin, $1.seq) < ($1.origin, $0.seq) }) {
            if event.isSeal || (successors[event.hash] ?? []).contains(where: { $0.origin == event.origin && $0.seq == event.seq + 1 && covered.contains($0.hash) }) {
                covered.insert(event.hash)
            }
        }
        return VerifiedPage(events: events, covered: covered)
    }

    /// Decides what to do with a verified page given what the log holds.
    public static func plan(_ page: VerifiedPage, held: HeldState) throws(DaftarError) -> ReceivePlan {
        var plan = ReceivePlan()
        var heads = held.heads
        var frozenAt = held.frozenAt
        // Origins whose later events in this page are not stored: forked here, or held back.
        // A frozen origin's events that continue the history this log holds are stored like
        // any other: a log never holds two histories of one origin.
        var skipped: Set<ReplicaID> = []
        for event in page.events {
            let origin = event.origin
            if let head = heads[origin], event.seq <= head.seq {
                // A dot we hold: the same event (re-sent), or a contradiction.
                guard let ours = held.hashes[event.dot], ours != event.hash else {
                    // Re-sent; or the full event for a copy held without its payload.
                    if held.redacted.contains(event.dot), held.hashes[event.dot] == event.hash, !plan.restore.contains(where: { $0.dot == event.dot }) {
                        plan.restore.append(event)
                    }
                    continue
                }
                // Already proven, unless this narrows down where the histories part.
                let agreedHere: Int64? =
                    event.seq == 1 ? 0 : (held.hashes[Dot(origin: origin, seq: event.seq - 1)] == event.prev ? event.seq - 1 : nil)
                if let known = frozenAt[origin], known >= (agreedHere ?? 0) || plan.contradictions.contains(where: { $0.origin == origin }) {
                    skipped.insert(origin)  // the other history: nothing of it can follow ours
                    continue
                }
                // The page's chain from here up to a seal is authenticated, and so is ours: a proof.
                guard page.covered.contains(event.hash) else {
                    throw DaftarError(
                        .invalidEvent,
                        "refused event \(event.dot): it contradicts the event this store holds at that seq, and no seal of \(origin) in the page covers it, so it proves nothing; nothing from this page was stored")
                }
                let chain = page.chain(from: event)
                plan.contradictions.append(Contradiction(origin: origin, seq: event.seq, theirs: chain, agreed: agreedHere))
                frozenAt[origin] = agreedHere ?? 0
                skipped.insert(origin)
                continue
            }
            if skipped.contains(origin) {
                plan.heldBack[origin, default: 0] += 1
                continue
            }
            guard page.covered.contains(event.hash) else {
                throw DaftarError(
                    .invalidEvent,
                    "refused event \(event.dot): no seal of \(origin) in the page covers it, so nothing authenticates it; nothing from this page was stored")
            }
            let expected = (heads[origin]?.seq ?? 0) + 1
            guard event.seq == expected else {
                throw DaftarError(.invalidEvent, "refused event \(event.dot): this store holds \(origin) only up to seq \(expected - 1) (out of order); nothing from this page was stored")
            }
            guard event.prev == heads[origin]?.hash else {
                throw DaftarError(
                    .invalidEvent,
                    "refused event \(event.dot): it does not continue the history of \(origin) this store holds, and the page carries no sealed event at a held seq to prove a fork; nothing from this page was stored")
            }
            // Causal delivery: everything in its clock held, or stored earlier in this page.
            var holdBack = false
            for (dependency, seq) in event.clock.entries where dependency != origin {
                if frozenAt[dependency] != nil, seq > (heads[dependency]?.seq ?? 0) {
                    holdBack = true  // depends on a forked origin's history beyond what this log holds
                } else if skipped.contains(dependency), seq > (heads[dependency]?.seq ?? 0) {
                    holdBack = true  // depends on events of this page that were not stored
                } else if (heads[dependency]?.seq ?? 0) < seq {
                    throw DaftarError(.invalidEvent, "refused event \(event.dot): it depends on \(dependency):\(seq), which this store does not hold; nothing from this page was stored")
                }
            }
            if holdBack {
                skipped.insert(origin)
                plan.heldBack[origin, default: 0] += 1
                continue
            }
            heads[origin] = ChainHead(seq: event.seq, hash: event.hash)
            plan.store.append(event)
        }
        // A stored origin must end on a seal: the page's own last event of it is one, but a
        // hold-back may have cut it earlier. Drop the unsealed tail of such an origin.
        var tailStart: [ReplicaID: Int] = [:]
        for (i, event) in plan.store.enumerated() {
            if event.isSeal { tailStart[event.origin] = nil } else if tailStart[event.origin] == nil { tailStart[event.origin] = i }
        }
        if !tailStart.isEmpty {
            // Dropping an unsealed tail may orphan later events that depend on it: hold back
            // everything of those origins from the first dropped event on.
            var cut: [ReplicaID: Int64] = [:]
            for (origin, i) in tailStart { cut[origin] = plan.store[i].seq }
            var kept: [Event] = []
            for event in plan.store {
                if let from = cut[event.origin], event.seq >= from {
                    plan.heldBack[event.origin, default: 0] += 1
                    continue
                }
                if event.clock.entries.contains(where: { o, n in o != event.origin && (cut[o].map { n >= $0 } ?? false) }) {
                    cut[event.origin] = event.seq
                    plan.heldBack[event.origin, default: 0] += 1
                    continue
                }
                kept.append(event)
            }
            plan.store = kept
        }
        return plan
    }
}

/// A page whose events each verified, with the ones a seal in the page authenticates: made
/// only by ``ReceivePlanner/verify(_:)``.
public struct VerifiedPage: Sendable {
    public let events: [Event]
    /// Hashes of the events a seal in the page authenticates (the seal itself, or through the
    /// chain from it). An event not covered is storable only if the log holds it already.
    let covered: Set<String>
    fileprivate init(events: [Event], covered: Set<String>) {
        self.events = events
        self.covered = covered
    }

    /// The page's chain from `event` up to and including the seal that covers it.
    func chain(from event: Event) -> [Event] {
        var chain = [event]
        var last = event
        while !last.isSeal, let next = events.first(where: { $0.origin == last.origin && $0.seq == last.seq + 1 && $0.prev == last.hash && covered.contains($0.hash) }) {
            chain.append(next)
            last = next
        }
        return chain
    }

    /// For each origin in the page, the seqs it covers (what a log looks up its own hashes for).
    public var ranges: [ReplicaID: ClosedRange<Int64>] {
        var out: [ReplicaID: ClosedRange<Int64>] = [:]
        for event in events {
            if let r = out[event.origin] { out[event.origin] = min(r.lowerBound, event.seq)...max(r.upperBound, event.seq) } else { out[event.origin] = event.seq...event.seq }
        }
        return out
    }
}

/// What a log holds, as far as a page needs to know.
public struct HeldState: Sendable {
    public var heads: VersionVector
    /// Frozen origins and the last seq both of their histories share.
    public var frozenAt: [ReplicaID: Int64]
    /// The log's hashes at the page's dots it holds, and at the dot before each origin's first
    /// one (to tell where a contradicting chain parts from ours).
    public var hashes: [Dot: String]
    /// Of those dots, the ones whose event the log holds without its `data`.
    public var redacted: Set<Dot>

    public init(heads: VersionVector, frozenAt: [ReplicaID: Int64], hashes: [Dot: String], redacted: Set<Dot> = []) {
        (self.heads, self.frozenAt, self.hashes, self.redacted) = (heads, frozenAt, hashes, redacted)
    }

    /// The dots a log must look up for `page`: those at or below its head, and the one before.
    public static func dotsToLookUp(for page: VerifiedPage, heads: VersionVector) -> [Dot] {
        var dots: [Dot] = []
        for (origin, range) in page.ranges {
            guard let head = heads[origin], range.lowerBound <= head.seq else { continue }
            for seq in max(1, range.lowerBound - 1)...min(range.upperBound, head.seq) { dots.append(Dot(origin: origin, seq: seq)) }
        }
        return dots
    }
}

/// A page's events that contradict a held one, with their sealed chain: half of a fork proof,
/// which the log completes with its own chain from the same dot.
public struct Contradiction: Sendable, Hashable {
    public let origin: ReplicaID
    public let seq: Int64
    /// The page's events of `origin` from `seq` up to its seal.
    public let theirs: [Event]
    /// The last seq both histories share, when the page shows it.
    public let agreed: Int64?
}

/// What a log does with a verified page, in one transaction.
public struct ReceivePlan: Sendable {
    /// New events, in an order that satisfies causal delivery.
    public var store: [Event] = []
    /// Forks found: freeze each origin with the proof made of its chain and ours.
    public var contradictions: [Contradiction] = []
    /// Events not stored because they depend on a frozen history, by origin.
    public var heldBack: [ReplicaID: Int] = [:]
    /// Full events (payload verified against their dataHash) for copies the log holds without it.
    public var restore: [Event] = []
    public init() {}
}

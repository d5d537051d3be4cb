import DaftarCore
import Synchronization

/// An ``EventLog`` in memory: a relay with no identity and no projections — the shape of the
/// PostgreSQL hub — deciding everything with the same Core planners as the SQLite store.
final class MemoryLog: EventLog {
    private struct State {
        var events: [Event] = []
        var byDot: [Dot: Int] = [:]
        var heads = VersionVector()
        var frozen: [ReplicaID: FrozenOrigin] = [:]
    }

    private let state = Mutex(State())

    func replica() async throws -> ReplicaID? { nil }
    func heads() async throws -> VersionVector { state.withLock { $0.heads } }
    func frozen() async throws -> [ReplicaID: FrozenOrigin] { state.withLock { $0.frozen } }
    var count: Int { state.withLock { $0.events.count } }
    /// It refuses payloadless events, so it never holds one.
    func payloadless(limit: Int) async throws -> [Dot] { [] }

    func checkpoints(for origins: Set<ReplicaID>) async throws -> [ReplicaID: [ChainHead]] {
        state.withLock { state in
            var out: [ReplicaID: [ChainHead]] = [:]
            for origin in origins {
                guard let head = state.heads[origin] else { continue }
                out[origin] = PullRequest.checkpointSeqs(head: head.seq).compactMap { seq in
                    state.byDot[Dot(origin: origin, seq: seq)].map { ChainHead(seq: seq, hash: state.events[$0].hash) }
                }
            }
            return out
        }
    }

    func freeze(_ proof: ForkProof) async throws -> Bool {
        state.withLock { state in Self.freeze(proof, agreed: proof.agreedSeq ?? 0, &state) }
    }

    private static func freeze(_ proof: ForkProof, agreed: Int64, _ state: inout State) -> Bool {
        if let current = state.frozen[proof.origin], current.agreed >= agreed { return false }
        state.frozen[proof.origin] = FrozenOrigin(agreed: agreed, proof: proof)
        return true
    }

    private static func chainToSeal(_ origin: ReplicaID, from seq: Int64, through: Int64? = nil, _ state: State) -> [Event] {
        var chain: [Event] = []
        var next = seq
        while let i = state.byDot[Dot(origin: origin, seq: next)] {
            chain.append(state.events[i])
            if state.events[i].isSeal && next >= (through ?? seq) { break }
            next += 1
        }
        return chain
    }

    func receive(_ page: VerifiedPage) async throws -> ReceiveResult {
        try state.withLock { state in
            var hashes: [Dot: String] = [:]
            for dot in HeldState.dotsToLookUp(for: page, heads: state.heads) {
                if let i = state.byDot[dot] { hashes[dot] = state.events[i].hash }
            }
            let plan = try ReceivePlanner.plan(page, held: HeldState(heads: state.heads, frozenAt: state.frozen.mapValues(\.agreed), hashes: hashes))
            var proofs: [ForkProof] = []
            for contradiction in plan.contradictions {
                let proof = ForkProof(
                    origin: contradiction.origin, seq: contradiction.seq, Self.chainToSeal(contradiction.origin, from: contradiction.seq, state),
                    contradiction.theirs)
                if Self.freeze(proof, agreed: contradiction.agreed ?? 0, &state) { proofs.append(proof) }
            }
            for event in plan.store {
                state.byDot[event.dot] = state.events.count
                state.events.append(event)
                state.heads[event.origin] = ChainHead(seq: event.seq, hash: event.hash)
            }
            return ReceiveResult(stored: plan.store.count, forks: proofs, heldBack: plan.heldBack.values.reduce(0, +))
        }
    }

    func page(for request: PullRequest) async throws -> Page {
        state.withLock { state in
            var hashes: [Dot: String] = [:]
            for dot in PagePlanner.dotsToLookUp(for: request, heads: state.heads) {
                if let i = state.byDot[dot] { hashes[dot] = state.events[i].hash }
            }
            var planner = PagePlanner(request: request, heads: state.heads, frozen: state.frozen, hashes: hashes)
            for start in planner.evidenceStarts {
                let chain = Self.chainToSeal(start.origin, from: start.seq, through: planner.evidenceThrough[start.origin], state)
                planner.offerEvidence(chain, sizes: chain.map(\.canonicalBytes.count))
            }
            let start = planner.startDots.compactMap { state.byDot[$0] }.min() ?? state.events.count
            for event in state.events[start...] where planner.wants(event.origin, event.seq) {
                guard planner.offer(event, size: event.canonicalBytes.count) else { break }
            }
            return planner.page()
        }
    }
}

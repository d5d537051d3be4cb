@testable import DaftarCore
import DaftarStore

/// A peer that lies, as an ``EventLog`` wrapped around a real store and served like any other
/// (in memory or over HTTP): it adds fork claims to its pages, strips payloads from what it
/// sends, or acknowledges pushes without storing anything.
struct LyingLog: EventLog {
    enum Lie: Sendable {
        /// Pages carry these fork claims (raw JSON, as a liar would write them).
        case claims([JSONValue])
        /// Pages' events of this type lose their `data`.
        case stripData(type: String)
        /// Pushes are acknowledged as stored, but nothing is stored and the heads never move.
        case neverAdvance
    }

    let base: Store
    let lie: Lie

    func replica() async throws -> ReplicaID? { try base.replica() }
    func heads() async throws -> VersionVector { try base.heads() }
    func frozen() async throws -> [ReplicaID: FrozenOrigin] { try base.frozen() }
    func checkpoints(for origins: Set<ReplicaID>) async throws -> [ReplicaID: [ChainHead]] { try base.checkpoints(for: origins) }
    func freeze(_ proof: ForkProof) async throws -> Bool { try base.freeze(proof) }
    func payloadless(limit: Int) async throws -> [Dot] { try base.payloadless(limit: limit) }

    func page(for request: PullRequest) async throws -> Page {
        var page = try base.page(for: request)
        switch lie {
        case .claims(let claims):
            page.forkClaims += SyncWire.forkClaims(.array(claims))
        case .stripData(let type):
            page.events = page.events.map { $0.type == type ? $0.withoutData : $0 }
        case .neverAdvance:
            break
        }
        return page
    }

    func receive(_ page: VerifiedPage) async throws -> ReceiveResult {
        if case .neverAdvance = lie { return ReceiveResult(stored: page.events.count) }
        return try base.receive(page)
    }
}


import DaftarCore
import Foundation
import GRDB

/// The store as a sync log (DESIGN §1): the Core planners decide, this adapter reads and
/// writes the SQLite file.
extension Store: EventLog {
    public func replica() throws -> ReplicaID? { replicaID.map { ReplicaID(rawValue: $0) } }

    public func heads() throws -> VersionVector { try versionVector() }

    /// Every call is SQLite on the calling thread.
    public var blocksItsThread: Bool { true }

    /// Frozen origins, with the last agreed seq and the proof that froze each.
    public func frozen() throws -> [ReplicaID: FrozenOrigin] {
        try writer.read { db in try Self.frozen(db) }
    }

    static func frozen(_ db: Database) throws -> [ReplicaID: FrozenOrigin] {
        var out: [ReplicaID: FrozenOrigin] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT origin, seq, proof FROM frozen_origins") {
            out[ReplicaID(rawValue: row[0])] = FrozenOrigin(agreed: row[1], proof: storedProof(row[2]))
        }
        return out
    }

    /// A proof as `frozen_origins.proof` stores it; nil for a freeze from before proofs.
    static func storedProof(_ bytes: Data?) -> ForkProof? {
        bytes.flatMap { try? JSONValue.parse(Array($0)) }.flatMap { try? ForkProof(json: $0) }
    }

    /// Origins frozen after a proven equivocation.
    public func frozenOrigins() throws -> Set<ReplicaID> { Set(try frozen().keys) }

    /// Frozen origins and the last seq agreed with the other history.
    public func frozenAt() throws -> [ReplicaID: Int64] { try frozen().mapValues(\.agreed) }

    /// Freezes `proof.origin` at the last seq both branches share. The caller verified the proof.
    @discardableResult
    public func freeze(_ proof: ForkProof) throws -> Bool {
        try writer.write { db in try Self.freeze(proof, agreed: proof.agreedSeq ?? 0, db, now()) }
    }

    /// Records a freeze; true when it is new or narrows down the agreed seq.
    static func freeze(_ proof: ForkProof, agreed: Int64, _ db: Database, _ time: Int64) throws -> Bool {
        let current = try Int64.fetchOne(db, sql: "SELECT seq FROM frozen_origins WHERE origin = ?", arguments: [proof.origin.rawValue])
        if let current, current >= agreed { return false }
        try db.execute(
            sql: """
                INSERT INTO frozen_origins(origin, seq, reason, detected, proof) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(origin) DO UPDATE SET seq = excluded.seq, proof = excluded.proof, reason = excluded.reason
                """,
            arguments: [proof.origin.rawValue, agreed, "two validly sealed events at seq \(proof.seq)", time, Data(proof.json.canonicalBytes)])
        return true
    }

    /// Hashes of an origin's chain at its head, then 1, 2, 4 … seqs back, and at seq 1: what a
    /// peer needs to find where two forked histories part.
    public func checkpoints(for origins: Set<ReplicaID>) throws -> [ReplicaID: [ChainHead]] {
        try writer.read { db in
            let heads = try Self.versionVector(db)
            var out: [ReplicaID: [ChainHead]] = [:]
            for origin in origins {
                guard let head = heads[origin] else { continue }
                let seqs = PullRequest.checkpointSeqs(head: head.seq)
                let hashes = try Self.hashes(at: seqs.map { Dot(origin: origin, seq: $0) }, db)
                out[origin] = seqs.compactMap { seq in hashes[Dot(origin: origin, seq: seq)].map { ChainHead(seq: seq, hash: $0) } }
            }
            return out
        }
    }

    /// Events held without their payload, oldest first.
    public func payloadless(limit: Int) throws -> [Dot] {
        try writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT origin, seq FROM events WHERE bare = 1 ORDER BY position LIMIT ?",
                arguments: [limit]
            ).map { Dot(origin: ReplicaID(rawValue: $0[0]), seq: $0[1]) }
        }
    }

    /// The hashes this log holds at `dots`, and which of those events it holds without `data`.
    static func held(at dots: [Dot], _ db: Database) throws -> (hashes: [Dot: String], bare: Set<Dot>) {
        let lookup = try db.cachedStatement(sql: "SELECT hash, bare FROM events WHERE origin = ? AND seq = ?")
        var hashes: [Dot: String] = [:]
        var bare: Set<Dot> = []
        for dot in dots {
            guard let row = try Row.fetchOne(lookup, arguments: [dot.origin.rawValue, dot.seq]) else { continue }
            hashes[dot] = row[0]
            if row[1] as Bool { bare.insert(dot) }
        }
        return (hashes, bare)
    }

    static func hashes(at dots: [Dot], _ db: Database) throws -> [Dot: String] {
        try held(at: dots, db).hashes
    }

    /// This log's events of `origin` from `seq` up to and including the first seal at or after
    /// `through` (default: `seq`), with their sizes.
    static func chainToSeal(_ origin: ReplicaID, from seq: Int64, through: Int64? = nil, _ db: Database) throws -> [(Event, Int)] {
        var chain: [(Event, Int)] = []
        let rows = try Row.fetchCursor(
            db, sql: "SELECT body FROM events WHERE origin = ? AND seq >= ? ORDER BY seq", arguments: [origin.rawValue, seq])
        while let row = try rows.next() {
            let body: Data = row[0]
            let event = try Event(bytes: body)
            chain.append((event, body.count))
            if event.isSeal && event.seq >= (through ?? seq) { break }
        }
        return chain
    }

    /// Stores a verified page from a peer (DESIGN §2, §5) in one transaction: new events, and
    /// the forks it proves frozen. Anything the planner refuses leaves the store unchanged.
    public func receive(_ page: VerifiedPage) throws -> ReceiveResult {
        try receive(page, freezeForks: true)
    }

    /// Verifies and stores `events` (a sync page, a bundle page). Without `freezeForks`, a
    /// page that proves a fork is refused as a whole (``DaftarError/Code/equivocation``).
    @discardableResult
    public func receivePage(_ events: [Event], freezeForks: Bool) throws -> ReceiveResult {
        try receive(try ReceivePlanner.verify(events), freezeForks: freezeForks)
    }

    /// Verifies and stores events from another replica, all or nothing; a fork refuses them.
    /// Returns how many were new.
    @discardableResult
    public func receive(_ events: [Event]) throws -> Int {
        try receivePage(events, freezeForks: false).stored
    }

    func receive(_ page: VerifiedPage, freezeForks: Bool) throws -> ReceiveResult {
        try writer.write { db in
            let heads = try Self.versionVector(db)
            let lookedUp = try Self.held(at: HeldState.dotsToLookUp(for: page, heads: heads), db)
            let held = HeldState(
                heads: heads, frozenAt: try Self.frozen(db).mapValues(\.agreed), hashes: lookedUp.hashes, redacted: lookedUp.bare)
            let plan = try ReceivePlanner.plan(page, held: held)
            if !plan.contradictions.isEmpty, !freezeForks {
                let names = plan.contradictions.map { "\($0.origin):\($0.seq)" }.joined(separator: ", ")
                throw DaftarError(.equivocation, "equivocation: two validly sealed events at \(names); nothing from this batch was stored")
            }
            var proofs: [ForkProof] = []
            for contradiction in plan.contradictions {
                let ours = try Self.chainToSeal(contradiction.origin, from: contradiction.seq, db).map(\.0)
                let proof = ForkProof(origin: contradiction.origin, seq: contradiction.seq, ours, contradiction.theirs)
                // Our side is sealed (we store only sealed chains) and theirs was verified; a proof
                // that still does not verify is not frozen on nor forwarded.
                guard (try? proof.verify()) != nil else { continue }
                if try Self.freeze(proof, agreed: contradiction.agreed ?? 0, db, now()) { proofs.append(proof) }
            }
            var restored = Projector.Run()
            for event in plan.restore {
                try db.execute(
                    sql: "UPDATE events SET body = ?, bare = 0 WHERE origin = ? AND seq = ? AND hash = ?",
                    arguments: [Data(event.canonicalBytes), event.origin.rawValue, event.seq, event.hash])
                try restored.apply(event, db)  // projections do not depend on arrival order
            }
            try restored.finish(db)
            try append(plan.store, db)
            return ReceiveResult(
                stored: plan.store.count, forks: proofs, heldBack: plan.heldBack.values.reduce(0, +), restored: plan.restore.count)
        }
    }

    /// A page of what a peer lacks (DESIGN §5), cut by ``PagePlanner`` from this log.
    public func page(for request: PullRequest) throws -> Page {
        try writer.read { db in
            let heads = try Self.versionVector(db)
            let hashes = try Self.hashes(at: PagePlanner.dotsToLookUp(for: request, heads: heads), db)
            var planner = PagePlanner(request: request, heads: heads, frozen: try Self.frozen(db), hashes: hashes)
            var whole: [Event] = []
            for dot in planner.payloadlessWanted {
                if let body = try Data.fetchOne(
                    db, sql: "SELECT body FROM events WHERE origin = ? AND seq = ?", arguments: [dot.origin.rawValue, dot.seq])
                {
                    whole.append(try Event(bytes: body))
                }
            }
            planner.offerPayloads(whole)
            for start in planner.evidenceStarts {
                let chain = try Self.chainToSeal(start.origin, from: start.seq, through: planner.evidenceThrough[start.origin], db)
                planner.offerEvidence(chain.map(\.0), sizes: chain.map(\.1))
            }
            // Read the log from the earliest event the peer lacks.
            let positionOf = try db.cachedStatement(sql: "SELECT position FROM events WHERE origin = ? AND seq = ?")
            var start: Int64? = nil
            for dot in planner.startDots {
                if let p = try Int64.fetchOne(positionOf, arguments: [dot.origin.rawValue, dot.seq]) { start = min(start ?? p, p) }
            }
            if let start {
                let rows = try Row.fetchCursor(db, sql: "SELECT origin, seq, body FROM events WHERE position >= ? ORDER BY position", arguments: [start])
                while let row = try rows.next() {
                    guard planner.wants(ReplicaID(rawValue: row[0]), row[1]) else { continue }
                    let body: Data = row[2]
                    guard planner.offer(try Event(bytes: body), size: body.count) else { break }
                }
            }
            return planner.page()
        }
    }

    /// What a peer holding `peerHeads` lacks, for a push.
    public func page(after peerHeads: VersionVector, exclude: Set<ReplicaID>, maxBytes: Int = SyncLimits.pageBytes) throws -> Page {
        try page(for: PullRequest(have: peerHeads, exclude: exclude, maxBytes: maxBytes))
    }
}

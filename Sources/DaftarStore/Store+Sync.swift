import DaftarCore
import Foundation
import GRDB

/// What storing a received page did.
public struct ReceiveResult: Sendable, Hashable {
    /// Events newly stored.
    public var stored: Int
    /// Origins found to equivocate in this page: frozen, their events not stored.
    public var forked: Set<ReplicaID>
}

/// A named peer.
public struct Peer: Sendable, Hashable, Codable {
    public var name: String
    public var url: String
    public var tokenFile: String?

    public init(name: String, url: String, tokenFile: String?) {
        (self.name, self.url, self.tokenFile) = (name, url, tokenFile)
    }
}

extension Store {
    /// Origins frozen after equivocation.
    public func frozenOrigins() throws -> Set<ReplicaID> {
        try writer.read { db in try Self.frozenOrigins(db) }
    }

    static func frozenOrigins(_ db: Database) throws -> Set<ReplicaID> {
        Set(try frozenAt(db).keys)
    }

    /// Frozen origins and the last seq agreed with the other history: events depending on
    /// them beyond it are neither accepted nor sent.
    public func frozenAt() throws -> [ReplicaID: Int64] {
        try writer.read { db in try Self.frozenAt(db) }
    }

    static func frozenAt(_ db: Database) throws -> [ReplicaID: Int64] {
        Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT origin, seq FROM frozen_origins").map {
            (ReplicaID(rawValue: $0[0]), $0[1] as Int64)
        })
    }

    /// Freezes an origin found to equivocate, at the last seq both histories share (a later,
    /// better-informed call may raise it).
    public func freeze(_ origin: ReplicaID, agreed: Int64) throws {
        try writer.write { db in try Self.freeze(origin, agreed: agreed, db, now()) }
    }

    static func freeze(_ origin: ReplicaID, agreed: Int64, _ db: Database, _ time: Int64) throws {
        try db.execute(
            sql: """
                INSERT INTO frozen_origins(origin, seq, reason, detected) VALUES (?, ?, 'two different events at one seq', ?)
                ON CONFLICT(origin) DO UPDATE SET seq = max(seq, excluded.seq)
                """,
            arguments: [origin.rawValue, agreed, time])
    }

    /// Hashes of an origin's chain at its head, then 1, 2, 4 … seqs back, and at seq 1: what a
    /// peer needs to find where two forked histories part.
    public func checkpoints(for origins: Set<ReplicaID>) throws -> [ReplicaID: [ChainHead]] {
        try writer.read { db in
            let heads = try Self.versionVector(db)
            let hashAt = try db.cachedStatement(sql: "SELECT hash FROM events WHERE origin = ? AND seq = ?")
            var out: [ReplicaID: [ChainHead]] = [:]
            for origin in origins {
                guard let head = heads[origin] else { continue }
                var seqs: [Int64] = [head.seq]
                var step: Int64 = 1
                while head.seq - step >= 1 {
                    seqs.append(head.seq - step)
                    step *= 2
                }
                if seqs.last != 1 { seqs.append(1) }
                out[origin] = try seqs.compactMap { seq in
                    try String.fetchOne(hashAt, arguments: [origin.rawValue, seq]).map { ChainHead(seq: seq, hash: $0) }
                }
            }
            return out
        }
    }

    /// Stores a page from a peer (DESIGN §2, §5). The page is verified whole before anything is
    /// stored: an invalid event refuses the page. An origin whose events contradict what this
    /// store holds (a different event at a held dot, or a chain that does not continue ours)
    /// is equivocating: with `freezeForks`, it is frozen at the last agreed event and the rest
    /// of the page is stored; without, the page is refused.
    public func receivePage(_ events: [Event], freezeForks: Bool) throws -> ReceiveResult {
        try writer.write { db in
            let held = try Self.versionVector(db)
            var frozenAt = try Self.frozenAt(db)
            var forked: [ReplicaID: Int64] = [:]  // origin → last agreed seq
            let hashAt = try db.cachedStatement(sql: "SELECT hash FROM events WHERE origin = ? AND seq = ?")

            // 1. Forks: validly sealed events that contradict what we hold.
            for event in events where frozenAt[event.origin] == nil && forked[event.origin] == nil {
                let head = held[event.origin]
                if let head, event.seq <= head.seq {
                    let ours = try String.fetchOne(hashAt, arguments: [event.origin.rawValue, event.seq])
                    if ours != event.hash, (try? event.verify()) != nil {
                        // It continues our chain up to seq - 1 when its prev is our event there.
                        let before = event.seq == 1 ? nil : try String.fetchOne(hashAt, arguments: [event.origin.rawValue, event.seq - 1])
                        forked[event.origin] = event.prev == before ? event.seq - 1 : 0
                    }
                } else if event.seq == (head?.seq ?? 0) + 1, event.prev != head?.hash, (try? event.verify()) != nil {
                    forked[event.origin] = 0  // parted somewhere before our head: agreed unknown
                }
            }
            if !forked.isEmpty, !freezeForks {
                let names = forked.keys.sorted().map(\.rawValue).joined(separator: ", ")
                throw DaftarError(.invalidEvent, "equivocation: replica \(names) signed two different histories; nothing from this batch was stored")
            }
            for (origin, agreed) in forked {
                try Self.freeze(origin, agreed: agreed, db, now())
                frozenAt[origin] = agreed
            }
            let frozen = Set(frozenAt.keys)

            // 2. Verify the rest whole: anything invalid refuses the page.
            var verifier = ChainVerifier(heads: held)
            var fresh: [Event] = []
            var blocked = frozen
            for event in events {
                if blocked.contains(event.origin) { continue }
                if let head = verifier.heads[event.origin], event.seq <= head.seq { continue }  // already held
                // Depends on a frozen origin beyond the history we agree on: cannot be stored;
                // nor can that origin's later events.
                if event.clock.entries.contains(where: { o, n in o != event.origin && n > (frozenAt[o] ?? .max) }) {
                    blocked.insert(event.origin)
                    continue
                }
                do throws(EventError) {
                    try verifier.accept(event)
                } catch {
                    throw DaftarError(.invalidEvent, "refused \(error.message); nothing from this page was stored", cause: error)
                }
                fresh.append(event)
            }
            do throws(EventError) {
                try verifier.requireSealedHeads()
            } catch {
                throw DaftarError(.invalidEvent, "refused: \(error.message); nothing from this page was stored", cause: error)
            }
            try append(fresh, db)
            return ReceiveResult(stored: fresh.count, forked: Set(forked.keys))
        }
    }

    /// A page of what a peer lacks (DESIGN §5): events after `request.have`, in log order,
    /// each origin's last event a seal, within `request.maxBytes`. Origins the peer excludes,
    /// that we froze, or whose head the peer holds differently from us (forks) are left out.
    public func page(for request: PullRequest) throws -> Page {
        try writer.read { db in
            let heads = try Self.versionVector(db)
            var excluded = request.exclude.union(try Self.frozenOrigins(db))
            var forked: Set<ReplicaID> = []
            let hashAt = try db.cachedStatement(sql: "SELECT hash FROM events WHERE origin = ? AND seq = ?")
            for (origin, theirs) in request.have.heads where (heads[origin]?.seq ?? 0) >= theirs.seq {
                if try String.fetchOne(hashAt, arguments: [origin.rawValue, theirs.seq]) != theirs.hash {
                    forked.insert(origin)
                }
            }
            excluded.formUnion(forked)
            // Where the requester's history of a forked origin agrees with ours: its highest
            // checkpoint we hold too (hashes chain, so everything before it agrees as well).
            var agreed: [ReplicaID: Int64] = [:]
            for (origin, checkpoints) in request.checkpoints where forked.contains(origin) || request.exclude.contains(origin) {
                agreed[origin] = 0
                for point in checkpoints.sorted(by: { $0.seq > $1.seq }) {
                    if try String.fetchOne(hashAt, arguments: [origin.rawValue, point.seq]) == point.hash {
                        agreed[origin] = point.seq
                        break
                    }
                }
            }

            // Start at the earliest event the peer lacks.
            let positionOf = try db.cachedStatement(sql: "SELECT position FROM events WHERE origin = ? AND seq = ?")
            var start: Int64? = nil
            for (origin, head) in heads.heads where !excluded.contains(origin) && head.seq > (request.have[origin]?.seq ?? 0) {
                let p = try Int64.fetchOne(positionOf, arguments: [origin.rawValue, (request.have[origin]?.seq ?? 0) + 1])
                if let p { start = min(start ?? p, p) }
            }
            guard let start else { return Page(events: [], heads: heads, more: false, forked: forked, agreed: agreed) }

            var builder = PageBuilder(maxBytes: request.maxBytes)
            var sent = request.have.clock
            // For a forked or frozen origin the requester holds only the agreed prefix of our
            // history: nothing depending on more of it can be delivered.
            for origin in forked.union(request.exclude) {
                sent[origin] = min(sent[origin], agreed[origin] ?? request.frozenAt[origin] ?? 0)
            }
            var blocked = excluded
            var more = false
            let rows = try Row.fetchCursor(db, sql: "SELECT origin, seq, body FROM events WHERE position >= ? ORDER BY position", arguments: [start])
            while let row = try rows.next() {
                let origin = ReplicaID(rawValue: row[0])
                let seq: Int64 = row[1]
                if blocked.contains(origin) || seq <= sent[origin] { continue }
                let body: Data = row[2]
                let event = try Event(bytes: body)
                // Only what the peer can accept: its dependencies sent or held.
                guard event.seq == sent[origin] + 1,
                    event.clock.entries.allSatisfy({ o, n in o == origin || sent[o] >= n })
                else {
                    blocked.insert(origin)
                    continue
                }
                guard builder.offer(event, size: body.count) else {
                    more = true
                    break
                }
                sent[origin] = seq
            }
            return Page(events: builder.events, heads: heads, more: more, forked: forked, agreed: agreed)
        }
    }

    /// What a peer lacks, for a push: a page after `peerHeads`.
    public func page(after peerHeads: VersionVector, exclude: Set<ReplicaID>, maxBytes: Int = SyncLimits.pageBytes) throws -> Page {
        try page(for: PullRequest(have: peerHeads, exclude: exclude, maxBytes: maxBytes))
    }

    // MARK: Peers

    public func peers() throws -> [Peer] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT name, url, token_file FROM peers ORDER BY name").map { Peer(name: $0[0], url: $0[1], tokenFile: $0[2]) }
        }
    }

    public func addPeer(_ peer: Peer) throws {
        try writer.write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM peers WHERE name = ?)", arguments: [peer.name]) == true {
                throw DaftarError(.badInput, "a peer named \(peer.name) exists already; `daftar peer remove \(peer.name)` first")
            }
            try db.execute(sql: "INSERT INTO peers(name, url, token_file) VALUES (?, ?, ?)", arguments: [peer.name, peer.url, peer.tokenFile])
        }
    }

    public func removePeer(_ name: String) throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM peers WHERE name = ?", arguments: [name])
            if db.changesCount == 0 { throw DaftarError(.notFound, "no peer named \(name); see `daftar peer list`") }
        }
    }
}

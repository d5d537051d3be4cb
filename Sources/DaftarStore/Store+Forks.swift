import DaftarCore
import Foundation
import GRDB

/// One frozen origin, as `daftar forks` shows it.
public struct ForkReport: Sendable, Codable {
    /// One side of the fork: the event at the forked seq.
    public struct Side: Sendable, Codable {
        public var hash: String
        public var author: String
        public var time: Int64
        public var type: String
        /// What it did, when this store holds its payload.
        public var summary: String?
        /// True when this store holds this side.
        public var held: Bool
    }

    public var origin: String
    /// The seq where the two histories hold different events.
    public var seq: Int64?
    /// The last seq both histories share: events depending on more are neither accepted nor sent.
    public var agreed: Int64
    public var sides: [Side]
    /// Events of this origin this store holds after the agreed seq (its side of the fork).
    public var heldAfterAgreed: Int64
    /// When this store froze the origin (ms since 1970).
    public var detected: Int64
    /// True when the origin is this store's own replica: it signed two histories.
    public var isThisReplica: Bool
}

extension Store {
    /// Frozen origins, with both sides of each fork.
    public func forks() throws -> [ForkReport] {
        let own = replicaID
        return try writer.read { db in
            let heads = try Self.versionVector(db)
            let bodyByHash = try db.cachedStatement(sql: "SELECT body FROM events WHERE hash = ?")
            var out: [ForkReport] = []
            for row in try Row.fetchAll(db, sql: "SELECT origin, seq, detected, proof FROM frozen_origins ORDER BY origin") {
                let origin = ReplicaID(rawValue: row[0])
                let agreed: Int64 = row[1]
                let proof = Self.storedProof(row[3])
                var sides: [ForkReport.Side] = []
                for branch in proof?.branches ?? [] {
                    guard let first = branch.first else { continue }
                    let held = try Data.fetchOne(bodyByHash, arguments: [first.hash]).flatMap { try? Event(bytes: $0) }
                    sides.append(ForkReport.Side(
                        hash: first.hash, author: first.author, time: first.time, type: first.type,
                        summary: try held.map { try LogWords(db).describe($0) }, held: held != nil))
                }
                out.append(ForkReport(
                    origin: origin.rawValue, seq: proof?.seq, agreed: agreed, sides: sides,
                    heldAfterAgreed: max(0, (heads[origin]?.seq ?? 0) - agreed), detected: row[2], isThisReplica: origin.rawValue == own))
            }
            return out
        }
    }

    /// Records what `replica` holds, as learned from a sync or a bundle.
    public func recordKnownHeads(_ heads: VersionVector, of replica: ReplicaID) throws {
        try writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO known_heads(replica, heads, updated) VALUES (?, ?, ?)
                    ON CONFLICT(replica) DO UPDATE SET heads = excluded.heads, updated = excluded.updated
                    """,
                arguments: [replica.rawValue, Data(SyncWire.json(heads).canonicalBytes), now()])
        }
    }

    /// What `replica` was last known to hold, or nil.
    public func knownHeads(of replica: ReplicaID) throws -> VersionVector? {
        try writer.read { db in
            guard let bytes = try Data.fetchOne(db, sql: "SELECT heads FROM known_heads WHERE replica = ?", arguments: [replica.rawValue]) else {
                return nil
            }
            return try SyncWire.versionVector(try JSONValue.parse(Array(bytes)))
        }
    }

    /// Replicas whose heads are known, for resolving a `--for` prefix.
    public func knownReplicas() throws -> [ReplicaID] {
        try writer.read { db in try String.fetchAll(db, sql: "SELECT replica FROM known_heads ORDER BY replica").map { ReplicaID(rawValue: $0) } }
    }

    /// Remembers which replica a named peer turned out to be.
    public func setPeerReplica(_ name: String, _ replica: ReplicaID) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE peers SET replica = ? WHERE name = ?", arguments: [replica.rawValue, name])
        }
    }

    /// The replica a named peer was last seen to be.
    public func peerReplica(_ name: String) throws -> ReplicaID? {
        try writer.read { db in
            try String.fetchOne(db, sql: "SELECT replica FROM peers WHERE name = ?", arguments: [name]).map { ReplicaID(rawValue: $0) }
        }
    }
}

extension Store {
    /// The hash of `origin`'s event at `seq`, when held.
    public func hash(of origin: ReplicaID, at seq: Int64) throws -> String? {
        try writer.read { db in
            try String.fetchOne(db, sql: "SELECT hash FROM events WHERE origin = ? AND seq = ?", arguments: [origin.rawValue, seq])
        }
    }
}

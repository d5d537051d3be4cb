import DaftarCore
import Foundation
import GRDB

/// A moment in this store's past: which events a past view is derived from.
public enum PastMoment: Sendable, Hashable, CustomStringConvertible {
    /// The events in this store's log up to this position (local arrival).
    case position(Int64)
    /// The events a version vector covers (`ORIGIN:SEQ,…`): what a replica held.
    case covered([ReplicaID: Int64])

    public var description: String {
        switch self {
        case .position(let p): "log position \(p)"
        case .covered(let seqs): seqs.sorted { $0.key < $1.key }.map { "\($0.key.rawValue.prefix(8)):\($0.value)" }.joined(separator: ",")
        }
    }
}

extension PastMoment {
    /// True when the event stored at `position` is among this moment's events.
    func holds(position: Int64, origin: String, seq: Int64) -> Bool {
        switch self {
        case .position(let limit): position <= limit
        case .covered(let seqs): seq <= seqs[ReplicaID(rawValue: origin)] ?? 0
        }
    }
}

/// A sync this store took part in, recorded when it started.
public struct SyncRecord: Sendable, Hashable, Codable {
    public var peer: String
    public var started: Int64
    /// The last log position before the sync.
    public var position: Int64
}

extension Store {
    /// Records that a sync with `peer` starts now: the moment `sync:PEER` names.
    public func recordSyncStart(peer: String) throws {
        try writer.write { db in
            let position = try Int64.fetchOne(db, sql: "SELECT coalesce(max(position), 0) FROM events") ?? 0
            try db.execute(sql: "INSERT INTO syncs(peer, started, position) VALUES (?, ?, ?)", arguments: [peer, now(), position])
        }
    }

    /// The syncs with `peer`, newest first.
    public func syncs(with peer: String) throws -> [SyncRecord] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT peer, started, position FROM syncs WHERE peer = ? ORDER BY id DESC", arguments: [peer])
                .map { SyncRecord(peer: $0[0], started: $0[1], position: $0[2]) }
        }
    }

    /// The syncs of any peer, newest first.
    public func lastSync() throws -> SyncRecord? {
        try writer.read { db in
            try Row.fetchOne(db, sql: "SELECT peer, started, position FROM syncs ORDER BY id DESC LIMIT 1")
                .map { SyncRecord(peer: $0[0], started: $0[1], position: $0[2]) }
        }
    }

    /// The moment a time names: the events that had arrived here by then (milliseconds since 1970).
    public func moment(at time: Int64) throws -> PastMoment {
        try writer.read { db in
            .position(try Int64.fetchOne(db, sql: "SELECT coalesce(max(position), 0) FROM events WHERE arrived <= ?", arguments: [time]) ?? 0)
        }
    }

    /// The moment `sync:PEER~N` names: just before the `back`-th last sync with `peer` (1: the last).
    public func moment(beforeSync peer: String, back: Int = 1) throws -> PastMoment {
        let syncs = try self.syncs(with: peer)
        guard !syncs.isEmpty else {
            throw DaftarError(.notFound, "no sync with \(peer) is recorded in this store")
        }
        guard back >= 1, back <= syncs.count else {
            throw DaftarError(.notFound, "only \(syncs.count) sync\(syncs.count == 1 ? "" : "s") with \(peer) \(syncs.count == 1 ? "is" : "are") recorded in this store")
        }
        return .position(syncs[back - 1].position)
    }

    /// A version vector's moment, with each origin given as its id or an unambiguous prefix.
    public func moment(covering text: String) throws -> PastMoment {
        let origins = try writer.read { db in try String.fetchAll(db, sql: "SELECT origin FROM version_vector") }
        var seqs: [ReplicaID: Int64] = [:]
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: ":")
            guard pieces.count == 2, let seq = Int64(PersianDates.latinDigits(String(pieces[1]))), seq >= 0 else {
                throw DaftarError(.badInput, "\"\(part)\" is not ORIGIN:SEQ")
            }
            let prefix = pieces[0].lowercased()
            let matching = origins.filter { $0.hasPrefix(prefix) }
            guard matching.count == 1 else {
                throw DaftarError(matching.isEmpty ? .notFound : .ambiguous,
                                  matching.isEmpty ? "no replica \(prefix) in this store" : "replica prefix \(prefix) is ambiguous; give more characters")
            }
            seqs[ReplicaID(rawValue: matching[0])] = seq
        }
        return .covered(seqs)
    }

    /// The stored events of `moment`, in log order.
    func pastEvents(_ moment: PastMoment) throws -> [Event] {
        try writer.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT position, origin, seq, body FROM events ORDER BY position")
            return try rows.compactMap { row -> Event? in
                guard moment.holds(position: row[0], origin: row[1], seq: row[2]) else { return nil }
                return try Event(bytes: row[3] as Data)
            }
        }
    }

    /// An empty scratch store — in memory, or in the file at `path` — that derives every
    /// projection from the events appended to it by the same rules as this store's. It is not a
    /// log of its own: it takes copies of stored events as they are (even of a broken chain),
    /// so its chain trigger is dropped. It is never written otherwise.
    static func scratch(at path: String? = nil, now: @escaping @Sendable () -> Int64) throws -> Store {
        let store = try path.map { try Store.over(DatabaseQueue(path: $0, configuration: configuration(readOnly: false)), identity: nil, path: $0, now: now) }
            ?? Store.inMemory(now: now)
        try store.writer.write { db in try db.execute(sql: "DROP TRIGGER events_extend_chain") }
        return store
    }

    /// This store as it was at `moment`: a scratch store derived from exactly the events held
    /// then — a past view of the whole archive. The live projections are not touched.
    public func past(_ moment: PastMoment) throws -> Store {
        let store = try Self.scratch(now: now)
        let events = try pastEvents(moment)
        try store.writer.write { db in try store.append(events, db) }
        return store
    }
}

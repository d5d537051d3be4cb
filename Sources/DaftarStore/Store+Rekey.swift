import DaftarCore
import Foundation
import GRDB

/// What `rekey` did.
public struct RekeyReport: Sendable, Codable {
    /// The identity that signed two histories.
    public var oldReplica: String
    /// The store's new identity.
    public var newReplica: String
    /// The last seq of the old identity that both histories share.
    public var agreed: Int64
    /// Events of the abandoned history whose work was re-issued under the new identity.
    public var reissued: Int
    /// Other replicas' events that depended on the abandoned history: left in the backup, since
    /// no peer can accept them.
    public var dropped: Int
    /// Where the store file and key as they were before are kept.
    public var backup: String
}

extension Store {
    /// Recovers a store whose own replica signed two histories (DESIGN §2) — typically restored
    /// from an old backup and written to again: a new store at the same path, with a new
    /// identity, holding everything the old one held except its own events after the last seq
    /// both histories share (the abandoned history), whose work — ingests, annotations, edits,
    /// tags, deletes — is re-issued under the new identity. The abandoned history no longer
    /// blocks the other one, which then arrives by sync like any replica's events; so nothing
    /// the analyst wrote is lost and nothing is held twice. The old file and key are kept beside
    /// it (`PATH.before-rekey`).
    public static func rekey(at path: String, now: @escaping @Sendable () -> Int64 = Store.systemClock) throws -> RekeyReport {
        let fm = FileManager.default
        let old = try Store.open(at: path, forWriting: true, create: false, now: now)
        guard let identity = old.identity else { preconditionFailure("opened for writing without an identity") }
        let own = identity.origin
        guard let fork = try old.frozen()[own] else {
            throw DaftarError(
                .notFound,
                "this store's replica \(own) has not been found to sign two histories; a new identity is only needed after that (a sync says so)")
        }
        if fork.agreed == 0, fork.proof?.agreedSeq != 0, (try old.versionVector()[own]?.seq ?? 0) > 1 {
            // Re-issuing from seq 1 would repeat the whole history: find the fork point first.
            throw DaftarError(
                .notFound,
                "where this replica's two histories part is not known yet (the fork was proven, not located); sync once more with the peer that proved it, then rekey")
        }
        let backup = path + ".before-rekey"
        guard !fm.fileExists(atPath: backup) else {
            throw DaftarError(.badInput, "\(backup) exists already, from an earlier rekey; move it away first")
        }

        // What the new store holds, and what is re-issued.
        var keep: [Event] = []
        var abandoned: [Event] = []
        var dropped = 0
        try old.writer.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT body FROM events ORDER BY position")
            while let row = try rows.next() {
                let event = try Event(bytes: row[0] as Data)
                if event.origin == own, event.seq > fork.agreed {
                    abandoned.append(event)
                } else if event.origin != own, event.clock[own] > fork.agreed {
                    dropped += 1
                } else {
                    keep.append(event)
                }
            }
        }
        let state = try old.writer.read { db in
            (
                author: try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'author'"),
                peers: try Row.fetchAll(db, sql: "SELECT name, url, token_file, replica FROM peers"),
                known: try Row.fetchAll(db, sql: "SELECT replica, heads, updated FROM known_heads"),
                frozen: try Row.fetchAll(db, sql: "SELECT origin, seq, reason, detected, proof FROM frozen_origins")
            )
        }
        try old.writer.close()

        // Build the new store beside the old one, then swap them.
        let temporary = path + ".rekey-\(UInt32.random(in: 0...UInt32.max))"
        // A store is its file, SQLite's companions, and the key.
        let files = ["", "-wal", "-shm", ".key"]
        do {
            let fresh = try Store.open(at: temporary, forWriting: true, create: true, now: now)
            try fresh.writer.write { db in
                try fresh.append(keep, db)
                if let author = state.author {
                    try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('author', ?)", arguments: [author])
                }
                for row in state.peers {
                    try db.execute(sql: "INSERT INTO peers(name, url, token_file, replica) VALUES (?, ?, ?, ?)", arguments: StatementArguments(row.databaseValues))
                }
                for row in state.known {
                    try db.execute(sql: "INSERT INTO known_heads(replica, heads, updated) VALUES (?, ?, ?)", arguments: StatementArguments(row.databaseValues))
                }
                for row in state.frozen {
                    try db.execute(
                        sql: "INSERT INTO frozen_origins(origin, seq, reason, detected, proof) VALUES (?, ?, ?, ?, ?)",
                        arguments: StatementArguments(row.databaseValues))
                }
            }
            // The analyst's own work from the abandoned history, under the new identity.
            let drafts = abandoned.compactMap { event in event.data.map { EventDraft(type: event.type, data: $0) } }
            try fresh.commit(drafts)
            let newReplica = fresh.identity!.origin.rawValue
            try fresh.writer.close()

            for suffix in files where fm.fileExists(atPath: path + suffix) {
                try fm.moveItem(atPath: path + suffix, toPath: backup + suffix)
            }
            for suffix in files where fm.fileExists(atPath: temporary + suffix) {
                try fm.moveItem(atPath: temporary + suffix, toPath: path + suffix)
            }
            return RekeyReport(
                oldReplica: own.rawValue, newReplica: newReplica, agreed: fork.agreed, reissued: drafts.count, dropped: dropped, backup: backup)
        } catch {
            for suffix in files { try? fm.removeItem(atPath: temporary + suffix) }
            throw error
        }
    }
}

import DaftarCore
import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

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
    ///
    /// Killed at any moment, it leaves either the old store untouched or a whole new one staged
    /// in `PATH.rekey` (with what it did, in `report.json`) that the next `rekey` puts in place;
    /// until then the store refuses to open (``interruptedRekey(at:)``) rather than pair the new
    /// file with the old key or create an empty store with yet another identity.
    public static func rekey(at path: String, now: @escaping @Sendable () -> Int64 = Store.systemClock) throws -> RekeyReport {
        let fm = FileManager.default
        if fm.fileExists(atPath: path + stagedRekey) { return try finishRekey(at: path) }
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

        // Build the new store in a folder beside the old one (what a killed rekey left there
        // is incomplete: it goes), name the folder as staged once the store is whole, then swap.
        let building = path + ".rekey-partial"
        try? fm.removeItem(atPath: building)
        try fm.createDirectory(atPath: building, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let temporary = building + "/" + (path as NSString).lastPathComponent
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
            // Everything folded into the file, the WAL emptied: the new store is its file and key.
            try fresh.writer.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
            try fresh.writer.close()
            let walSize = fileSize(temporary + "-wal")
            guard walSize == 0 else {
                throw DaftarError(.badStore, "the new store at \(temporary) kept \(walSize) bytes in its WAL after closing; the old store is unchanged")
            }
            for suffix in ["-wal", "-shm"] { try? fm.removeItem(atPath: temporary + suffix) }
            let report = RekeyReport(
                oldReplica: own.rawValue, newReplica: newReplica, agreed: fork.agreed, reissued: drafts.count, dropped: dropped, backup: backup)
            try JSONEncoder().encode(report).write(to: URL(fileURLWithPath: building + "/" + rekeyReport), options: .atomic)
            try renameReplacing(building, path + stagedRekey)
        } catch {
            try? fm.removeItem(atPath: building)
            throw error
        }
        return try finishRekey(at: path)
    }

    /// Where a whole new store waits to replace the old one (a folder), and the report in it.
    static let stagedRekey = ".rekey"
    static let rekeyReport = "report.json"

    /// The message for a store whose rekey was killed while swapping files (nil if none was):
    /// the store must not be opened until `rekey` has finished.
    static func interruptedRekey(at path: String) -> String? {
        guard FileManager.default.fileExists(atPath: path + stagedRekey) else { return nil }
        return "a rekey of the store at \(path) was interrupted; run `daftar rekey` again to finish it (nothing is lost: the new store waits in \(path + stagedRekey))"
    }

    /// Puts a staged store in place of the old one; every step may be repeated after a kill.
    /// The old file and key are first linked to the backup names (the old store stays whole
    /// until it is replaced; the key, linked last, marks the backup whole), then the new file
    /// and the new key are renamed over the old ones, and the staging folder goes.
    private static func finishRekey(at path: String) throws -> RekeyReport {
        let fm = FileManager.default
        let staged = path + stagedRekey
        let name = (path as NSString).lastPathComponent
        let report: RekeyReport
        do {
            report = try JSONDecoder().decode(RekeyReport.self, from: Data(contentsOf: URL(fileURLWithPath: staged + "/" + rekeyReport)))
        } catch {
            throw DaftarError(.badStore, "the staged rekey in \(staged) has no readable report.json; the old store and key are untouched beside it — move \(staged) away to keep them")
        }
        let backup = report.backup
        let newFile = staged + "/" + name
        if fm.fileExists(atPath: newFile), !fm.fileExists(atPath: backup + ".key") {
            for suffix in ["", "-wal", "-shm", ".key"] where fm.fileExists(atPath: path + suffix) {
                try? fm.removeItem(atPath: backup + suffix)  // a link made before a kill
                try fm.linkItem(atPath: path + suffix, toPath: backup + suffix)
            }
            try syncFolder(of: path)
        }
        if fm.fileExists(atPath: newFile) {
            // The old store's companions are in the backup; beside the new file they would be read as its own.
            for suffix in ["-wal", "-shm"] { try? fm.removeItem(atPath: path + suffix) }
            try renameReplacing(newFile, path)
        }
        if fm.fileExists(atPath: newFile + ".key") { try renameReplacing(newFile + ".key", path + ".key") }
        try syncFolder(of: path)
        try fm.removeItem(atPath: staged)
        return report
    }

    /// `rename(2)`: `from` takes `to`'s place in one step, replacing what was there.
    private static func renameReplacing(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else {
            throw DaftarError(.badStore, "cannot move \(from) to \(to): \(String(cString: strerror(errno)))")
        }
    }

    /// Makes the folder holding `path` durable (its renames survive a power cut).
    private static func syncFolder(of path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        let descriptor = Glibc.open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = fsync(descriptor)
    }
}

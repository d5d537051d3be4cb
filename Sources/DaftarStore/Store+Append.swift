import DaftarCore
import Foundation
import GRDB

/// Size limits, nested as DESIGN §2 requires: article < event < sync page < HTTP body.
public enum Limits {
    /// Default largest article file ingest accepts.
    public static let defaultArticleBytes = 1 << 20
    /// Largest article file ingest accepts even when asked (`--max-size`).
    public static let maxArticleBytes = 2 << 20
    /// Largest event, canonical bytes: an article at the limit, escaped, plus its envelope.
    public static let maxEventBytes = 6 << 20
}

extension Store {
    /// Records `drafts` as new events of this replica — one commit, sealed at its end — and
    /// updates the projections in the same transaction. Returns the events written.
    @discardableResult
    public func commit(_ drafts: [EventDraft]) throws -> [Event] {
        try writer.write { db in try commit(drafts, db) }
    }

    func commit(_ drafts: [EventDraft], _ db: Database) throws -> [Event] {
        guard !drafts.isEmpty else { return [] }
        guard let identity else {
            preconditionFailure("Store.commit on a store opened without forWriting")
        }
        let composer = EventComposer(identity: identity, author: try authorName(db))
        let events = composer.compose(drafts, on: try Self.versionVector(db), time: now())
        try append(events, db)
        return events
    }

    /// Appends events that extend their origins' chains (the schema refuses any that do not)
    /// and projects them. The caller has verified them.
    func append(_ events: [Event], _ db: Database) throws {
        let insert = try db.cachedStatement(sql: """
            INSERT INTO events(origin, seq, hash, prev, type, time, is_seal, body, arrived, bare)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let arrived = now()
        var position: Int64 = 0
        var run = Projector.Run()
        for event in events {
            let bytes = event.canonicalBytes
            guard bytes.count <= Limits.maxEventBytes else {
                throw DaftarError(.invalidEvent, "event \(event.dot) is \(bytes.count) bytes, over the \(Limits.maxEventBytes)-byte limit")
            }
            try insert.execute(arguments: [
                event.origin.rawValue, event.seq, event.hash, event.prev, event.type, event.time,
                event.isSeal, Data(bytes), arrived, event.data == nil,
            ])
            position = db.lastInsertedRowID
            try run.apply(event, db)
        }
        try run.finish(db)
        if position > 0 { try Projector.recordPosition(position, db) }
    }

    func authorName(_ db: Database) throws -> String {
        if let stored = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'author'") { return stored }
        return Self.defaultAuthor
    }

    /// `$DAFTAR_AUTHOR`, else the login name (`$USER`, `$LOGNAME`, the account's name);
    /// empty values are skipped.
    static var defaultAuthor: String {
        let env = ProcessInfo.processInfo.environment
        let account = getpwuid(getuid()).flatMap { $0.pointee.pw_name.map { String(cString: $0) } }
        let candidates = [env["DAFTAR_AUTHOR"], env["USER"], env["LOGNAME"], account]
        return candidates.compactMap { $0?.trimmingWhitespace }.first { !$0.isEmpty } ?? "analyst"
    }
}


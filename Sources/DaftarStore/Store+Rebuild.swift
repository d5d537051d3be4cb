import Crypto
import DaftarCore
import Foundation
import GRDB

/// What a rebuild replayed.
public struct RebuildReport: Sendable {
    public var events = 0
    public var byType: [String: Int] = [:]
    public var articles = 0
    public var digestBefore = ""
    public var digestAfter = ""
    public var seconds = 0.0
}

/// What verifying the log found.
public struct VerifyReport: Sendable, Codable {
    public var events = 0
    public var seals = 0
    public var origins = 0
    /// Everything found wrong, in log order, then the checks over the whole store.
    public var problems: [VerifyProblem] = []
}

/// One thing `verify` found wrong.
public struct VerifyProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        case event, chain, clock, seal, versionVector = "version-vector", duplicateDot = "duplicate-dot", trigger, projections
    }
    public var kind: Kind
    /// The event it is about (`ORIGIN:SEQ`), if one.
    public var event: String?
    public var message: String

    public var description: String { message }
}

extension Store {
    /// Drops every projection and re-derives it from the log, in one transaction, and says
    /// whether the digest is unchanged (it must be, unless the projection code changed).
    public func rebuild(progress: ((Int, Int) -> Void)? = nil) throws -> RebuildReport {
        try rebuild(Set(Projector.Projection.allCases), progress: progress)
    }

    /// Re-derives these projections from the log (the others stay as they are: the caller
    /// includes the projections derived from the rebuilt ones' rows).
    func rebuild(_ projections: Set<Projector.Projection>, progress: ((Int, Int) -> Void)? = nil) throws -> RebuildReport {
        let started = Date()
        var report = try writer.write { db in
            var report = RebuildReport()
            report.digestBefore = try Self.digest(db)
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0
            progress?(0, total)  // the transaction has begun
            try Projector.clear(projections, db)
            var last: Int64 = 0
            var run = Projector.Run(only: projections)
            let rows = try Row.fetchCursor(db, sql: "SELECT position, body FROM events ORDER BY position")
            while let row = try rows.next() {
                let position: Int64 = row[0]
                let body: Data = row[1]
                let event = try Event(bytes: body)
                try run.apply(event, db)
                report.events += 1
                report.byType[event.type, default: 0] += 1
                last = position
                if report.events % 1000 == 0 { progress?(report.events, total) }
            }
            try run.finish(db)
            try Projector.recordPosition(last, db)
            report.articles = try Int.fetchOne(db, sql: "SELECT count(*) FROM articles") ?? 0
            report.digestAfter = try Self.digest(db)
            return report
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// Rebuilds the projections built by another version of their code, with those derived
    /// from their rows.
    func rebuildIfProjectionVersionChanged() throws {
        let stale = try writer.read { db in try Projector.stale(db) }
        guard !stale.isEmpty else { return }
        let hasEvents = try writer.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM events)") ?? false }
        if !hasEvents {
            try writer.write { db in try Projector.recordPosition(0, db) }
            return
        }
        _ = try rebuild(stale.reduce(into: stale) { $0.formUnion($1.dependents) })
    }

    /// The digest of what the analyst sees (DESIGN §3): SHA-256 over a canonical, id-sorted
    /// serialization of the projections, without store-local facts (rowids, log positions,
    /// arrival times). Two stores with the same events have the same digest.
    public func digest() throws -> String {
        try writer.read { db in try Self.digest(db) }
    }

    static func digest(_ db: Database) throws -> String {
        var hasher = SHA256()
        func feed(_ value: JSONValue) { hasher.update(data: value.canonicalBytes) }
        hasher.update(data: Array("daftar-digest-v\(Projector.version)\n".utf8))
        // Streams: one article at a time, its sources by index, so memory stays flat.
        let sourcesOf = try db.cachedStatement(sql: "SELECT file, origin, seq, time, author, article FROM article_sources WHERE story = ? ORDER BY origin, seq")
        let articles = try Row.fetchCursor(db, sql: "SELECT id, title, published, body, body_start, file, story, version, versions FROM articles ORDER BY id")
        while let row = try articles.next() {
            let id: String = row[0]
            let published: String? = row[2]
            let sources = try Row.fetchAll(sourcesOf, arguments: [row[6] as String]).map { source -> JSONValue in
                [
                    "file": .string(source[0]), "origin": .string(source[1]), "seq": .int(source[2]), "time": .int(source[3]),
                    "author": .string(source[4]), "copy": .string(source[5]),
                ]
            }
            var article: [String: JSONValue] = [
                "article": .string(id), "title": .string(row[1]), "published": published.map(JSONValue.string) ?? .null,
                "body": .string(row[3]), "bodyStart": .int(row[4]), "file": .string(row[5]),
                "sources": .array(sources),
            ]
            // Versions only when it has some, so stores without keep their digest.
            if (row[8] as Int) > 1 {
                article["version"] = .int(row[7])
                article["versions"] = .int(row[8])
            }
            feed(.object(article))
            hasher.update(data: [0x0A])
        }
        try digestAnnotations(db, feed)
        // Where each annotation is shown on its article's other versions.
        for id in try String.fetchAll(db, sql: "SELECT id FROM articles WHERE family IS NOT NULL ORDER BY id") {
            for carried in try carriedAnnotations(onto: id, db) {
                let placement = carried.placement
                feed([
                    "carried": .string(carried.view.id), "onto": .string(id), "method": .string(placement.method.rawValue),
                    "start": placement.anchor.map { .int(Int64($0.start)) } ?? .null, "end": placement.anchor.map { .int(Int64($0.end)) } ?? .null,
                    "score": .int(Int64((placement.score * 1000).rounded())),
                ])
                hasher.update(data: [0x0A])
            }
        }
        // Alias groups (none: nothing fed, so stores from before aliases keep their digest).
        for group in try aliasGroups(db) {
            feed(["alias": .array(group.members.map { ["word": .string($0.folded), "spelling": .string($0.spelling)] })])
            hasher.update(data: [0x0A])
        }
        return ByteEncoding.hex(hasher.finalize())
    }

    /// Annotations and tags, as the analyst sees them: resolved values, conflicts, tags.
    static func digestAnnotations(_ db: Database, _ feed: (JSONValue) -> Void) throws {
        func register(_ r: Register) -> JSONValue {
            .array(r.values.map { ["value": .string($0.value), "origin": .string($0.dot.origin.rawValue), "seq": .int($0.dot.seq)] })
        }
        for view in try annotationViews(db, ids: String.fetchAll(db, sql: "SELECT id FROM annotations ORDER BY id")) {
            feed([
                "annotation": .string(view.id), "article": .string(view.article),
                "exact": .string(view.anchor.exact), "prefix": .string(view.anchor.prefix), "suffix": .string(view.anchor.suffix),
                "start": .int(Int64(view.anchor.start)), "end": .int(Int64(view.anchor.end)),
                "note": register(view.note), "motivation": register(view.motivation),
                "tags": .object(view.tags.mapValues(JSONValue.string)),
                "deleted": .bool(view.deleted),
                "editsConcurrentWithDelete": .array(view.editsConcurrentWithDelete.map { .string($0.hash) }),
                "creator": .string(view.creator), "created": .int(view.created), "modified": .int(view.modified),
            ])
        }
        // What the projection rows hold, so that a row changed behind Daftar's back shows.
        for row in try Row.fetchAll(db, sql: "SELECT id, note, motivation, deleted, conflict FROM annotations ORDER BY id") {
            feed([
                "shown": .string(row[0]), "note": .string(row[1]), "motivation": .string(row[2]),
                "deleted": .bool(row[3]), "conflict": .bool(row[4]),
            ])
        }
        var articleTags: [String: [String: JSONValue]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT article, tag, display FROM article_tags") {
            articleTags[row[0], default: [:]][row[1]] = .string(row[2])
        }
        feed(.object(articleTags.mapValues(JSONValue.object)))
    }

    /// Resolves annotations from their events (the merge rules of DaftarCore).
    /// Each is shown on the article its copy is shown as, at its placed positions (the
    /// projection's row).
    static func annotationViews(_ db: Database, ids: [String]) throws -> [AnnotationView] {
        let placed = try db.cachedStatement(sql: #"SELECT article, exact, prefix, suffix, start, "end" FROM annotations WHERE id = ?"#)
        return try ids.compactMap { id in
            guard var view = try Projector.annotationView(id, db) else { return nil }
            if let row = try Row.fetchOne(placed, arguments: [id]) {
                view.article = row[0]
                view.anchor = TextAnchor(exact: row[1], prefix: row[2], suffix: row[3], start: row[4], end: row[5])
            }
            return view
        }
    }

    /// Re-verifies the whole log from its stored bytes: every event's hashes, every chain
    /// link, every seal, every clock (it covers its origin's previous event), that each
    /// origin's head is sealed and matches the version vector, that no dot holds two events,
    /// that the log's triggers are in place, and that the projections equal a fresh rebuild
    /// (by digest). Throws, naming the first problem and how many there are, unless all hold.
    @discardableResult
    public func verify() throws -> VerifyReport {
        let report = try check()
        if let first = report.problems.first {
            let more = report.problems.count - 1
            throw DaftarError(.corrupt, first.message + (more > 0 ? " (and \(more) more problem\(more == 1 ? "" : "s"): `daftar verify` lists them)" : ""))
        }
        return report
    }

    /// ``verify()``, returning every problem found instead of throwing. A chain found broken
    /// is not followed further (what comes after cannot be checked against it).
    public func check() throws -> VerifyReport {
        var report = try writer.read { db in
            var verifier = ChainVerifier(heads: VersionVector())
            var report = VerifyReport()
            var broken: Set<ReplicaID> = []
            func problem(_ kind: VerifyProblem.Kind, _ event: String?, _ message: String) {
                report.problems.append(VerifyProblem(kind: kind, event: event, message: message))
            }
            let rows = try Row.fetchCursor(db, sql: "SELECT origin, seq, hash, body FROM events ORDER BY position")
            while let row = try rows.next() {
                let dot = "\(row[0] as String):\(row[1] as Int64)"
                report.events += 1
                let event: Event
                do {
                    event = try Event(bytes: row[3] as Data)
                } catch {
                    problem(.event, dot, "the log does not verify: event \(dot) cannot be read: \(error)")
                    broken.insert(ReplicaID(rawValue: row[0]))
                    continue
                }
                if event.isSeal { report.seals += 1 }
                guard !broken.contains(event.origin) else { continue }
                guard event.origin.rawValue == (row[0] as String), event.seq == (row[1] as Int64), event.hash == (row[2] as String) else {
                    problem(.event, dot, "the log does not verify: row \(dot) does not hold the event it names")
                    broken.insert(event.origin)
                    continue
                }
                do {
                    try verifier.accept(event)
                } catch {
                    problem(.chain, dot, "the log does not verify: \(error)")
                    broken.insert(event.origin)
                    continue
                }
                if event.clock[event.origin] != event.seq {
                    problem(.clock, dot, "the log does not verify: event \(dot) has a clock that does not cover its own origin's previous event")
                }
            }
            do {
                try verifier.requireSealedHeads()
            } catch {
                problem(.seal, nil, "the log does not verify: \(error)")
            }
            let stored = try Self.versionVector(db)
            if broken.isEmpty, stored != verifier.heads {
                problem(.versionVector, nil, "the version vector does not match the log")
            }
            for row in try Row.fetchAll(db, sql: "SELECT origin, seq FROM events GROUP BY origin, seq HAVING count(*) > 1") {
                let dot = "\(row[0] as String):\(row[1] as Int64)"
                problem(.duplicateDot, dot, "the log does not verify: two events are stored at \(dot)")
            }
            let triggers = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"))
            for name in Self.logTriggers where !triggers.contains(name) {
                problem(.trigger, nil, "the log is not protected: its trigger \(name) is missing (the store was changed outside Daftar)")
            }
            report.origins = verifier.heads.heads.count + broken.subtracting(verifier.heads.heads.keys).count
            return report
        }
        // The projections: what a fresh rebuild of the same events shows.
        do {
            if try digest() != rebuiltDigest() {
                report.problems.append(VerifyProblem(
                    kind: .projections, event: nil,
                    message: "the projections differ from a rebuild of the log (digest); `daftar rebuild` re-derives them"))
            }
        } catch {
            report.problems.append(VerifyProblem(kind: .projections, event: nil, message: "the log cannot be replayed to check the projections: \(error)"))
        }
        return report
    }

    /// The digest of every projection rebuilt from this log, in a scratch store in a
    /// temporary file (so a large archive is not held in memory), fed a thousand events at a time.
    func rebuiltDigest() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("daftar-verify-\(UUID().uuidString).sqlite").path
        defer {
            for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let scratch = try Store.scratch(at: path, now: now)
        try writer.read { db in
            let rows = try Data.fetchCursor(db, sql: "SELECT body FROM events ORDER BY position")
            var batch: [Event] = []
            func flush() throws {
                let events = batch
                try scratch.writer.write { db in try scratch.append(events, db) }
                batch.removeAll(keepingCapacity: true)
            }
            while let body = try rows.next() {
                batch.append(try Event(bytes: body))
                if batch.count == 1000 { try flush() }
            }
            try flush()
        }
        return try scratch.digest()
    }

    /// The triggers that keep the log append-only and its chains whole.
    static let logTriggers = ["events_refuse_update", "events_refuse_delete", "events_extend_chain", "events_advance_version_vector"]
}

import DaftarCore
@testable import DaftarStore
import Foundation
import GRDB
import Testing

@Suite("Store: log, projections, ingest, rebuild")
struct StoreTests {
    @Test func appendOnlyTriggersRefuseUpdateAndDelete() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        try store.ingest(StoreFixture.seedFiles())
        let before = try store.digest()
        for sql in ["UPDATE events SET type = 'x' WHERE position = 1", "DELETE FROM events WHERE position = 1", "DELETE FROM events"] {
            let error = #expect(throws: DatabaseError.self) { try store.writer.write { try $0.execute(sql: sql) } }
            #expect(error?.message?.contains("append-only") == true, "\(sql)")
        }
        #expect(try store.count("events") == 5)
        #expect(try store.digest() == before)
        _ = try store.verify()
    }

    @Test func schemaRefusesEventsThatDoNotExtendTheChain() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        let events = try store.commit([EventDraft(type: "test.x", data: [:]), EventDraft(type: "test.x", data: [:])])
        let origin = events[0].origin.rawValue
        let insert = "INSERT INTO events(origin, seq, hash, prev, type, time, is_seal, body, arrived) VALUES (?, ?, ?, ?, 't', 0, 0, x'7b7d', 0)"
        let cases: [(Int64, String?)] = [
            (4, events[1].hash),                    // gap
            (2, events[0].hash),                    // reused seq
            (3, events[0].hash),                    // wrong prev
            (3, nil),                               // missing prev
        ]
        for (seq, prev) in cases {
            #expect(throws: DatabaseError.self) {
                try store.writer.write { try $0.execute(sql: insert, arguments: [origin, seq, String(repeating: "a", count: 64), prev]) }
            }
        }
        #expect(try store.versionVector()[events[0].origin] == ChainHead(seq: 2, hash: events[1].hash))
    }

    @Test func versionVectorFollowsEachAppend() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        let events = try store.commit((0..<300).map { EventDraft(type: "test.x", data: ["i": .int(Int64($0))]) })
        let vv = try store.versionVector()
        #expect(vv.heads.count == 1)
        #expect(vv[store.identity!.origin] == ChainHead(seq: 300, hash: events.last!.hash))
        #expect(events.filter(\.isSeal).count == 2)  // at 256 and at the end
        let arrived = try store.writer.read { db in try Int64.fetchAll(db, sql: "SELECT DISTINCT arrived FROM events") }
        #expect(arrived.count == 1)  // one commit, one arrival time
    }

    @Test func ingestIsIdempotentAndRecordsNewProvenance() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        let seeds = try StoreFixture.seedFiles()
        let first = try store.ingest(seeds)
        #expect(first.allSatisfy { if case .added = $0 { true } else { false } })
        let digest = try store.digest()

        let again = try store.ingest(seeds)
        #expect(again.allSatisfy { if case .alreadyArchived = $0 { true } else { false } })
        #expect(try store.count("events") == 5)
        #expect(try store.digest() == digest)

        // The same text under another name: new provenance, same article.
        let copy = try SourceFile.read(path: fixture.write("renamed.txt", seeds[0].text))
        let renamed = try store.ingest([copy, copy])
        #expect(renamed == [.newProvenance(articleID: first[0].articleID), .alreadyArchived(articleID: first[0].articleID)])
        #expect(try store.count("articles") == 5)
        #expect(try store.article(first[0].articleID).sources.map(\.file) == [seeds[0].name, "renamed.txt"])
        #expect(try store.count("events") == 6)
        // …and the displayed file stays the earliest one.
        #expect(try store.article(first[0].articleID).summary.file == seeds[0].name)
    }

    @Test func sameContentTwiceInOneBatchIsOneEvent() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        let a = try SourceFile.read(path: fixture.write("a/x.txt", "عنوان\nمتن"))
        let b = try SourceFile.read(path: fixture.write("b/x.txt", "عنوان\nمتن"))
        let outcomes = try store.ingest([a, b])
        #expect(outcomes[0] == .added(articleID: outcomes[0].articleID))
        #expect(outcomes[1] == .alreadyArchived(articleID: outcomes[0].articleID))
        #expect(try store.count("events") == 1)
    }

    @Test func articleIdIsTheHashOfTheNFCText() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        let decomposed = try SourceFile.read(path: fixture.write("d.txt", "Cafe\u{301}\nمتن"))
        let composed = try SourceFile.read(path: fixture.write("d2.txt", "Caf\u{E9}\nمتن"))
        let outcomes = try store.ingest([decomposed, composed])
        #expect(outcomes[0].articleID == outcomes[1].articleID)
        #expect(outcomes[1] == .newProvenance(articleID: outcomes[0].articleID))
    }

    @Test func rebuildGivesTheSameDigest() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        let seeds = try StoreFixture.seedFiles()
        try store.ingest(seeds)
        try store.ingest([try SourceFile.read(path: fixture.write("again.txt", seeds[2].text))])
        try store.ingest([try SourceFile.read(path: fixture.write("third.txt", seeds[2].text))])
        let before = try store.digest()
        let hitsBefore = try store.search(SearchQuery(parsing: "پوتین"))
        let report = try store.rebuild()
        #expect(report.events == 7)
        #expect(report.byType == ["article.ingested": 7])
        #expect(report.articles == 5)
        #expect(report.digestBefore == before && report.digestAfter == before)
        #expect(try store.digest() == before)
        #expect(try store.search(SearchQuery(parsing: "پوتین")).map(\.id) == hitsBefore.map(\.id))
        #expect(try store.article(ArticleText.id(of: seeds[2].text)).sources.count == 3)
    }

    /// Several `article.ingested` events for one article, from three replicas, delivered in
    /// every order: same digest everywhere, equal to a rebuild's.
    @Test func digestIsIndependentOfArrivalOrder() throws {
        let fixture = try StoreFixture()
        let seeds = try StoreFixture.seedFiles()
        var batches: [[Event]] = []
        for (i, name) in ["one.txt", "two.txt", "three.txt"].enumerated() {
            let replica = try fixture.open(at: fixture.directory + "/replica\(i).sqlite")
            let renamed = try SourceFile.read(path: fixture.write(name, seeds[0].text))
            try replica.ingest([renamed, seeds[i + 1]])
            batches.append(try replica.allEvents())
        }
        var digests: Set<String> = []
        for order in [[0, 1, 2], [2, 1, 0], [1, 0, 2], [2, 0, 1]] {
            let target = try fixture.open(at: fixture.directory + "/target-\(order.map(String.init).joined()).sqlite")
            for i in order { try target.receive(batches[i]) }
            let digest = try target.digest()
            #expect(try target.rebuild().digestAfter == digest)
            #expect(try target.count("articles") == 4)
            #expect(try target.article(ArticleText.id(of: seeds[0].text)).sources.count == 3)
            digests.insert(digest)
        }
        #expect(digests.count == 1)
    }

    @Test func receiveIsAllOrNothingAndIdempotent() throws {
        let fixture = try StoreFixture()
        let source = try fixture.open(at: fixture.directory + "/source.sqlite")
        try source.ingest(StoreFixture.seedFiles())
        let events = try source.allEvents()
        let target = try fixture.open()
        // Tamper with the middle event: nothing of the batch is stored.
        var envelope = events[2].envelope
        envelope["data"] = ["article": "x", "file": "evil.txt", "text": "evil"]
        let tampered = events[0..<2] + [try Event(envelope: envelope)] + events[3...]
        let error = #expect(throws: DaftarError.self) { try target.receive(Array(tampered)) }
        #expect(error?.code == .invalidEvent)
        #expect(try target.count("events") == 0)
        // An unsealed prefix is refused too.
        #expect(throws: DaftarError.self) { try target.receive(Array(events[0..<3])) }
        #expect(try target.count("events") == 0)
        #expect(try target.receive(events) == 5)
        #expect(try target.receive(events) == 0)
        #expect(try target.digest() == source.digest())
        _ = try target.verify()
    }

    @Test func equivocationIsRefused() throws {
        let fixture = try StoreFixture()
        let original = try fixture.open(at: fixture.directory + "/a.sqlite")
        try original.commit([EventDraft(type: "test.x", data: ["v": 1])])
        // A restored backup: same key, other content at the same dot.
        try FileManager.default.copyItem(atPath: fixture.directory + "/a.sqlite.key", toPath: fixture.directory + "/b.sqlite.key")
        let restored = try fixture.open(at: fixture.directory + "/b.sqlite")
        try restored.commit([EventDraft(type: "test.x", data: ["v": 2])])
        #expect(original.identity!.origin == restored.identity!.origin)
        let target = try fixture.open()
        try target.receive(original.allEvents())
        let error = #expect(throws: DaftarError.self) { try target.receive(restored.allEvents()) }
        #expect(error?.message.contains("equivocation") == true)
    }

    @Test func failedCommitLeavesTheStoreUnchanged() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        try store.ingest(StoreFixture.seedFiles())
        let digest = try store.digest(), vv = try store.versionVector()
        let huge = String(repeating: "\u{1}", count: Limits.maxEventBytes / 6 + 10)  // escapes to 6 bytes each
        let drafts = [EventDraft(type: "test.x", data: ["ok": 1]), EventDraft(type: "test.x", data: ["huge": .string(huge)])]
        #expect(throws: DaftarError.self) { try store.commit(drafts) }
        #expect(try store.count("events") == 5)
        #expect(try store.digest() == digest)
        #expect(try store.versionVector() == vv)
    }

    @Test func projectionVersionChangeRebuildsOnOpen() throws {
        let fixture = try StoreFixture()
        let digest: String
        do {
            let store = try fixture.open()
            try store.ingest(StoreFixture.seedFiles())
            digest = try store.digest()
            // Simulate projections built by an older projection version, and stale.
            try store.writer.write { db in
                try db.execute(sql: "UPDATE projection_state SET version = 0")
                try db.execute(sql: "DELETE FROM articles")
            }
        }
        let reopened = try fixture.open(forWriting: false)
        #expect(try reopened.count("articles") == 5)
        #expect(try reopened.digest() == digest)
        let states = try reopened.writer.read { db in try Row.fetchAll(db, sql: "SELECT name, version, position FROM projection_state") }
        #expect(states.count == Projector.Projection.allCases.count)
        for state in states {
            #expect(state[1] as Int == Projector.Projection(rawValue: state[0])?.version)
            #expect(state[2] == 5 as Int64)
        }
    }

    /// Each projection records its own version: a stale one is rebuilt with those derived
    /// from its rows, and the others are left as they are.
    @Test func eachProjectionIsRebuiltOnItsOwnVersion() throws {
        let fixture = try StoreFixture()
        let article: String
        do {
            let store = try fixture.open()
            article = try store.ingest(StoreFixture.seedFiles())[2].articleID
            _ = try store.annotate(article: article, target: .quote("شریک راهبردی ماست", prefix: nil, suffix: nil, occurrence: nil), note: "یادداشت")
            let names = try store.writer.read { db in try String.fetchAll(db, sql: "SELECT name FROM projection_state ORDER BY name") }
            #expect(names == ["aliases", "annotations", "article_tags", "articles"])
            try store.writer.write { db in
                try db.execute(sql: "UPDATE projection_state SET version = 0 WHERE name = 'annotations'; DELETE FROM annotations")
                try db.execute(sql: "UPDATE articles SET title = 'marker' WHERE id = ?", arguments: [article])
            }
        }
        let reopened = try fixture.open(forWriting: false)
        #expect(try reopened.annotations(article: article).count == 1, "the stale projection is rebuilt")
        #expect(try reopened.article(article).summary.title == "marker", "the current one is left as it is")
        try reopened.writer.write { db in
            try db.execute(sql: "UPDATE projection_state SET version = 0 WHERE name = 'articles'; DELETE FROM annotations")
        }
        let again = try fixture.open(forWriting: false)
        #expect(try again.article(article).summary.title != "marker")
        #expect(try again.annotations(article: article).count == 1, "annotations are derived from articles' rows: rebuilt with them")
    }

    @Test func newerSchemaIsRefused() throws {
        let fixture = try StoreFixture()
        do {
            let store = try fixture.open()
            try store.writer.write { db in try db.execute(sql: "INSERT INTO grdb_migrations(identifier) VALUES ('v99-from-the-future')") }
        }
        let error = #expect(throws: DaftarError.self) { try fixture.open() }
        #expect(error?.code == .newerSchema)
        #expect(error?.message.contains("newer version of Daftar") == true)
    }

    @Test func foreignFilesAreRefusedUntouched() throws {
        let fixture = try StoreFixture()
        let text = try fixture.write("notes.txt", "not a database\n")
        let error = #expect(throws: DaftarError.self) { try fixture.open(at: text) }
        #expect(error?.code == .badStore)
        #expect(try String(contentsOfFile: text, encoding: .utf8) == "not a database\n")

        let other = fixture.directory + "/other.sqlite"
        try DatabaseQueue(path: other).write { try $0.execute(sql: "CREATE TABLE t(x)") }
        let otherError = #expect(throws: DaftarError.self) { try fixture.open(at: other) }
        #expect(otherError?.message.contains("not a Daftar store") == true)

        let directoryError = #expect(throws: DaftarError.self) { try fixture.open(at: fixture.directory) }
        #expect(directoryError?.code == .badStore)
    }

    @Test func missingKeyFileGivesANewIdentityAndSaysSo() throws {
        let fixture = try StoreFixture()
        let first = try fixture.open()
        #expect(first.identityNotice == nil)
        try first.ingest(Array(StoreFixture.seedFiles().prefix(2)))
        let mode = try FileManager.default.attributesOfItem(atPath: first.keyPath)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        try FileManager.default.removeItem(atPath: first.keyPath)

        let second = try fixture.open()
        #expect(second.identity!.origin != first.identity!.origin)
        #expect(second.identityNotice?.contains(second.identity!.origin.rawValue) == true)
        try second.ingest(Array(StoreFixture.seedFiles().suffix(2)))
        #expect(try second.versionVector().heads.count == 2)
        let report = try second.verify()
        #expect(report.events == 4 && report.origins == 2)
    }

    @Test func corruptKeyFileIsAnErrorNotANewIdentity() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        try store.ingest(Array(StoreFixture.seedFiles().prefix(1)))
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: store.keyPath))
        let error = #expect(throws: DaftarError.self) { try fixture.open() }
        #expect(error?.code == .badKeyFile)
        // Reading commands do not need the key.
        #expect(try fixture.open(forWriting: false).count("articles") == 1)
    }

    @Test func searchFoldsPersianVariants() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        try store.ingest(StoreFixture.seedFiles())
        func files(_ query: String) throws -> Set<String> {
            Set(try store.search(SearchQuery(parsing: query)).map(\.file))
        }
        #expect(try files("ولاديمير پوتين") == ["000_1ecfb78ca4866ac4.txt", "002_0a9e599e7ddfaa65.txt", "003_8fc7de84c5610d4c.txt"])
        #expect(try files("1404") == ["000_1ecfb78ca4866ac4.txt"])
        #expect(try files("بین‌المللی") == (try files("بینالمللی")))
        #expect(try files("بین‌المللی").contains("000_1ecfb78ca4866ac4.txt"))
        #expect(try files("كرملين").contains("003_8fc7de84c5610d4c.txt"))  // Arabic kaf and yeh
        // Scraped tails are not indexed: «نظرات کاربران» only appears in 002's tail.
        #expect(try files("کاربران").isEmpty)
        let hit = try #require(try store.search(SearchQuery(parsing: "1404")).first)
        let marked = hit.snippet.matches.map { String(String.UnicodeScalarView(Array(hit.snippet.text.unicodeScalars)[$0])) }
        #expect(marked == ["۱۴۰۴"])  // snippet and highlight come from the original text
    }

    @Test func searchRanksTiesById() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        let files = try (0..<6).map { try SourceFile.read(path: fixture.write("f\($0).txt", "خبر \($0)\nتهران")) }
        try store.ingest(files)
        let hits = try store.search(SearchQuery(parsing: "تهران"))
        #expect(hits.count == 6)
        #expect(hits.map(\.id) == hits.map(\.id).sorted())
    }

    @Test func queryWithoutWordsIsAClearError() {
        let error = #expect(throws: DaftarError.self) { try SearchQuery(parsing: "«»!? ...") }
        #expect(error?.code == .badQuery)
    }
}

import DaftarCore
@testable import DaftarStore
import Foundation
import GRDB
import Testing

/// `verify` checks all of it: tests change a copy of a store with raw SQL, behind Daftar's
/// back (the triggers dropped where they would refuse), and `verify` names exactly that.
@Suite("verify names what was changed behind Daftar's back")
struct VerifyTests {
    static func store(_ fixture: StoreFixture) throws -> Store {
        let store = try fixture.open()
        let article = try store.ingest(StoreFixture.seedFiles())[2].articleID
        _ = try store.annotate(article: article, target: .quote("شریک راهبردی ماست", prefix: nil, suffix: nil, occurrence: nil), note: "یادداشت")
        _ = try store.setTags(["دفاع"], on: .article(article), add: true)
        return store
    }

    @Test(arguments: [
        ("UPDATE annotations SET note = 'دستکاری'", "projections differ from a rebuild"),
        ("DELETE FROM article_tags", "projections differ from a rebuild"),
        ("UPDATE articles SET title = 'عنوان دیگر' WHERE rowid = 1", "projections differ from a rebuild"),
        ("DROP TRIGGER events_refuse_delete", "trigger events_refuse_delete is missing"),
        ("DROP TRIGGER events_extend_chain", "trigger events_extend_chain is missing"),
        ("UPDATE version_vector SET seq = seq - 1", "version vector does not match"),
        ("DROP TRIGGER events_refuse_update; UPDATE events SET body = CAST(replace(CAST(body AS TEXT), 'یادداشت', 'دستکاری') AS BLOB) WHERE type = 'annotation.created'", "does not verify"),
        ("DROP TRIGGER events_refuse_delete; DELETE FROM events WHERE position = 3", "does not verify"),
    ])
    func eachChangeIsNamed(change: String, named: String) throws {
        let fixture = try StoreFixture()
        let store = try Self.store(fixture)
        _ = try store.verify()
        let raw = try DatabaseQueue(path: fixture.path)
        try raw.writeWithoutTransaction { db in try db.execute(sql: change) }
        try raw.close()
        let reopened = try fixture.open(forWriting: false)
        let error = #expect(throws: DaftarError.self) { try reopened.verify() }
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains(named) == true, "\(change) → \(error?.message ?? "no error")")
    }

    /// Several things changed at once: each is listed, with its kind.
    @Test func everyProblemIsListed() throws {
        let fixture = try StoreFixture()
        _ = try Self.store(fixture)
        let raw = try DatabaseQueue(path: fixture.path)
        try raw.writeWithoutTransaction { db in
            try db.execute(sql: """
                DROP TRIGGER events_refuse_delete; UPDATE annotations SET note = 'دیگر';
                DROP TRIGGER events_refuse_update;
                UPDATE events SET body = CAST(replace(CAST(body AS TEXT), 'یادداشت', 'دستکاری') AS BLOB) WHERE type = 'annotation.created'
                """)
        }
        try raw.close()
        let report = try fixture.open(forWriting: false).check()
        #expect(Set(report.problems.map(\.kind)) == [.chain, .trigger, .projections], "\(report.problems)")
        #expect(report.problems.first { $0.kind == .chain }?.event != nil)
        #expect(report.events == 7)
    }

    @Test func anUntouchedStoreVerifies() throws {
        let fixture = try StoreFixture()
        let report = try Self.store(fixture).verify()
        #expect(report.events == 7 && report.origins == 1)
    }
}

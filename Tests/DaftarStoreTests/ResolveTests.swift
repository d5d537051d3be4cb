import DaftarCore
@testable import DaftarStore
import Foundation
import Testing

/// `resolve --keep EVENT` names the value to keep as `show` and `conflicts` print events: an
/// origin prefix with the seq, or a prefix of the event's hash.
@Suite("Resolving a conflict by an event id prefix")
struct ResolveTests {
    /// Two replicas edit one note concurrently; returns one of them, holding both values.
    static func conflicted(_ fixture: StoreFixture) throws -> (Store, String) {
        let a = try fixture.open(at: fixture.directory + "/a.sqlite")
        let b = try fixture.open(at: fixture.directory + "/b.sqlite")
        let seed = try StoreFixture.seedFiles()[2]
        let article = try a.ingest([seed])[0].articleID
        let view = try a.annotate(article: article, target: .quote("شریک راهبردی ماست", prefix: nil, suffix: nil, occurrence: nil), note: "اول")
        try b.receive(try a.allEvents())
        _ = try a.edit(annotation: view.id, note: "از a", motivation: nil)
        _ = try b.edit(annotation: view.id, note: "از b", motivation: nil)
        try a.receive(try b.allEvents().filter { $0.origin == b.identity!.origin })
        #expect(try a.annotation(view.id).inConflict)
        return (a, view.id)
    }

    @Test func anOriginPrefixWithTheSeqKeepsThatValue() throws {
        let fixture = try StoreFixture()
        let (store, id) = try Self.conflicted(fixture)
        let value = try #require(try store.annotation(id).note.values.first { $0.value == "از b" })
        let short = "\(value.dot.origin.rawValue.prefix(8)):\(value.dot.seq)"
        let resolved = try store.resolve(annotation: id, .keep(short))
        #expect(!resolved.inConflict && resolved.note.displayed?.value == "از b")
    }

    @Test func aHashPrefixKeepsThatValue() throws {
        let fixture = try StoreFixture()
        let (store, id) = try Self.conflicted(fixture)
        let value = try #require(try store.annotation(id).note.values.first { $0.value == "از a" })
        let resolved = try store.resolve(annotation: id, .keep(String(value.hash.prefix(8)).uppercased()))
        #expect(!resolved.inConflict && resolved.note.displayed?.value == "از a")
    }

    @Test func aPrefixNamingNoValueWritesNothing() throws {
        let fixture = try StoreFixture()
        let (store, id) = try Self.conflicted(fixture)
        let events = try store.count("events")
        #expect(throws: DaftarError.self) { try store.resolve(annotation: id, .keep("zzzz:99")) }
        #expect(throws: DaftarError.self) { try store.resolve(annotation: id, .keep(":2")) }
        #expect(try store.count("events") == events)
    }
}

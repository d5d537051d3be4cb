@testable import DaftarCore
@testable import DaftarStore
import DaftarSync
import Foundation
import Testing

/// Bundle files: the same session without a network.
@Suite("Sync by bundle files")
struct BundleTests {
    /// Two stores that each wrote on their own.
    static func pair(_ fixture: SyncFixture) throws -> (a: Store, b: Store) {
        let a = try SyncPageTests.manyCommits(fixture, "a", annotations: 6)
        let b = try fixture.open("b")
        _ = try b.ingest([SourceFile(path: "b", name: "b.txt", text: SyncFixture.article(8))])
        let article = try #require(try b.articles().first?.id)
        for i in 0..<3 { _ = try b.annotate(article: article, target: .positions(start: i, end: i + 5), note: "ب \(i)") }
        return (a, b)
    }

    @Test("Two stores converge through bundles both ways; applying twice is a no-op")
    func bundlesBothWays() async throws {
        let fixture = try SyncFixture()
        let (a, b) = try Self.pair(fixture)
        let toB = fixture.directory + "/to-b.bundle"
        let written = try await BundleWriter.create(from: a, since: VersionVector(), to: toB, now: 1, pageBytes: 4 << 10)
        #expect(written.pages > 1, "a small page budget should give several pages")
        let applied = try await BundleFile.read(toB).apply(to: b)
        #expect(applied.stored == (try a.count("events")))
        try b.recordKnownHeads(written.header.brings, of: a.origin)

        // B answers its creator with what A lacks.
        let reply = fixture.directory + "/to-a.bundle"
        let answer = try await BundleWriter.create(from: b, since: try #require(try b.knownHeads(of: a.origin)), to: reply, now: 2)
        #expect(answer.events == (try b.count(of: b.origin)), "the reply should carry only B's own events")
        _ = try await BundleFile.read(reply).apply(to: a)
        #expect(try a.digest() == b.digest())
        #expect(try a.versionVector() == b.versionVector())

        // Again: nothing new, nothing changed.
        let snapshot = try a.snapshot()
        #expect(try await BundleFile.read(reply).apply(to: a).stored == 0)
        #expect(try a.snapshot() == snapshot)
    }

    @Test("A truncated or tampered bundle is refused with the store unchanged", arguments: ["truncated", "tampered", "page removed"])
    func damagedBundlesAreRefused(damage: String) async throws {
        let fixture = try SyncFixture()
        let (a, b) = try Self.pair(fixture)
        let path = fixture.directory + "/a.bundle"
        _ = try await BundleWriter.create(from: a, since: VersionVector(), to: path, now: 1, pageBytes: 4 << 10)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        switch damage {
        case "truncated":
            bytes = Array(bytes.prefix(bytes.count * 2 / 3))
        case "tampered":
            // One letter of a note changed: the page still parses.
            let needle = Array("\"note\"".utf8)
            let at = try #require(bytes.indices.first { bytes[$0...].starts(with: needle) })
            bytes[at + 9] ^= 0x01
        default:
            var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            lines.remove(at: 1)
            bytes = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let before = try b.snapshot()
        let error = await daftarError { _ = try await BundleFile.read(path).apply(to: b) }
        #expect(error != nil, "\(damage): the damaged bundle was applied")
        #expect(error?.message.contains(path) == true, "\(damage): \(String(describing: error))")
        #expect(try b.snapshot() == before, "\(damage): the store changed")
    }

    @Test("A bundle whose prerequisites are missing says which, and stores nothing")
    func missingPrerequisites() async throws {
        let fixture = try SyncFixture()
        let (a, b) = try Self.pair(fixture)
        let first = try a.versionVector()
        _ = try a.annotate(article: try a.articles()[0].id, target: .positions(start: 0, end: 3), note: "بعدی")
        let path = fixture.directory + "/later.bundle"
        _ = try await BundleWriter.create(from: a, since: first, to: path, now: 1)
        let before = try b.snapshot()
        let error = await daftarError { _ = try await BundleFile.read(path).apply(to: b) }
        #expect(error?.code == .missingPrerequisites, "\(String(describing: error))")
        #expect(error?.message.contains("\(a.origin):\(first[a.origin]!.seq)") == true, "\(String(describing: error))")
        #expect(try b.snapshot() == before)
    }

    @Test("A fork proof travels in a bundle and freezes the receiver; a forged one does not")
    func forkProofsInBundles() async throws {
        let fixture = try SyncFixture()
        let (a, relay) = try await SyncHostileTests.synced(fixture)
        let proof = try SyncHostileTests.realProof(of: a)
        try relay.freeze(proof)
        let path = fixture.directory + "/proof.bundle"
        let written = try await BundleWriter.create(from: relay, since: VersionVector(), to: path, now: 1, pageBytes: 4 << 10)
        #expect(written.pages > 1)
        let receiver = try fixture.open("receiver")
        let applied = try await BundleFile.read(path).apply(to: receiver)
        #expect(applied.forks.map(\.origin) == [a.origin])
        #expect(try receiver.frozenOrigins() == [a.origin])
        // The frozen origin's history still travels, on every page, not just the first.
        #expect(try receiver.count(of: a.origin) == relay.count(of: a.origin))
        #expect(try receiver.digest() == relay.digest())
    }

    @Test("A bundle is about the size of the same HTTP sync")
    func bundleSizeMatchesSync() async throws {
        let fixture = try SyncFixture()
        let (a, _) = try Self.pair(fixture)
        let path = fixture.directory + "/all.bundle"
        let written = try await BundleWriter.create(from: a, since: VersionVector(), to: path, now: 1)
        let client = try fixture.open("client")
        let report = try await withPeer(.memory, serving: a) { peer in try await SyncDriver.run(log: client, transport: peer) }
        #expect(Double(written.bytes) <= 1.1 * Double(report.totalBytes), "bundle \(written.bytes) B vs sync \(report.totalBytes) B")
    }
}

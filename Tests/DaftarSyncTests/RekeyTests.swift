@testable import DaftarCore
@testable import DaftarStore
import DaftarSync
import Foundation
import Testing

/// The restore-from-backup story, in the library: a store restored from an old copy writes
/// again, its peers prove the fork, it rekeys, and every annotation from either history ends
/// on every store exactly once.
@Suite("Rekey after equivocation")
struct RekeyTests {
    /// `copyWrites` annotations on the restored copy: with more than one, the first exchange
    /// shows a contradiction whose events link to different predecessors, and the session
    /// must locate the fork point with checkpoints before `rekey` can run.
    @Test("Restore, fork, rekey, sync: every annotation once everywhere, digests equal", arguments: TransportKind.allCases, [1, 3])
    func restoreForkRekey(kind: TransportKind, copyWrites: Int) async throws {
        let fixture = try SyncFixture()
        let original = try fixture.open("original")
        _ = try original.ingest(try SyncFixture.seedFiles())
        try original.backup(to: fixture.path("copy"))
        let article = try original.articles()[0].id
        let hub = try fixture.open("hub")
        let third = try fixture.open("third")
        let x = original.origin
        try await withPeer(kind, serving: hub) { peer in
            _ = try await SyncDriver.run(log: original, transport: peer)
            _ = try hub.annotate(article: article, target: .positions(start: 0, end: 10), note: "دیگری")
            _ = try original.annotate(article: article, target: .positions(start: 2, end: 12), note: "اصل ۱")
            _ = try original.annotate(article: article, target: .positions(start: 4, end: 14), note: "اصل ۲")
            _ = try await SyncDriver.run(log: original, transport: peer)

            // The restored copy writes at the same seqs, and syncs: the fork is proven.
            let copy = try fixture.open(at: fixture.path("copy"))
            for i in 0..<copyWrites {
                _ = try copy.annotate(article: article, target: .positions(start: 6 + i, end: 16 + i), note: "نسخهٔ بازگردانده \(i)")
            }
            let found = try await SyncDriver.run(log: copy, transport: peer)
            #expect(found.forked == [x], "\(found.summary)")
            let agreed = try copy.frozenAt()[x]
            #expect(agreed == (try hub.versionVector()[x]!.seq) - 2, "the fork point was not located: \(String(describing: agreed))")
            #expect(try copy.forks().first?.isThisReplica == true)
            #expect(try hub.frozenOrigins() == [x])
            let fromThird = try await SyncDriver.run(log: third, transport: peer)
            #expect(try third.frozenOrigins() == [x], "\(fromThird.summary)")
            #expect(try third.forks().first?.sides.count == 2)
        }

        // Rekey the copy: a new identity, its own work re-issued.
        let report = try Store.rekey(at: fixture.path("copy"))
        #expect(report.oldReplica == x.rawValue && report.newReplica != x.rawValue)
        #expect(report.reissued == copyWrites)
        let rekeyed = try fixture.open(at: fixture.path("copy"))
        #expect(rekeyed.origin.rawValue == report.newReplica)
        _ = try rekeyed.verify()

        try await withPeer(kind, serving: hub) { peer in
            for store in [rekeyed, third, original, rekeyed, third, original] {
                _ = try await SyncDriver.run(log: store, transport: peer)
            }
        }
        let expected = (["دیگری", "اصل ۱", "اصل ۲"] + (0..<copyWrites).map { "نسخهٔ بازگردانده \($0)" }).sorted()
        for (name, store) in [("hub", hub), ("third", third), ("rekeyed", rekeyed), ("original", original)] {
            let notes = try store.annotations().compactMap { $0.note.displayed?.value }.sorted()
            #expect(notes == expected, "\(name): \(notes)")
            #expect(try store.digest() == hub.digest(), "\(name)'s digest differs from the hub's")
            _ = try store.verify()
        }
    }
}

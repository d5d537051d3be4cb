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

    /// Where a rekey may be killed while it swaps the new store in (building it is covered by
    /// the crash tests: the old store is untouched until the new one is staged whole).
    enum Interruption: String, CaseIterable, CustomStringConvertible {
        /// The new store staged; nothing of the old one touched.
        case staged
        /// The old file linked to its backup name, its key not yet.
        case halfBackedUp
        /// The backup whole.
        case backedUp
        /// The new file in place, the old key still beside it.
        case fileMoved
        var description: String { rawValue }
    }

    @Test("A rekey killed while swapping files: the store refuses to open, and rekey again finishes it", arguments: Interruption.allCases)
    func interruptedSwap(at stop: Interruption) async throws {
        let fixture = try SyncFixture()
        let done = fixture.path("done")
        do {
            let copy = try await Self.forkedCopy(fixture, at: done)
            try copy.writer.close()
        }
        let oldDigest = try fixture.open(at: done, forWriting: false).digest()
        let report = try Store.rekey(at: done)
        let fm = FileManager.default

        // The same rekey, as a kill at `stop` left it, rebuilt from the finished one's files.
        let path = fixture.path("interrupted"), staged = path + ".rekey", backup = path + ".before-rekey"
        let newFile = staged + "/interrupted.sqlite"
        try fm.createDirectory(atPath: staged, withIntermediateDirectories: false)
        try fm.copyItem(atPath: done, toPath: newFile)
        try fm.copyItem(atPath: done + ".key", toPath: newFile + ".key")
        var staging = report
        staging.backup = backup
        try JSONEncoder().encode(staging).write(to: URL(fileURLWithPath: staged + "/report.json"))
        try fm.copyItem(atPath: done + ".before-rekey", toPath: path)
        try fm.copyItem(atPath: done + ".before-rekey.key", toPath: path + ".key")
        switch stop {
        case .staged: break
        case .halfBackedUp:
            try fm.linkItem(atPath: path, toPath: backup)
        case .backedUp, .fileMoved:
            try fm.linkItem(atPath: path, toPath: backup)
            try fm.linkItem(atPath: path + ".key", toPath: backup + ".key")
            if stop == .fileMoved {
                try fm.removeItem(atPath: path)
                try fm.moveItem(atPath: newFile, toPath: path)
            }
        }

        // Nothing opens it half-swapped: neither the new file with the old key nor a new identity.
        let refused = #expect(throws: DaftarError.self) { try Store.open(at: path) }
        #expect(refused?.message.contains("run `daftar rekey` again") == true, "\(String(describing: refused))")
        #expect(throws: DaftarError.self) { try Store.openForReading(at: path) }

        let finished = try Store.rekey(at: path)
        #expect(finished.newReplica == report.newReplica && finished.reissued == report.reissued && finished.backup == backup)
        #expect(!fm.fileExists(atPath: staged))
        let rekeyed = try fixture.open(at: path)
        #expect(rekeyed.origin.rawValue == report.newReplica)
        #expect(try rekeyed.digest() == fixture.open(at: done, forWriting: false).digest())
        _ = try rekeyed.verify()
        let kept = try fixture.open(at: backup)
        #expect(kept.origin.rawValue == report.oldReplica)
        #expect(try kept.digest() == oldDigest)
    }

    /// A store restored from a backup that wrote again and synced: its fork proven and located,
    /// ready to rekey, at `path`.
    static func forkedCopy(_ fixture: SyncFixture, at path: String) async throws -> Store {
        let original = try fixture.open("original")
        _ = try original.ingest(try SyncFixture.seedFiles())
        try original.backup(to: path)
        let article = try original.articles()[0].id
        let hub = try fixture.open("hub")
        return try await withPeer(.memory, serving: hub) { peer in
            _ = try await SyncDriver.run(log: original, transport: peer)
            _ = try original.annotate(article: article, target: .positions(start: 2, end: 12), note: "اصل ۱")
            _ = try original.annotate(article: article, target: .positions(start: 4, end: 14), note: "اصل ۲")
            _ = try await SyncDriver.run(log: original, transport: peer)
            let copy = try fixture.open(at: path)
            _ = try copy.annotate(article: article, target: .positions(start: 6, end: 16), note: "نسخهٔ بازگردانده")
            let found = try await SyncDriver.run(log: copy, transport: peer)
            #expect(found.forked == [original.origin], "\(found.summary)")
            return copy
        }
    }
}

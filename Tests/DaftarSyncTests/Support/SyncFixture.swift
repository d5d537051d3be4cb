@testable import DaftarCore
@testable import DaftarStore
import DaftarTestSupport
import Foundation
import GRDB
import Synchronization
import Testing

/// Stores in a fresh temporary directory, removed when the fixture is released. Each store
/// gets its own deterministic clock (1 ms per call), well apart from the others'.
final class SyncFixture {
    let directory: String
    private var clock: Int64 = 1_750_000_000_000

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("daftar-sync-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// `<directory>/<name>.sqlite`.
    func path(_ name: String) -> String { directory + "/" + name + ".sqlite" }

    /// Opens (creating) the store `name`, with a fake clock.
    func open(_ name: String, forWriting: Bool = true) throws -> Store {
        try open(at: path(name), forWriting: forWriting)
    }

    func open(at path: String, forWriting: Bool = true) throws -> Store {
        let counter = Counter(clock)
        clock += 10_000_000
        return try Store.open(at: path, forWriting: forWriting, now: { counter.next() })
    }

    /// The seed articles, read as ingest reads them.
    static func seedFiles() throws -> [SourceFile] {
        try SourceFile.expand([seedsDirectory]).files.map { try SourceFile.read(path: $0) }
    }

    static var seedsDirectory: String { Repository.seedsDirectory }

    /// An article written for these tests (not one of the seeds), `n` making it unique.
    static func article(_ n: Int) -> String {
        """
        گزارش آزمایشی شماره \(n) دربارهٔ همکاری‌های منطقه‌ای
        به گزارش خبرگزاری، نشست کارشناسان امنیت بین‌المللی در روز \(n) برگزار شد و شرکت‌کنندگان \
        دربارهٔ همکاری اقتصادی، انرژی و حمل‌ونقل در قفقاز جنوبی گفت‌وگو کردند. \
        این متن فقط برای آزمون همگام‌سازی نوشته شده است و شمارهٔ \(n) آن را یکتا می‌کند.
        """
    }
}

/// A monotonic fake clock safe to share with the store.
final class Counter: Sendable {
    private let state: Mutex<Int64>
    init(_ start: Int64) { state = Mutex(start) }
    func next() -> Int64 { state.withLock { $0 += 1; return $0 } }
}

/// A seeded generator (SplitMix64), so a failing run can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum TestSeeds {
    /// `$DAFTAR_TEST_SEED` alone (to replay a failure), else `count` fresh random seeds.
    static func seeds(count: Int) -> [UInt64] {
        if let text = ProcessInfo.processInfo.environment["DAFTAR_TEST_SEED"], let seed = UInt64(text) { return [seed] }
        return (0..<count).map { _ in UInt64.random(in: 0...UInt64.max) }
    }
}

extension Store {
    /// Rows of a table.
    func count(_ table: String) throws -> Int {
        try writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }

    /// Events held of one origin.
    func count(of origin: ReplicaID) throws -> Int {
        try writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE origin = ?", arguments: [origin.rawValue]) ?? 0 }
    }

    /// Distinct dots in the log must be as many as rows: nothing is held twice.
    func distinctDots() throws -> Int {
        try writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT DISTINCT origin, seq FROM events)") ?? 0 }
    }

    /// All events in log order, parsed from their stored bytes.
    func allEvents() throws -> [Event] {
        try writer.read { db in
            try Data.fetchAll(db, sql: "SELECT body FROM events ORDER BY position").map { try Event(bytes: $0) }
        }
    }

    /// This store's own replica id (opened for writing).
    var origin: ReplicaID { identity!.origin }

    /// A consistent copy of the store file at `path` (as a backup would be), and of its key file.
    func backup(to path: String) throws {
        try writer.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
        try FileManager.default.copyItem(atPath: keyPath, toPath: path + ".key")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path + ".key")
    }

    /// Everything a sync must not break: what the analyst sees, and how many events are held.
    func snapshot() throws -> StoreSnapshot {
        StoreSnapshot(digest: try digest(), events: try count("events"), versionVector: try versionVector())
    }
}

struct StoreSnapshot: Equatable, CustomStringConvertible {
    var digest: String
    var events: Int
    var versionVector: VersionVector
    var description: String { "\(events) events, digest \(digest.prefix(16)), vv \(versionVector)" }
}

/// Builds events by hand, as a forger (or a buggy peer) would.
enum Forge {
    /// The identity whose key is in `store`'s key file.
    static func identity(of store: Store) throws -> Identity {
        try #require(Identity(keyFileText: try String(contentsOfFile: store.keyPath, encoding: .utf8)))
    }

    /// `event` with some envelope fields replaced; `rehash` recomputes `hash` (and `dataHash`
    /// when `data` changed); `signer` re-seals it with that key (key and signature).
    static func altered(
        _ event: Event, rehash: Bool = true, signer: Identity? = nil, _ change: (inout [String: JSONValue]) -> Void
    ) throws -> Event {
        var envelope = event.envelope
        change(&envelope)
        if rehash {
            if let data = envelope["data"] { envelope["dataHash"] = .string(Event.computeDataHash(of: data)) }
            envelope["hash"] = .string(Event.computeHash(of: envelope))
        }
        if let signer {
            let hash = try #require(envelope["hash"]?.stringValue)
            envelope["key"] = .string(signer.publicKeyText)
            envelope["sig"] = .string(signer.sign(hash: try #require(ByteEncoding.bytes(hex: hash))))
        }
        return try Event(envelope: envelope)
    }
}

extension Event {
    /// `ORIGIN:SEQ`, as messages name an event.
    var name: String { "\(origin):\(seq)" }
}

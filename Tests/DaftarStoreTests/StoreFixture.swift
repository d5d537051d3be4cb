import DaftarCore
@testable import DaftarStore
import DaftarTestSupport
import Foundation
import GRDB

/// A store in a fresh temporary directory, removed when the fixture is released.
final class StoreFixture {
    let directory: String
    let path: String
    private(set) var clock: Int64 = 1_750_000_000_000

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("daftar-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/archive.sqlite"
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Opens the store with a deterministic clock that advances 1 ms per call.
    func open(forWriting: Bool = true, at path: String? = nil) throws -> Store {
        let start = clock
        clock += 1_000_000
        let counter = Counter(start)
        return try Store.open(at: path ?? self.path, forWriting: forWriting, now: { counter.next() })
    }

    /// Writes a file into the fixture's directory and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let file = directory + "/" + name
        try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    static var seedsDirectory: String { Repository.seedsDirectory }

    static func seedFiles() throws -> [SourceFile] {
        try SourceFile.expand([seedsDirectory]).files.map { try SourceFile.read(path: $0) }
    }
}

/// A monotonic fake clock safe to share with the store.
final class Counter: Sendable {
    private let state: Mutex<Int64>
    init(_ start: Int64) { state = Mutex(start) }
    func next() -> Int64 { state.withLock { $0 += 1; return $0 } }
}

import Synchronization

extension Store {
    func count(_ table: String) throws -> Int {
        try writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }

    /// All events in log order, parsed from their stored bytes.
    func allEvents() throws -> [Event] {
        try writer.read { db in
            try Data.fetchAll(db, sql: "SELECT body FROM events ORDER BY position").map { try Event(bytes: $0) }
        }
    }
}

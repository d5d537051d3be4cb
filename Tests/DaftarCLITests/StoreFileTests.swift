import Foundation
import Testing

/// The store's files as a new user's first commands leave them: owner-only from the start,
/// and one identity even when two commands create the store at once.
@Suite("Store files: owner-only, one identity")
struct StoreFileTests {
    func mode(_ path: String) throws -> Int {
        try #require((FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue)
    }

    @Test func aNewStoreAndItsKeyAreOwnerOnly() throws {
        let box = try Sandbox()
        expectSuccess(try box.run("ingest", DaftarBinary.seedsDirectory))
        for file in [box.store, box.keyPath, box.store + "-wal", box.store + "-shm"] where FileManager.default.fileExists(atPath: file) {
            let bits = try mode(file)
            #expect(bits & 0o077 == 0, "\(file) is \(String(bits, radix: 8))")
        }
        // No key file was ever written under another name and left behind.
        let left = try FileManager.default.contentsOfDirectory(atPath: box.directory).filter { $0.contains(".key.new-") }
        #expect(left.isEmpty)
    }

    /// Two ingests started at once on a store that does not exist yet: both finish, every
    /// event comes from one replica, and that replica's key is the key file.
    @Test func twoCommandsCreatingOneStoreEndWithOneIdentity() throws {
        for round in 0..<6 {
            let box = try Sandbox()
            let a = try box.write("a/one.txt", "عنوان یک\nمتن نخست برای آزمون \(round).\n")
            let b = try box.write("b/two.txt", "عنوان دو\nمتن دوم برای آزمون \(round).\n")
            let first = try box.start(["ingest", a], store: box.store)
            let second = try box.start(["ingest", b], store: box.store)
            expectSuccess(try first.wait(timeout: 120))
            expectSuccess(try second.wait(timeout: 120))
            let log = try box.run("log", "--json")
            let origins = Set((try log.jsonArray()).compactMap { $0["origin"] as? String })
            let replica = try box.status()["replica"] as? String
            #expect(origins.count == 1 && origins.first == replica, "round \(round): events from \(origins), replica \(replica ?? "?")")
        }
    }
}

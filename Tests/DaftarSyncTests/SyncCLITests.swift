import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The "done when" walk-through, as separate processes: `serve` on an ephemeral loopback
/// port, `clone` and `sync` from another store, a concurrent note edit listed as a conflict in
/// both, resolved on one, gone from both; the server stops cleanly on SIGTERM.
@Suite("Sync from the command line, end to end")
struct SyncCLITests {
    static let built = DaftarExecutable.path != nil

    @Test(.enabled(if: built, "the daftar executable is not built next to the tests; run `swift build --build-tests` first"))
    func serveCloneSyncResolve() throws {
        let box = try CLISandbox()
        let a = box.path("a.sqlite"), b = box.path("b.sqlite")
        let token = try box.writeSecret("token", "cli-sync-token-\(UUID().uuidString)\n")
        guard let root = DaftarExecutable.packageRoot else { throw CLIError("package root not found") }

        func ok(_ arguments: [String], _ store: String, author: String = "analyst-a") throws -> CLIResult {
            let result = try box.run(arguments, store: store, author: author)
            #expect(result.succeeded, "\(result)")
            guard result.succeeded else { throw CLIError("\(result)") }
            return result
        }
        func digest(_ store: String) throws -> String {
            try ok(["digest"], store).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        func conflicts(_ store: String) throws -> [[String: Any]] {
            try ok(["conflicts", "--json"], store).jsonArray()
        }

        _ = try ok(["ingest", root.appendingPathComponent("seeds").path], a)
        let server = try box.start(["serve", "--listen", "127.0.0.1:0", "--token-file", token], store: a, author: "analyst-a")
        defer { if server.isRunning { kill(server.pid, SIGKILL) } }
        let url = "http://" + (try server.line(startingWith: "listening on http://", timeout: 60)).trimmingCharacters(in: .whitespaces)
        let port = Int(url.split(separator: ":").last ?? "") ?? 0
        #expect(url.hasPrefix("http://127.0.0.1:") && port > 0, "\(url)")

        // B is cloned from A: a new store, a new identity, the same archive.
        let clone = try ok(["clone", url, "--token-file", token], b, author: "analyst-b")
        #expect(clone.stdout.contains("cloned 5 events"), "\(clone)")
        #expect(try digest(a) == digest(b))
        let statusA = try ok(["status", "--json"], a).jsonObject(), statusB = try ok(["status", "--json"], b).jsonObject()
        #expect(statusA["replica"] as? String != statusB["replica"] as? String)

        // A annotates while it serves; B gets it.
        let article = try #require(try ok(["list", "--json"], a).jsonArray().first?["id"] as? String)
        let annotation = try #require(try ok(["annotate", article, "--start", "3", "--end", "20", "--note", "یادداشت نخست", "--json"], a).jsonObject()["id"] as? String)
        let first = try ok(["sync", url, "--token-file", token, "--json"], b, author: "analyst-b").jsonObject()
        #expect(first["pulledEvents"] as? Int == 1, "\(first)")

        // The same note, edited on both before they sync again; B also annotates on its own.
        _ = try ok(["edit", annotation, "--note", "نظر الف"], a)
        _ = try ok(["edit", annotation, "--note", "نظر ب"], b, author: "analyst-b")
        _ = try ok(["annotate", article, "--start", "30", "--end", "40", "--note", "از ب", "--json"], b, author: "analyst-b")

        let both = try ok(["sync", url, "--token-file", token, "--json"], b, author: "analyst-b").jsonObject()
        #expect(both["pulledEvents"] as? Int == 1 && both["pushedEvents"] as? Int == 2, "\(both)")
        #expect((both["forks"] as? [Any])?.isEmpty == true, "\(both)")
        #expect(both["inSync"] as? Bool == true, "\(both)")
        #expect((both["broughtIn"] as? [String: Any])?["conflicts"] as? Int == 1, "\(both)")
        #expect(try digest(a) == digest(b))
        for store in [a, b] {
            let listed = try conflicts(store)
            #expect(listed.map { $0["id"] as? String } == [annotation], "\(store): \(listed)")
            let values = Set((listed.first?["noteValues"] as? [[String: Any]] ?? []).compactMap { $0["value"] as? String })
            #expect(values == ["نظر الف", "نظر ب"], "\(store): \(listed)")
        }

        // Resolved on B, synced: no conflict anywhere.
        _ = try ok(["resolve", annotation, "--note", "توافق"], b, author: "analyst-b")
        _ = try ok(["sync", url, "--token-file", token], b, author: "analyst-b")
        #expect(try digest(a) == digest(b))
        for store in [a, b] {
            #expect(try conflicts(store).isEmpty, "\(store) still lists a conflict")
        }

        // Agreeing stores: a sync (by peer name, as clone remembered it) moves only heads.
        let quiet = try ok(["sync", "origin", "--json"], b, author: "analyst-b").jsonObject()
        #expect(quiet["pulledEvents"] as? Int == 0 && quiet["pushedEvents"] as? Int == 0, "\(quiet)")
        #expect((quiet["totalBytes"] as? Int ?? .max) < 2048, "\(quiet)")

        // SIGTERM: a clean exit.
        #expect(kill(server.pid, SIGTERM) == 0)
        let stopped = try server.wait(timeout: 20)
        #expect(stopped.status == 0 && !stopped.signaled, "\(stopped)")
        _ = try ok(["verify"], a)
        _ = try ok(["verify"], b)
    }

    /// Issue: the restore-from-backup story, each step a separate `daftar` process: a store
    /// restored from an old copy writes again; syncing through a served hub, every store sees the
    /// fork with its proof; the copy rekeys; after syncing, every annotation written on either
    /// history is on every store exactly once, and the digests agree.
    @Test(.enabled(if: built, "the daftar executable is not built next to the tests; run `swift build --build-tests` first"))
    func restoreForkRekeyConverge() throws {
        let box = try CLISandbox()
        let a = box.path("a.sqlite"), copy = box.path("copy.sqlite"), hub = box.path("hub.sqlite"), third = box.path("third.sqlite")
        let token = try box.writeSecret("token", "cli-rekey-token-\(UUID().uuidString)\n")
        guard let root = DaftarExecutable.packageRoot else { throw CLIError("package root not found") }
        func run(_ arguments: [String], _ store: String) throws -> CLIResult { try box.run(arguments, store: store, author: "analyst") }
        func ok(_ arguments: [String], _ store: String) throws -> CLIResult {
            let result = try run(arguments, store)
            #expect(result.succeeded, "\(result)")
            guard result.succeeded else { throw CLIError("\(result)") }
            return result
        }

        _ = try ok(["ingest", root.appendingPathComponent("seeds").path], a)
        // The backup: the store file and its key, copied while nothing runs.
        for suffix in ["", "-wal", ".key"] where FileManager.default.fileExists(atPath: a + suffix) {
            try FileManager.default.copyItem(atPath: a + suffix, toPath: copy + suffix)
        }
        _ = try ok(["init"], hub)
        _ = try ok(["init"], third)
        let server = try box.start(["serve", "--listen", "127.0.0.1:0", "--token-file", token], store: hub)
        defer { if server.isRunning { kill(server.pid, SIGKILL) } }
        let url = "http://" + (try server.line(startingWith: "listening on http://", timeout: 60)).trimmingCharacters(in: .whitespaces)
        let sync = ["sync", url, "--token-file", token, "--json"]

        let article = try #require(try ok(["list", "--json"], a).jsonArray().first?["id"] as? String)
        _ = try ok(sync, a)
        _ = try ok(["annotate", article, "--start", "2", "--end", "12", "--note", "اصل ۱"], a)
        _ = try ok(["annotate", article, "--start", "4", "--end", "14", "--note", "اصل ۲"], a)
        _ = try ok(sync, a)

        // The restored copy writes again and syncs: told it forked, and what to do.
        _ = try ok(["annotate", article, "--start", "6", "--end", "16", "--note", "نسخهٔ بازگردانده"], copy)
        let found = try run(sync, copy)
        #expect(found.status == 1, "\(found)")
        let forks = try #require(try found.jsonObject()["forks"] as? [[String: Any]])
        #expect(forks.count == 1 && forks.first?["isThisReplica"] as? Bool == true, "\(found)")
        _ = try ok(sync, third)
        for store in [hub, third, copy] {
            let listed = try ok(["forks", "--json"], store).jsonArray()
            #expect(listed.count == 1 && (listed.first?["sides"] as? [Any])?.count == 2, "\(store): \(listed)")
        }

        let rekey = try ok(["rekey", "--json"], copy).jsonObject()
        #expect(rekey["reissued"] as? Int == 1, "\(rekey)")
        #expect(FileManager.default.fileExists(atPath: copy + ".before-rekey"))
        for store in [copy, third, a, copy, third] { _ = try run(sync, store) }

        let digests = try [hub, third, copy, a].map { try ok(["digest"], $0).stdout }
        #expect(Set(digests).count == 1, "digests differ: \(digests)")
        for store in [hub, third, copy, a] {
            let notes = try ok(["annotations", "--json"], store).jsonArray().compactMap { $0["note"] as? String }.sorted()
            #expect(notes == ["اصل ۱", "اصل ۲", "نسخهٔ بازگردانده"].sorted(), "\(store): \(notes)")
            _ = try ok(["verify"], store)
        }
        let final = try ok(sync, copy).jsonObject()
        #expect(final["inSync"] as? Bool == true, "\(final)")
        #expect(kill(server.pid, SIGTERM) == 0)
        _ = try server.wait(timeout: 20)
    }
}

import DaftarCore
import DaftarStore
import DaftarTestSupport
import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Real `daftar` processes killed with SIGKILL at seeded random moments (issue: crash
/// anywhere). After each kill the store opens and `verify` passes — chains whole, every origin
/// ending on a seal (only whole batches), the version vector matching the log, the projections
/// equal to a rebuild — and running the operation again ends where an uninterrupted run ends.
/// Iterations per operation: `$DAFTAR_STRESS` (light 3, ci 6, full 30).
@Suite("Crash anywhere: SIGKILL at seeded moments", .serialized)
struct CrashTests {
    static let iterations = Stress.pick(light: 3, ci: 6, full: 30)
    static let needsDaftar: ConditionTrait = .enabled(
        if: DaftarExecutable.path != nil, "the daftar executable is not built; run `swift build --build-tests` first")

    /// A sandbox with a token and a corpus of `articles` generated articles in `corpus/`.
    final class Bench: @unchecked Sendable {
        let box: CLISandbox
        let token: String
        let corpus: String
        var rng: SplitMix64
        /// The share of the uninterrupted run's time a kill may wait: cut whenever a run
        /// finished first (the machine got faster than when it was timed).
        var reach = 1.0

        init(articles: Int, seed: UInt64) throws {
            box = try CLISandbox()
            token = try box.writeSecret("token", "crash-tests-token-\(UUID().uuidString)\n")
            corpus = box.path("corpus")
            try FileManager.default.createDirectory(atPath: corpus, withIntermediateDirectories: true)
            for n in 0..<articles {
                try Data(SyncFixture.article(10_000 + n).utf8).write(to: URL(fileURLWithPath: corpus + "/a\(n).txt"))
            }
            rng = SplitMix64(seed: seed)
        }

        /// Runs `daftar` to completion and requires it to succeed.
        @discardableResult
        func ok(_ arguments: [String], _ store: String, environment: [String: String?] = [:]) async throws -> CLIResult {
            let result = try await box.finish(arguments, store: store, environment: environment, timeout: 600)
            guard result.succeeded else { throw CLIError("\(result)") }
            return result
        }

        func digest(_ store: String) async throws -> String { try await ok(["digest"], store).stdout.trimmingCharacters(in: .whitespacesAndNewlines) }

        /// `daftar serve` on a free loopback port with the token; the child and its URL.
        func serve(_ store: String) throws -> (CLISandbox.Child, String) {
            let server = try box.start(["serve", "--listen", "127.0.0.1:0", "--token-file", token], store: store)
            let url = "http://" + (try server.line(startingWith: "listening on http://", timeout: 60)).trimmingCharacters(in: .whitespaces)
            return (server, url)
        }

        /// A copy of a store that no process has open: its file, WAL and key.
        func copy(_ store: String, to copy: String) throws {
            for suffix in ["", "-wal", "-shm", ".key"] where FileManager.default.fileExists(atPath: store + suffix) {
                try? FileManager.default.removeItem(atPath: copy + suffix)
                try FileManager.default.copyItem(atPath: store + suffix, toPath: copy + suffix)
            }
        }

        /// Starts `arguments`, kills it with SIGKILL after a seeded delay within `window`
        /// seconds; true when the kill landed before it finished.
        func killed(_ arguments: [String], _ store: String, within window: Double, environment: [String: String?] = [:]) async throws -> Bool {
            let started = Date()
            let child = try box.start(arguments, store: store, environment: environment)
            child.process.send(SIGKILL, after: Double.random(in: 0...(window * reach), using: &rng))
            let signaled = try await child.finished(timeout: 60).signaled
            // Finished first: the next kill comes within what this run took (the reference
            // may have been timed under more load).
            if !signaled { reach = min(reach / 2, 0.8 * Date().timeIntervalSince(started) / window) }
            return signaled
        }

        /// Pushes `pusher`'s store to `server` and kills the server after a seeded delay within
        /// `window` seconds; true when the kill landed mid-push (the pusher then says so in one
        /// line, its own store untouched).
        func killedWhilePushed(_ server: CLISandbox.Child, url: String, token: String, from pusher: String, within window: Double) async throws -> Bool {
            let push = try box.start(["sync", url, "--token-file", token], store: pusher)
            server.process.send(SIGKILL, after: Double.random(in: 0...window, using: &rng))
            let serverEnd = try await server.finished(timeout: 60)
            let pushed = try await push.finished(timeout: 120)
            guard serverEnd.signaled, !pushed.succeeded else { return false }
            #expect(pushed.stderrLines.count == 1 && pushed.stderr.hasPrefix("daftar: "), "\(pushed)")
            return true
        }

        /// Whether a store was begun: a kill before SQLite's first write leaves no file, or an
        /// empty one (made owner-only first), which commands call "no archive yet".
        func exists(_ store: String) -> Bool { Store.isBegun(at: store) }

        /// The store opens and verifies (when it was begun).
        func expectIntact(_ store: String, _ context: String) async throws {
            guard exists(store) else {
                if FileManager.default.fileExists(atPath: store) {
                    let verify = try await box.finish(["verify"], store: store, timeout: 300)
                    #expect(verify.stderr.contains("no archive at") && verify.stderr.contains("yet"), "\(context): \(verify)")
                }
                return
            }
            let verify = try await box.finish(["verify"], store: store, timeout: 300)
            #expect(verify.succeeded, "\(context): \(verify)")
        }

        /// How long `body` takes, in seconds.
        func seconds(_ body: () async throws -> Void) async rethrows -> Double {
            let start = Date()
            try await body()
            return Date().timeIntervalSince(start)
        }
    }

    /// A bench whose store `name` holds its corpus (batches of 25): the bench, the store, its digest.
    static func archive(_ name: String, seed: UInt64) async throws -> (Bench, String, String) {
        let bench = try Bench(articles: Stress.pick(light: 300, ci: 400, full: 1500), seed: seed)
        let store = bench.box.path(name + ".sqlite")
        try await bench.ok(["ingest", bench.corpus, "--batch", "25"], store)
        return (bench, store, try await bench.digest(store))
    }

    /// What each operation's runs came to, for the closing figures.
    static func report(_ operation: String, kills: Int, of iterations: Int) {
        print("crash: \(operation): \(kills) of \(iterations) runs killed before they finished; every store verified and finished equal")
    }

    @Test("ingest: killed anywhere, the store keeps whole batches and ingesting again archives the same articles", CrashTests.needsDaftar)
    func ingest() async throws {
        let bench = try Bench(articles: Stress.pick(light: 200, ci: 300, full: 1000), seed: 0x1A6E57)
        let reference = bench.box.path("reference.sqlite")
        let took = try await bench.seconds { _ = try await bench.ok(["ingest", bench.corpus, "--batch", "20"], reference) }
        let ids = try await Set(bench.ok(["list", "--json"], reference).jsonArray().compactMap { $0["id"] as? String })
        var kills = 0
        for i in 0..<Self.iterations {
            let store = bench.box.path("ingest-\(i).sqlite")
            if try await bench.killed(["ingest", bench.corpus, "--batch", "20"], store, within: took) { kills += 1 }
            try await bench.expectIntact(store, "ingest killed (run \(i))")
            if bench.exists(store) {
                let status = try await bench.box.finish(["status", "--json"], store: store).jsonObject()
                #expect((status["articles"] as? Int ?? 0) % 20 == 0, "a partial batch survived: \(status)")
            }
            try await bench.ok(["ingest", bench.corpus, "--batch", "20"], store)
            let again = try await Set(bench.ok(["list", "--json"], store).jsonArray().compactMap { $0["id"] as? String })
            #expect(again == ids, "run \(i): \(again.count) articles, \(ids.count) expected")
        }
        Self.report("ingest", kills: kills, of: Self.iterations)
    }

    @Test("rebuild: killed anywhere, the store is as before; rebuilding again gives the same digest", CrashTests.needsDaftar)
    func rebuild() async throws {
        let bench = try Bench(articles: Stress.pick(light: 300, ci: 400, full: 1500), seed: 0x2EB0)
        let prepared = bench.box.path("prepared.sqlite")
        try await bench.ok(["ingest", bench.corpus], prepared)
        let digest = try await bench.digest(prepared)
        let took = try await bench.seconds { _ = try await bench.ok(["rebuild"], prepared) }
        var kills = 0
        for i in 0..<Self.iterations {
            let store = bench.box.path("rebuild-\(i).sqlite")
            try bench.copy(prepared, to: store)
            if try await bench.killed(["rebuild"], store, within: took) { kills += 1 }
            try await bench.expectIntact(store, "rebuild killed (run \(i))")
            #expect(try await bench.digest(store) == digest)
            try await bench.ok(["rebuild"], store)
            #expect(try await bench.digest(store) == digest)
        }
        Self.report("rebuild", kills: kills, of: Self.iterations)
    }

    @Test("sync, the pulling side: killed anywhere, it keeps whole pages and the next sync ends equal", CrashTests.needsDaftar)
    func syncPullingSide() async throws {
        let (bench, source, digest) = try await Self.archive("source", seed: 0x5C11)
        let (server, url) = try bench.serve(source)
        defer { if server.isRunning { kill(server.pid, SIGKILL) } }
        let reference = bench.box.path("reference.sqlite")
        let took = try await bench.seconds { _ = try await bench.ok(["clone", url, "--token-file", bench.token], reference) }
        var kills = 0
        for i in 0..<Self.iterations {
            let store = bench.box.path("pull-\(i).sqlite")
            if try await bench.killed(["clone", url, "--token-file", bench.token], store, within: took) { kills += 1 }
            try await bench.expectIntact(store, "clone killed (run \(i))")
            if FileManager.default.fileExists(atPath: store) {
                try await bench.ok(["sync", url, "--token-file", bench.token], store)
            } else {
                try await bench.ok(["clone", url, "--token-file", bench.token], store)
            }
            #expect(try await bench.digest(store) == digest, "run \(i)")
        }
        Self.report("sync (pulling side)", kills: kills, of: Self.iterations)
    }

    @Test("sync, the serving side: a server killed while a peer pushes keeps whole pages; served again, the push ends equal", CrashTests.needsDaftar)
    func syncServingSide() async throws {
        let (bench, pusher, digest) = try await Self.archive("pusher", seed: 0x5E4E)
        let empty = bench.box.path("empty.sqlite")
        try await bench.ok(["init"], empty)
        var kills = 0
        var took = 1.0
        for i in 0..<Self.iterations {
            let store = bench.box.path("served-\(i).sqlite")
            try bench.copy(empty, to: store)
            let (server, url) = try bench.serve(store)
            if try await bench.killedWhilePushed(server, url: url, token: bench.token, from: pusher, within: took) { kills += 1 }
            try await bench.expectIntact(store, "server killed (run \(i))")
            let (again, url2) = try bench.serve(store)
            defer { if again.isRunning { kill(again.pid, SIGKILL) } }
            if i == 0 {
                took = try await bench.seconds { _ = try await bench.ok(["sync", url2, "--token-file", bench.token], pusher) }
            } else {
                try await bench.ok(["sync", url2, "--token-file", bench.token], pusher)
            }
            kill(again.pid, SIGTERM)
            _ = try await again.finished(timeout: 30)
            #expect(try await bench.digest(store) == digest, "run \(i)")
        }
        Self.report("sync (serving side)", kills: kills, of: Self.iterations)
    }

    @Test("bundle apply: killed anywhere, it keeps whole pages and applying again ends equal", CrashTests.needsDaftar)
    func bundleApply() async throws {
        let (bench, source, digest) = try await Self.archive("source", seed: 0xB0D1E)
        let bundle = bench.box.path("all.daftar-bundle")
        try await bench.ok(["bundle", "create", "--all", "--output", bundle], source)
        let reference = bench.box.path("reference.sqlite")
        try await bench.ok(["init"], reference)
        let empty = bench.box.path("empty.sqlite")
        try bench.copy(reference, to: empty)
        let took = try await bench.seconds { _ = try await bench.ok(["bundle", "apply", bundle], reference) }
        var kills = 0
        for i in 0..<Self.iterations {
            let store = bench.box.path("apply-\(i).sqlite")
            try bench.copy(empty, to: store)
            if try await bench.killed(["bundle", "apply", bundle], store, within: took) { kills += 1 }
            try await bench.expectIntact(store, "bundle apply killed (run \(i))")
            try await bench.ok(["bundle", "apply", bundle], store)
            #expect(try await bench.digest(store) == digest, "run \(i)")
        }
        Self.report("bundle apply", kills: kills, of: Self.iterations)
    }

    @Test("rekey: killed anywhere, the store is the old one or refuses to open until rekey finishes; then nothing is lost", CrashTests.needsDaftar)
    func rekey() async throws {
        // A store restored from a backup, written to, synced: its fork proven and located.
        let (bench, original, _) = try await Self.archive("original", seed: 0x4E6E)
        let prepared = bench.box.path("prepared.sqlite")
        try bench.copy(original, to: prepared)
        let hub = bench.box.path("hub.sqlite")
        try await bench.ok(["init"], hub)
        let (server, url) = try bench.serve(hub)
        defer { if server.isRunning { kill(server.pid, SIGKILL) } }
        let sync = ["sync", url, "--token-file", bench.token]
        let article = try #require(try await bench.ok(["list", "--json"], original).jsonArray().first?["id"] as? String)
        try await bench.ok(sync, original)
        for n in 0..<2 { try await bench.ok(["annotate", article, "--start", "\(n)", "--end", "\(n + 10)", "--note", "اصل \(n)"], original) }
        try await bench.ok(sync, original)
        for n in 0..<3 { try await bench.ok(["annotate", article, "--start", "\(n + 5)", "--end", "\(n + 15)", "--note", "نسخه \(n)"], prepared) }
        let found = try await bench.box.finish(sync, store: prepared)
        #expect(found.status == 1 && found.stderr.contains("rekey"), "\(found)")
        kill(server.pid, SIGTERM)
        _ = try await server.finished(timeout: 30)
        let before = try await bench.digest(prepared)

        func notes(_ store: String) async throws -> [String] {
            try await bench.ok(["annotations", "--json"], store).jsonArray().compactMap { $0["note"] as? String }.sorted()
        }
        let reference = bench.box.path("reference.sqlite")
        try bench.copy(prepared, to: reference)
        var expected: [String: Any] = [:]
        let took = try await bench.seconds { expected = try await bench.ok(["rekey", "--json"], reference).jsonObject() }
        let expectedNotes = try await notes(reference)
        var kills = 0, refusedMeanwhile = 0
        for i in 0..<Self.iterations {
            let store = bench.box.path("rekey-\(i).sqlite")
            try bench.copy(prepared, to: store)
            guard try await bench.killed(["rekey"], store, within: took) else { continue }
            kills += 1
            // Killed: the store is either the old one, whole, or refuses to open until rekey finishes.
            let status = try await bench.box.finish(["status"], store: store)
            if !status.succeeded {
                refusedMeanwhile += 1
                #expect(status.stderr.contains("run `daftar rekey` again"), "run \(i): \(status)")
            }
            let report = try await bench.ok(["rekey", "--json"], store).jsonObject()
            #expect(report["reissued"] as? Int == expected["reissued"] as? Int && report["agreed"] as? Int == expected["agreed"] as? Int, "run \(i): \(report)")
            try await bench.expectIntact(store, "rekey killed (run \(i))")
            #expect(try await notes(store) == expectedNotes, "run \(i)")
            #expect(try await bench.digest(store + ".before-rekey") == before, "run \(i): the old store was not kept whole")
            for leftover in [".rekey", ".rekey-partial"] {
                #expect(!FileManager.default.fileExists(atPath: store + leftover), "run \(i): \(leftover) left behind")
            }
        }
        print("crash: rekey: \(kills) of \(Self.iterations) runs killed before they finished (\(refusedMeanwhile) mid-swap, refused until finished); every store verified, nothing lost")
    }

    @Test("a hub killed mid-push keeps whole pages in PostgreSQL; served again, the push ends equal",
          CrashTests.needsDaftar, .enabled(if: HubFixture.shouldRun, HubFixture.skipReason))
    func hubMidPush() async throws {
        let (bench, pusher, digest) = try await Self.archive("pusher", seed: 0x4B0B)
        /// `daftar hub serve` on a free loopback port over `database`: the child and its URL.
        func serveHub(_ database: String) throws -> (CLISandbox.Child, String) {
            let hub = try bench.box.start(["hub", "serve", "--database", database, "--listen", "127.0.0.1:0"], store: pusher)
            let line = try hub.line(startingWith: "hub listening on ", timeout: 60)
            return (hub, String(line.split(separator: " ")[0]))
        }
        /// A hub over a new database, a token for the pusher: `body` gets the database's URL and the token file.
        func withHub(_ n: Int, _ body: (String, String) async throws -> Void) async throws {
            try await HubFixture.withDatabaseURL { _, database in
                let token = try await bench.ok(["hub", "token", "add", "pusher", "--database", database], pusher).stdout
                try await body(database, try bench.box.writeSecret("hub-token-\(n)", token))
            }
        }
        func stop(_ child: CLISandbox.Child) async throws {
            if child.isRunning { kill(child.pid, SIGTERM) }
            _ = try await child.finished(timeout: 30)
        }

        var took = 0.0
        try await withHub(-1) { database, token in
            let (hub, url) = try serveHub(database)
            took = try await bench.seconds { _ = try await bench.ok(["sync", url, "--token-file", token], pusher) }
            try await stop(hub)
        }
        var kills = 0
        let iterations = Stress.pick(light: 2, ci: 4, full: 20)
        for i in 0..<iterations {
            try await withHub(i) { database, token in
                let (hub, url) = try serveHub(database)
                if try await bench.killedWhilePushed(hub, url: url, token: token, from: pusher, within: took) { kills += 1 }
                // What the hub kept, cloned: every origin ends on a seal (whole pages only).
                let (again, url2) = try serveHub(database)
                let kept = bench.box.path("kept-\(i).sqlite")
                try await bench.ok(["clone", url2, "--token-file", token], kept)
                try await bench.expectIntact(kept, "hub killed (run \(i))")
                // Pushed again, the hub ends with everything: a clone of it is the pusher's store.
                try await bench.ok(["sync", url2, "--token-file", token], pusher)
                let final = bench.box.path("final-\(i).sqlite")
                try await bench.ok(["clone", url2, "--token-file", token], final)
                #expect(try await bench.digest(final) == digest, "run \(i)")
                try await stop(again)
            }
        }
        Self.report("hub (serving a push)", kills: kills, of: iterations)
    }

    @Test("the reader's write API: killed while annotations are posted, the store verifies and keeps each one whole", CrashTests.needsDaftar)
    func readerWrites() async throws {
        let bench = try Bench(articles: 20, seed: 0x4EAD)
        let prepared = bench.box.path("prepared.sqlite")
        try await bench.ok(["ingest", bench.corpus], prepared)
        let articles = try await bench.ok(["list", "--json"], prepared).jsonArray().compactMap { $0["id"] as? String }
        // The first six scalars of each body: the passage the reader's page would send.
        var openings: [String: String] = [:]
        for article in articles {
            let shown = try await bench.ok(["show", article, "--json"], prepared).jsonObject()
            let body = (shown["article"] as? [String: Any])?["body"] as? String ?? ""
            openings[article] = String(String.UnicodeScalarView(body.unicodeScalars.prefix(6)))
        }
        var kills = 0
        var posted = 0
        for i in 0..<Self.iterations {
            let store = bench.box.path("reader-\(i).sqlite")
            try bench.copy(prepared, to: store)
            let reader = try bench.box.start(["reader", "--listen", "127.0.0.1:0", "--no-open"], store: store)
            let opened = try reader.line(startingWith: "reader at ", timeout: 60).trimmingCharacters(in: .whitespaces)
            let port = Int(opened.split(separator: ":")[2].split(separator: "/")[0])!
            let secret = String(opened.split(separator: "=").last!)
            // A writer on a thread of its own posts annotations until the reader dies.
            let answered = Mutex(0)
            let writer = Thread { [openings] in
                for n in 0..<10_000 {
                    let article = articles[n % articles.count]
                    let body = #"{"start": 0, "end": 6, "exact": "\#(openings[article]!)", "note": "یادداشت \#(n)"}"#
                    guard let socket = try? RawSocket(from: "127.0.0.1", to: port) else { return }
                    socket.send("POST /api/articles/\(article)/annotations HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nOrigin: http://127.0.0.1:\(port)\r\n"
                        + "Cookie: daftar_reader_\(port)=\(secret)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
                    let answer = socket.readAll(timeout: 10)
                    socket.close()
                    guard answer.hasPrefix("HTTP/1.1 200") || answer.hasPrefix("HTTP/1.1 201") else { return }
                    answered.withLock { $0 += 1 }
                }
            }
            writer.start()
            try await Task.sleep(for: .seconds(Double.random(in: 0.2...2.0, using: &bench.rng)))
            kill(reader.pid, SIGKILL)
            if try await reader.finished(timeout: 60).signaled { kills += 1 }
            while writer.isExecuting { try await Task.sleep(for: .milliseconds(10)) }
            try await bench.expectIntact(store, "reader killed (run \(i))")
            // Every annotation the reader answered for is there (the answer comes after the commit).
            let count = try await bench.box.finish(["annotations", "--json"], store: store).jsonArray().count
            let confirmed = answered.withLock { $0 }
            #expect(count >= confirmed, "run \(i): \(confirmed) answered, \(count) kept")
            posted += confirmed
        }
        print("crash: reader writes: \(kills) of \(Self.iterations) readers killed after \(posted) answered annotations, every store verified")
    }
}

import DaftarCore
@testable import DaftarStore
import DaftarSync
import DaftarTestSupport
import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// One server, many analysts syncing with it at once (issue: many at once).
@Suite("Many clients at once")
struct ManyClientsTests {
    @Test("20 clients syncing at once, each with its own new annotations, all end equal; heads answers within 1 s meanwhile")
    func twentyClients() async throws {
        let clients = 20
        let annotations = Stress.pick(light: 10, ci: 25, full: 100)
        let fixture = try SyncFixture()
        let box = try CLISandbox()
        let served = fixture.path("server")
        do {
            let server = try fixture.open(at: served)
            _ = try server.ingest(try SyncFixture.seedFiles() + (0..<Stress.pick(light: 100, ci: 200, full: 1000)).map {
                SourceFile(path: "t\($0).txt", name: "t\($0).txt", text: SyncFixture.article($0))
            })
        }
        let stores = try (0..<clients).map { try fixture.open("client\($0)") }
        // The server is a `daftar serve` process of its own, and heads is asked from a thread of
        // the test's own (not its busy async pool), so the figure is the server's.
        let token = try box.writeSecret("token", testToken)
        let child = try box.start(["serve", "--listen", "127.0.0.1:0", "--token-file", token], store: served)
        defer { if child.isRunning { kill(child.pid, SIGKILL) } }
        let url = "http://" + (try child.line(startingWith: "listening on http://", timeout: 60)).trimmingCharacters(in: .whitespaces)
        let probe = try HeadsProbe(port: Int(url.split(separator: ":").last!)!, token: testToken)
        defer { _ = probe.stop() }  // a thread left asking would keep the test process alive
        // Each client is a `daftar sync` process of its own, as an analyst's would be: in this
        // process, 20 syncing stores would hold the few threads other tests' servers need.
        func syncAll(_ round: String) async throws {
            let children = try stores.indices.map { i in
                try box.start(["sync", url, "--token-file", token], store: fixture.path("client\(i)"), author: "analyst-\(i)")
            }
            for (i, child) in children.enumerated() {
                let run = try await child.finished(timeout: 300)
                #expect(run.succeeded, "\(round), client \(i): \(run)")
            }
        }
        // All pull the archive at once; each annotates; all push at once; all pull the others' at once.
        try await syncAll("first pull")
        for (i, store) in stores.enumerated() {
            let articles = try store.articles()
            for n in 0..<annotations {
                _ = try store.annotate(
                    article: articles[(i * annotations + n) % articles.count].id, target: .positions(start: n % 30, end: n % 30 + 9),
                    note: "تحلیلگر \(i)، یادداشت \(n)")
            }
            await Task.yield()
        }
        try await syncAll("push")
        try await syncAll("last pull")
        let (worst, asked, failures) = probe.stop()
        print("many clients: 20 clients, \(annotations) annotations each; GET /v1/heads worst \(worst) s of \(asked) asked")
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        #expect(worst < 1, "GET /v1/heads took \(worst) s at worst (\(asked) asked) while 20 clients synced")
        #expect(asked > 10)
        #expect(kill(child.pid, SIGTERM) == 0)
        _ = try child.wait(timeout: 20)

        let server = try fixture.open(at: served)
        #expect(try server.annotationCount() == clients * annotations)
        let digest = try server.digest()
        for (i, store) in stores.enumerated() {
            #expect(try store.digest() == digest, "client \(i) differs from the server")
        }
    }
}

/// Asks a server for its heads over and over from a thread of its own (blocking sockets), and
/// keeps the slowest answer's time.
final class HeadsProbe: @unchecked Sendable {
    private let state = Mutex<(stop: Bool, worst: Double, asked: Int, failures: [String])>((false, 0, 0, []))
    private let done = DispatchSemaphore(value: 0)

    init(port: Int, token: String) throws {
        let thread = Thread { [self] in
            while !state.withLock({ $0.stop }) {
                let started = Date()
                var answer = ""
                do {
                    let socket = try RawSocket(from: "127.0.0.1", to: port)
                    socket.send("GET /v1/heads HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n")
                    answer = socket.readAll(timeout: 30)
                    socket.close()
                } catch {
                    answer = "\(error)"
                }
                let took = Date().timeIntervalSince(started)
                state.withLock { state in
                    state.asked += 1
                    state.worst = max(state.worst, took)
                    if !answer.hasPrefix("HTTP/1.1 200") { state.failures.append(String(answer.prefix(200))) }
                }
                usleep(20_000)
            }
            done.signal()
        }
        thread.start()
    }

    /// Stops asking; the slowest answer in seconds, how many were asked, and any that were not 200.
    func stop() -> (worst: Double, asked: Int, failures: [String]) {
        let first = state.withLock { state in
            defer { state.stop = true }
            return !state.stop
        }
        if first { done.wait() }
        return state.withLock { ($0.worst, $0.asked, $0.failures) }
    }
}

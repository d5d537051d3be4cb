import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `daftar reader` as an analyst starts it: the URL it prints signs a browser in, it refuses
/// to listen beyond this machine, says when its port is taken, and runs beside `serve` on the
/// same store.
@Suite("daftar reader from the command line")
struct ReaderCLITests {
    static let built = DaftarExecutable.path != nil

    /// `reader --no-open` on `listen`; returns the child and the URL it printed.
    static func start(_ setup: ServeCLITests.Setup, _ listen: String = "127.0.0.1:0") throws -> (CLISandbox.Child, String) {
        let reader = try setup.box.start(["reader", "--listen", listen, "--no-open"], store: setup.a)
        let line = try reader.line(startingWith: "reader at ", timeout: 60)
        return (reader, line.trimmingCharacters(in: .whitespaces))
    }

    /// GET `url` with `headers`: the status, the body and the Set-Cookie header.
    static func get(_ url: String, headers: [(String, String)] = []) async throws -> (status: UInt, body: String, cookie: String?) {
        var request = HTTPClientRequest(url: url)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        // Not following the redirect `/open` answers: its cookie is the point.
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 16 << 20)
            try await client.shutdown()
            return (response.status.code, String(buffer: body), response.headers.first(name: "Set-Cookie"))
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test(.enabled(if: built, "the daftar executable is not built; run `swift build --build-tests` first"))
    func theURLItPrintsSignsInAndItRunsBesideServe() async throws {
        let setup = try ServeCLITests.Setup()
        let (server, _) = try setup.serve("127.0.0.1:0")
        defer { _ = try? ServeCLITests.stop(server) }
        let (reader, url) = try Self.start(setup)
        #expect(url.hasPrefix("http://127.0.0.1:") && url.contains("/open?key="), "\(url)")
        let base = String(url[..<url.range(of: "/open")!.lowerBound])
        #expect(try await Self.get(base + "/api/status").status == 401)
        #expect(try await Self.get(base + "/open?key=guess").status == 403)
        let opened = try await Self.get(url)
        let cookie = try #require(opened.cookie?.split(separator: ";").first.map(String.init), "no cookie: \(opened)")
        let status = try await Self.get(base + "/api/status", headers: [("Cookie", cookie)])
        #expect(status.status == 200, "\(status)")
        #expect(status.body.contains("\"articles\":5"), "\(status.body)")
        // A write through the CLI while both run shows in the reader at once.
        let annotate = try setup.box.run(["annotate", "7ea8effc0c5d", "--quote", "شریک راهبردی ماست", "--note", "هم‌زمان"], store: setup.a)
        #expect(annotate.succeeded, "\(annotate)")
        #expect(try await Self.get(base + "/api/status", headers: [("Cookie", cookie)]).body.contains("\"annotations\":1"))
        kill(reader.pid, SIGTERM)
        let stopped = try reader.wait(timeout: 20)
        #expect(stopped.succeeded, "\(stopped)")
        #expect(!stopped.stderr.contains("key="), "the secret reached stderr: \(stopped)")
    }

    @Test(.enabled(if: built, "the daftar executable is not built; run `swift build --build-tests` first"))
    func itListensOnLoopbackOnly() throws {
        let setup = try ServeCLITests.Setup()
        for listen in ["0.0.0.0:0", "192.168.1.5:8766", "[::]:0"] {
            let result = try setup.box.run(["reader", "--listen", listen, "--no-open"], store: setup.a, timeout: 60)
            #expect(!result.succeeded && !result.signaled, "\(listen): \(result)")
            #expect(result.stderr.contains("the reader serves only this machine: listen on a loopback address"), "\(listen): \(result)")
            #expect(!result.stdout.contains("reader at"), "\(result)")
        }
    }

    @Test(.enabled(if: built, "the daftar executable is not built; run `swift build --build-tests` first"))
    func aPortInUseSaysSo() throws {
        let setup = try ServeCLITests.Setup()
        let occupied = try SilentListener()
        defer { occupied.close() }
        let result = try setup.box.run(["reader", "--listen", "127.0.0.1:\(occupied.port)", "--no-open"], store: setup.a, timeout: 60)
        #expect(!result.succeeded && !result.signaled, "\(result)")
        #expect(result.stderrLines == [
            "daftar: port \(occupied.port) on 127.0.0.1 is already in use; choose another with --listen 127.0.0.1:PORT (PORT 0 picks a free one)",
        ], "\(result)")
    }
}

import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serving and syncing say what is wrong, as an analyst meets it through the `daftar` binary:
/// a port in use, IPv6 addresses, a URL typed without its scheme, a peer that takes the
/// connection and never answers, tokens too short to be safe, and the server's access log.
@Suite("Serving and syncing say what is wrong")
struct ServeCLITests {
    static let built = DaftarExecutable.path != nil
    static let token = "serve-cli-token-0123456789abcdef"

    /// A box with a store `a` holding the seeds and a token file.
    struct Setup {
        let box: CLISandbox
        let a: String
        let tokenFile: String

        init() throws {
            box = try CLISandbox()
            a = box.path("a.sqlite")
            tokenFile = try box.writeSecret("token", ServeCLITests.token + "\n")
            guard let root = DaftarExecutable.packageRoot else { throw CLIError("package root not found") }
            let ingest = try box.run(["ingest", root.appendingPathComponent("seeds").path], store: a)
            guard ingest.succeeded else { throw CLIError("\(ingest)") }
        }

        /// `serve` on `listen`; returns the child and the URL it printed.
        func serve(_ listen: String, store: String? = nil, arguments: [String]? = nil) throws -> (CLISandbox.Child, String) {
            let server = try box.start(["serve", "--listen", listen] + (arguments ?? ["--token-file", tokenFile]), store: store ?? a)
            let url = "http://" + (try server.line(startingWith: "listening on http://", timeout: 60)).trimmingCharacters(in: .whitespaces)
            return (server, url)
        }
    }

    /// Stops a server started by a test and returns what it printed.
    static func stop(_ server: CLISandbox.Child) throws -> CLIResult {
        if server.isRunning { kill(server.pid, SIGTERM) }
        return try server.wait(timeout: 20)
    }

    /// The `daftar: ` lines of stderr (the access log's lines have no prefix).
    static func messages(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").map(String.init).filter { $0.hasPrefix("daftar: ") }
    }

    // MARK: - serve on a port in use

    @Test(.enabled(if: built, "the daftar executable is not built; run `swift build --build-tests` first"))
    func portInUseSaysSoAndLeavesNoTokenFile() throws {
        let setup = try Setup()
        let occupied = try SilentListener()
        defer { occupied.close() }
        let started = ContinuousClock.now
        // No --token-file, no $DAFTAR_TOKEN: serve would generate STORE.token.
        let result = try setup.box.run(["serve", "--listen", "127.0.0.1:\(occupied.port)"], store: setup.a, timeout: 60)
        #expect(!result.succeeded && !result.signaled, "\(result)")
        #expect(ContinuousClock.now - started < .seconds(30), "\(result)")
        let lines = result.stderrLines
        #expect(lines == [
            "daftar: port \(occupied.port) on 127.0.0.1 is already in use; choose another with --listen 127.0.0.1:PORT (PORT 0 picks a free one)",
        ], "\(result)")
        for leak in ["bind(", "errno", "IOError", "Address already in use"] {
            #expect(!result.stderr.contains(leak), "stderr leaks \(leak): \(result)")
        }
        #expect(!result.stdout.contains("listening"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: setup.a + ".token"), "a failed start created \(setup.a).token")
    }

    // MARK: - IPv6

    @Test(.enabled(if: built, "the daftar executable is not built; run `swift build --build-tests` first"))
    func bracketedIPv6ListenAndSync() throws {
        let setup = try Setup()
        let b = setup.box.path("b.sqlite")
        // Loopback IPv6, its token generated beside the store once listening.
        let (server, url) = try setup.serve("[::1]:0", arguments: [])
        defer { if server.isRunning { kill(server.pid, SIGKILL) } }
        #expect(url.hasPrefix("http://[::1]:"), "\(url)")
        let generated = setup.a + ".token"
        #expect(FileManager.default.fileExists(atPath: generated))
        let mode = (try FileManager.default.attributesOfItem(atPath: generated)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600, "token file mode \(String(describing: mode))")
        let clone = try setup.box.run(["clone", url, "--token-file", generated], store: b)
        #expect(clone.succeeded && clone.stdout.contains("cloned 5 events"), "\(clone)")
        let stopped = try Self.stop(server)
        #expect(Self.messages(stopped.stderr).contains { $0.contains("created a token in \(generated)") }, "\(stopped)")
        #expect(!stopped.stderr.contains("WARNING"), "loopback needs no warning: \(stopped)")

        // Every IPv6 address: the URL printed keeps the brackets; a client reaches it on ::1.
        let (any, anyURL) = try setup.serve("[::]:0")
        defer { if any.isRunning { kill(any.pid, SIGKILL) } }
        #expect(anyURL.hasPrefix("http://[::]:"), "\(anyURL)")
        let port = try #require(anyURL.split(separator: ":").last.map(String.init))
        let sync = try setup.box.run(["sync", "http://[::1]:\(port)", "--token-file", setup.tokenFile, "--json"], store: b)
        #expect(sync.succeeded, "\(sync)")
        #expect((try? sync.jsonObject())?["inSync"] as? Bool == true, "\(sync)")
        // Every address, plain HTTP: said loudly, once.
        let anyStopped = try Self.stop(any)
        #expect(Self.messages(anyStopped.stderr).filter { $0.hasPrefix("daftar: WARNING: serving on [::] over plain HTTP") }.count == 1, "\(anyStopped)")

        // An IPv6 address without brackets is a usage error, said plainly.
        let bare = try setup.box.run(["serve", "--listen", "::1:0", "--token-file", setup.tokenFile], store: setup.a)
        #expect(bare.status == 64, "\(bare)")
        #expect(bare.stderr.contains("[::1]:8765"), "\(bare)")
    }

    // MARK: - a URL without its scheme

    @Test(.enabled(if: built, "the daftar executable is not built; run `swift build --build-tests` first"))
    func peerWithoutSchemeIsTakenAsHTTP() throws {
        let setup = try Setup()
        let b = setup.box.path("b.sqlite")
        let (server, url) = try setup.serve("127.0.0.1:0")
        defer { if server.isRunning { kill(server.pid, SIGKILL) } }
        let bare = String(url.dropFirst("http://".count))

        let clone = try setup.box.run(["clone", bare, "--token-file", setup.tokenFile], store: b)
        #expect(clone.succeeded, "\(clone)")
        #expect(clone.stderrLines == ["daftar: taking \(bare) as \(url)"], "\(clone)")
        let sync = try setup.box.run(["sync", bare, "--token-file", setup.tokenFile, "--json"], store: b)
        #expect(sync.succeeded, "\(sync)")
        #expect(Self.messages(sync.stderr) == ["daftar: taking \(bare) as \(url)"], "\(sync)")
        #expect((try? sync.jsonObject())?["inSync"] as? Bool == true, "\(sync)")
        // What clone remembered is the full URL.
        let peers = try setup.box.run(["peer", "list", "--json"], store: b)
        #expect((try? peers.jsonArray())?.first?["url"] as? String == url, "\(peers)")
        _ = try Self.stop(server)
    }

    // MARK: - a peer that never answers

    @Test(.enabled(if: built, "the daftar executable is not built; run `swift build --build-tests` first"))
    func silentPeerEndsSyncAfterTimeout() throws {
        let setup = try Setup()
        let silent = try SilentListener()
        defer { silent.close() }
        let url = "http://127.0.0.1:\(silent.port)"
        let before = try setup.box.run(["digest"], store: setup.a)

        let clock = ContinuousClock()
        var started = clock.now
        let sync = try setup.box.run(["sync", url, "--token-file", setup.tokenFile, "--timeout", "1"], store: setup.a, timeout: 60)
        let elapsed = clock.now - started
        #expect(silent.accepted >= 1, "the listener saw no connection")
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(15), "took \(elapsed): \(sync)")
        #expect(sync.status == 1 && !sync.signaled, "\(sync)")
        #expect(sync.stderrLines == [
            "daftar: \(url) accepted the connection but sent nothing for 1 s; is a daftar server listening there? Give a slow peer longer with --timeout SECONDS",
        ], "\(sync)")
        #expect(try setup.box.run(["digest"], store: setup.a).stdout == before.stdout)

        // clone: the same, and no store is created.
        let c = setup.box.path("c.sqlite")
        started = clock.now
        let clone = try setup.box.run(["clone", url, "--token-file", setup.tokenFile, "--timeout", "1"], store: c, timeout: 60)
        #expect(clock.now - started < .seconds(15), "\(clone)")
        #expect(clone.status == 1, "\(clone)")
        #expect(clone.stderr.contains("sent nothing for 1 s"), "\(clone)")
        #expect(!FileManager.default.fileExists(atPath: c), "clone created \(c) from a silent peer")

        // A timeout must be a positive number of seconds.
        let zero = try setup.box.run(["sync", url, "--token-file", setup.tokenFile, "--timeout", "0"], store: setup.a)
        #expect(zero.status == 64 && zero.stderr.contains("--timeout"), "\(zero)")
    }

    // MARK: - short tokens

    @Test(.enabled(if: built, "the daftar executable is not built; run `swift build --build-tests` first"))
    func shortTokensAreRefused() throws {
        let setup = try Setup()
        let short = try setup.box.writeSecret("short", "only-15-chars!!\n")
        let store = setup.a
        let cases: [(String, [String], [String: String?], String)] = [
            ("serve, token file", ["serve", "--listen", "127.0.0.1:0", "--token-file", short], [:], "token file \(short)"),
            ("serve, $DAFTAR_TOKEN", ["serve", "--listen", "127.0.0.1:0"], ["DAFTAR_TOKEN": "tiny"], "$DAFTAR_TOKEN"),
            ("sync, token file", ["sync", "http://127.0.0.1:9", "--token-file", short], [:], "token file \(short)"),
            ("sync, $DAFTAR_TOKEN", ["sync", "http://127.0.0.1:9"], ["DAFTAR_TOKEN": "tiny"], "$DAFTAR_TOKEN"),
        ]
        for (label, arguments, environment, source) in cases {
            let result = try setup.box.run(arguments, store: store, environment: environment, timeout: 60)
            #expect(result.status == 1 && !result.signaled, "\(label): \(result)")
            #expect(!result.stdout.contains("listening"), "\(label): \(result)")
            #expect(result.stderrLines.count == 1, "\(label): \(result)")
            #expect(result.stderr.contains(source) && result.stderr.contains("at least 16"), "\(label): \(result)")
        }
        #expect(!FileManager.default.fileExists(atPath: store + ".token"))
        // Sixteen characters are enough.
        let sixteen = try setup.box.writeSecret("sixteen", "exactly-16-chars\n")
        let (server, _) = try setup.serve("127.0.0.1:0", arguments: ["--token-file", sixteen])
        _ = try Self.stop(server)
    }

    // MARK: - the access log

    @Test(.enabled(if: built, "the daftar executable is not built; run `swift build --build-tests` first"))
    func accessLogHasOneLinePerRequest() async throws {
        let setup = try Setup()
        let b = setup.box.path("b.sqlite")
        let (server, url) = try setup.serve("127.0.0.1:0")
        defer { if server.isRunning { kill(server.pid, SIGKILL) } }

        let clone = try setup.box.run(["clone", url, "--token-file", setup.tokenFile], store: b)
        #expect(clone.succeeded, "\(clone)")
        let replicaB = try #require(try setup.box.run(["status", "--json"], store: b).jsonObject()["replica"] as? String)
        let wrong = try await rawRequest(.GET, url + "/v1/heads", token: "not-the-right-token-at-all")
        #expect(wrong.status == 401)
        let missing = try await rawRequest(.GET, url + "/nothing/here?x=1", token: Self.token)
        #expect(missing.status == 404)
        let heads = try await rawRequest(.GET, url + "/v1/heads", token: Self.token)
        #expect(heads.status == 200)
        let stopped = try Self.stop(server)

        let pattern = try Regex(#"^(\S+) (GET|POST) (\S+) (\d{3}) (\d+) (\S+) \d+\.\dms$"#)
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let lines = stopped.stderr.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("daftar: ") }
        var entries: [(method: String, path: String, status: String, bytes: Int, replica: String)] = []
        for line in lines {
            guard let match = try pattern.wholeMatch(in: line), let time = match.output[1].substring else {
                Issue.record("not an access log line: \(line)")
                continue
            }
            #expect(time.hasSuffix("Z") && iso.date(from: String(time)) != nil, "not ISO 8601 UTC: \(line)")
            func field(_ i: Int) -> String { String(match.output[i].substring ?? "") }
            entries.append((field(2), field(3), field(4), Int(field(5)) ?? -1, field(6)))
        }
        #expect(!stopped.stderr.contains(Self.token) && !stopped.stderr.contains("not-the-right-token"), "the log shows a token")
        // clone checks the peer before its store (and replica) exists, then syncs naming B.
        let fromB = entries.filter { $0.replica == replicaB }
        #expect(fromB.map { "\($0.method) \($0.path) \($0.status)" } == ["GET /v1/heads 200", "POST /v1/pull 200"], "\(entries)")
        #expect(fromB.allSatisfy { $0.bytes > 0 }, "\(entries)")
        // Requests naming no replica: `-`; the sizes are the bodies sent.
        let anonymous = entries.filter { $0.replica == "-" }
        #expect(anonymous.map { "\($0.method) \($0.path) \($0.status)" } == [
            "GET /v1/heads 200", "GET /v1/heads 401", "GET /nothing/here 404", "GET /v1/heads 200",
        ], "\(entries)")
        #expect(anonymous.dropFirst().first?.bytes == wrong.body.utf8.count, "\(entries) vs \(wrong.body)")
        #expect(anonymous.last?.bytes == heads.body.utf8.count, "\(entries) vs \(heads.body)")
        #expect(entries.count == fromB.count + anonymous.count, "\(entries)")
    }
}

/// A loopback TCP listener that accepts connections and never answers: the peer that hangs.
final class SilentListener: Sendable {
    let port: Int
    private let descriptor: Int32
    /// The accepted connections, and whether ``close()`` ran.
    private let state = Mutex<(connections: [Int32], closed: Bool)>(([], false))

    /// How many connections it accepted.
    var accepted: Int { state.withLock { $0.connections.count } }

    init() throws {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw CLIError("socket() failed") }
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(descriptor, 16) == 0 else { throw CLIError("bind/listen failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptForever() }
        thread.start()
    }

    private func acceptForever() {
        while true {
            let connection = accept(descriptor, nil, nil)
            guard connection >= 0 else { return }  // closed
            state.withLock { $0.connections.append(connection) }
        }
    }

    func close() {
        let open: [Int32] = state.withLock { state in
            if state.closed { return [] }
            state.closed = true
            return state.connections
        }
        shutdown(descriptor, Int32(SHUT_RDWR))
        for connection in open { closeDescriptor(connection) }
        closeDescriptor(descriptor)
    }
}

#if canImport(Glibc)
private let closeDescriptor = Glibc.close
#else
private let closeDescriptor = Darwin.close
#endif

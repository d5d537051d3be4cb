import DaftarCore
import DaftarTestSupport
@testable import DaftarStore
@testable import DaftarSync
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Nobody without a token can starve a server (issue: many at once): idle, slow-header and
/// slow-body connections are bounded per address and in all, and in time. The attackers
/// connect from other loopback addresses (127.0.0.2, 127.0.0.3) than the analyst (127.0.0.1).
@Suite("Connections: idle and slow peers cannot starve a server")
struct ConnectionLimitsTests {
    static let limits = ConnectionLimits(perAddress: 128, total: 1024, headSeconds: 2, idleSeconds: 3, bodySeconds: 4)

    /// Against a `daftar serve` process with the standard limits: in the test process, an
    /// in-process server accepts only as fast as the suite's busy threads let its accept loop
    /// run (Hummingbird hands each connection to an async loop that paces accepting), and under
    /// the whole suite's load the flood's last connections were not accepted in 30 s.
    @Test("1,500 idle and 50 slowloris connections leave a normal client answered; over the limit is 503",
          .enabled(if: DaftarExecutable.path != nil, "the daftar executable is not built; run `swift build --build-tests` first"))
    func idleAndSlowPeersDoNotStarve() async throws {
        let box = try CLISandbox()
        let tokenFile = try box.writeSecret("token", "limits-token-\(UUID().uuidString)\n")
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let served = box.path("served.sqlite"), client = box.path("client.sqlite")
        #expect(try await box.finish(["ingest", SyncFixture.seedsDirectory], store: served).succeeded)
        let server = try box.start(["serve", "--listen", "127.0.0.1:0", "--token-file", tokenFile], store: served)
        defer { if server.isRunning { kill(server.pid, SIGKILL) } }
        let url = "http://" + (try server.line(startingWith: "listening on http://", timeout: 60)).trimmingCharacters(in: .whitespaces)
        let port = Int(url.split(separator: ":").last!)!

        // 1,500 idle connections from one address: 128 held, the rest answered 503 and closed.
        var idle: [RawSocket] = []
        defer { for socket in idle { socket.close() } }
        for _ in 0..<1500 { idle.append(try RawSocket(from: "127.0.0.2", to: port)) }
        // 50 slowloris from another: a head begun, a header line every 200 ms, never ended.
        var slow: [RawSocket] = []
        defer { for socket in slow { socket.close() } }
        for _ in 0..<50 {
            let socket = try RawSocket(from: "127.0.0.3", to: port)
            socket.send("GET /v1/heads HTTP/1.1\r\nHost: x\r\n")
            slow.append(socket)
        }
        let dribbling = Task { [slow] in
            for n in 0..<40 {
                try await Task.sleep(for: .milliseconds(200))
                for socket in slow { socket.send("X-Slow-\(n): 1\r\n") }
            }
        }
        defer { dribbling.cancel() }

        // The analyst is answered meanwhile, and clones the whole archive.
        let heads = try await rawRequest(.GET, url + "/v1/heads", token: token)
        #expect(heads.status == 200, "\(heads)")
        let cloned = try await box.finish(["clone", url, "--token-file", tokenFile], store: client, timeout: 120)
        #expect(cloned.succeeded, "\(cloned)")
        let servedDigest = try await box.finish(["digest"], store: served).stdout
        #expect(try await box.finish(["digest"], store: client).stdout == servedDigest)

        // Over the per-address limit: a whole 503 answer naming the reason, then closed. The
        // last connections are over it; which one the kernel hands over first is its choice.
        let refused = RawSocket.firstAnswer(among: Array(idle[1400...]), timeout: 30)
        #expect(refused.hasPrefix("HTTP/1.1 503"), "\(refused)")
        #expect(refused.contains("connections open from your address"), "\(refused)")
        #expect(idle[0].readAll(timeout: 0.2).isEmpty, "an admitted idle connection is held until it has been silent too long")
        let after = try await rawRequest(.GET, url + "/v1/heads", token: token)
        #expect(after.status == 200, "\(after)")
    }

    @Test("Idle and slow-header connections are closed at their deadlines; over the per-address limit is 503")
    func deadlines() async throws {
        let fixture = try SyncFixture()
        let store = try fixture.open("server")
        var limits = Self.limits
        limits.perAddress = 4
        try await withRunningServer({ onRunning in
            buildApplication(service: SyncService(log: store), token: testToken, host: "127.0.0.1", port: 0, onRunning: onRunning, limits: limits)
        }) { port in
            var idle: [RawSocket] = []
            defer { for socket in idle { socket.close() } }
            for _ in 0..<10 { idle.append(try RawSocket(from: "127.0.0.2", to: port)) }
            let slow = try RawSocket(from: "127.0.0.3", to: port)
            defer { slow.close() }
            slow.send("GET /v1/heads HTTP/1.1\r\nHost: x\r\n")
            let refused = RawSocket.firstAnswer(among: Array(idle[4...]), timeout: 30)
            #expect(refused.hasPrefix("HTTP/1.1 503") && refused.contains("4 connections open from your address"), "\(refused)")
            #expect(idle[0].readAll(timeout: 0.2).isEmpty, "an admitted idle connection is held until it has been silent too long")
            // Past the deadlines (silence, and a head from its first byte), both are closed.
            try await Task.sleep(for: .seconds(max(limits.headSeconds, limits.idleSeconds) + 1))
            #expect(idle[0].isClosedByPeer(timeout: 15), "an idle connection outlived the silence deadline")
            #expect(slow.isClosedByPeer(timeout: 15), "a slowloris connection outlived the head deadline")
            let after = try await rawRequest(.GET, "http://127.0.0.1:\(port)/v1/heads", token: testToken)
            #expect(after.status == 200, "\(after)")
        }
    }

    @Test("A body that does not arrive in time is cut; the server answers others meanwhile")
    func slowBodyIsCut() async throws {
        let fixture = try SyncFixture()
        let store = try fixture.open("server")
        let before = try store.snapshot()
        try await withRunningServer({ onRunning in
            buildApplication(service: SyncService(log: store), token: testToken, host: "127.0.0.1", port: 0, onRunning: onRunning, limits: Self.limits)
        }) { port in
            let socket = try RawSocket(from: "127.0.0.2", to: port)
            defer { socket.close() }
            socket.send("POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(testToken)\r\nContent-Length: 100000\r\n\r\n{\"events\": [")
            let heads = try await rawRequest(.GET, "http://127.0.0.1:\(port)/v1/heads", token: testToken)
            #expect(heads.status == 200)
            try await Task.sleep(for: .seconds(Self.limits.bodySeconds + 1))
            #expect(socket.isClosedByPeer(timeout: 2), "a request whose body never came was held past the body deadline")
        }
        #expect(try store.snapshot() == before)
    }

    @Test("Connections are counted per IPv4 address and per IPv6 /64")
    func addressKeys() throws {
        #expect(ConnectionCounter.key(of: try .init(ipAddress: "192.0.2.7", port: 1)) == "192.0.2.7")
        let a = ConnectionCounter.key(of: try .init(ipAddress: "2001:db8:1:2::1", port: 1))
        let b = ConnectionCounter.key(of: try .init(ipAddress: "2001:db8:1:2:ffff::9", port: 1))
        let c = ConnectionCounter.key(of: try .init(ipAddress: "2001:db8:1:3::1", port: 1))
        #expect(a == b && a != c)
        // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d: each counts as its own address.
        #expect(ConnectionCounter.key(of: try .init(ipAddress: "::ffff:192.0.2.7", port: 1)) == "192.0.2.7")
        #expect(ConnectionCounter.key(of: try .init(ipAddress: "::ffff:192.0.2.8", port: 1)) == "192.0.2.8")
        let counter = ConnectionCounter(perAddress: 2, total: 3)
        #expect(counter.admit("x") == nil && counter.admit("x") == nil)
        #expect(counter.admit("x")?.contains("from your address") == true)
        #expect(counter.admit("y") == nil)
        #expect(counter.admit("z")?.contains("3 connections open") == true)
        counter.release("x")
        #expect(counter.admit("z") == nil)
    }
}

/// A plain TCP connection from a chosen loopback address, for peers that misbehave below HTTP.
final class RawSocket: @unchecked Sendable {
    let descriptor: Int32

    init(from source: String, to port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw DaftarError(.badInput, "socket: errno \(errno)") }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)  // a busy server may take a while to accept
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        let connected = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, connected == 0 else {
            let error = errno
            Glibc.close(descriptor)
            throw DaftarError(.badInput, "cannot connect from \(source) to port \(port): errno \(error)")
        }
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// What the peer sends until it closes or `timeout` seconds pass without a byte.
    func readAll(timeout: Double) -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(timeout * 1000)) > 0 else { break }
            let n = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            received += buffer[..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Whether the peer has closed the connection (end of stream or reset) within `timeout`.
    func isClosedByPeer(timeout: Double) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return true }
        }
        return false
    }

    func close() { Glibc.close(descriptor) }

    /// The first whole answer any of `sockets` receives within `timeout` seconds ("" if none).
    static func firstAnswer(among sockets: [RawSocket], timeout: Double) -> String {
        var waiting = sockets.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, !waiting.isEmpty {
            guard poll(&waiting, nfds_t(waiting.count), 100) > 0 else { continue }
            if let ready = waiting.firstIndex(where: { $0.revents != 0 }),
                let socket = sockets.first(where: { $0.descriptor == waiting[ready].fd }) {
                let answer = socket.readAll(timeout: 2)
                if !answer.isEmpty { return answer }
                waiting.remove(at: ready)  // closed or reset without a word: wait for another
            }
        }
        return ""
    }
}

@testable import DaftarCore
@testable import DaftarStore
import DaftarSync
import Foundation
import Hummingbird
import NIOHTTP1
import Testing

/// What only a real HTTP server shows: statuses, tokens, limits, and clear client errors
/// for peers that are not (reachable) Daftar servers.
@Suite("Sync over HTTP: refusals and client errors")
struct SyncHTTPTests {
    static func served(_ fixture: SyncFixture) throws -> Store {
        let store = try fixture.open("served")
        _ = try store.ingest(try SyncFixture.seedFiles())
        return store
    }

    @Test("A wrong token is refused with 401 and a message saying so")
    func wrongToken() async throws {
        let fixture = try SyncFixture()
        let served = try Self.served(fixture)
        let client = try fixture.open("client")
        let before = try served.snapshot(), clientBefore = try client.snapshot()
        try await withLiveServer(serving: served) { url in
            for (method, path, body) in [(HTTPMethod.GET, "/v1/heads", nil), (.POST, "/v1/pull", #"{"have":{}}"#), (.POST, "/v1/push", #"{"events":[]}"#)] {
                let response = try await rawRequest(method, url + path, token: "not-the-token", body: body.map { Array($0.utf8) })
                #expect(response.status == 401, "\(method) \(path): \(response)")
            }
            let transport = HTTPTransport(baseURL: url, token: "not-the-token")
            let error = await daftarError { _ = try await SyncDriver.run(log: client, transport: transport) }
            #expect(error?.message.contains("refused the token") == true, "\(String(describing: error))")
            #expect(error?.message.contains("401") == true, "\(String(describing: error))")
            // The message names where to fix it, never the token itself.
            #expect(error?.message.contains("not-the-token") == false)
            #expect(error?.code == .unauthorized, "\(String(describing: error))")
            let push = await daftarError { _ = try await transport.push(try served.allEvents()) }
            #expect(push?.message.contains("refused the token") == true, "\(String(describing: push))")
        }
        #expect(try served.snapshot() == before)
        #expect(try client.snapshot() == clientBefore)
    }

    @Test("No token, an empty one, or another scheme: 401")
    func missingToken() async throws {
        let fixture = try SyncFixture()
        let served = try Self.served(fixture)
        try await withLiveServer(serving: served) { url in
            let attempts: [(String, [(String, String)])] = [
                ("no header", []), ("empty bearer", [("Authorization", "Bearer ")]),
                ("basic", [("Authorization", "Basic \(Data("u:\(testToken)".utf8).base64EncodedString())")]),
                ("bare token", [("Authorization", testToken)]),
                ("token with a suffix", [("Authorization", "Bearer \(testToken)x")]),
            ]
            for (label, headers) in attempts {
                let heads = try await rawRequest(.GET, url + "/v1/heads", token: nil, headers: headers)
                #expect(heads.status == 401, "\(label): \(heads)")
                #expect(!heads.body.contains("heads"), "\(label): \(heads)")
                let push = try await rawRequest(.POST, url + "/v1/push", token: nil, body: Array(#"{"events":[]}"#.utf8), headers: headers)
                #expect(push.status == 401, "\(label): \(push)")
            }
            // A token in the query string is no token (it would end up in logs and histories).
            for query in ["?token=", "?access_token=", "?bearer="] {
                let heads = try await rawRequest(.GET, url + "/v1/heads" + query + testToken, token: nil)
                #expect(heads.status == 401, "\(query): \(heads)")
            }
            // The right one works.
            let ok = try await rawRequest(.GET, url + "/v1/heads", token: testToken)
            #expect(ok.status == 200, "\(ok)")
            #expect(ok.body.contains(#""service":"daftar""#))
        }
    }

    @Test("A server that is not a Daftar server is named as such")
    func notADaftarServer() async throws {
        let fixture = try SyncFixture()
        let client = try fixture.open("client")
        let before = try client.snapshot()

        // Nothing at /v1/heads: 404.
        let empty = Router()
        empty.get("/") { _, _ in "hello" }
        try await withRunningServer({ nonDaftarApplication(empty, onRunning: $0) }) { port in
            let error = await daftarError {
                _ = try await SyncDriver.run(log: client, transport: HTTPTransport(baseURL: "http://127.0.0.1:\(port)", token: testToken))
            }
            #expect(error?.message.contains("not a Daftar server") == true, "\(String(describing: error))")
        }

        // Something else answering JSON there.
        let other = Router()
        other.get("/v1/heads") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"name":"some other service","heads":{}}"#)))
        }
        other.post("/v1/pull") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"ok":true}"#)))
        }
        try await withRunningServer({ nonDaftarApplication(other, onRunning: $0) }) { port in
            let error = await daftarError {
                _ = try await SyncDriver.run(log: client, transport: HTTPTransport(baseURL: "http://127.0.0.1:\(port)", token: testToken))
            }
            #expect(error?.message.contains("not a Daftar server") == true, "\(String(describing: error))")
        }
        #expect(try client.snapshot() == before)
    }

    @Test("An unreachable peer: cannot reach")
    func unreachablePeer() async throws {
        let fixture = try SyncFixture()
        let served = try Self.served(fixture)
        let client = try fixture.open("client")
        // A port that was just served and is now closed.
        let url = try await withLiveServer(serving: served) { url in url }
        let error = await daftarError {
            _ = try await SyncDriver.run(log: client, transport: HTTPTransport(baseURL: url, token: testToken, timeout: .seconds(5)))
        }
        #expect(error?.message.contains("cannot reach") == true, "\(String(describing: error))")
        #expect(error?.message.contains(url) == true, "\(String(describing: error))")
        #expect(try client.count("events") == 0)
    }

    /// A refused connection is known at once; the analyst should not wait minutes for the
    /// message. The transport as the CLI builds it: default client and timeout.
    @Test("An unreachable peer is reported promptly")
    func unreachablePeerIsPrompt() async throws {
        let fixture = try SyncFixture()
        let served = try Self.served(fixture)
        let url = try await withLiveServer(serving: served) { url in url }
        let clock = ContinuousClock()
        let started = clock.now
        let error = await daftarError { _ = try await HTTPTransport(baseURL: url, token: testToken).heads() }
        let elapsed = clock.now - started
        #expect(error?.message.contains("cannot reach") == true, "\(String(describing: error))")
        #expect(elapsed < .seconds(15), "a refused connection took \(elapsed) to report: \(String(describing: error))")
    }

    @Test("A body over the limit: 413, the store unchanged")
    func oversizedBody() async throws {
        let fixture = try SyncFixture()
        let served = try Self.served(fixture)
        let before = try served.snapshot()
        try await withLiveServer(serving: served) { url in
            // A syntactically plausible push, just too large.
            var body = Array(#"{"events":[{"pad":""#.utf8)
            body += [UInt8](repeating: UInt8(ascii: "a"), count: SyncLimits.bodyBytes)
            body += Array(#""}]}"#.utf8)
            for path in ["/v1/push", "/v1/pull"] {
                let response = try await rawRequest(.POST, url + path, token: testToken, body: body)
                #expect(response.status == 413, "\(path): \(response)")
            }
            // Just under the limit is read (and refused for what it is, not for its size).
            let under = Array(#"{"events":[],"pad":""#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: SyncLimits.bodyBytes - 64) + Array(#""}"#.utf8)
            let response = try await rawRequest(.POST, url + "/v1/push", token: testToken, body: under)
            #expect(response.status == 200, "\(response)")
        }
        #expect(try served.snapshot() == before)
    }

    @Test("Malformed JSON: 400 with a message, the store unchanged")
    func malformedJSON() async throws {
        let fixture = try SyncFixture()
        let served = try Self.served(fixture)
        let before = try served.snapshot()
        try await withLiveServer(serving: served) { url in
            for (path, body) in [("/v1/push", #"{"events": [{"origin": "#), ("/v1/pull", "not json at all"), ("/v1/push", "")] {
                let response = try await rawRequest(.POST, url + path, token: testToken, body: Array(body.utf8))
                #expect(response.status == 400, "\(path) \(body.debugDescription): \(response)")
                #expect(response.body.contains("malformed"), "\(path): \(response)")
            }
        }
        #expect(try served.snapshot() == before)
    }

    @Test("A well-formed request of the wrong shape is refused, not a crash")
    func wrongShape() async throws {
        let fixture = try SyncFixture()
        let served = try Self.served(fixture)
        let before = try served.snapshot()
        try await withLiveServer(serving: served) { url in
            for (path, body) in [("/v1/push", #"{"events": 5}"#), ("/v1/push", #"{"events": [1]}"#), ("/v1/pull", #"{"have": []}"#),
                                 ("/v1/pull", #"{"have": {"x": {"seq": 1, "hash": "h"}}}"#), ("/v1/pull", #"{"have": {}, "maxBytes": 0}"#),
                                 ("/v1/pull", #"{"have": {}, "maxBytes": 4194305}"#), ("/v1/pull", #"{"have": {}, "maxBytes": "big"}"#)] {
                let response = try await rawRequest(.POST, url + path, token: testToken, body: Array(body.utf8))
                #expect([400, 422].contains(response.status), "\(path) \(body): \(response)")
                #expect(response.body.contains("message"), "\(path) \(body): \(response)")
            }
        }
        #expect(try served.snapshot() == before)
    }

    @Test("Another method on an API path: 405 with Allow, not 404")
    func otherMethodsAreNotAllowed() async throws {
        let fixture = try SyncFixture()
        let served = try Self.served(fixture)
        try await withLiveServer(serving: served) { url in
            for (method, path, allowed) in [(HTTPMethod.TRACE, "/v1/heads", "GET"), (.PUT, "/v1/heads", "GET"), (.DELETE, "/v1/push", "POST"),
                                            (.GET, "/v1/pull", "POST"), (.PATCH, "/v1/pull", "POST")] {
                let response = try await rawRequest(method, url + path, token: testToken)
                #expect(response.status == 405, "\(method) \(path): \(response)")
                #expect(response.headers["allow"] == allowed, "\(method) \(path): \(response)")
            }
            // Without the token, still refused first for that.
            #expect(try await rawRequest(.TRACE, url + "/v1/heads", token: nil).status == 401)
        }
    }

    @Test("A pushed page with a tampered event: 422 naming it, nothing stored")
    func tamperedPush() async throws {
        let fixture = try SyncFixture()
        let served = try fixture.open("served")
        let author = try fixture.open("author")
        _ = try author.ingest(try SyncFixture.seedFiles())
        var events = try author.allEvents()
        events[2] = try Forge.altered(events[2], rehash: false) { $0["time"] = .int(1) }
        let before = try served.snapshot()
        try await withLiveServer(serving: served) { url in
            let body = Array(#"{"events":["#.utf8) + Array(events.map { String(decoding: $0.canonicalBytes, as: UTF8.self) }.joined(separator: ",").utf8) + Array("]}".utf8)
            let response = try await rawRequest(.POST, url + "/v1/push", token: testToken, body: body)
            #expect(response.status == 422, "\(response)")
            #expect(response.body.contains(events[2].name), "\(response)")

            let error = await daftarError { _ = try await HTTPTransport(baseURL: url, token: testToken).push(events) }
            #expect(error?.code == .refusedByPeer, "\(String(describing: error))")
            #expect(error?.message.contains(events[2].name) == true, "\(String(describing: error))")
        }
        #expect(try served.snapshot() == before)
    }

    @Test("Hostile pushes: a gap in seq, clocks naming events nobody sent, huge numbers, a cut body: refused, the store unchanged, others served; a replayed page stores nothing")
    func hostilePushes() async throws {
        let fixture = try SyncFixture()
        let served = try fixture.open("served")
        let author = try fixture.open("author")
        _ = try author.ingest(try SyncFixture.seedFiles())
        let events = try author.allEvents()
        // Another analyst's annotation: its clock names the author's events, which `served` lacks.
        let other = try fixture.open("other")
        try await withPeer(.memory, serving: author) { peer in _ = try await SyncDriver.run(log: other, transport: peer) }
        _ = try other.annotate(article: try other.articles()[0].id, target: .positions(start: 0, end: 5), note: "وابسته")
        let dependent = try other.allEvents().filter { $0.origin == other.origin }
        func page(_ events: [Event]) -> [UInt8] {
            Array(#"{"events":["#.utf8) + Array(events.map { String(decoding: $0.canonicalBytes, as: UTF8.self) }.joined(separator: ",").utf8) + Array("]}".utf8)
        }
        let before = try served.snapshot()
        try await withLiveServer(serving: served) { url in
            let port = Int(url.split(separator: ":").last!)!
            var gapped = events
            let missing = gapped.remove(at: events.count / 2)
            let gap = try await rawRequest(.POST, url + "/v1/push", token: testToken, body: page(gapped))
            #expect(gap.status == 422 && gap.body.contains("nothing from this page was stored"), "\(gap)")
            let unready = try await rawRequest(.POST, url + "/v1/push", token: testToken, body: page(dependent))
            #expect(unready.status == 422 && unready.body.contains("which this store does not hold"), "\(unready)")
            for (path, body) in [("/v1/push", #"{"events": [], "n": 1e400}"#), ("/v1/push", #"{"events": [{"seq": 18446744073709551616}]}"#),
                                 ("/v1/pull", #"{"have": {"\#(author.origin)": {"seq": 99999999999999999999999, "hash": "00"}}}"#),
                                 ("/v1/pull", #"{"have": {}, "maxBytes": 1e308}"#), ("/v1/pull", #"{"have": {}, "maxBytes": -9223372036854775809}"#)] {
                let huge = try await rawRequest(.POST, url + path, token: testToken, body: Array(body.utf8))
                #expect(huge.status == 400 && huge.body.contains("refused (at byte"), "\(body): \(huge)")
            }
            // A body cut short: the peer promises 10,000 bytes, sends a whole page's start, and hangs up.
            let cut = try RawSocket(from: "127.0.0.1", to: port)
            let start = Array(page(events).prefix(500))
            cut.send("POST /v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(testToken)\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n"
                + String(decoding: start, as: UTF8.self))
            cut.close()
            #expect(try await rawRequest(.GET, url + "/v1/heads", token: testToken).status == 200)
            #expect(try served.snapshot() == before)

            // A page replayed: the first push stores it, the second stores nothing.
            let first = try await rawRequest(.POST, url + "/v1/push", token: testToken, body: page(events))
            let again = try await rawRequest(.POST, url + "/v1/push", token: testToken, body: page(events))
            #expect(first.status == 200 && first.body.contains(#""accepted":\#(events.count)"#), "\(first)")
            #expect(again.status == 200 && again.body.contains(#""accepted":0"#), "\(again)")
        }
        #expect(try served.snapshot() == author.snapshot())
    }

    /// The route list the OpenAPI test relies on is the router's, and the YAML describes it.
    @Test("Every registered route is in schema/sync-api.yaml, and vice versa")
    func routesAreDescribed() throws {
        let fixture = try SyncFixture()
        let router = buildRouter(service: SyncService(log: try fixture.open("s")), token: testToken)
        let registered = Set(router.routes.map { "\($0.method.rawValue.uppercased()) \($0.path)" })
        let listed = Set(SyncRoutes.all.map { "\($0.method.uppercased()) \($0.path)" })
        // Every operation is routed; the other routes are the 405 refusals of other methods on
        // the same paths.
        #expect(listed.isSubset(of: registered), "router \(registered.sorted()) vs SyncRoutes.all \(listed.sorted())")
        let paths = Set(listed.map { $0.split(separator: " ")[1] })
        #expect(registered.subtracting(listed).allSatisfy { paths.contains($0.split(separator: " ")[1]) }, "\(registered.subtracting(listed).sorted())")

        let described = try Self.describedOperations()
        #expect(!described.isEmpty)
        for route in SyncRoutes.all {
            #expect(described.contains("\(route.method.lowercased()) \(route.path)"), "\(route.method) \(route.path) is not in schema/sync-api.yaml")
        }
        for operation in described {
            #expect(SyncRoutes.all.contains { "\($0.method.lowercased()) \($0.path)" == operation }, "schema/sync-api.yaml describes \(operation), which is not registered")
        }
    }

    /// `METHOD PATH` (method lower-case) for each operation under `paths:` in the YAML.
    static func describedOperations() throws -> Set<String> {
        var url = URL(fileURLWithPath: #filePath)
        var yaml: String? = nil
        while url.path != "/" {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("schema/sync-api.yaml").path
            if FileManager.default.fileExists(atPath: candidate) {
                yaml = try String(contentsOfFile: candidate, encoding: .utf8)
                break
            }
        }
        let text = try #require(yaml, "schema/sync-api.yaml not found")
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
        var operations = Set<String>()
        var inPaths = false
        var path: String? = nil
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("#") || line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let indent = line.prefix { $0 == " " }.count
            let content = line.trimmingCharacters(in: .whitespaces)
            if indent == 0 {
                inPaths = content == "paths:"
                path = nil
                continue
            }
            guard inPaths, content.hasSuffix(":") else { continue }
            let key = String(content.dropLast()).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            if indent == 2 {
                path = key.hasPrefix("/") ? key : nil
            } else if indent == 4, let path, methods.contains(key) {
                operations.insert("\(key) \(path)")
            }
        }
        return operations
    }
}

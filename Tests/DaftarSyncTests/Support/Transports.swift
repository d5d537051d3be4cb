import AsyncHTTPClient
import DaftarCore
import DaftarStore
import DaftarSync
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing

/// How the behaviour suites reach a peer (STYLE 9): the same tests run over each.
enum TransportKind: String, CaseIterable, Sendable, CustomStringConvertible {
    /// ``InMemoryTransport`` over a ``SyncService``: the wire encoding, no network.
    case memory
    /// The Hummingbird router (`buildRouter`) driven by HummingbirdTesting's `.router` setup:
    /// the routes, middleware and error mapping, no network.
    case router
    /// A real Hummingbird server (`buildApplication`) on an ephemeral loopback port, with
    /// ``HTTPTransport`` (AsyncHTTPClient) as the client.
    case live

    var description: String { rawValue }
}

/// The bearer token every test server requires.
let testToken = "sync-tests-" + UUID().uuidString

/// Serves `store` over `kind` while `body` runs, handing `body` a client transport to it.
func withPeer<T>(
    _ kind: TransportKind, serving store: any EventLog, token: String = testToken,
    _ body: (any SyncTransport) async throws -> T
) async throws -> T {
    switch kind {
    case .memory:
        return try await body(InMemoryTransport(service: SyncService(log: store)))
    case .router:
        return try await withRouter(serving: store, token: token) { client in
            try await body(RouterTransport(client: client, token: token))
        }
    case .live:
        return try await withLiveServer(serving: store, token: token) { url in
            try await body(HTTPTransport(baseURL: url, token: token, timeout: .seconds(60)))
        }
    }
}

/// Runs `body` with a HummingbirdTesting `.router` client of the sync routes. The testing
/// framework wants a `@Sendable` body; the client is handed out through a stream instead.
func withRouter<T>(serving log: any EventLog, token: String, _ body: (any TestClientProtocol) async throws -> T) async throws -> T {
    let app = Application(router: buildRouter(service: SyncService(log: log), token: token))
    let (clients, handOut) = AsyncStream.makeStream(of: (any TestClientProtocol).self)
    let (finished, finish) = AsyncStream.makeStream(of: Void.self)
    let running = Task {
        try await app.test(.router) { client in
            handOut.yield(client)
            for await _ in finished {}
        }
    }
    var iterator = clients.makeAsyncIterator()
    guard let client = await iterator.next() else {
        finish.finish()
        throw ServerDidNotStart(description: "the router test framework did not start: \(await running.result)")
    }
    do {
        let value = try await body(client)
        finish.finish()
        try await running.value
        return value
    } catch {
        finish.finish()
        _ = await running.result
        throw error
    }
}

/// The sync session through the router (HummingbirdTesting), with the same status handling as
/// ``HTTPTransport``.
struct RouterTransport: SyncTransport {
    let client: any TestClientProtocol
    let token: String
    var peerName: String { "the router" }

    func call(_ method: HTTPRequest.Method, _ path: String, body: [UInt8]? = nil) async throws -> [UInt8] {
        var headers: HTTPFields = [.authorization: "Bearer \(token)"]
        if body != nil { headers[.contentType] = "application/json" }
        let response = try await client.executeRequest(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
        return try HTTPTransport.check(status: UInt(response.status.code), body: Array(buffer: response.body), path: path, peer: peerName)
    }

    func heads() async throws -> PeerHeads {
        try SyncDecode.heads(try await call(.get, "/v1/heads"), from: peerName)
    }

    func pull(_ request: PullRequest) async throws -> (Page, Int) {
        let body = request.json.canonicalBytes
        let reply = try await call(.post, "/v1/pull", body: body)
        return (try SyncDecode.page(reply, from: peerName), body.count + reply.count)
    }

    func push(_ request: PushRequest) async throws -> PushReply {
        let body = request.bytes
        let reply = try await call(.post, "/v1/push", body: body)
        return try SyncDecode.pushReply(reply, sent: body.count, from: peerName)
    }
}


/// Serves every store while `body` runs: `body` gets one client transport per store, in order.
func withPeers<T>(
    _ kind: TransportKind, serving stores: [Store], _ body: ([any SyncTransport]) async throws -> T
) async throws -> T {
    guard let last = stores.last else { return try await body([]) }
    return try await withPeers(kind, serving: Array(stores.dropLast())) { first in
        try await withPeer(kind, serving: last) { peer in try await body(first + [peer]) }
    }
}

/// A Daftar sync server for `store` on 127.0.0.1 (ephemeral port) while `body` runs; `body`
/// gets its base URL.
func withLiveServer<T>(serving store: any EventLog, token: String = testToken, _ body: (String) async throws -> T) async throws -> T {
    try await withRunningServer({ onRunning in
        buildApplication(service: SyncService(log: store), token: token, host: "127.0.0.1", port: 0, onRunning: onRunning)
    }) { port in
        try await body("http://127.0.0.1:\(port)")
    }
}

struct ServerDidNotStart: Error, CustomStringConvertible {
    var description: String
}

/// Runs the application `build` makes while `body` runs, then shuts it down gracefully.
/// Readiness is the application's `onRunning` callback with the bound port — never a sleep.
func withRunningServer<App: ApplicationProtocol, T>(
    _ build: (@escaping @Sendable (Int) async -> Void) -> App, _ body: (Int) async throws -> T
) async throws -> T {
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = build { port in continuation.yield(port) }
    var logger = Logger(label: "sync-tests")
    logger.logLevel = .warning
    let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
    let server = Task {
        // If the server stops (or never starts), nobody waits forever for its port.
        defer { continuation.finish() }
        try await group.run()
    }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else {
        let outcome = await server.result
        throw ServerDidNotStart(description: "the test server stopped before listening: \(outcome)")
    }
    do {
        let value = try await body(port)
        await group.triggerGracefulShutdown()
        try await server.value
        return value
    } catch {
        await group.triggerGracefulShutdown()
        _ = await server.result
        throw error
    }
}

/// A Hummingbird application that is not a Daftar server, for error-message tests.
func nonDaftarApplication(
    _ router: Router<BasicRequestContext>, onRunning: @escaping @Sendable (Int) async -> Void
) -> some ApplicationProtocol {
    var logger = Logger(label: "not-daftar")
    logger.logLevel = .warning
    return Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
        logger: logger)
}

/// A raw HTTP exchange (AsyncHTTPClient), for what the transport does not show: statuses.
struct RawResponse: CustomStringConvertible {
    var status: UInt
    var body: String
    /// Header values by lowercased name (the first of each).
    var headers: [String: String] = [:]
    var description: String { "\(status) \(body.prefix(300))" }
}

func rawRequest(
    _ method: HTTPMethod, _ url: String, token: String?, body: [UInt8]? = nil, headers: [(String, String)] = []
) async throws -> RawResponse {
    var request = HTTPClientRequest(url: url)
    request.method = method
    if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
    }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
    let bytes = try await response.body.collect(upTo: 32 << 20)
    let headers = Dictionary(response.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
    return RawResponse(status: response.status.code, body: String(buffer: bytes), headers: headers)
}

/// Records a sync's outcome in failure messages.
extension SyncReport {
    var moved: Int { pulledEvents + pushedEvents }
    var summary: String {
        "pulled \(pulledEvents) (\(pulledBytes) B), pushed \(pushedEvents) (\(pushedBytes) B), heads \(headsBytes) B, pages \(pages), forked \(forked.sorted())"
    }
}

/// The refusal `body` throws, checked to be a `DaftarError`.
func daftarError(_ body: () async throws -> Void) async -> DaftarError? {
    do {
        try await body()
        return nil
    } catch let error as DaftarError {
        return error
    } catch {
        Issue.record("expected a DaftarError, got \(type(of: error)): \(error)")
        return nil
    }
}

extension SyncTransport {
    /// Pushes bare events (no fork proofs).
    func push(_ events: [Event]) async throws -> PushReply { try await push(PushRequest(events: events)) }
}

extension PushReply {
    /// Origins whose fork the reply proves (claims that carry a valid proof).
    var proven: Set<ReplicaID> {
        Set(forkClaims.compactMap { claim in
            if case .proof(let proof) = claim, (try? proof.verify()) != nil { return proof.origin }
            return nil
        })
    }
}

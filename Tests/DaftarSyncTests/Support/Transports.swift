import AsyncHTTPClient
import DaftarCore
import DaftarStore
import DaftarSync
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing

/// How the behaviour suites reach a peer (STYLE 9): the same tests run over each.
enum TransportKind: String, CaseIterable, Sendable, CustomStringConvertible {
    /// ``InMemoryTransport`` over a ``SyncService``: the wire encoding, no network.
    case memory
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
    case .live:
        return try await withLiveServer(serving: store, token: token) { url in
            try await body(HTTPTransport(baseURL: url, token: token, timeout: .seconds(60)))
        }
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
    return RawResponse(status: response.status.code, body: String(buffer: bytes))
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

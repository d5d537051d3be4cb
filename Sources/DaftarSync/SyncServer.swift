import Crypto
import DaftarCore
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The sync API routes (`schema/sync-api.yaml` describes them).
public enum SyncRoutes {
    /// Every route the server registers: the OpenAPI test checks each is described.
    public static let all: [(method: String, path: String)] = [
        ("GET", "/v1/heads"), ("POST", "/v1/pull"), ("POST", "/v1/push"),
    ]
}

/// Builds the router: bearer token on every endpoint, bounded bodies, JSON in and out.
/// Business logic stays in ``SyncService``; only deliberate errors reach the client (STYLE 8).
public func buildRouter(service: SyncService, token: String) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: BearerTokenMiddleware(token: token))
    let api = router.group("v1")
    api.get("heads") { _, _ in
        try json(try await run { try await service.heads() })
    }
    api.post("pull") { request, _ in
        let body = try await collect(request)
        return try json(try await run { try await service.pull(body) })
    }
    api.post("push") { request, _ in
        let body = try await collect(request)
        return try json(try await run { try await service.push(body) })
    }
    return router
}

/// The application serving `router` on `host:port`; `onRunning` gets the bound port.
public func buildApplication(
    service: SyncService, token: String, host: String, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) -> some ApplicationProtocol {
    var logger = Logger(label: "daftar.serve")
    logger.logLevel = .warning
    return Application(
        router: buildRouter(service: service, token: token),
        configuration: .init(address: .hostname(host, port: port), serverName: "daftar"),
        onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
        logger: logger)
}

func collect(_ request: Request) async throws -> [UInt8] {
    do {
        return Array(buffer: try await request.body.collect(upTo: SyncLimits.bodyBytes))
    } catch is NIOTooManyBytesError {
        throw HTTPError(.contentTooLarge, message: "body over \(SyncLimits.bodyBytes) bytes")
    }
}

/// Deliberate errors become 422 (an invalid event or page), 400 (a malformed request) or 413;
/// the rest stay a bare 500 (STYLE 8).
func run(_ body: () async throws -> [UInt8]) async throws -> [UInt8] {
    do {
        return try await body()
    } catch let error as DaftarError {
        switch error.code {
        case .invalidEvent, .equivocation: throw HTTPError(.unprocessableContent, message: error.message)
        case .badInput, .protocolMismatch: throw HTTPError(.badRequest, message: error.message)
        case .tooLarge: throw HTTPError(.contentTooLarge, message: error.message)
        case .busy: throw HTTPError(.serviceUnavailable, message: error.message)
        default: throw error
        }
    }
}

func json(_ bytes: [UInt8]) throws -> Response {
    Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}

/// 401 unless `Authorization: Bearer <token>`, compared in constant time.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let expected: [UInt8]

    init(token: String) { expected = Array(SHA256.hash(data: Array(token.utf8))) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let header = request.headers[.authorization] ?? ""
        let given = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : ""
        // Hash both sides so the comparison takes the same time whatever the lengths.
        let digest = Array(SHA256.hash(data: Array(given.utf8)))
        var difference: UInt8 = 0
        for (a, b) in zip(digest, expected) { difference |= a ^ b }
        guard difference == 0, !given.isEmpty else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "missing or wrong bearer token")
        }
        return try await next(request, context)
    }
}

/// Where a server's or client's token comes from: a file (owner-only), `$DAFTAR_TOKEN`, or —
/// for `serve` only — a new one generated beside the store.
public enum SyncToken {
    /// Reads a token file (first line, trimmed); it must not be readable by others.
    public static func read(file: String) throws -> String {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw DaftarError(.badInput, "cannot read token file \(file)")
        }
        if let mode = (try? FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw DaftarError(.badInput, "token file \(file) is readable by others; make it owner-only (chmod 600)")
        }
        let token = text.trimmingWhitespace
        guard !token.isEmpty else { throw DaftarError(.badInput, "token file \(file) is empty") }
        return token
    }

    /// The token at `file`, created (random, 256 bits, mode 0600) when missing. Returns it and
    /// whether it was created.
    public static func readOrCreate(file: String) throws -> (String, Bool) {
        if FileManager.default.fileExists(atPath: file) { return (try read(file: file), false) }
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        let token = ByteEncoding.base64url(bytes)
        guard FileManager.default.createFile(atPath: file, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw DaftarError(.badInput, "cannot create token file \(file)")
        }
        return (token, true)
    }
}

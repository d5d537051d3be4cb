import Crypto
import DaftarCore
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The sync API routes (`schema/sync-api.yaml` describes them).
public enum SyncRoutes {
    /// Every route the server registers: the OpenAPI test checks each is described.
    public static let all: [(method: String, path: String)] = [
        ("GET", "/v1/heads"), ("POST", "/v1/pull"), ("POST", "/v1/push"),
    ]

    /// The header a client names its own replica in (optional; for the server's access log).
    public static let replicaHeader = "Daftar-Replica"
}

/// Who a bearer token belongs to: checks the token a request presents and names its holder
/// (nil: refused). `serve` has one shared token and no names; the hub one token per analyst.
public typealias Authenticator = @Sendable (_ token: String) async throws -> Caller?

/// The holder of an accepted token.
public struct Caller: Sendable, Hashable {
    /// The analyst's name for the access log; nil for a shared token.
    public var name: String?
    public init(name: String?) { self.name = name }

    /// The authenticator of one shared token, compared in constant time.
    public static func sharedToken(_ token: String) -> Authenticator {
        let check = SecretCheck(token)
        return { given in check.matches(given) ? Caller(name: nil) : nil }
    }
}

/// Builds the router: bearer token on every endpoint, bounded bodies, JSON in and out, and
/// each request given to `accessLog` when there is one. Business logic stays in
/// ``SyncService``; only deliberate errors reach the client (STYLE 8).
public func buildRouter(
    service: SyncService, token: String, accessLog: (@Sendable (AccessLogEntry) -> Void)? = nil
) -> Router<BasicRequestContext> {
    buildRouter(service: service, authenticate: Caller.sharedToken(token), accessLog: accessLog)
}

/// The router with tokens checked by `authenticate` (the hub's analysts).
public func buildRouter(
    service: SyncService, authenticate: @escaping Authenticator, accessLog: (@Sendable (AccessLogEntry) -> Void)? = nil
) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    if let accessLog { router.add(middleware: AccessLogMiddleware(record: accessLog)) }
    router.add(middleware: BearerTokenMiddleware(authenticate: authenticate))  // first: nothing is said without a token
    router.add(middleware: MethodCheck(SyncRoutes.all))
    router.add(middleware: ReplicaHeaderCheck())
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

/// A `Daftar-Replica` that is not a replica id is 400.
struct ReplicaHeaderCheck<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let replica = request.headers[.init(SyncRoutes.replicaHeader)!], !ReplicaID.isWellFormed(replica) {
            throw HTTPError(.badRequest, message: "\(SyncRoutes.replicaHeader) must be a replica id (32 letters a–z and digits 2–7)")
        }
        return try await next(request, context)
    }
}

/// Any method other than a path's own — QUERY, TRACE and other new ones too — on one of a
/// server's paths is 405 with `Allow`, not a 404 saying the path does not exist. Paths are
/// the routes' templates: `{name}` matches one segment.
public struct MethodCheck<Context: RequestContext>: RouterMiddleware {
    let routes: [(method: HTTPRequest.Method, segments: [Substring])]

    public init(_ routes: [(method: String, path: String)]) {
        self.routes = routes.map { (HTTPRequest.Method($0.method)!, $0.path.split(separator: "/")) }
    }

    func allowed(on path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/")
        return routes.filter { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { template, given in template.hasPrefix("{") || template == given }
        }.map(\.method)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let allowed = allowed(on: request.uri.path)
        guard !allowed.isEmpty, !allowed.contains(request.method), !(request.method == .head && allowed.contains(.get)) else {
            return try await next(request, context)
        }
        let names = allowed.map(\.rawValue).joined(separator: ", ")
        let body = #"{"error": {"code": "methodNotAllowed", "message": "use \#(names) on this path"}}"#
        return Response(
            status: .methodNotAllowed, headers: [.allow: names, .contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// The application serving `router` on `host:port`; `onRunning` gets the bound port once the
/// socket is bound (a failed bind throws from `run` without calling it).
public func buildApplication(
    service: SyncService, token: String, host: String, port: Int,
    onRunning: @escaping @Sendable (Int) async -> Void = { _ in }, accessLog: (@Sendable (AccessLogEntry) -> Void)? = nil,
    limits: ConnectionLimits = .standard, tls: TLSConfiguration? = nil
) -> some ApplicationProtocol {
    buildApplication(
        service: service, authenticate: Caller.sharedToken(token), host: host, port: port, onRunning: onRunning, accessLog: accessLog,
        limits: limits, tls: tls)
}

/// The application with tokens checked by `authenticate` (the hub's analysts).
public func buildApplication(
    service: SyncService, authenticate: @escaping Authenticator, host: String, port: Int,
    onRunning: @escaping @Sendable (Int) async -> Void = { _ in }, accessLog: (@Sendable (AccessLogEntry) -> Void)? = nil,
    limits: ConnectionLimits = .standard, tls: TLSConfiguration? = nil
) -> some ApplicationProtocol {
    var logger = Logger(label: "daftar.serve")
    logger.logLevel = .warning
    return Application(
        router: buildRouter(service: service, authenticate: authenticate, accessLog: accessLog),
        server: .http1(limits: limits, tls: tls),
        configuration: .init(address: .hostname(host, port: port), serverName: "daftar", backlog: limits.backlog),
        onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
        logger: logger)
}

/// `host` as a URL writes it: an IPv6 address in brackets (`[::1]`).
public func urlHost(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }

/// Why a server could not start listening, told apart by the error's type and errno (never its
/// text), for the caller to word.
public enum ListenFailure: Sendable, Equatable {
    /// Something else listens on that port already.
    case addressInUse
    /// Ports below 1024 need privileges.
    case permissionDenied
    /// The host is not an address of this machine.
    case addressNotAvailable
    /// The host name does not resolve.
    case unknownHost

    /// The failure `error` (thrown by running an application) means, if it is one of these.
    public init?(_ error: any Error) {
        switch error {
        case let error as IOError:
            switch error.errnoCode {
            case EADDRINUSE: self = .addressInUse
            case EACCES, EPERM: self = .permissionDenied
            case EADDRNOTAVAIL: self = .addressNotAvailable
            default: return nil
            }
        case is SocketAddressError: self = .unknownHost
        default: return nil
        }
    }
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

/// A secret a request must present (a bearer token, the reader's key), compared in constant
/// time: both sides are hashed, so the comparison takes the same time whatever the lengths.
public struct SecretCheck: Sendable {
    let expected: [UInt8]

    public init(_ secret: String) { expected = Array(SHA256.hash(data: Array(secret.utf8))) }

    /// True when `given` is the secret (an empty one never is).
    public func matches(_ given: String) -> Bool {
        let digest = Array(SHA256.hash(data: Array(given.utf8)))
        var difference: UInt8 = 0
        for (a, b) in zip(digest, expected) { difference |= a ^ b }
        return difference == 0 && !given.isEmpty
    }
}

/// 401 unless `Authorization: Bearer <token>` names a holder; the holder's name goes to the
/// access log.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let authenticate: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let header = request.headers[.authorization] ?? ""
        let given = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : ""
        let caller: Caller?
        do {
            caller = given.isEmpty ? nil : try await authenticate(given)
        } catch let error as DaftarError where error.code == .busy {
            throw HTTPError(.serviceUnavailable, message: error.message)  // the token could not be checked: try again
        }
        guard let caller else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "missing or wrong bearer token")
        }
        RequestCaller.current?.name.withLock { $0 = caller.name }
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
        try check(token, from: "token file \(file)")
        return token
    }

    /// The fewest characters a token may have: a short one can be guessed by a peer that keeps asking.
    public static let minimumLength = 16

    /// Refuses a token shorter than ``minimumLength``; `source` names where it came from
    /// ("token file F", "$DAFTAR_TOKEN").
    public static func check(_ token: String, from source: String) throws {
        guard token.count >= minimumLength else {
            throw DaftarError(
                .badInput,
                "the token in \(source) has \(token.count) character\(token.count == 1 ? "" : "s"); a token needs at least \(minimumLength) (e.g. from `openssl rand -base64 32`)")
        }
    }

    /// The token in `file` when it exists (`created: false`); else a new random one (256 bits)
    /// that the caller writes with ``write(_:to:)`` once it is sure to use it — `serve` only after
    /// its socket is bound, so that a failed start leaves no file behind.
    public static func readOrGenerate(file: String) throws -> (token: String, exists: Bool) {
        if FileManager.default.fileExists(atPath: file) { return (try read(file: file), true) }
        var bytes = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        return (ByteEncoding.base64url(bytes), false)
    }

    /// Writes a token file, owner-only (0600), refusing to replace one.
    public static func write(_ token: String, to file: String) throws {
        let descriptor = open(file, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw DaftarError(.badInput, "cannot create token file \(file)") }
        defer { close(descriptor) }
        let bytes = Array((token + "\n").utf8)
        guard bytes.withUnsafeBytes({ systemWrite(descriptor, $0.baseAddress, $0.count) }) == bytes.count else {
            throw DaftarError(.badInput, "cannot write token file \(file)")
        }
    }

    /// Whether a token file could be created at `file`: its folder exists and is writable.
    public static func canCreate(file: String) -> Bool {
        let folder = (file as NSString).deletingLastPathComponent
        return FileManager.default.isWritableFile(atPath: folder.isEmpty ? "." : folder)
    }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#else
private let systemWrite = Darwin.write
#endif

import DaftarCore
import DaftarStore
import DaftarSync
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The reader's routes (`schema/reader-api.yaml` describes them; a test checks the two agree).
public enum ReaderRoutes {
    /// The pages: the app, its script and style, and the link that opens it.
    public static let pages: [(method: String, path: String)] = [
        ("GET", "/"), ("GET", "/open"), ("GET", "/reader.js"), ("GET", "/reader.css"),
    ]

    /// The JSON API, under /api; every call needs the cookie `/open` sets.
    public static let api: [(method: String, path: String)] = [
        ("GET", "/api/status"),
        ("GET", "/api/articles"),
        ("GET", "/api/articles/{id}"),
        ("GET", "/api/articles/{id}/find"),
        ("POST", "/api/articles/{id}/annotations"),
        ("GET", "/api/search"),
        ("GET", "/api/tags"),
        ("GET", "/api/conflicts"),
        ("GET", "/api/changes"),
        ("GET", "/api/annotations/{id}/history"),
        ("POST", "/api/annotations/{id}/edit"),
        ("POST", "/api/annotations/{id}/delete"),
        ("POST", "/api/annotations/{id}/restore"),
        ("POST", "/api/annotations/{id}/tags"),
        ("POST", "/api/annotations/{id}/resolve"),
        ("GET", "/api/peers"),
        ("POST", "/api/peers/{name}/sync"),
    ]

    /// What the page may load: only itself. No CDN, no fonts, no analytics, no frames.
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// The largest JSON body a write takes.
    static let bodyBytes = 1 << 20
}

/// Who may talk to the reader: the secret made at start, the port it is bound to (known once
/// listening; port 0 picks one), and the loopback names it answers to.
public final class ReaderAccess: Sendable {
    /// The random secret the printed URL carries; opening it sets the cookie.
    public let secret: String
    let check: SecretCheck
    /// The host it listens on (a loopback address).
    let host: String
    private let boundPort = Mutex<Int>(0)

    public init(host: String, secret: String = ReaderAccess.newSecret()) {
        self.host = host
        self.secret = secret
        check = SecretCheck(secret)
    }

    /// 256 random bits, base64url.
    public static func newSecret() -> String {
        var rng = SystemRandomNumberGenerator()
        return ByteEncoding.base64url((0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    public var port: Int {
        get { boundPort.withLock { $0 } }
        set { boundPort.withLock { $0 = newValue } }
    }

    /// The address as a URL's host part.
    var shownHost: String { urlHost(host) }

    /// The URL to print: opening it signs the browser in.
    public var openURL: String { "http://\(shownHost):\(port)/open?key=\(secret)" }

    /// The cookie's name: one per port, so two readers on one machine do not overwrite each other's.
    var cookieName: String { "daftar_reader_\(port)" }

    /// Whether a `Host` header names this server: a loopback name (with the bound port, or
    /// none). Any other name is a page on another site reaching it through DNS rebinding.
    func allows(authority: String?) -> Bool {
        guard let authority else { return false }
        let names: Set<String> = ["127.0.0.1", "localhost", "[::1]", shownHost]
        return names.contains { authority == $0 || authority == "\($0):\(port)" }
    }

    /// Constant-time comparison with the secret.
    func matches(_ given: String) -> Bool { check.matches(given) }

    /// Whether `host` is a loopback address or name, the only kind the reader listens on.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// The page, its script and its style, read once from the package's resources.
struct WebFiles: Sendable {
    let files: [String: (type: String, bytes: ByteBuffer)]

    static func load() throws -> WebFiles {
        let missing = "the reader's page is missing from this installation: copy Daftar_DaftarApp.resources from the build folder (.build/release) beside the daftar binary"
        guard let folder = folder() else { throw DaftarError(.badStore, missing) }
        var files: [String: (String, ByteBuffer)] = [:]
        for (name, type) in [("index.html", "text/html; charset=utf-8"), ("reader.js", "text/javascript; charset=utf-8"), ("reader.css", "text/css; charset=utf-8")] {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else {
                throw DaftarError(.badStore, missing)
            }
            files[name] = (type, ByteBuffer(bytes: data))
        }
        return WebFiles(files: files)
    }

    /// The package's resource bundle beside the binary (as SwiftPM builds it, and as the README
    /// installs it), else the source folder it was built from. Not `Bundle.module`, which stops
    /// the process when it finds neither.
    static func folder() -> URL? {
        let bundle = "Daftar_DaftarApp.resources/Web"
        var candidates = [Bundle.main.bundleURL.appendingPathComponent(bundle)]
        if let binary = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() {
            candidates.append(binary.appendingPathComponent(bundle))
        }
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Web"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("index.html").path) }
    }

    func response(_ name: String) -> Response {
        let file = files[name]!
        return Response(status: .ok, headers: [.contentType: file.type], body: .init(byteBuffer: file.bytes))
    }
}

/// Builds the reader's router: the guard in front of everything, the pages, and the API.
public func buildReaderRouter(api: ReaderAPI, access: ReaderAccess) throws -> Router<BasicRequestContext> {
    let web = try WebFiles.load()
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: ReaderGuard(access: access))
    router.add(middleware: MethodCheck(ReaderRoutes.pages + ReaderRoutes.api))
    router.get("/") { _, _ in web.response("index.html") }
    router.get("reader.js") { _, _ in web.response("reader.js") }
    router.get("reader.css") { _, _ in web.response("reader.css") }
    router.get("open") { request, _ in
        guard access.matches(request.uri.queryParameters.get("key") ?? "") else {
            throw HTTPError(.forbidden, message: "this link is not (or no longer) the reader's; open the URL `daftar reader` printed")
        }
        return Response(status: .seeOther, headers: [
            .location: "/",
            .setCookie: "\(access.cookieName)=\(access.secret); Path=/; HttpOnly; SameSite=Strict",
        ])
    }

    let routes = router.group("api")
    routes.get("status") { _, _ in try await answer { try api.status() } }
    routes.get("articles") { request, _ in
        let q = request.uri.queryParameters
        let offset = try number(q.get("offset"), "offset", default: 0, in: 0...Int(Int32.max))
        let limit = try number(q.get("limit"), "limit", default: 50, in: 1...500)
        return try await answer { try api.articles(offset: offset, limit: limit, asOf: q.get("asOf")) }
    }
    routes.get("articles/:id") { request, context in
        let id = try context.parameters.require("id")
        return try await answer { try api.article(id, asOf: request.uri.queryParameters.get("asOf")) }
    }
    routes.get("articles/:id/find") { request, context in
        let id = try context.parameters.require("id")
        let quote = request.uri.queryParameters.get("q") ?? ""
        return try await answer { try api.find(id, quote: quote) }
    }
    routes.post("articles/:id/annotations") { request, context in
        let id = try context.parameters.require("id")
        let body = try await decode(ReaderAPI.NewAnnotation.self, request)
        return try await answer { try api.annotate(article: id, body) }
    }
    routes.get("search") { request, _ in
        let q = request.uri.queryParameters
        let limit = try number(q.get("limit"), "limit", default: 30, in: 1...200)
        return try await answer {
            try api.search(
                q.get("q") ?? "", since: q.get("since"), until: q.get("until"), tag: q.get("tag"), file: q.get("file"),
                includeUndated: q.get("includeUndated") == "true", limit: limit, asOf: q.get("asOf"))
        }
    }
    routes.get("tags") { request, _ in try await answer { try api.tags(asOf: request.uri.queryParameters.get("asOf")) } }
    routes.get("conflicts") { _, _ in try await answer { try api.conflicts() } }
    routes.get("changes") { request, _ in try await answer { try api.changes(since: request.uri.queryParameters.get("since")) } }
    routes.get("annotations/:id/history") { _, context in
        let id = try context.parameters.require("id")
        return try await answer { try api.history(annotation: id) }
    }
    routes.post("annotations/:id/edit") { request, context in
        let id = try context.parameters.require("id")
        let body = try await decode(ReaderAPI.EditRequest.self, request)
        return try await answer { try api.edit(annotation: id, body) }
    }
    routes.post("annotations/:id/delete") { _, context in
        let id = try context.parameters.require("id")
        return try await answer { try api.setDeleted(annotation: id, true) }
    }
    routes.post("annotations/:id/restore") { _, context in
        let id = try context.parameters.require("id")
        return try await answer { try api.setDeleted(annotation: id, false) }
    }
    routes.post("annotations/:id/tags") { request, context in
        let id = try context.parameters.require("id")
        let body = try await decode(ReaderAPI.TagRequest.self, request)
        return try await answer { try api.tag(annotation: id, body) }
    }
    routes.post("annotations/:id/resolve") { request, context in
        let id = try context.parameters.require("id")
        let body = try await decode(ReaderAPI.ResolveRequest.self, request)
        return try await answer { try api.resolve(annotation: id, body) }
    }
    routes.get("peers") { _, _ in try await answer { try api.peers() } }
    routes.post("peers/:name/sync") { _, context in
        let name = try context.parameters.require("name")
        return try await syncStream(api.store, peerName: name)
    }
    return router
}

/// The reader on `host:port`; `onRunning` gets the bound port once listening.
public func buildReaderApplication(
    store: Store, access: ReaderAccess, port: Int, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    var logger = Logger(label: "daftar.reader")
    logger.logLevel = .warning
    return Application(
        router: try buildReaderRouter(api: ReaderAPI(store: store), access: access),
        server: .http1(limits: .standard),
        configuration: .init(address: .hostname(access.host, port: port), serverName: "daftar-reader", backlog: ConnectionLimits.standard.backlog),
        onServerRunning: { channel in
            let bound = channel.localAddress?.port ?? port
            access.port = bound
            await onRunning(bound)
        },
        logger: logger)
}

// MARK: - The guard

/// In front of every route: the `Host` must name this server on loopback (DNS rebinding), a
/// write must come from the app's own `Origin` (CSRF), and the API needs the cookie. Every
/// answer — errors too — carries the Content-Security-Policy and is not cached; errors are
/// JSON `{"error": {"code", "message"}}` for the API.
struct ReaderGuard<Context: RequestContext>: RouterMiddleware {
    let access: ReaderAccess

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            try check(request)
            response = try await next(request, context)
        } catch let error as HTTPError {
            response = Self.errorResponse(status: error.status, code: Self.code(for: error.status), message: error.body ?? error.status.reasonPhrase)
        } catch let error as DaftarError {
            response = Self.errorResponse(status: Self.status(for: error.code), code: error.code.rawValue, message: error.message)
        } catch is DecodingError {
            response = Self.errorResponse(status: .badRequest, code: "badInput", message: "the request's JSON does not have the expected fields")
        } catch {
            response = Self.errorResponse(status: .internalServerError, code: "internal", message: "the reader failed to answer; see its terminal")
        }
        response.headers[.contentSecurityPolicy] = ReaderRoutes.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func check(_ request: Request) throws {
        guard access.allows(authority: request.head.authority) else {
            throw HTTPError(.forbidden, message: "the reader answers only to its own address (http://\(access.shownHost):\(access.port)); this request named \(request.head.authority ?? "no host")")
        }
        if request.method != .get && request.method != .head {
            guard request.headers[.origin] == "http://\(request.head.authority!)" else {
                throw HTTPError(.forbidden, message: "a change must come from the reader's own page; this request came from \(request.headers[.origin] ?? "no origin")")
            }
        }
        if request.uri.path.hasPrefix("/api/") {
            guard let cookie = request.cookies[access.cookieName], access.matches(cookie.value) else {
                throw HTTPError(.unauthorized, message: "not signed in: open the URL `daftar reader` printed")
            }
        }
    }

    static func status(for code: DaftarError.Code) -> HTTPResponse.Status {
        switch code {
        case .notFound, .noStore: .notFound
        case .badInput, .badQuery, .ambiguous, .ambiguousQuote: .badRequest
        case .busy: .serviceUnavailable
        case .unreachable, .stalled, .unauthorized, .refusedByPeer, .protocolMismatch, .invalidEvent, .equivocation: .badGateway
        case .readOnly: .conflict
        case .tooLarge: .contentTooLarge
        default: .internalServerError
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .notFound: "notFound"
        case .contentTooLarge: "tooLarge"
        default: "badInput"
        }
    }

    static func errorResponse(status: HTTPResponse.Status, code: String, message: String) -> Response {
        let body = JSONValue.object(["error": .object(["code": .string(code), "message": .string(message)])]).canonicalBytes
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

// MARK: - Helpers

/// Runs a store call off the event loop (SQLite blocks) and answers its result as JSON.
func answer(_ body: @escaping @Sendable () throws -> some Encodable & Sendable) async throws -> Response {
    let value = try await NIOThreadPool.singleton.runIfActive { try body() }
    return try jsonResponse(value)
}

func jsonResponse(_ value: some Encodable) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
}

func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
    let buffer: ByteBuffer
    do {
        buffer = try await request.body.collect(upTo: ReaderRoutes.bodyBytes)
    } catch is NIOTooManyBytesError {
        throw HTTPError(.contentTooLarge, message: "the request is over \(ReaderRoutes.bodyBytes) bytes")
    }
    return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
}

func number(_ given: String?, _ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
    guard let given, !given.isEmpty else { return value }
    guard let n = Int(given), range.contains(n) else {
        throw DaftarError(.badInput, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
    }
    return n
}

/// The last line of a sync's stream: the summary, and whether anything stayed behind.
struct SyncResultLine: Encodable {
    var result: SyncSummary
    var failed: Bool
}

/// A sync with a named peer, streamed as JSON lines: `{"progress": {"pulled", "pushed"}}` as
/// pages move, then `{"result": SUMMARY}` — the same summary `daftar sync --json` prints — or
/// `{"error": {"code", "message"}}`.
func syncStream(_ store: Store, peerName: String) async throws -> Response {
    let peer = try await NIOThreadPool.singleton.runIfActive { try store.peers().first { $0.name == peerName } }
    guard let peer else { throw DaftarError(.notFound, "no peer named \(peerName)") }
    let token = try PeerSync.token(file: nil, peer: peer)
    let (lines, continuation) = AsyncStream<ByteBuffer>.makeStream()
    @Sendable func send(_ value: JSONValue) { continuation.yield(ByteBuffer(bytes: value.canonicalBytes + [0x0A])) }
    Task {
        do {
            let summary = try await PeerSync.run(
                store: store, peer: peer, url: peer.url, token: token, stallSeconds: HTTPTransport.defaultStallSeconds,
                progress: { report in
                    send(["progress": ["pulled": .int(Int64(report.pulledEvents)), "pushed": .int(Int64(report.pushedEvents))]])
                })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            continuation.yield(ByteBuffer(bytes: try encoder.encode(SyncResultLine(result: summary, failed: summary.failed)) + [0x0A]))
        } catch let error as DaftarError {
            send(["error": ["code": .string(error.code.rawValue), "message": .string(error.message)]])
        } catch {
            send(["error": ["code": "internal", "message": .string("the sync failed: \(String(describing: error))")]])
        }
        continuation.finish()
    }
    return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: ResponseBody(asyncSequence: lines))
}

import AsyncHTTPClient
import DaftarCore
import DaftarStore
import Foundation
import NIOCore
import NIOHTTP1

/// The sync session over HTTP, with AsyncHTTPClient.
public struct HTTPTransport: SyncTransport {
    public let baseURL: String
    let token: String
    let client: HTTPClient
    let timeout: TimeAmount

    /// One client for the process: connect within 5 s and do not retry a refused connection,
    /// so an unreachable peer is reported at once (`HTTPClient.shared` retries for 90 s).
    public static let defaultClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(120))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(baseURL: String, token: String, client: HTTPClient = HTTPTransport.defaultClient, timeout: TimeAmount = .seconds(120)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.client = client
        self.timeout = timeout
    }

    func call(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw DaftarError(.badInput, "cannot reach \(baseURL) (\(Self.describe(error))); is `daftar serve` running there?")
        }
        let reply: ByteBuffer
        do {
            reply = try await response.body.collect(upTo: SyncLimits.bodyBytes + 1024)
        } catch {
            throw DaftarError(.badInput, "the connection to \(baseURL) broke during the transfer (\(Self.describe(error))); run the sync again to resume")
        }
        switch response.status.code {
        case 200: return Array(buffer: reply)
        case 401: throw DaftarError(.badInput, "\(baseURL) refused the token (401); check --token-file or $DAFTAR_TOKEN")
        case 404 where path == "/v1/heads": throw DaftarError(.badInput, "\(baseURL) is not a Daftar server (no /v1/heads)")
        case 413: throw DaftarError(.badInput, "\(baseURL) refused a page as too large (413)")
        case 422:
            throw DaftarError(.invalidEvent, "\(baseURL) refused the page: \(Self.message(reply))")
        default:
            throw DaftarError(.badInput, "\(baseURL) answered \(response.status.code) to \(path)\(path == "/v1/heads" ? "; is it a Daftar server?" : "")")
        }
    }

    static func message(_ body: ByteBuffer) -> String {
        let bytes = Array(buffer: body)
        if let json = try? JSONValue.parse(bytes), let message = json["error"]?["message"]?.stringValue { return message }
        return String(decoding: bytes.prefix(200), as: UTF8.self)
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("remoteConnectionClosed") { return "the peer closed the connection" }
        if text.contains("deadlineExceeded") || text.contains("readTimeout") { return "timed out" }
        return text.count > 120 ? String(text.prefix(120)) + "…" : text
    }

    public func heads() async throws -> PeerHeads {
        try Self.decodeHeads(try await call(.GET, "/v1/heads"), from: baseURL)
    }

    public func pull(_ request: PullRequest) async throws -> (Page, Int) {
        let body = request.json.canonicalBytes
        let reply = try await call(.POST, "/v1/pull", body: body)
        return (try Self.decodePage(reply), body.count + reply.count)
    }

    public func push(_ events: [Event]) async throws -> PushReply {
        let body = Self.encodePush(events)
        return try Self.decodePushReply(try await call(.POST, "/v1/push", body: body), sent: body.count)
    }
}

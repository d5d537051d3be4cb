import AsyncHTTPClient
import DaftarCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The sync session over HTTP, with AsyncHTTPClient.
public struct HTTPTransport: SyncTransport {
    public let baseURL: String
    let token: String
    /// This replica, sent as `Daftar-Replica` so that the server's access log can name its peer.
    let replica: String?
    let client: HTTPClient
    let timeout: TimeAmount
    /// How long the peer may stay silent, in seconds (the client's read timeout).
    let stallSeconds: Int64

    /// How long a peer may send nothing before a sync gives up on it, unless told otherwise.
    public static let defaultStallSeconds: Int64 = 30

    /// One client per stall timeout, for the process: connect within 5 s and do not retry a
    /// refused connection, so an unreachable peer is reported at once (`HTTPClient.shared`
    /// retries for 90 s); a peer that accepts and then sends nothing for `seconds` ends the
    /// request (the read timeout runs from the request's end and between reads, so a slow but
    /// moving transfer is not cut).
    public static func client(stallingAfter seconds: Int64) -> HTTPClient {
        clients.withLock { clients in
            if let client = clients[seconds] { return client }
            var configuration = HTTPClient.Configuration()
            configuration.timeout = .init(connect: .seconds(5), read: .seconds(seconds))
            configuration.connectionPool.retryConnectionEstablishment = false
            if let authority = ProcessInfo.processInfo.environment["DAFTAR_TLS_CA"], !authority.isEmpty {
                // A peer whose certificate the team signed itself: trusted beside the system's roots.
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.additionalTrustRoots = [.file(authority)]
                configuration.tlsConfiguration = tls
            }
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[seconds] = client
            return client
        }
    }

    private static let clients = Mutex<[Int64: HTTPClient]>([:])

    /// The client with the default stall timeout.
    public static var defaultClient: HTTPClient { client(stallingAfter: defaultStallSeconds) }

    /// `stallSeconds`: how long the peer may send nothing (at least 1); `timeout`: the deadline
    /// of one whole request, raised to cover `stallSeconds`.
    public init(
        baseURL: String, token: String, replica: String? = nil, stallSeconds: Int64 = HTTPTransport.defaultStallSeconds,
        client: HTTPClient? = nil, timeout: TimeAmount = .seconds(120)
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.replica = replica
        self.stallSeconds = max(1, stallSeconds)
        self.client = client ?? Self.client(stallingAfter: self.stallSeconds)
        self.timeout = max(timeout, .seconds(self.stallSeconds + 5))
    }

    public var peerName: String { baseURL }

    func call(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let replica { request.headers.add(name: SyncRoutes.replicaHeader, value: replica) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            if Self.isStall(error) { throw stalled(error) }
            throw DaftarError(.unreachable, "cannot reach \(baseURL) (\(Self.describe(error)))", cause: error)
        }
        let reply: ByteBuffer
        do {
            reply = try await response.body.collect(upTo: SyncLimits.bodyBytes + 1024)
        } catch {
            if Self.isStall(error) { throw stalled(error) }
            throw DaftarError(.interrupted, "the connection to \(baseURL) broke during the transfer (\(Self.describe(error)))", cause: error)
        }
        return try Self.check(status: response.status.code, body: Array(buffer: reply), path: path, peer: baseURL)
    }

    /// The peer took the connection and then sent nothing (or not all) in time: not
    /// "unreachable" (something is listening there), and no use waiting longer by default.
    func stalled(_ error: any Error) -> DaftarError {
        if (error as? HTTPClientError) == .deadlineExceeded {
            return DaftarError(.stalled, "\(baseURL) did not finish answering within \(timeout.nanoseconds / 1_000_000_000) s", cause: error)
        }
        return DaftarError(.stalled, "\(baseURL) accepted the connection but sent nothing for \(stallSeconds) s", cause: error)
    }

    /// True for the client's read timeout and deadline: the connection was made, the answer did not come.
    static func isStall(_ error: any Error) -> Bool {
        guard let error = error as? HTTPClientError else { return false }
        return error == .readTimeout || error == .deadlineExceeded
    }

    /// The body of a 200 answer; any other status as the error it means (shared by every
    /// carrier that speaks HTTP, the router included).
    public static func check(status: UInt, body: [UInt8], path: String, peer: String) throws -> [UInt8] {
        switch status {
        case 200: return body
        case 401: throw DaftarError(.unauthorized, "\(peer) refused the token (401)")
        case 404 where path == "/v1/heads": throw DaftarError(.protocolMismatch, "\(peer) is not a Daftar server (no /v1/heads)")
        case 413: throw DaftarError(.tooLarge, "\(peer) refused a page as too large (413)")
        case 422: throw DaftarError(.refusedByPeer, "\(peer) refused the page: \(Self.message(ByteBuffer(bytes: body)))")
        case 503:
            // The peer's reason when a Daftar peer gave one (a hub: its database did not
            // answer), not a proxy's error page.
            let reason = (try? JSONValue.parse(body))?["error"]?["message"]?.stringValue
            throw DaftarError(.busy, "\(peer) is busy (503)\(reason.map { ": " + $0 } ?? ""); try again shortly")
        default:
            throw DaftarError(
                .protocolMismatch, "\(peer) answered \(status) to \(path)\(path == "/v1/heads" ? "; is it a Daftar server?" : "")")
        }
    }

    static func message(_ body: ByteBuffer) -> String {
        let bytes = Array(buffer: body)
        if let json = try? JSONValue.parse(bytes), let message = json["error"]?["message"]?.stringValue { return message }
        return String(decoding: bytes.prefix(200), as: UTF8.self)
    }

    /// Names a network failure from the client's error types, never from its text.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError:
            switch error {
            case .connectTimeout, .deadlineExceeded, .readTimeout, .writeTimeout: return "timed out"
            case .remoteConnectionClosed: return "the peer closed the connection"
            case .cancelled: return "cancelled"
            default: return "\(error)"
            }
        case let error as NIOConnectionError:
            return error.connectionErrors.first.map { describe($0.error) } ?? "connection failed"
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ENETUNREACH, EHOSTUNREACH: return "no route to the host"
            case ETIMEDOUT: return "timed out"
            case ECONNRESET: return "connection reset"
            default: return "network error \(error.errnoCode)"
            }
        case let error as SocketAddressError:
            return "cannot resolve the host name (\(error))"
        case is ChannelError:
            return "the connection failed"
        case let error as NIOSSLError:
            if case .handshakeFailed = error, "\(error)".contains("CERTIFICATE_VERIFY_FAILED") {
                return "its TLS certificate is not trusted here; if your team signed it, set DAFTAR_TLS_CA to that certificate (a PEM file)"
            }
            return "TLS failed: \(error)"
        case is NIOSSLExtraError:
            return "its TLS certificate does not name that host"
        default:
            return "\(type(of: error))"
        }
    }

    public func heads() async throws -> PeerHeads {
        try SyncDecode.heads(try await call(.GET, "/v1/heads"), from: baseURL)
    }

    public func pull(_ request: PullRequest) async throws -> (Page, Int) {
        let body = request.json.canonicalBytes
        let reply = try await call(.POST, "/v1/pull", body: body)
        return (try SyncDecode.page(reply, from: baseURL), body.count + reply.count)
    }

    public func push(_ request: PushRequest) async throws -> PushReply {
        let body = request.bytes
        return try SyncDecode.pushReply(try await call(.POST, "/v1/push", body: body), sent: body.count, from: baseURL)
    }
}

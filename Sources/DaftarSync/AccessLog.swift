import DaftarCore
import Foundation
import Hummingbird
import Synchronization

/// One request as the server's access log records it: never the token, never a body.
public struct AccessLogEntry: Sendable, Hashable {
    /// When the request arrived, ms since 1970.
    public var time: Int64
    public var method: String
    /// The path without its query.
    public var path: String
    public var status: Int
    /// Bytes of the response body (0 when unknown).
    public var bytes: Int
    /// The caller's replica when its request names one (`Daftar-Replica`), checked well-formed.
    public var replica: ReplicaID?
    /// The analyst whose token it presented (the hub); nil for a shared token or none.
    public var analyst: String? = nil
    /// From the request's arrival to its answer.
    public var duration: Duration = .zero

    /// `2026-01-02T03:04:05.678Z POST /v1/pull 200 5120 REPLICA 12.3ms` (`-` for no replica),
    /// then `analyst=NAME` on the hub: one line, fields separated by spaces, none of them able
    /// to hold one (an analyst's name has no spaces or controls).
    public var line: String {
        let ms = String(format: "%.1fms", milliseconds)
        return "\(W3CAnnotations.iso(time)) \(method) \(path) \(status) \(bytes) \(replica?.rawValue ?? "-") \(ms)" + (analyst.map { " analyst=\($0)" } ?? "")
    }

    /// ``duration`` in milliseconds.
    public var milliseconds: Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}

/// Where the bearer check leaves the name of the request's caller for the access log, which
/// runs outside it.
final class RequestCaller: Sendable {
    @TaskLocal static var current: RequestCaller?
    let name = Mutex<String?>(nil)
}

/// Reports every request to `record` once answered, 401s and 404s included: it sits outside
/// the bearer check and turns deliberate errors into their responses itself, to know their size.
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let record: @Sendable (AccessLogEntry) -> Void

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var entry = AccessLogEntry(
            time: Int64(Date().timeIntervalSince1970 * 1000), method: request.method.rawValue,
            path: Self.printable(request.uri.path), status: 500, bytes: 0,
            replica: request.headers[.init(SyncRoutes.replicaHeader)!].flatMap { ReplicaID.isWellFormed($0) ? ReplicaID(rawValue: $0) : nil })
        let caller = RequestCaller()
        let arrived = ContinuousClock.now
        func record(_ entry: AccessLogEntry) {
            var entry = entry
            entry.analyst = caller.name.withLock { $0 }
            entry.duration = ContinuousClock.now - arrived
            self.record(entry)
        }
        do {
            let response = try await RequestCaller.$current.withValue(caller) { try await next(request, context) }
            entry.status = Int(response.status.code)
            entry.bytes = response.body.contentLength ?? 0
            record(entry)
            return response
        } catch let error as any HTTPResponseError {
            let response = try error.response(from: request, context: context)
            entry.status = Int(response.status.code)
            entry.bytes = response.body.contentLength ?? 0
            record(entry)
            return response
        } catch {
            record(entry)  // Hummingbird answers a bare 500
            throw error
        }
    }

    /// The path with anything that could break the line (spaces, controls) percent-encoded.
    static func printable(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            if byte > 0x20 && byte < 0x7F { out.unicodeScalars.append(Unicode.Scalar(byte)) } else { out += String(format: "%%%02X", byte) }
        }
        return out.isEmpty ? "/" : String(out.prefix(200))
    }
}

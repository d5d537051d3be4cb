import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a server holds open for peers it has not yet heard a whole request from — so that
/// nobody, token or not, can starve it with idle, slow-header or slow-body connections
/// (issue: many at once). `serve`, `hub` and `reader` all use ``standard``:
///
/// - at most ``perAddress`` connections from one address (an IPv6 /64 counts as one address)
///   and ``total`` in all; a connection over either is answered 503 and closed at once;
/// - a connection that sends nothing is closed ``idleSeconds`` after it opened or after its
///   previous answer;
/// - a request's head must arrive whole within ``headSeconds`` of its first byte, and its body
///   within ``bodySeconds`` of its head.
///
/// The server's own work on a request has no deadline here: it has the request whole.
public struct ConnectionLimits: Sendable {
    public var perAddress: Int
    public var total: Int
    public var headSeconds: Int64
    public var idleSeconds: Int64
    public var bodySeconds: Int64

    public init(perAddress: Int, total: Int, headSeconds: Int64, idleSeconds: Int64, bodySeconds: Int64) {
        (self.perAddress, self.total, self.headSeconds, self.idleSeconds, self.bodySeconds) =
            (perAddress, total, headSeconds, idleSeconds, bodySeconds)
    }

    /// 128 per address (a team behind one NAT address syncs with one connection each), 1,024
    /// in all (fewer when the process may not open that many files), silent for at most 60 s,
    /// a head within 10 s of its first byte, a body (at most 32 MiB) within 120 s.
    public static let standard = ConnectionLimits(perAddress: 128, total: 1024, headSeconds: 10, idleSeconds: 60, bodySeconds: 120)

    /// How many connections the kernel queues for the server to accept: as many as it admits.
    /// With fewer (Hummingbird's default is 256), a flood of connections fills the queue and the
    /// kernel drops what comes next — an honest client's too, or leaves it half-open, told
    /// nothing, until the queue drains.
    public var backlog: Int { total }

    /// ``total``, lowered to leave room under this process's open-file limit (raised to its
    /// hard limit first): running out of descriptors would refuse everyone, store files too.
    var totalWithinFileLimit: Int {
        var limit = rlimit()
        guard getrlimit(Self.openFiles, &limit) == 0 else { return total }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Self.openFiles, &raised) == 0 { limit = raised }
        }
        return max(1, min(total, Int(clamping: limit.rlim_cur) - 128))  // RLIM_INFINITY is the largest value
    }

    #if canImport(Glibc)
    private static let openFiles = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let openFiles = RLIMIT_NOFILE
    #endif
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with Daftar's connection limits, over TLS when `tls` is given.
    public static func http1(limits: ConnectionLimits, tls: TLSConfiguration? = nil) -> HTTPServerBuilder {
        let counter = ConnectionCounter(perAddress: limits.perAddress, total: limits.totalWithinFileLimit)
        return .init { responder in
            let http = HTTP1Channel(
                responder: responder,
                configuration: .init(additionalChannelHandlers: [RequestDeadlineHandler(limits)]))
            guard let tls else { return AdmittedChannel(base: http, counter: counter, answersRefusal: true) }
            // Over TLS a refusal cannot be answered in clear: the connection is just closed.
            return AdmittedChannel(base: try TLSChannel(http, tlsConfiguration: tls), counter: counter, answersRefusal: false)
        }
    }
}

/// How many connections are open, per address and in all.
final class ConnectionCounter: Sendable {
    let perAddress: Int
    let total: Int
    private let state = Mutex<(byAddress: [String: Int], total: Int)>(([:], 0))

    init(perAddress: Int, total: Int) { (self.perAddress, self.total) = (perAddress, total) }

    /// Counts a connection from `address` in, unless that would pass a limit (then nil: the
    /// reason, for the peer).
    func admit(_ address: String) -> String? {
        state.withLock { state in
            if state.total >= total { return "the server has \(total) connections open; try again shortly" }
            if state.byAddress[address, default: 0] >= perAddress {
                return "the server has \(perAddress) connections open from your address; close some and try again"
            }
            state.total += 1
            state.byAddress[address, default: 0] += 1
            return nil
        }
    }

    func release(_ address: String) {
        state.withLock { state in
            state.total -= 1
            let left = state.byAddress[address, default: 1] - 1
            state.byAddress[address] = left > 0 ? left : nil
        }
    }

    /// The address a connection is counted under: its IP address, or an IPv6 address's /64
    /// (an IPv4 address mapped into IPv6, as a dual-stack listener sees it, counts as itself).
    static func key(of address: SocketAddress?) -> String {
        switch address {
        case .v4?:
            return address?.ipAddress ?? "v4"
        case .v6(let v6)?:
            var raw = v6.address.sin6_addr
            let bytes = withUnsafeBytes(of: &raw) { Array($0) }
            if bytes[..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                return bytes[12...].map(String.init).joined(separator: ".")
            }
            return bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
        default:
            return "local"
        }
    }
}

/// A child channel admitted only within the counter's limits; over one, the peer is told 503
/// (a whole HTTP answer, written below the HTTP handlers) and the connection closed.
struct AdmittedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value
    let base: Base
    let counter: ConnectionCounter
    /// Whether a refusal is answered 503 (plain HTTP) or the connection only closed (TLS).
    let answersRefusal: Bool

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let address = ConnectionCounter.key(of: channel.remoteAddress)
        if let reason = counter.admit(address) {
            guard answersRefusal else {
                channel.close(promise: nil)
                return channel.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
            }
            do {
                try channel.pipeline.syncOperations.addHandler(RefusingHandler(reason: reason), position: .first)
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        } else {
            channel.closeFuture.whenComplete { [counter] _ in counter.release(address) }
        }
        return base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            // Where bytes come in, before any decoding: the first byte of each request starts its head's clock.
            let deadline = try channel.pipeline.syncOperations.handler(type: RequestDeadlineHandler.self)
            try channel.pipeline.syncOperations.addHandler(FirstByteHandler(deadline), position: .first)
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Answers 503 with `reason` as soon as the connection is up, reads nothing, and closes.
final class RefusingHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    let reason: String

    init(reason: String) { self.reason = reason }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context) }
    }

    func channelActive(context: ChannelHandlerContext) { refuse(context) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func refuse(_ context: ChannelHandlerContext) {
        let body = #"{"error": {"code": "busy", "message": "\#(reason)"}}"#
        let answer = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Retry-After: 5\r\nConnection: close\r\n\r\n\(body)"
        let channel = context.channel
        context.writeAndFlush(NIOAny(ByteBuffer(string: answer))).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// Closes a connection that stays silent too long (from opening, or from its previous answer),
/// whose request head does not arrive whole in time from its first byte, or whose body does
/// not arrive in time after its head.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let head: TimeAmount
    private let idle: TimeAmount
    private let body: TimeAmount
    private var timer: Scheduled<Void>?
    /// Silent since the connection opened or its last answer: the next byte starts a head.
    private var silent = true
    /// Between a request's head and its end (an answer may come first, e.g. 413): its body's
    /// deadline stands.
    private var reading = false
    private var channel: (any Channel)?

    init(_ limits: ConnectionLimits) {
        head = .seconds(limits.headSeconds)
        idle = .seconds(limits.idleSeconds)
        body = .seconds(limits.bodySeconds)
    }

    private func arm(_ amount: TimeAmount) {
        timer?.cancel()
        guard let channel else { return }
        timer = channel.eventLoop.scheduleTask(in: amount) { channel.close(promise: nil) }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }

    /// Bytes came in (``FirstByteHandler``): after silence, the head's clock starts.
    func bytesArrived() {
        guard silent else { return }
        silent = false
        arm(head)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        channel = context.channel
        if context.channel.isActive { arm(idle) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(idle)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            reading = true
            arm(body)
        case .body: break
        case .end:
            reading = false
            disarm()  // the request is whole: the server's work has no deadline here
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), !reading {  // answered: silence is allowed again, for a while
            silent = true
            arm(idle)
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
        channel = nil
    }
}

/// Sits where bytes come in and tells the connection's ``RequestDeadlineHandler`` (same
/// channel, same event loop).
final class FirstByteHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    private let deadline: RequestDeadlineHandler

    init(_ deadline: RequestDeadlineHandler) { self.deadline = deadline }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadline.bytesArrived()
        context.fireChannelRead(data)
    }
}

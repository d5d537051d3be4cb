import DaftarCore
import NIOPosix
import Synchronization

/// The serving side of sync, over any ``DaftarCore/EventLog``: what every carrier (HTTP, the
/// router, in memory) calls. Requests and replies are the wire bytes, so the in-memory
/// carrier exercises the same encoding as HTTP.
///
/// Heads must answer at once however busy the server is (issue: many at once): parsing and
/// verifying a page — the CPU-heavy part — runs on NIO's thread pool, and a log whose calls
/// hold their thread (``DaftarCore/EventLog/blocksItsThread``) is entered by one pull or push
/// at a time, the others suspended without a thread; heads never waits for either.
public struct SyncService: Sendable {
    public let log: any EventLog
    private let turns: Turns?

    public init(log: any EventLog) {
        self.log = log
        turns = log.blocksItsThread ? Turns() : nil
    }

    /// `{"service": "daftar", "protocol": 2, "replica": ID, "heads": {…}, "frozen": [ORIGIN]}`
    public func heads() async throws -> [UInt8] {
        var reply: [String: JSONValue] = [
            "service": "daftar",
            "protocol": .int(SyncWire.protocolVersion),
            "heads": SyncWire.json(try await log.heads()),
            "frozen": SyncWire.json(Set(try await log.frozen().keys)),
        ]
        if let replica = try await log.replica() { reply["replica"] = .string(replica.rawValue) }
        return JSONValue.object(reply).canonicalBytes
    }

    /// A page of what the requester lacks.
    public func pull(_ body: [UInt8]) async throws -> [UInt8] {
        let request = try await Self.offload { try PullRequest(json: try Self.parse(body)) }
        return try await inTurn { log.encode(try await log.page(for: request)) }
    }

    /// Stores a pushed page — verified whole before the log's transaction opens — and freezes
    /// on the proofs it carries: `{"accepted": N, "heads": {…}, "heldBack": N, "forks": [PROOF]}`.
    public func push(_ body: [UInt8]) async throws -> [UInt8] {
        let (verified, forks) = try await Self.offload {
            let json = try Self.parse(body)
            return (try ReceivePlanner.verify(try SyncWire.events(json["events"])), SyncWire.forkClaims(json["forks"]))
        }
        return try await inTurn {
            let claims = try await log.consider(forks)
            let result = try await log.receive(verified)
            let reply = PushReply(
                accepted: result.stored, heads: try await log.heads(), heldBack: result.heldBack, forks: claims.frozen + result.forks)
            return reply.json.canonicalBytes
        }
    }

    /// CPU-heavy work, on NIO's thread pool rather than the async threads requests share.
    static func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(work)
    }

    /// `body` in its turn when the log blocks its thread; else at once.
    private func inTurn<T>(_ body: () async throws -> T) async throws -> T {
        guard let turns else { return try await body() }
        await turns.take()
        defer { turns.give() }
        return try await body()
    }

    static func parse(_ body: [UInt8]) throws -> JSONValue {
        do {
            return try JSONValue.parse(body)
        } catch {
            throw DaftarError(.protocolMismatch, "malformed sync message: \(error)")
        }
    }
}

/// One holder at a time; the others wait suspended (holding no thread), in arrival order.
final class Turns: Sendable {
    private let state = Mutex<(held: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    func take() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state in
                if !state.held {
                    state.held = true
                    return true
                }
                state.waiting.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func give() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.held = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}

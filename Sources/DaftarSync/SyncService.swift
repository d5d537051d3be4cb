import DaftarCore

/// The serving side of sync, over any ``DaftarCore/EventLog``: what every carrier (HTTP, the
/// router, in memory) calls. Requests and replies are the wire bytes, so the in-memory
/// carrier exercises the same encoding as HTTP.
public struct SyncService: Sendable {
    public let log: any EventLog

    public init(log: any EventLog) { self.log = log }

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
        let request = try PullRequest(json: try Self.parse(body))
        return log.encode(try await log.page(for: request))
    }

    /// Stores a pushed page — verified whole before the log's transaction opens — and freezes
    /// on the proofs it carries: `{"accepted": N, "heads": {…}, "heldBack": N, "forks": [PROOF]}`.
    public func push(_ body: [UInt8]) async throws -> [UInt8] {
        let json = try Self.parse(body)
        let verified = try ReceivePlanner.verify(try SyncWire.events(json["events"]))
        let claims = try await log.consider(SyncWire.forkClaims(json["forks"]))
        let result = try await log.receive(verified)
        let reply = PushReply(
            accepted: result.stored, heads: try await log.heads(), heldBack: result.heldBack, forks: claims.frozen + result.forks)
        return reply.json.canonicalBytes
    }

    static func parse(_ body: [UInt8]) throws -> JSONValue {
        do {
            return try JSONValue.parse(body)
        } catch {
            throw DaftarError(.protocolMismatch, "malformed sync message: \(error)")
        }
    }
}

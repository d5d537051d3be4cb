import DaftarCore
import DaftarStore
import Foundation

/// The serving side of sync, over one store: what every transport (HTTP, in memory) calls.
/// Requests and replies are the wire bytes, so the in-memory transport exercises the same
/// encoding as HTTP.
public struct SyncService: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    /// `{"service": "daftar", "protocol": 1, "replica": ID, "heads": {…}}`
    public func heads() throws -> [UInt8] {
        var reply: [String: JSONValue] = [
            "service": "daftar",
            "protocol": .int(SyncWire.protocolVersion),
            "heads": SyncWire.json(try store.versionVector()),
        ]
        if let replica = store.replicaID { reply["replica"] = .string(replica) }
        return JSONValue.object(reply).canonicalBytes
    }

    /// A page of what the requester lacks.
    public func pull(_ body: [UInt8]) throws -> [UInt8] {
        let request = try PullRequest(json: try Self.parse(body))
        return try store.page(for: request).json.canonicalBytes
    }

    /// Stores a pushed page (verified whole first): `{"accepted": N, "heads": {…}, "forked": […]}`.
    public func push(_ body: [UInt8]) throws -> [UInt8] {
        let events = try SyncWire.events(try Self.parse(body)["events"])
        let result = try store.receivePage(events, freezeForks: true)
        let reply: JSONValue = [
            "accepted": .int(Int64(result.stored)),
            "heads": SyncWire.json(try store.versionVector()),
            "forked": .array(result.forked.sorted().map { .string($0.rawValue) }),
        ]
        return reply.canonicalBytes
    }

    static func parse(_ body: [UInt8]) throws -> JSONValue {
        do {
            return try JSONValue.parse(body)
        } catch {
            throw DaftarError(.badInput, "malformed sync message: \(error)")
        }
    }
}

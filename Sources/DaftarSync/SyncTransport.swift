import DaftarCore
import DaftarStore

/// The peer's answer to "what do you hold?".
public struct PeerHeads: Sendable {
    public var replica: String?
    public var heads: VersionVector
    /// Bytes on the wire (request and reply bodies).
    public var bytes: Int
}

/// The peer's answer to a push.
public struct PushReply: Sendable {
    public var accepted: Int
    public var heads: VersionVector
    public var forked: Set<ReplicaID>
    public var bytes: Int
}

/// How a sync reaches its peer: in memory, over HTTP, (later) a bundle file.
public protocol SyncTransport: Sendable {
    func heads() async throws -> PeerHeads
    /// A page and its size in bytes.
    func pull(_ request: PullRequest) async throws -> (Page, Int)
    func push(_ events: [Event]) async throws -> PushReply
}

extension SyncTransport {
    static func decodeHeads(_ body: [UInt8], from peer: String) throws -> PeerHeads {
        guard let json = try? JSONValue.parse(body), json["service"]?.stringValue == "daftar" else {
            throw DaftarError(.badInput, "\(peer) is not a Daftar server (its /v1/heads did not answer as one)")
        }
        guard json["protocol"]?.intValue == SyncWire.protocolVersion else {
            throw DaftarError(.badInput, "\(peer) speaks sync protocol \(json["protocol"]?.intValue.map(String.init) ?? "?"), this daftar speaks \(SyncWire.protocolVersion); upgrade the older one")
        }
        return PeerHeads(replica: json["replica"]?.stringValue, heads: try SyncWire.versionVector(json["heads"]), bytes: body.count)
    }

    static func decodePage(_ body: [UInt8]) throws -> Page {
        let json: JSONValue
        do { json = try JSONValue.parse(body) } catch { throw DaftarError(.invalidEvent, "the peer sent a malformed page: \(error)") }
        return try Page(json: json)
    }

    static func encodePush(_ events: [Event]) -> [UInt8] {
        // Events are sent as their envelopes; the receiver verifies hashes on their canonical bytes.
        var out: [UInt8] = Array(#"{"events":["#.utf8)
        for (i, event) in events.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += event.canonicalBytes
        }
        out += Array("]}".utf8)
        return out
    }

    static func decodePushReply(_ body: [UInt8], sent: Int) throws -> PushReply {
        guard let json = try? JSONValue.parse(body), let accepted = json["accepted"]?.intValue else {
            throw DaftarError(.invalidEvent, "the peer sent a malformed push reply")
        }
        return PushReply(accepted: Int(accepted), heads: try SyncWire.versionVector(json["heads"]),
                         forked: SyncWire.origins(json["forked"]), bytes: sent + body.count)
    }
}

/// Runs the sync session against a service in the same process (tests; STYLE 9).
public struct InMemoryTransport: SyncTransport {
    public let service: SyncService
    public init(service: SyncService) { self.service = service }

    public func heads() async throws -> PeerHeads {
        try Self.decodeHeads(try service.heads(), from: "the in-memory peer")
    }

    public func pull(_ request: PullRequest) async throws -> (Page, Int) {
        let body = request.json.canonicalBytes
        let reply = try service.pull(body)
        return (try Self.decodePage(reply), body.count + reply.count)
    }

    public func push(_ events: [Event]) async throws -> PushReply {
        let body = Self.encodePush(events)
        return try Self.decodePushReply(try service.push(body), sent: body.count)
    }
}

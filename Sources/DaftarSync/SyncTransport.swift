import DaftarCore

/// The peer's answer to "what do you hold?".
public struct PeerHeads: Sendable {
    public var replica: ReplicaID?
    public var heads: VersionVector
    /// Origins the peer has frozen (it sends their proofs with its pages).
    public var frozen: Set<ReplicaID>
    /// Bytes on the wire (request and reply bodies).
    public var bytes: Int
}

/// How a sync reaches its peer: in memory, through a router, over HTTP.
public protocol SyncTransport: Sendable {
    /// A name for the peer in messages (its URL, "the in-memory peer").
    var peerName: String { get }
    func heads() async throws -> PeerHeads
    /// A page and its size in bytes.
    func pull(_ request: PullRequest) async throws -> (Page, Int)
    func push(_ request: PushRequest) async throws -> PushReply
}

/// Decoding the wire messages every transport receives.
public enum SyncDecode {
    public static func heads(_ body: [UInt8], from peer: String) throws -> PeerHeads {
        guard let json = try? JSONValue.parse(body), json["service"]?.stringValue == "daftar" else {
            throw DaftarError(.protocolMismatch, "\(peer) is not a Daftar server (its /v1/heads did not answer as one)")
        }
        guard json["protocol"]?.intValue == SyncWire.protocolVersion else {
            throw DaftarError(
                .protocolMismatch,
                "\(peer) speaks sync protocol \(json["protocol"]?.intValue.map(String.init) ?? "?"), this daftar speaks \(SyncWire.protocolVersion); upgrade the older one")
        }
        let replica = json["replica"]?.stringValue.flatMap { ReplicaID.isWellFormed($0) ? ReplicaID(rawValue: $0) : nil }
        return PeerHeads(
            replica: replica, heads: try SyncWire.versionVector(json["heads"]), frozen: SyncWire.origins(json["frozen"]), bytes: body.count)
    }

    public static func page(_ body: [UInt8], from peer: String) throws -> Page {
        let json: JSONValue
        do { json = try JSONValue.parse(body) } catch { throw DaftarError(.protocolMismatch, "\(peer) sent a malformed page: \(error)") }
        return try Page(json: json)
    }

    public static func pushReply(_ body: [UInt8], sent: Int, from peer: String) throws -> PushReply {
        guard let json = try? JSONValue.parse(body) else { throw DaftarError(.protocolMismatch, "\(peer) sent a malformed push reply") }
        var reply = try PushReply(json: json)
        reply.bytes = sent + body.count
        return reply
    }
}

/// Runs the sync session against a service in the same process (tests; STYLE 9): the wire
/// encoding, no network.
public struct InMemoryTransport: SyncTransport {
    public let service: SyncService
    public init(service: SyncService) { self.service = service }

    public var peerName: String { "the in-memory peer" }

    public func heads() async throws -> PeerHeads {
        try SyncDecode.heads(try await service.heads(), from: peerName)
    }

    public func pull(_ request: PullRequest) async throws -> (Page, Int) {
        let body = request.json.canonicalBytes
        let reply = try await service.pull(body)
        return (try SyncDecode.page(reply, from: peerName), body.count + reply.count)
    }

    public func push(_ request: PushRequest) async throws -> PushReply {
        let body = request.bytes
        return try SyncDecode.pushReply(try await service.push(body), sent: body.count, from: peerName)
    }
}

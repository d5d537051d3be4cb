/// What a requester asks for: the events it lacks after `have`, except those of `exclude`.
///
/// `{"have": {ORIGIN: {"seq": N, "hash": H}}, "exclude": [ORIGIN], "maxBytes": N,
///   "checkpoints": {ORIGIN: [{"seq": N, "hash": H}]}, "frozenAt": {ORIGIN: N}}`
///
/// For an origin it found forked without knowing where the histories part, the requester
/// sends `checkpoints`: hashes of its own chain at a few seqs (its head, then 1, 2, 4 … back),
/// so the sender can send its chain from just after the last one both hold. For origins it
/// froze, `frozenAt`: the last agreed seq; events depending on more of that history are not
/// sent (they could not be delivered causally).
public struct PullRequest: Sendable, Hashable {
    public var have: VersionVector
    public var exclude: Set<ReplicaID>
    public var maxBytes: Int
    public var checkpoints: [ReplicaID: [ChainHead]] = [:]
    public var frozenAt: [ReplicaID: Int64] = [:]
    /// Origins the driver should send checkpoints for (not sent itself).
    public var checkpointOrigins: Set<ReplicaID> = []
    /// Events the requester holds without their payload (from a peer that stripped them):
    /// the sender includes those it holds whole, and the requester takes them.
    public var payloadless: [Dot] = []

    /// Most payloadless dots asked for in one request.
    public static let maxPayloadless = 256

    /// Most checkpoints read per origin: 1, 2, 4 … back covers 2^80 seqs.
    static let maxCheckpoints = 80

    /// The seqs a log sends checkpoints at for an origin whose head is `head`: the head, then
    /// 1, 2, 4 … seqs back, and seq 1.
    public static func checkpointSeqs(head: Int64) -> [Int64] {
        var seqs: [Int64] = [head]
        var step: Int64 = 1
        while head - step >= 1 {
            seqs.append(head - step)
            step *= 2
        }
        if seqs.last != 1 { seqs.append(1) }
        return seqs
    }

    public init(have: VersionVector, exclude: Set<ReplicaID> = [], maxBytes: Int = SyncLimits.pageBytes) {
        self.have = have
        self.exclude = exclude
        self.maxBytes = maxBytes
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "have": SyncWire.json(have), "exclude": SyncWire.json(exclude), "maxBytes": .int(Int64(maxBytes)),
        ]
        if !checkpoints.isEmpty {
            object["checkpoints"] = .object(Dictionary(uniqueKeysWithValues: checkpoints.map { origin, heads in
                (origin.rawValue, JSONValue.array(heads.map { ["seq": .int($0.seq), "hash": .string($0.hash)] }))
            }))
        }
        if !payloadless.isEmpty {
            object["payloadless"] = .array(payloadless.map { ["origin": .string($0.origin.rawValue), "seq": .int($0.seq)] })
        }
        if !frozenAt.isEmpty {
            object["frozenAt"] = .object(Dictionary(uniqueKeysWithValues: frozenAt.map { ($0.key.rawValue, JSONValue.int($0.value)) }))
        }
        return .object(object)
    }

    public init(json: JSONValue) throws(DaftarError) {
        have = try SyncWire.versionVector(json["have"])
        exclude = SyncWire.origins(json["exclude"])
        for (origin, list) in json["checkpoints"]?.objectValue ?? [:] where ReplicaID.isWellFormed(origin) {
            checkpoints[ReplicaID(rawValue: origin)] = (list.arrayValue ?? []).prefix(Self.maxCheckpoints).compactMap { item in
                guard let seq = item["seq"]?.intValue, seq >= 1, let hash = item["hash"]?.stringValue else { return nil }
                return ChainHead(seq: seq, hash: hash)
            }
        }
        for (origin, seq) in json["frozenAt"]?.objectValue ?? [:] where ReplicaID.isWellFormed(origin) {
            if let seq = seq.intValue, seq >= 0 { frozenAt[ReplicaID(rawValue: origin)] = seq }
        }
        payloadless = (json["payloadless"]?.arrayValue ?? []).prefix(Self.maxPayloadless).compactMap { item in
            guard let origin = item["origin"]?.stringValue, ReplicaID.isWellFormed(origin), let seq = item["seq"]?.intValue, seq >= 1 else { return nil }
            return Dot(origin: ReplicaID(rawValue: origin), seq: seq)
        }
        // A limit out of range is refused, not clamped: the API says 1 … pageBytes.
        let requested = json["maxBytes"].map { $0.intValue } ?? Int64(SyncLimits.pageBytes)
        guard let requested, (1...Int64(SyncLimits.pageBytes)).contains(requested) else {
            throw DaftarError(.protocolMismatch, "malformed pull request: maxBytes must be a whole number from 1 to \(SyncLimits.pageBytes)")
        }
        maxBytes = Int(requested)
    }
}

/// The messages of the sync protocol (DESIGN §5), as JSON values: the same on every transport.
///
/// - heads: `{"replica": ID, "service": "daftar", "protocol": 1, "heads": {ORIGIN: {"seq": N, "hash": H}}}`
/// - pull request: `{"have": {ORIGIN: {"seq": N, "hash": H}}, "exclude": [ORIGIN], "maxBytes": N}`
/// - page: `{"events": [EVENT], "heads": {…}, "more": BOOL, "forked": [ORIGIN]}`
/// - push request: `{"events": [EVENT]}`; push reply: `{"accepted": N, "heads": {…}, "forked": [ORIGIN]}`
public enum SyncWire {
    public static let protocolVersion: Int64 = 1

    public static func json(_ vv: VersionVector) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: vv.heads.map {
            ($0.key.rawValue, ["seq": .int($0.value.seq), "hash": .string($0.value.hash)] as JSONValue)
        }))
    }

    public static func versionVector(_ json: JSONValue?) throws(DaftarError) -> VersionVector {
        guard let object = json?.objectValue else { throw DaftarError(.badInput, "malformed sync message: heads missing") }
        var vv = VersionVector()
        for (origin, head) in object {
            guard ReplicaID.isWellFormed(origin), let seq = head["seq"]?.intValue, seq >= 1, let hash = head["hash"]?.stringValue else {
                throw DaftarError(.badInput, "malformed sync message: bad head for \(origin)")
            }
            vv[ReplicaID(rawValue: origin)] = ChainHead(seq: seq, hash: hash)
        }
        return vv
    }

    public static func origins(_ json: JSONValue?) -> Set<ReplicaID> {
        Set((json?.arrayValue ?? []).compactMap { $0.stringValue }.filter(ReplicaID.isWellFormed).map { ReplicaID(rawValue: $0) })
    }

    public static func events(_ json: JSONValue?) throws(DaftarError) -> [Event] {
        guard let items = json?.arrayValue else { throw DaftarError(.badInput, "malformed sync message: events missing") }
        var out: [Event] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard let object = item.objectValue else { throw DaftarError(.invalidEvent, "malformed sync message: event \(i + 1) is not an object") }
            do throws(EventError) {
                out.append(try Event(envelope: object))
            } catch {
                throw DaftarError(.invalidEvent, "invalid event \(i + 1) in page: \(error.message)")
            }
        }
        return out
    }
}

/// What a client asks for: the events it lacks after `have`, except those of `exclude`.
///
/// For an origin found forked, the client also sends `checkpoints`: hashes of its own chain at
/// a few seqs (its head, then 1, 2, 4 … back), so the sender can tell up to where the two
/// histories agree; and for origins it froze, `frozenAt`: the last agreed seq. Events that
/// depend on a forked origin beyond the agreed seq are not sent (they could not be delivered
/// causally).
public struct PullRequest: Sendable, Hashable {
    public var have: VersionVector
    public var exclude: Set<ReplicaID>
    public var maxBytes: Int
    public var checkpoints: [ReplicaID: [ChainHead]] = [:]
    public var frozenAt: [ReplicaID: Int64] = [:]
    /// Origins the driver should send checkpoints for (not sent itself).
    public var checkpointOrigins: Set<ReplicaID> = []

    public init(have: VersionVector, exclude: Set<ReplicaID> = [], maxBytes: Int = SyncLimits.pageBytes) {
        self.have = have
        self.exclude = exclude
        self.maxBytes = maxBytes
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "have": SyncWire.json(have), "exclude": .array(exclude.sorted().map { .string($0.rawValue) }), "maxBytes": .int(Int64(maxBytes)),
        ]
        if !checkpoints.isEmpty {
            object["checkpoints"] = .object(Dictionary(uniqueKeysWithValues: checkpoints.map { origin, heads in
                (origin.rawValue, JSONValue.array(heads.map { ["seq": .int($0.seq), "hash": .string($0.hash)] }))
            }))
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
            checkpoints[ReplicaID(rawValue: origin)] = (list.arrayValue ?? []).prefix(80).compactMap { item in
                guard let seq = item["seq"]?.intValue, let hash = item["hash"]?.stringValue else { return nil }
                return ChainHead(seq: seq, hash: hash)
            }
        }
        for (origin, seq) in json["frozenAt"]?.objectValue ?? [:] where ReplicaID.isWellFormed(origin) {
            if let seq = seq.intValue { frozenAt[ReplicaID(rawValue: origin)] = seq }
        }
        maxBytes = min(Int(json["maxBytes"]?.intValue ?? Int64(SyncLimits.pageBytes)), SyncLimits.pageBytes)
        guard maxBytes > 0 else { throw DaftarError(.badInput, "malformed pull request: maxBytes must be positive") }
    }
}

/// A bounded slice of a log, in causal order, each origin's last event a seal.
public struct Page: Sendable {
    public var events: [Event]
    /// The sender's heads when it built the page.
    public var heads: VersionVector
    /// True when the sender holds more that the receiver lacks.
    public var more: Bool
    /// Origins whose chain the receiver's heads contradict (equivocation): not sent.
    public var forked: Set<ReplicaID>
    /// For forked origins the receiver sent checkpoints for: the last seq both histories share.
    public var agreed: [ReplicaID: Int64] = [:]

    public init(events: [Event], heads: VersionVector, more: Bool, forked: Set<ReplicaID> = [], agreed: [ReplicaID: Int64] = [:]) {
        (self.events, self.heads, self.more, self.forked, self.agreed) = (events, heads, more, forked, agreed)
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "events": .array(events.map { .object($0.envelope) }), "heads": SyncWire.json(heads), "more": .bool(more),
            "forked": .array(forked.sorted().map { .string($0.rawValue) }),
        ]
        if !agreed.isEmpty {
            object["agreed"] = .object(Dictionary(uniqueKeysWithValues: agreed.map { ($0.key.rawValue, JSONValue.int($0.value)) }))
        }
        return .object(object)
    }

    public init(json: JSONValue) throws(DaftarError) {
        events = try SyncWire.events(json["events"])
        heads = try SyncWire.versionVector(json["heads"])
        if case .bool(let more) = json["more"] { self.more = more } else { self.more = false }
        forked = SyncWire.origins(json["forked"])
        for (origin, seq) in json["agreed"]?.objectValue ?? [:] where ReplicaID.isWellFormed(origin) {
            if let seq = seq.intValue { agreed[ReplicaID(rawValue: origin)] = seq }
        }
    }
}

/// Sizes of sync messages, nested above the event limit (DESIGN §2).
public enum SyncLimits {
    /// Largest page a sender builds (a single larger commit is still sent whole, up to the body limit).
    public static let pageBytes = 4 << 20
    /// Largest HTTP body a server accepts (413 beyond).
    public static let bodyBytes = 16 << 20
}

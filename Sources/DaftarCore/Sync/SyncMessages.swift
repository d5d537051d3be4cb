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
        guard let object = json?.objectValue else { throw DaftarError(.invalidEvent, "malformed sync message: heads missing") }
        var vv = VersionVector()
        for (origin, head) in object {
            guard ReplicaID.isWellFormed(origin), let seq = head["seq"]?.intValue, seq >= 1, let hash = head["hash"]?.stringValue else {
                throw DaftarError(.invalidEvent, "malformed sync message: bad head for \(origin)")
            }
            vv[ReplicaID(rawValue: origin)] = ChainHead(seq: seq, hash: hash)
        }
        return vv
    }

    public static func origins(_ json: JSONValue?) -> Set<ReplicaID> {
        Set((json?.arrayValue ?? []).compactMap { $0.stringValue }.filter(ReplicaID.isWellFormed).map { ReplicaID(rawValue: $0) })
    }

    public static func events(_ json: JSONValue?) throws(DaftarError) -> [Event] {
        guard let items = json?.arrayValue else { throw DaftarError(.invalidEvent, "malformed sync message: events missing") }
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
public struct PullRequest: Sendable, Hashable {
    public var have: VersionVector
    public var exclude: Set<ReplicaID>
    public var maxBytes: Int

    public init(have: VersionVector, exclude: Set<ReplicaID> = [], maxBytes: Int = SyncLimits.pageBytes) {
        self.have = have
        self.exclude = exclude
        self.maxBytes = maxBytes
    }

    public var json: JSONValue {
        ["have": SyncWire.json(have), "exclude": .array(exclude.sorted().map { .string($0.rawValue) }), "maxBytes": .int(Int64(maxBytes))]
    }

    public init(json: JSONValue) throws(DaftarError) {
        have = try SyncWire.versionVector(json["have"])
        exclude = SyncWire.origins(json["exclude"])
        maxBytes = min(Int(json["maxBytes"]?.intValue ?? Int64(SyncLimits.pageBytes)), SyncLimits.pageBytes)
        guard maxBytes > 0 else { throw DaftarError(.invalidEvent, "malformed pull request: maxBytes must be positive") }
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

    public init(events: [Event], heads: VersionVector, more: Bool, forked: Set<ReplicaID> = []) {
        (self.events, self.heads, self.more, self.forked) = (events, heads, more, forked)
    }

    public var json: JSONValue {
        ["events": .array(events.map { .object($0.envelope) }), "heads": SyncWire.json(heads), "more": .bool(more),
         "forked": .array(forked.sorted().map { .string($0.rawValue) })]
    }

    public init(json: JSONValue) throws(DaftarError) {
        events = try SyncWire.events(json["events"])
        heads = try SyncWire.versionVector(json["heads"])
        if case .bool(let more) = json["more"] { self.more = more } else { self.more = false }
        forked = SyncWire.origins(json["forked"])
    }
}

/// Sizes of sync messages, nested above the event limit (DESIGN §2).
public enum SyncLimits {
    /// Largest page a sender builds (a single larger commit is still sent whole, up to the body limit).
    public static let pageBytes = 4 << 20
    /// Largest HTTP body a server accepts (413 beyond).
    public static let bodyBytes = 16 << 20
}

/// For each replica, how many of its events were seen (zero entries omitted).
///
/// An event's clock says what its creator had seen; `a` happened before `b` iff
/// `b.clock[a.origin] >= a.seq` and `a != b`.
public struct VectorClock: Hashable, Sendable {
    public private(set) var entries: [ReplicaID: Int64]

    public init(_ entries: [ReplicaID: Int64] = [:]) {
        self.entries = entries.filter { $0.value > 0 }
    }

    public subscript(origin: ReplicaID) -> Int64 {
        get { entries[origin] ?? 0 }
        set { entries[origin] = newValue > 0 ? newValue : nil }
    }

    /// True when the event at `dot` is included in what this clock has seen.
    public func includes(_ dot: Dot) -> Bool { self[dot.origin] >= dot.seq }

    public var json: JSONValue {
        .object(Dictionary(uniqueKeysWithValues: entries.map { ($0.key.rawValue, JSONValue.int($0.value)) }))
    }
}

extension Event {
    /// True when `self` happened before `other` (it was in `other`'s creator's view).
    public func happened(before other: Event) -> Bool {
        dot != other.dot && other.clock.includes(dot)
    }

    /// Neither happened before the other.
    public func isConcurrent(with other: Event) -> Bool {
        dot != other.dot && !happened(before: other) && !other.happened(before: self)
    }
}

/// The head of one origin's chain in a store: the highest contiguous `seq` held and its hash.
public struct ChainHead: Hashable, Sendable {
    public let seq: Int64
    public let hash: String
    public init(seq: Int64, hash: String) {
        self.seq = seq
        self.hash = hash
    }
}

/// What a store holds: for each origin, the head of its chain (DESIGN §3).
///
/// Text form: `ORIGIN:SEQ,ORIGIN:SEQ`, origins sorted.
public struct VersionVector: Hashable, Sendable, CustomStringConvertible {
    public var heads: [ReplicaID: ChainHead]

    public init(_ heads: [ReplicaID: ChainHead] = [:]) { self.heads = heads }

    public subscript(origin: ReplicaID) -> ChainHead? {
        get { heads[origin] }
        set { heads[origin] = newValue }
    }

    /// The seqs alone: the clock of an event created now.
    public var clock: VectorClock { VectorClock(heads.mapValues(\.seq)) }

    public var description: String {
        heads.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.seq)" }.joined(separator: ",")
    }

    /// Parses the text form's seqs (`ORIGIN:SEQ,…`); nil when malformed.
    public static func parseSeqs(_ text: String) -> [ReplicaID: Int64]? {
        var out: [ReplicaID: Int64] = [:]
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: ":")
            guard pieces.count == 2, ReplicaID.isWellFormed(String(pieces[0])), let seq = Int64(pieces[1]), seq >= 0 else { return nil }
            out[ReplicaID(rawValue: String(pieces[0]))] = seq
        }
        return out
    }
}

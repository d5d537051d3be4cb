/// A bounded slice of a log, in causal order, each origin's last event a seal (DESIGN §5).
///
/// `{"events": [EVENT], "heads": {…}, "more": BOOL, "forks": [FORK_PROOF]}`
public struct Page: Sendable {
    public var events: [Event]
    /// The sender's heads when it built the page.
    public var heads: VersionVector
    /// True when the sender holds more that the receiver lacks.
    public var more: Bool
    /// Origins frozen by the sender, as received: each must carry a proof the receiver verifies.
    public var forkClaims: [ForkClaim]

    public init(events: [Event], heads: VersionVector, more: Bool, forks: [ForkProof] = []) {
        (self.events, self.heads, self.more) = (events, heads, more)
        forkClaims = forks.map { .proof($0) }
    }

    public var json: JSONValue {
        [
            "events": .array(events.map { .object($0.envelope) }), "heads": SyncWire.json(heads), "more": .bool(more),
            "forks": SyncWire.json(forkClaims),
        ]
    }

    /// The same bytes as `json.canonicalBytes`, with each event's canonical bytes taken from
    /// `stored` when it has them (a log that keeps them need not write each event again).
    public func canonicalBytes(stored: (Event) -> [UInt8]?) -> [UInt8] {
        // Members in canonical order: events, forks, heads, more.
        var out = Array(#"{"events":["#.utf8)
        for (i, event) in events.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            if let bytes = stored(event) { out += bytes } else { JSONValue.object(event.envelope).writeCanonical(into: &out) }
        }
        out += Array(#"],"forks":"#.utf8)
        SyncWire.json(forkClaims).writeCanonical(into: &out)
        out += Array(#","heads":"#.utf8)
        SyncWire.json(heads).writeCanonical(into: &out)
        out += Array((more ? #","more":true}"# : #","more":false}"#).utf8)
        return out
    }

    public init(json: JSONValue) throws(DaftarError) {
        events = try SyncWire.events(json["events"])
        heads = try SyncWire.versionVector(json["heads"])
        if case .bool(let more) = json["more"] { self.more = more } else { self.more = false }
        forkClaims = SyncWire.forkClaims(json["forks"])
    }
}

/// What a pusher sends: events the peer lacks, and proofs of the forks the pusher knows and
/// the peer has not frozen. `{"events": [EVENT], "forks": [FORK_PROOF]}`
public struct PushRequest: Sendable {
    public var events: [Event]
    public var forks: [ForkProof]

    public init(events: [Event], forks: [ForkProof] = []) {
        self.events = events
        self.forks = forks
    }

    /// The wire bytes (events from their canonical bytes).
    public var bytes: [UInt8] {
        var out: [UInt8] = Array(#"{"events":"#.utf8)
        out += SyncWire.eventsArray(events)
        out += Array(#","forks":"#.utf8)
        out += SyncWire.json(forks).canonicalBytes
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// The answer to a push: `{"accepted": N, "heads": {…}, "heldBack": N, "forks": [FORK_PROOF]}` —
/// how many events were new, the peer's heads after storing them, how many it held back
/// (depending on a frozen history), and proofs of forks the push revealed.
public struct PushReply: Sendable {
    public var accepted: Int
    public var heads: VersionVector
    public var heldBack: Int
    public var forkClaims: [ForkClaim]
    /// Bytes on the wire (request and reply bodies), set by the carrier.
    public var bytes: Int = 0

    public init(accepted: Int, heads: VersionVector, heldBack: Int = 0, forks: [ForkProof] = []) {
        (self.accepted, self.heads, self.heldBack) = (accepted, heads, heldBack)
        forkClaims = forks.map { .proof($0) }
    }

    public var json: JSONValue {
        [
            "accepted": .int(Int64(accepted)), "heads": SyncWire.json(heads), "heldBack": .int(Int64(heldBack)),
            "forks": SyncWire.json(forkClaims),
        ]
    }

    public init(json: JSONValue) throws(DaftarError) {
        guard let accepted = json["accepted"]?.intValue, accepted >= 0 else {
            throw DaftarError(.protocolMismatch, "the peer sent a malformed push reply")
        }
        self.accepted = Int(accepted)
        heads = try SyncWire.versionVector(json["heads"])
        heldBack = Int(max(0, json["heldBack"]?.intValue ?? 0))
        forkClaims = SyncWire.forkClaims(json["forks"])
    }
}

/// Evidence that a replica equivocated (DESIGN §2): two different events at one dot, each
/// authenticated by a seal of that origin — the event itself, or the chain from it up to a
/// seal, all included.
///
/// Only a proof freezes an origin. It travels wherever a fork is claimed (a page, a push
/// reply, a bundle), and every receiver verifies it before freezing anything: a claim whose
/// proof is missing or does not verify is ignored and reported.
///
/// Each branch's events carry no `data`: an event's `hash` covers `dataHash`, not the payload,
/// so the chain and the seal verify without it and a proof stays small. Wire form
/// (`schema/fork-proof.schema.json`):
///
/// ```json
/// {"origin": "…", "seq": 12, "branches": [[EVENT, …, SEAL], [EVENT, …, SEAL]]}
/// ```
public struct ForkProof: Sendable, Hashable {
    /// The replica that signed two histories.
    public let origin: ReplicaID
    /// The dot's seq: where the two branches hold different events.
    public let seq: Int64
    /// Each branch: the event at `seq`, then its successors up to and including a seal.
    public let branches: [[Event]]

    /// Longest branch accepted: a commit is sealed at least every 256 events.
    public static let maxBranchEvents = 512
    /// Largest proof accepted, in canonical bytes.
    public static let maxBytes = 1 << 20

    /// A proof from two chains starting at the same dot; their payloads are dropped.
    public init(origin: ReplicaID, seq: Int64, _ first: [Event], _ second: [Event]) {
        self.origin = origin
        self.seq = seq
        // A stable order, so the same fork has the same proof wherever it is found.
        let pair = [first, second].map { $0.map(\.withoutData) }
        branches = pair.sorted { ($0.first?.hash ?? "") < ($1.first?.hash ?? "") }
    }

    /// The last seq both branches certainly share: the one before the dot when both events
    /// there link to the same predecessor; nil when the branches parted earlier.
    public var agreedSeq: Int64? {
        guard branches.count == 2, let a = branches[0].first, let b = branches[1].first else { return nil }
        return a.prev == b.prev ? seq - 1 : nil
    }

    /// Checks that this proves equivocation: two branches of `origin` starting at `seq`, with
    /// different events there, each a contiguous chain whose every event verifies and whose
    /// last event is a valid seal of `origin`; within the size bounds.
    public func verify() throws(ForkProofError) {
        guard branches.count == 2 else { throw ForkProofError("a fork proof of \(origin) needs exactly two branches") }
        guard let a = branches[0].first, let b = branches[1].first else { throw ForkProofError("a branch of the fork proof of \(origin) is empty") }
        guard a.hash != b.hash else { throw ForkProofError("the two branches of the fork proof of \(origin) start with the same event") }
        guard canonicalByteCount <= Self.maxBytes else { throw ForkProofError("the fork proof of \(origin) is over \(Self.maxBytes) bytes") }
        for branch in branches {
            guard branch.count <= Self.maxBranchEvents else {
                throw ForkProofError("a branch of the fork proof of \(origin) holds over \(Self.maxBranchEvents) events")
            }
            var expected = seq
            var previous: Event? = nil
            for event in branch {
                guard event.origin == origin, event.seq == expected else {
                    throw ForkProofError("the fork proof of \(origin) holds \(event.dot) where \(origin):\(expected) belongs")
                }
                if let previous, event.prev != previous.hash {
                    throw ForkProofError("in the fork proof of \(origin), \(event.dot) does not link to \(previous.dot)")
                }
                do throws(EventError) {
                    try event.verify()
                } catch {
                    throw ForkProofError("the fork proof of \(origin) holds an invalid event: \(error.message)")
                }
                previous = event
                expected += 1
            }
            guard branch.last?.isSeal == true else {
                throw ForkProofError("a branch of the fork proof of \(origin) does not end in a seal: it authenticates nothing")
            }
        }
    }

    public var json: JSONValue {
        [
            "origin": .string(origin.rawValue), "seq": .int(seq),
            "branches": .array(branches.map { .array($0.map { .object($0.envelope) }) }),
        ]
    }

    /// Reads a proof's wire form; this does not verify it (``verify()``).
    public init(json: JSONValue) throws(ForkProofError) {
        guard let originText = json["origin"]?.stringValue, ReplicaID.isWellFormed(originText) else {
            throw ForkProofError("a fork claim names no replica")
        }
        let origin = ReplicaID(rawValue: originText)
        guard let seq = json["seq"]?.intValue, seq >= 1 else { throw ForkProofError("the fork claim on \(origin) names no seq") }
        guard let lists = json["branches"]?.arrayValue, lists.count <= 2 else {
            throw ForkProofError("the fork claim on \(origin) carries no proof")
        }
        var branches: [[Event]] = []
        for list in lists {
            guard let items = list.arrayValue, items.count <= Self.maxBranchEvents else {
                throw ForkProofError("the fork claim on \(origin) carries a malformed branch")
            }
            var branch: [Event] = []
            for item in items {
                guard let object = item.objectValue else { throw ForkProofError("the fork claim on \(origin) carries a malformed event") }
                do throws(EventError) {
                    branch.append(try Event(envelope: object))
                } catch {
                    throw ForkProofError("the fork claim on \(origin) carries a malformed event: \(error.message)")
                }
            }
            branches.append(branch)
        }
        self.origin = origin
        self.seq = seq
        self.branches = branches
    }

    /// Size of the wire form.
    public var canonicalByteCount: Int { json.canonicalBytes.count }
}

/// Why a fork claim was not accepted as proof.
public struct ForkProofError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension Event {
    /// The same event without its payload: still verifiable (its `hash` covers `dataHash`).
    public var withoutData: Event {
        guard envelope["data"] != nil else { return self }
        var stripped = envelope
        stripped["data"] = nil
        // The fields were valid with data; they are without it.
        return try! Event(envelope: stripped)
    }
}

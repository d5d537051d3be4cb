import Foundation

/// What a command wants to record: a type and its payload, before it becomes an event.
public struct EventDraft: Sendable, Hashable {
    public let type: String
    public let data: JSONValue
    public init(type: String, data: JSONValue) {
        self.type = type
        self.data = data
    }
}

/// Turns drafts into sealed, chained events of the local replica (one commit).
///
/// Every text is NFC-normalised here. The last event is a seal, and a long commit seals at
/// least every ``sealEveryEvents`` events or ``sealEveryBytes`` bytes, so that a receiver
/// never holds more than that of an origin's events unauthenticated.
public struct EventComposer: Sendable {
    public static let sealEveryEvents = 256
    public static let sealEveryBytes = 1 << 20

    public let identity: Identity
    public let author: String

    public init(identity: Identity, author: String) {
        self.identity = identity
        self.author = author.nfc
    }

    /// Creates the events of one commit on top of `versionVector` (what the store holds).
    public func compose(_ drafts: [EventDraft], on versionVector: VersionVector, time: Int64) -> [Event] {
        var clock = versionVector.clock
        var head = versionVector[identity.origin]
        var events: [Event] = []
        events.reserveCapacity(drafts.count)
        var sinceSeal = 0
        var bytesSinceSeal = 0
        for (i, draft) in drafts.enumerated() {
            let seq = (head?.seq ?? 0) + 1
            clock[identity.origin] = seq
            let data = draft.data.nfc
            let dataBytes = data.canonicalBytes
            sinceSeal += 1
            bytesSinceSeal += dataBytes.count + 512
            let seal = i == drafts.count - 1 || sinceSeal >= Self.sealEveryEvents || bytesSinceSeal >= Self.sealEveryBytes
            let event = makeEvent(seq: seq, prev: head?.hash, clock: clock, time: time, type: draft.type.nfc, data: data, seal: seal)
            if seal {
                sinceSeal = 0
                bytesSinceSeal = 0
            }
            head = ChainHead(seq: seq, hash: event.hash)
            events.append(event)
        }
        return events
    }

    func makeEvent(seq: Int64, prev: String?, clock: VectorClock, time: Int64, type: String, data: JSONValue, seal: Bool) -> Event {
        var envelope: [String: JSONValue] = [
            "origin": .string(identity.origin.rawValue),
            "seq": .int(seq),
            "clock": clock.json,
            "time": .int(time),
            "author": .string(author),
            "type": .string(type),
            "dataHash": .string(Event.computeDataHash(of: data)),
        ]
        if let prev { envelope["prev"] = .string(prev) }
        let hash = Event.computeHash(of: envelope)
        envelope["hash"] = .string(hash)
        if seal {
            envelope["key"] = .string(identity.publicKeyText)
            envelope["sig"] = .string(identity.sign(hash: ByteEncoding.bytes(hex: hash)!))
        }
        envelope["data"] = data
        // The envelope was built from well-typed fields above.
        return try! Event(envelope: envelope)
    }
}

extension String {
    /// Unicode NFC, as every text in an event is stored (DESIGN §2).
    public var nfc: String {
        if utf8.allSatisfy({ $0 < 0x80 }) { return self }
        return precomposedStringWithCanonicalMapping
    }
}

extension JSONValue {
    /// The same value with every string and member name in NFC.
    public var nfc: JSONValue {
        switch self {
        case .string(let s): .string(s.nfc)
        case .array(let items): .array(items.map(\.nfc))
        case .object(let members): .object(Dictionary(members.map { ($0.key.nfc, $0.value.nfc) }, uniquingKeysWith: { a, _ in a }))
        default: self
        }
    }
}

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
            let event = makeEvent(seq: seq, prev: head?.hash, clock: clock, time: time, type: draft.type.nfc, data: data,
                                  dataHash: Event.computeDataHash(ofCanonical: dataBytes), seal: seal)
            if seal {
                sinceSeal = 0
                bytesSinceSeal = 0
            }
            head = ChainHead(seq: seq, hash: event.hash)
            events.append(event)
        }
        return events
    }

    /// `dataHash` is ``Event/computeDataHash(of:)`` of `data`, from the canonical bytes the
    /// caller already has.
    func makeEvent(seq: Int64, prev: String?, clock: VectorClock, time: Int64, type: String, data: JSONValue, dataHash: String, seal: Bool) -> Event {
        var envelope: [String: JSONValue] = [
            "origin": .string(identity.origin.rawValue),
            "seq": .int(seq),
            "clock": clock.json,
            "time": .int(time),
            "author": .string(author),
            "type": .string(type),
            "dataHash": .string(dataHash),
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
        if unicodeScalars.allSatisfy(Self.isNFCStable) { return self }
        return precomposedStringWithCanonicalMapping
    }

    /// True for scalars that NFC leaves alone whatever surrounds them: no combining class, no
    /// decomposition, and nothing composes with them as a second letter. Checked by ranges
    /// covering Latin-1, Arabic and Persian letters and digits, and common punctuation — so
    /// that normalising a Persian article is one cheap scan (the test suite checks these
    /// ranges against Foundation's NFC). Anything else takes the full path.
    /// ``isNFCStable(_:)`` for tests.
    public static func isNFCStableForTesting(_ s: Unicode.Scalar) -> Bool { isNFCStable(s) }

    @inline(__always)
    static func isNFCStable(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x00..<0x300: true
        case 0x0600...0x060F, 0x061B...0x064A, 0x0660...0x066F, 0x0671...0x06D3, 0x06D5, 0x06DD, 0x06DE, 0x06E5, 0x06E6,
            0x06E9, 0x06EE...0x06FF:
            // Letters that take a combining hamza or madda (ا و ي ە ہ ے) are stable themselves:
            // the mark that follows is what the full path would see.
            true
        case 0x2002...0x200F, 0x2010...0x2027, 0x202F...0x205F, 0x20AC: true
        default: false
        }
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

import Crypto
import Foundation

/// One immutable entry of the log (DESIGN §2).
///
/// An event is its envelope, a JSON object; this type keeps the whole object — including
/// fields a newer Daftar added, which an older one must verify, store and forward unchanged —
/// and reads the known fields from it. The bytes that are hashed and stored are the RFC 8785
/// serialization of that object, never a re-encoding of typed fields.
public struct Event: Sendable, Hashable {
    /// The whole envelope, as received or created.
    public let envelope: [String: JSONValue]

    public let origin: ReplicaID
    public let seq: Int64
    public let clock: VectorClock
    /// Wall-clock milliseconds since 1970, UTC. For display and tie-breaks only.
    public let time: Int64
    public let author: String
    public let type: String
    public let dataHash: String
    public let prev: String?
    public let hash: String
    public let key: String?
    public let sig: String?

    /// The payload; nil when it was redacted (its `dataHash` still chains).
    public var data: JSONValue? { envelope["data"] }
    /// The event's dot: `(origin, seq)`.
    public var dot: Dot { Dot(origin: origin, seq: seq) }
    /// A seal carries the origin's key and a signature of its hash.
    public var isSeal: Bool { key != nil }

    /// Fields that are not part of `hash`: the payload (stood for by `dataHash`) and the
    /// hash and seal themselves.
    static let unhashedFields: Set<String> = ["data", "hash", "key", "sig"]

    /// Reads an envelope, checking that each known field is present and well typed.
    /// This does not verify hashes or signatures: see ``verify()``.
    public init(envelope: [String: JSONValue]) throws(EventError) {
        func field<T>(_ name: String, _ read: (JSONValue) -> T?) throws(EventError) -> T {
            guard let raw = envelope[name] else { throw EventError(.malformed, "event has no \"\(name)\"") }
            guard let value = read(raw) else { throw EventError(.malformed, "event field \"\(name)\" has the wrong type") }
            return value
        }
        let originText = try field("origin", \.stringValue)
        guard ReplicaID.isWellFormed(originText) else { throw EventError(.malformed, "event origin \"\(originText)\" is not a replica id") }
        self.origin = ReplicaID(rawValue: originText)
        self.seq = try field("seq", \.intValue)
        guard seq >= 1 else { throw EventError(.malformed, "event seq must be 1 or more") }
        let clockObject = try field("clock", \.objectValue)
        var entries: [ReplicaID: Int64] = [:]
        for (k, v) in clockObject {
            guard ReplicaID.isWellFormed(k), let n = v.intValue, n >= 1 else {
                throw EventError(.malformed, "event clock entry \"\(k)\" is malformed")
            }
            entries[ReplicaID(rawValue: k)] = n
        }
        self.clock = VectorClock(entries)
        self.time = try field("time", \.intValue)
        self.author = try field("author", \.stringValue)
        self.type = try field("type", \.stringValue)
        self.dataHash = try field("dataHash", \.stringValue)
        self.hash = try field("hash", \.stringValue)
        self.prev = envelope["prev"] == nil ? nil : try field("prev", \.stringValue)
        self.key = envelope["key"] == nil ? nil : try field("key", \.stringValue)
        self.sig = envelope["sig"] == nil ? nil : try field("sig", \.stringValue)
        if let data = envelope["data"], data.objectValue == nil {
            throw EventError(.malformed, "event data must be a JSON object")
        }
        guard (prev == nil) == (seq == 1) else {
            throw EventError(.malformed, "event \(origin):\(seq) must have \"prev\" exactly when seq > 1")
        }
        guard (key == nil) == (sig == nil) else {
            throw EventError(.malformed, "event \(origin):\(seq) must carry \"key\" and \"sig\" together")
        }
        self.envelope = envelope
    }

    /// Parses stored or received bytes (any valid JSON; not necessarily canonical).
    public init(bytes: some Collection<UInt8>) throws(EventError) {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch { throw EventError(.malformed, "event is not valid JSON: \(error)") }
        guard let object = value.objectValue else { throw EventError(.malformed, "event is not a JSON object") }
        try self.init(envelope: object)
    }

    /// The event's canonical bytes, as stored and as sent.
    public var canonicalBytes: [UInt8] { JSONValue.object(envelope).canonicalBytes }

    /// SHA-256, hex, of the canonical envelope without `data`, `hash`, `key` and `sig`.
    public static func computeHash(of envelope: [String: JSONValue]) -> String {
        let hashed = envelope.filter { !unhashedFields.contains($0.key) }
        return ByteEncoding.hex(SHA256.hash(data: JSONValue.object(hashed).canonicalBytes))
    }

    /// SHA-256, hex, of the canonical `data`.
    public static func computeDataHash(of data: JSONValue) -> String {
        computeDataHash(ofCanonical: data.canonicalBytes)
    }

    /// ``computeDataHash(of:)`` for a caller that already holds `data`'s canonical bytes.
    public static func computeDataHash(ofCanonical bytes: [UInt8]) -> String {
        ByteEncoding.hex(SHA256.hash(data: bytes))
    }

    /// Checks what an event proves on its own: `dataHash` matches `data` (unless redacted),
    /// `hash` matches the envelope, the clock's own entry is `seq`, and on a seal that the key
    /// certifies `origin` and the signature of `hash` is valid.
    /// The chain (`prev`, contiguous seqs) is checked by ``ChainVerifier``.
    public func verify() throws(EventError) {
        let name = "\(origin):\(seq)"
        if let data, Self.computeDataHash(of: data) != dataHash {
            throw EventError(.dataHashMismatch, "event \(name): data does not match its dataHash (tampered?)")
        }
        guard Self.computeHash(of: envelope) == hash else {
            throw EventError(.hashMismatch, "event \(name): hash does not match its content (tampered?)")
        }
        guard clock[origin] == seq else {
            throw EventError(.malformed, "event \(name): its clock's own entry must equal its seq")
        }
        if let key, let sig {
            guard let keyBytes = ByteEncoding.bytes(base64url: key), keyBytes.count == 32,
                let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: keyBytes)
            else { throw EventError(.badSeal, "event \(name): seal key is not an Ed25519 public key") }
            guard ReplicaID(publicKey: keyBytes) == origin else {
                throw EventError(.badSeal, "event \(name): seal key does not belong to origin \(origin) (forged?)")
            }
            guard let sigBytes = ByteEncoding.bytes(base64url: sig), let hashBytes = ByteEncoding.bytes(hex: hash),
                publicKey.isValidSignature(sigBytes, for: hashBytes)
            else { throw EventError(.badSeal, "event \(name): seal signature is invalid (forged or tampered?)") }
        }
    }
}

/// An event's `(origin, seq)`: unique, and the unit of causality.
public struct Dot: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let origin: ReplicaID
    public let seq: Int64
    public init(origin: ReplicaID, seq: Int64) {
        self.origin = origin
        self.seq = seq
    }
    public static func < (a: Dot, b: Dot) -> Bool { (a.origin, a.seq) < (b.origin, b.seq) }
    public var description: String { "\(origin):\(seq)" }
}

/// Why an event was refused.
public struct EventError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case malformed
        case dataHashMismatch
        case hashMismatch
        case badSeal
        case brokenChain
        case unsealed
        case tooLarge
    }
    public let code: Code
    public let message: String
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    public var description: String { message }
}

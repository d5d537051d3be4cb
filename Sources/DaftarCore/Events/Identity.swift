import Crypto
import Foundation

/// A replica's id: unpadded lowercase base32 of the first 160 bits of SHA-256 of its Ed25519
/// public key — 32 characters that certify themselves: whoever shows a key hashing to the id
/// and a valid signature speaks for that replica.
public struct ReplicaID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The id that `publicKey` (raw 32-byte Ed25519) certifies.
    public init(publicKey: some Sequence<UInt8>) {
        let digest = SHA256.hash(data: Array(publicKey))
        self.rawValue = ByteEncoding.base32(Array(digest.prefix(20)))
    }

    /// True for strings shaped like an id (32 base32 characters); says nothing of a key.
    public static func isWellFormed(_ s: String) -> Bool {
        s.utf8.count == 32 && s.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "2")...UInt8(ascii: "7")).contains($0) }
    }

    public static func < (a: ReplicaID, b: ReplicaID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { rawValue }
}

/// The private signing key of this replica, and the id it certifies.
public struct Identity: Sendable {
    public let privateKey: Curve25519.Signing.PrivateKey
    public let origin: ReplicaID

    public init(privateKey: Curve25519.Signing.PrivateKey) {
        self.privateKey = privateKey
        self.origin = ReplicaID(publicKey: privateKey.publicKey.rawRepresentation)
    }

    /// A fresh random identity.
    public static func generate() -> Identity {
        Identity(privateKey: Curve25519.Signing.PrivateKey())
    }

    /// The public key, base64url, as events carry it in `key`.
    public var publicKeyText: String { ByteEncoding.base64url(privateKey.publicKey.rawRepresentation) }

    /// The key file's contents: one line, the private key in base64url, with a label.
    public var keyFileText: String {
        "daftar-ed25519-v1 \(ByteEncoding.base64url(privateKey.rawRepresentation))\n"
    }

    /// Reads what ``keyFileText`` wrote; nil when the text is not a Daftar key.
    public init?(keyFileText text: String) {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" })
        guard parts.count == 2, parts[0] == "daftar-ed25519-v1",
            let raw = ByteEncoding.bytes(base64url: String(parts[1])), raw.count == 32,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else { return nil }
        self.init(privateKey: key)
    }

    /// Signs an event hash (the 32 raw bytes of `hash`).
    func sign(hash: [UInt8]) -> String {
        // Ed25519 signing only fails for malformed keys, which `init` rules out.
        ByteEncoding.base64url(try! privateKey.signature(for: hash))
    }
}

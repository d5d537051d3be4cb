
/// The first line of a bundle file: who made it, what the receiver must already hold, and what
/// it brings (DESIGN §5).
///
/// `{"format": "daftar-bundle", "version": 1, "creator": ID, "requires": {VV}, "brings": {VV}, "created": MS}`
public struct BundleHeader: Sendable, Hashable {
    public static let format = "daftar-bundle"
    public static let version: Int64 = 1

    /// The replica that wrote the bundle (nil for a relay with no identity).
    public var creator: ReplicaID?
    /// What the receiver must hold before applying: the version vector the bundle starts after.
    public var requires: VersionVector
    /// The creator's heads when it wrote the bundle.
    public var brings: VersionVector
    /// When it was written, ms since 1970.
    public var created: Int64

    public init(creator: ReplicaID?, requires: VersionVector, brings: VersionVector, created: Int64) {
        (self.creator, self.requires, self.brings, self.created) = (creator, requires, brings, created)
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "format": .string(Self.format), "version": .int(Self.version), "requires": SyncWire.json(requires),
            "brings": SyncWire.json(brings), "created": .int(created),
        ]
        if let creator { object["creator"] = .string(creator.rawValue) }
        return .object(object)
    }

    public init(json: JSONValue) throws(DaftarError) {
        guard json["format"]?.stringValue == Self.format else {
            throw DaftarError(.badInput, "not a Daftar bundle (its first line is not a bundle header)")
        }
        guard json["version"]?.intValue == Self.version else {
            throw DaftarError(
                .protocolMismatch,
                "bundle format version \(json["version"]?.intValue.map(String.init) ?? "?"); this daftar reads version \(Self.version): upgrade the older one")
        }
        creator = json["creator"]?.stringValue.flatMap { ReplicaID.isWellFormed($0) ? ReplicaID(rawValue: $0) : nil }
        requires = try SyncWire.versionVector(json["requires"])
        brings = try SyncWire.versionVector(json["brings"])
        created = json["created"]?.intValue ?? 0
    }

    /// What `heads` lacks of `requires`: for each origin, the seq it holds and the seq needed.
    public func missing(from heads: VersionVector) -> [(origin: ReplicaID, have: Int64, need: Int64)] {
        requires.heads.sorted { $0.key < $1.key }.compactMap { origin, need in
            let have = heads[origin]?.seq ?? 0
            return have < need.seq ? (origin, have, need.seq) : nil
        }
    }
}

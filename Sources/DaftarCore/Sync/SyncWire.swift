/// The JSON forms shared by the sync messages (DESIGN §5), the same on every carrier (HTTP,
/// in memory, bundle files). `schema/sync-api.yaml` describes them.
///
/// - heads: `{"replica": ID, "service": "daftar", "protocol": 2, "heads": {ORIGIN: {"seq": N, "hash": H}}, "frozen": [ORIGIN]}`
/// - pull request: ``PullRequest``; page: ``Page``
/// - push: ``PushRequest``; push reply: ``PushReply``
public enum SyncWire {
    /// 2: forks travel as proofs (``ForkProof``), never as bare claims.
    public static let protocolVersion: Int64 = 2

    public static func json(_ vv: VersionVector) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: vv.heads.map {
            ($0.key.rawValue, ["seq": .int($0.value.seq), "hash": .string($0.value.hash)] as JSONValue)
        }))
    }

    public static func versionVector(_ json: JSONValue?) throws(DaftarError) -> VersionVector {
        guard let object = json?.objectValue else { throw DaftarError(.protocolMismatch, "malformed sync message: heads missing") }
        var vv = VersionVector()
        for (origin, head) in object {
            guard ReplicaID.isWellFormed(origin), let seq = head["seq"]?.intValue, seq >= 1, let hash = head["hash"]?.stringValue else {
                throw DaftarError(.protocolMismatch, "malformed sync message: bad head for \(origin)")
            }
            vv[ReplicaID(rawValue: origin)] = ChainHead(seq: seq, hash: hash)
        }
        return vv
    }

    public static func origins(_ json: JSONValue?) -> Set<ReplicaID> {
        Set((json?.arrayValue ?? []).compactMap { $0.stringValue }.filter(ReplicaID.isWellFormed).map { ReplicaID(rawValue: $0) })
    }

    public static func json(_ origins: Set<ReplicaID>) -> JSONValue {
        .array(origins.sorted().map { .string($0.rawValue) })
    }

    public static func events(_ json: JSONValue?) throws(DaftarError) -> [Event] {
        guard let items = json?.arrayValue else { throw DaftarError(.protocolMismatch, "malformed sync message: events missing") }
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

    /// Fork claims: each is read as a proof; a claim that cannot even be read is a
    /// ``ForkClaim/unreadable(_:_:_:)``, kept so that it can be reported.
    public static func forkClaims(_ json: JSONValue?) -> [ForkClaim] {
        (json?.arrayValue ?? []).prefix(64).map { item in
            do throws(ForkProofError) {
                return .proof(try ForkProof(json: item))
            } catch {
                let origin = item["origin"]?.stringValue.flatMap { ReplicaID.isWellFormed($0) ? ReplicaID(rawValue: $0) : nil }
                return .unreadable(origin, error.message, item)
            }
        }
    }

    public static func json(_ proofs: [ForkProof]) -> JSONValue { .array(proofs.map(\.json)) }

    /// Claims as they are written: a proof's wire form, or an unreadable claim as it came.
    public static func json(_ claims: [ForkClaim]) -> JSONValue {
        .array(claims.map { claim in
            switch claim {
            case .proof(let proof): proof.json
            case .unreadable(_, _, let raw): raw
            }
        })
    }

    /// The bytes of a list of events as a JSON array, from their canonical bytes.
    public static func eventsArray(_ events: [Event]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (i, event) in events.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += event.canonicalBytes
        }
        out.append(UInt8(ascii: "]"))
        return out
    }
}

/// A peer's statement that an origin equivocated, as received: a proof to verify, or
/// something that could not be read as one.
public enum ForkClaim: Sendable, Hashable {
    case proof(ForkProof)
    /// The origin it names (if any), why it is not a proof, and the claim as received.
    case unreadable(ReplicaID?, String, JSONValue)
}

/// Sizes of sync messages, nested above the event limit (DESIGN §2).
public enum SyncLimits {
    /// Largest page a sender builds (a single larger commit is still sent whole, up to the body limit).
    public static let pageBytes = 4 << 20
    /// Largest HTTP body a server accepts (413 beyond).
    public static let bodyBytes = 16 << 20
}

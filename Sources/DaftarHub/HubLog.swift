import DaftarCore
import Foundation
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// The hub's log (DESIGN §1, §5): an ``EventLog`` in PostgreSQL that stores and forwards,
/// deciding everything with the same Core planners as the SQLite store and writing no events
/// of its own. Any number of processes may serve one database: appends for an origin take that
/// origin's lock in the transaction (origins in order, so two pages never deadlock), the
/// chain and the heads are checked and advanced by the database itself, and a page is read
/// from one snapshot.
public final class HubLog: EventLog {
    let client: PostgresClient
    let logger: Logger
    let now: @Sendable () -> Int64
    /// Longest a request waits for the database: past it, the client is told to try again
    /// (503) rather than held while the pool retries a database that is down.
    let deadline: Duration
    /// Events read for pages lately, parsed once for every replica that pulls them.
    let parsed = ParsedEvents(capacity: 4096)

    public init(
        client: PostgresClient, logger: Logger = HubDatabase.quiet, deadline: Duration = HubDeadline.standard,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) {
        (self.client, self.logger, self.deadline, self.now) = (client, logger, deadline, now)
    }

    /// A relay: no replica of its own.
    public func replica() async throws -> ReplicaID? { nil }

    public func heads() async throws -> VersionVector {
        try await connection { [self] c in try await Self.heads(c, logger) }
    }

    public func frozen() async throws -> [ReplicaID: FrozenOrigin] {
        try await connection { [self] c in try await Self.frozen(c, logger) }
    }

    /// How many events the hub holds (for `daftar hub status` and tests).
    public func count() async throws -> Int {
        try await connection { [self] connection in
            try await connection.query("SELECT count(*) FROM hub_events", logger: logger).decode(Int.self).gathered().first ?? 0
        }
    }

    public func payloadless(limit: Int) async throws -> [Dot] {
        try await connection { [self] connection in
            try await connection.query(
                "SELECT origin, seq FROM hub_events WHERE bare ORDER BY position LIMIT \(limit)", logger: logger
            ).decode((String, Int64).self).gathered().map { Dot(origin: ReplicaID(rawValue: $0.0), seq: $0.1) }
        }
    }

    public func checkpoints(for origins: Set<ReplicaID>) async throws -> [ReplicaID: [ChainHead]] {
        try await transaction { [self] connection in
            try await Self.snapshot(connection, logger)
            let heads = try await Self.heads(connection, logger)
            var out: [ReplicaID: [ChainHead]] = [:]
            for origin in origins {
                guard let head = heads[origin] else { continue }
                let seqs = PullRequest.checkpointSeqs(head: head.seq)
                let hashes = try await Self.held(at: seqs.map { Dot(origin: origin, seq: $0) }, connection, logger).hashes
                out[origin] = seqs.compactMap { seq in hashes[Dot(origin: origin, seq: seq)].map { ChainHead(seq: seq, hash: $0) } }
            }
            return out
        }
    }

    public func freeze(_ proof: ForkProof) async throws -> Bool {
        try await transaction { [self] connection in
            try await Self.lock([proof.origin], connection, logger)
            return try await Self.freeze(proof, agreed: proof.agreedSeq ?? 0, connection, logger, now())
        }
    }

    /// Stores a verified page in one transaction: the origins' locks first, then what the
    /// Core's ``ReceivePlanner`` decides over the heads and hashes read under them.
    public func receive(_ page: VerifiedPage) async throws -> ReceiveResult {
        try await transaction { [self] connection in
            try await Self.lock(Set(page.events.map(\.origin)), connection, logger)
            let heads = try await Self.heads(connection, logger)
            let lookedUp = try await Self.held(at: HeldState.dotsToLookUp(for: page, heads: heads), connection, logger)
            let held = HeldState(
                heads: heads, frozenAt: try await Self.frozen(connection, logger).mapValues(\.agreed),
                hashes: lookedUp.hashes, redacted: lookedUp.bare)
            let plan = try ReceivePlanner.plan(page, held: held)
            var proofs: [ForkProof] = []
            for contradiction in plan.contradictions {
                let ours = try await Self.chainToSeal(contradiction.origin, from: contradiction.seq, connection, logger)
                let proof = ForkProof(origin: contradiction.origin, seq: contradiction.seq, ours, contradiction.theirs)
                guard (try? proof.verify()) != nil else { continue }
                if try await Self.freeze(proof, agreed: contradiction.agreed ?? 0, connection, logger, now()) { proofs.append(proof) }
            }
            for event in plan.restore {
                try await connection.query("""
                    UPDATE hub_events SET body = \(Data(event.canonicalBytes)), bare = false
                    WHERE origin = \(event.origin.rawValue) AND seq = \(event.seq) AND hash = \(event.hash)
                    """, logger: logger)
            }
            try await Self.insert(plan.store, connection, logger, now())
            return ReceiveResult(
                stored: plan.store.count, forks: proofs, heldBack: plan.heldBack.values.reduce(0, +), restored: plan.restore.count)
        }
    }

    /// The page's events as stored, where this hub read them lately (no need to write each again).
    public func encode(_ page: Page) -> [UInt8] {
        page.canonicalBytes { parsed.body(of: $0) }
    }

    /// A page of what a requester lacks, cut by ``PagePlanner`` from one snapshot of the log.
    public func page(for request: PullRequest) async throws -> Page {
        try await transaction { [self] connection in
            try await Self.snapshot(connection, logger)
            let heads = try await Self.heads(connection, logger)
            let hashes = try await Self.held(at: PagePlanner.dotsToLookUp(for: request, heads: heads), connection, logger).hashes
            var planner = PagePlanner(request: request, heads: heads, frozen: try await Self.frozen(connection, logger), hashes: hashes)
            let wanted = planner.payloadlessWanted
            if !wanted.isEmpty {
                planner.offerPayloads(try await Self.events(at: wanted, connection, logger))
            }
            for start in planner.evidenceStarts {
                let chain = try await Self.chainToSeal(start.origin, from: start.seq, through: planner.evidenceThrough[start.origin], connection, logger)
                planner.offerEvidence(chain, sizes: chain.map(\.canonicalBytes.count))
            }
            // From the earliest event the requester lacks, in log order. An origin's events are
            // stored in seq order (each extends the head), so its positions rise with its seqs.
            let starts = planner.startDots
            guard !starts.isEmpty else { return planner.page() }
            let origins = starts.map(\.origin.rawValue), seqs = starts.map(\.seq)
            var after = try await connection.query("""
                SELECT min(e.position) - 1 FROM hub_events e
                JOIN unnest(\(origins)::text[], \(seqs)::bigint[]) AS s(origin, seq) ON e.origin = s.origin AND e.seq = s.seq
                """, logger: logger).decode(Int64?.self).gathered().first.flatMap { $0 }
            // Only the origins the planner starts, from the seq it starts each at: a pull reads
            // the events it may send, not the whole log after the requester's first gap (the
            // planner still decides each one).
            scan: while let from = after {
                let rows = try await connection.query("""
                    SELECT e.position, e.origin, e.seq, e.body FROM hub_events e
                    JOIN unnest(\(origins)::text[], \(seqs)::bigint[]) AS s(origin, seq) ON s.origin = e.origin AND e.seq >= s.seq
                    WHERE e.position > \(from)
                    ORDER BY e.position LIMIT \(Self.scanChunk)
                    """, logger: logger).decode((Int64, String, Int64, Data).self).gathered()
                after = rows.count == Self.scanChunk ? rows.last?.0 : nil
                for (_, origin, seq, body) in rows where planner.wants(ReplicaID(rawValue: origin), seq) {
                    let event = try parsed.event(at: Dot(origin: ReplicaID(rawValue: origin), seq: seq), body)
                    guard planner.offer(event, size: body.count) else { break scan }
                }
            }
            return planner.page()
        }
    }

    /// Runs `body` in a transaction; what it throws comes out as thrown (not wrapped), and the
    /// database's own failures in the operator's terms (503 to a client: try again), as does
    /// a database that has not answered by ``deadline``.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await withDeadline(deadline) { [client, logger] in try await client.inTransaction(logger: logger, shown: "the hub's database", body) }
    }

    /// Runs `body` with a connection of the pool, within ``deadline``.
    func connection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection(within: deadline, body)
    }

    /// Rows read at a time while cutting a page.
    static let scanChunk = 512

    // MARK: - Statements

    /// The rest of the transaction reads one snapshot (REPEATABLE READ, read only).
    static func snapshot(_ connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
    }

    /// Takes the transaction-scoped lock of each origin, in order.
    static func lock(_ origins: Set<ReplicaID>, _ connection: PostgresConnection, _ logger: Logger) async throws {
        for origin in origins.sorted() {
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(origin.rawValue), 7))", logger: logger)
        }
    }

    static func heads(_ connection: PostgresConnection, _ logger: Logger) async throws -> VersionVector {
        var heads = VersionVector()
        for try await (origin, seq, hash) in try await connection.query("SELECT origin, seq, hash FROM hub_heads", logger: logger)
            .decode((String, Int64, String).self)
        {
            heads.heads[ReplicaID(rawValue: origin)] = ChainHead(seq: seq, hash: hash)
        }
        return heads
    }

    static func frozen(_ connection: PostgresConnection, _ logger: Logger) async throws -> [ReplicaID: FrozenOrigin] {
        var out: [ReplicaID: FrozenOrigin] = [:]
        for try await (origin, seq, proof) in try await connection.query("SELECT origin, seq, proof FROM hub_frozen", logger: logger)
            .decode((String, Int64, Data).self)
        {
            out[ReplicaID(rawValue: origin)] = FrozenOrigin(
                agreed: seq, proof: (try? JSONValue.parse(Array(proof))).flatMap { try? ForkProof(json: $0) })
        }
        return out
    }

    /// Records a freeze; true when it is new or narrows down the agreed seq.
    static func freeze(_ proof: ForkProof, agreed: Int64, _ connection: PostgresConnection, _ logger: Logger, _ time: Int64) async throws -> Bool {
        let changed = try await connection.query("""
            INSERT INTO hub_frozen(origin, seq, proof, detected) VALUES (\(proof.origin.rawValue), \(agreed), \(Data(proof.json.canonicalBytes)), \(time))
            ON CONFLICT (origin) DO UPDATE SET seq = EXCLUDED.seq, proof = EXCLUDED.proof WHERE hub_frozen.seq < EXCLUDED.seq
            RETURNING origin
            """, logger: logger).decode(String.self).gathered()
        return !changed.isEmpty
    }

    /// The hashes held at `dots`, and which of those events are held without their payload.
    static func held(at dots: [Dot], _ connection: PostgresConnection, _ logger: Logger) async throws -> (hashes: [Dot: String], bare: Set<Dot>) {
        var hashes: [Dot: String] = [:]
        var bare: Set<Dot> = []
        guard !dots.isEmpty else { return (hashes, bare) }
        let origins = dots.map(\.origin.rawValue), seqs = dots.map(\.seq)
        for try await (origin, seq, hash, isBare) in try await connection.query("""
            SELECT e.origin, e.seq, e.hash, e.bare FROM hub_events e
            JOIN unnest(\(origins)::text[], \(seqs)::bigint[]) AS d(origin, seq) ON e.origin = d.origin AND e.seq = d.seq
            """, logger: logger).decode((String, Int64, String, Bool).self)
        {
            let dot = Dot(origin: ReplicaID(rawValue: origin), seq: seq)
            hashes[dot] = hash
            if isBare { bare.insert(dot) }
        }
        return (hashes, bare)
    }

    /// The events held at `dots`, whole.
    static func events(at dots: [Dot], _ connection: PostgresConnection, _ logger: Logger) async throws -> [Event] {
        let origins = dots.map(\.origin.rawValue), seqs = dots.map(\.seq)
        return try await connection.query("""
            SELECT e.body FROM hub_events e
            JOIN unnest(\(origins)::text[], \(seqs)::bigint[]) AS d(origin, seq) ON e.origin = d.origin AND e.seq = d.seq
            WHERE NOT e.bare
            """, logger: logger).decode(Data.self).gathered().map { try Event(bytes: $0) }
    }

    /// `origin`'s events from `seq` up to and including the first seal at or after `through`.
    static func chainToSeal(
        _ origin: ReplicaID, from seq: Int64, through: Int64? = nil, _ connection: PostgresConnection, _ logger: Logger
    ) async throws -> [Event] {
        var chain: [Event] = []
        var next = seq
        while true {
            let bodies = try await connection.query("""
                SELECT body FROM hub_events WHERE origin = \(origin.rawValue) AND seq >= \(next) ORDER BY seq LIMIT \(scanChunk)
                """, logger: logger).decode(Data.self).gathered()
            for body in bodies {
                let event = try Event(bytes: body)
                chain.append(event)
                if event.isSeal && event.seq >= (through ?? seq) { return chain }
            }
            guard bodies.count == scanChunk, let last = chain.last else { return chain }
            next = last.seq + 1
        }
    }

    /// Appends events in one statement, in order; the database's trigger checks each extends
    /// its chain and advances the heads.
    static func insert(_ events: [Event], _ connection: PostgresConnection, _ logger: Logger, _ time: Int64) async throws {
        for batch in stride(from: 0, to: events.count, by: 1000).map({ events[$0..<min($0 + 1000, events.count)] }) {
            let origins = batch.map(\.origin.rawValue), seqs = batch.map(\.seq), hashes = batch.map(\.hash)
            // A first event has no prev: written as '' (never a hash) and stored as NULL.
            let prevs = batch.map { $0.prev ?? "" }, types = batch.map(\.type), times = batch.map(\.time)
            let seals = batch.map(\.isSeal), bodies = batch.map { ByteBuffer(bytes: $0.canonicalBytes) }, bare = batch.map { $0.data == nil }
            try await connection.query("""
                INSERT INTO hub_events(origin, seq, hash, prev, type, time, is_seal, body, bare, received)
                SELECT origin, seq, hash, NULLIF(prev, ''), type, time, is_seal, body, bare, \(time)
                FROM unnest(\(origins)::text[], \(seqs)::bigint[], \(hashes)::text[], \(prevs)::text[], \(types)::text[],
                            \(times)::bigint[], \(seals)::boolean[], \(bodies)::bytea[], \(bare)::boolean[])
                     WITH ORDINALITY AS e(origin, seq, hash, prev, type, time, is_seal, body, bare, n)
                ORDER BY n
                """, logger: logger)
        }
    }
}

/// The whole events a hub has parsed lately, by dot, with their stored (canonical) bytes: in a
/// team every replica pulls the same recent events, and parsing them, then writing them into
/// each page, was half of a hub's CPU (`perf`, hub bench). A whole event never changes (the log
/// only ever completes a bare one), so an entry is never stale; bare ones are not kept.
/// Bounded, oldest out first, so memory does not grow with the log.
final class ParsedEvents: Sendable {
    private struct State {
        var events: [Dot: (event: Event, body: [UInt8])] = [:]
        var order: [Dot] = []
        var next = 0
    }
    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// The event stored at `dot` as `body`, parsed now or earlier.
    func event(at dot: Dot, _ body: Data) throws -> Event {
        if let known = state.withLock({ $0.events[dot] }) { return known.event }
        let event = try Event(bytes: body)
        guard event.data != nil, event.dot == dot else { return event }
        state.withLock { state in
            guard state.events.updateValue((event, Array(body)), forKey: dot) == nil else { return }
            if state.order.count < capacity {
                state.order.append(dot)
            } else {
                state.events[state.order[state.next]] = nil
                state.order[state.next] = dot
                state.next = (state.next + 1) % capacity
            }
        }
        return event
    }

    /// The stored bytes of `event`, when it is the one kept for its dot.
    func body(of event: Event) -> [UInt8]? {
        state.withLock { state in state.events[event.dot].flatMap { $0.event.hash == event.hash ? $0.body : nil } }
    }
}

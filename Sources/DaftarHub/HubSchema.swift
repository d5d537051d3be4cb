import DaftarCore
import Logging
import PostgresNIO

/// The hub's tables in PostgreSQL, created and upgraded by numbered migrations
/// (`daftar hub migrate`). The store's guarantees, ported: events are append-only (UPDATE only
/// gives a payloadless copy its payload back, DELETE and TRUNCATE are refused), each insert
/// extends its origin's chain (contiguous seq, `prev` the head) and advances the version
/// vector in the same statement, so no code path can store a gap or leave the heads behind.
public enum HubSchema {
    /// Each migration's statements, run in one transaction; the schema's version is its count.
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE hub_events (
                position BIGSERIAL PRIMARY KEY,
                origin TEXT NOT NULL CHECK (length(origin) = 32),
                seq BIGINT NOT NULL CHECK (seq >= 1),
                hash TEXT NOT NULL CHECK (length(hash) = 64),
                prev TEXT CHECK ((seq = 1) = (prev IS NULL)),
                type TEXT NOT NULL,
                time BIGINT NOT NULL,
                is_seal BOOLEAN NOT NULL,
                body BYTEA NOT NULL,
                bare BOOLEAN NOT NULL,
                received BIGINT NOT NULL,
                UNIQUE (origin, seq)
            )
            """,
            "CREATE INDEX hub_events_bare ON hub_events(position) WHERE bare",
            """
            CREATE TABLE hub_heads (
                origin TEXT PRIMARY KEY,
                seq BIGINT NOT NULL,
                hash TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE hub_frozen (
                origin TEXT PRIMARY KEY,
                seq BIGINT NOT NULL,
                proof BYTEA NOT NULL,
                detected BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE hub_analysts (
                name TEXT PRIMARY KEY,
                token_sha256 TEXT NOT NULL UNIQUE,
                created BIGINT NOT NULL,
                revoked BIGINT
            )
            """,
            """
            CREATE FUNCTION hub_events_extend_chain() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                head hub_heads%ROWTYPE;
            BEGIN
                SELECT * INTO head FROM hub_heads WHERE origin = NEW.origin FOR UPDATE;
                IF NEW.seq <> COALESCE(head.seq, 0) + 1 OR NEW.prev IS DISTINCT FROM head.hash THEN
                    RAISE EXCEPTION 'event %:% does not extend its origin''s chain (seq not contiguous or prev not the head)', NEW.origin, NEW.seq
                        USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                INSERT INTO hub_heads(origin, seq, hash) VALUES (NEW.origin, NEW.seq, NEW.hash)
                    ON CONFLICT (origin) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash;
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER hub_events_extend_chain BEFORE INSERT ON hub_events
                FOR EACH ROW EXECUTE FUNCTION hub_events_extend_chain()
            """,
            """
            CREATE FUNCTION hub_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND OLD.bare AND NOT NEW.bare
                    AND (NEW.position, NEW.origin, NEW.seq, NEW.hash, NEW.type, NEW.time, NEW.is_seal, NEW.received)
                        = (OLD.position, OLD.origin, OLD.seq, OLD.hash, OLD.type, OLD.time, OLD.is_seal, OLD.received)
                    AND NEW.prev IS NOT DISTINCT FROM OLD.prev THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'hub events are append-only: % refused', TG_OP USING ERRCODE = 'integrity_constraint_violation';
            END
            $$
            """,
            """
            CREATE TRIGGER hub_events_refuse_change BEFORE UPDATE OR DELETE ON hub_events
                FOR EACH ROW EXECUTE FUNCTION hub_events_refuse_change()
            """,
            """
            CREATE TRIGGER hub_events_refuse_truncate BEFORE TRUNCATE ON hub_events
                FOR EACH STATEMENT EXECUTE FUNCTION hub_events_refuse_change()
            """,
        ],
    ]

    /// The version this Daftar writes and reads.
    public static var current: Int { migrations.count }

    /// The database's schema version; 0 when it has no hub tables.
    public static func version(_ connection: PostgresConnection, _ logger: Logger) async throws -> Int {
        let exists = try await connection.query("SELECT to_regclass('hub_schema') IS NOT NULL", logger: logger)
            .decode(Bool.self).gathered().first ?? false
        guard exists else { return 0 }
        return try await connection.query("SELECT version FROM hub_schema", logger: logger).decode(Int.self).gathered().first ?? 0
    }

    /// Creates or upgrades the hub's tables; returns the versions before and after. Several
    /// processes migrating at once take turns (a transaction-scoped advisory lock). A database
    /// of a newer Daftar is refused, unchanged.
    @discardableResult
    public static func migrate(_ client: PostgresClient, logger: Logger = HubDatabase.quiet) async throws -> (from: Int, to: Int) {
        try await client.inTransaction(logger: logger, shown: "the hub's database") { connection in
            _ = try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            _ = try await connection.query("CREATE TABLE IF NOT EXISTS hub_schema (version INTEGER NOT NULL)", logger: logger)
            let found = try await connection.query("SELECT version FROM hub_schema", logger: logger).decode(Int.self).gathered()
            let from = found.first ?? 0
            if found.isEmpty { _ = try await connection.query("INSERT INTO hub_schema(version) VALUES (0)", logger: logger) }
            guard from <= current else { throw newer(from) }
            for migration in migrations[from...] {
                for statement in migration { _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
            }
            _ = try await connection.query("UPDATE hub_schema SET version = \(current)", logger: logger)
            return (from, current)
        }
    }

    /// Refuses to serve a database whose schema is not this Daftar's.
    public static func check(_ client: PostgresClient, logger: Logger = HubDatabase.quiet) async throws {
        let version = try await client.withConnection { try await Self.version($0, logger) }
        if version > current { throw newer(version) }
        if version < current {
            throw DaftarError(.badInput, "the hub's database has schema version \(version), this Daftar needs \(current): run `daftar hub migrate` first")
        }
    }

    static func newer(_ version: Int) -> DaftarError {
        DaftarError(.badInput, "the hub's database has schema version \(version), newer than this Daftar's \(current): upgrade daftar; nothing was changed")
    }

    /// The advisory lock migrations take (any constant of our own).
    static let lockKey: Int64 = 0x6461_6674_6172  // "daftar"
}

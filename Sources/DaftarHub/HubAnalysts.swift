import Crypto
import DaftarCore
import DaftarSync
import Foundation
import Logging
import PostgresNIO

/// One analyst the hub knows: a name and a token, stored as its SHA-256 only.
public struct HubAnalyst: Sendable, Hashable, Codable {
    public var name: String
    /// When the token was made, ms since 1970.
    public var created: Int64
    /// When it was revoked; nil while it is valid.
    public var revoked: Int64?
}

/// The hub's people (`daftar hub token add|list|revoke`): a token per analyst, shown once when
/// made and stored hashed, so one person can be cut off without re-keying the team. A token is
/// 32 random bytes, so its SHA-256 is all a lookup needs (no slow hash: nothing to guess).
public struct HubAnalysts: Sendable {
    let client: PostgresClient
    let logger: Logger
    let now: @Sendable () -> Int64
    /// Longest a token check waits for the database (then 503, as the log's own queries).
    let deadline: Duration

    public init(
        client: PostgresClient, logger: Logger = HubDatabase.quiet, deadline: Duration = HubDeadline.standard,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) {
        (self.client, self.logger, self.deadline, self.now) = (client, logger, deadline, now)
    }

    /// A name is what the access log prints: letters and digits of any script, `.`, `_`, `-`;
    /// 1 to 64 of them, no spaces.
    public static func checkName(_ name: String) throws {
        let allowed = name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil || "._-".unicodeScalars.contains($0) }
        guard allowed, (1...64).contains(name.unicodeScalars.count) else {
            throw DaftarError(.badInput, "an analyst's name is 1 to 64 letters, digits, '.', '_' or '-' (no spaces): «\(name)» is not")
        }
    }

    /// Makes a token for `name` and returns it: the only time it is shown. Refused when
    /// `name` already has a valid token (revoke it first).
    public func add(_ name: String) async throws -> String {
        try Self.checkName(name)
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = generator.next() }
        let token = "dh_" + ByteEncoding.hex(bytes)
        let digest = Self.digest(token)
        let time = now()
        let inserted = try await client.inTransaction(logger: logger, shown: "the hub's database") { connection in
            try await connection.query("""
                INSERT INTO hub_analysts(name, token_sha256, created, revoked) VALUES (\(name), \(digest), \(time), NULL)
                ON CONFLICT (name) DO UPDATE SET token_sha256 = EXCLUDED.token_sha256, created = EXCLUDED.created, revoked = NULL
                WHERE hub_analysts.revoked IS NOT NULL
                RETURNING name
                """, logger: logger).decode(String.self).gathered()
        }
        guard !inserted.isEmpty else {
            throw DaftarError(.badInput, "\(name) already has a valid token; `daftar hub token revoke \(name)` first to give them a new one")
        }
        return token
    }

    /// Every analyst, by name.
    public func list() async throws -> [HubAnalyst] {
        try await client.withConnection { connection in
            try await connection.query("SELECT name, created, revoked FROM hub_analysts ORDER BY name", logger: logger)
                .decode((String, Int64, Int64?).self).gathered().map { HubAnalyst(name: $0.0, created: $0.1, revoked: $0.2) }
        }
    }

    /// Revokes `name`'s token: their next request is refused. Throws when no such analyst has a
    /// valid token.
    public func revoke(_ name: String) async throws {
        let time = now()
        let revoked = try await client.withConnection { connection in
            try await connection.query(
                "UPDATE hub_analysts SET revoked = \(time) WHERE name = \(name) AND revoked IS NULL RETURNING name", logger: logger
            ).decode(String.self).gathered()
        }
        guard !revoked.isEmpty else {
            throw DaftarError(.notFound, "no analyst \(name) with a valid token; see `daftar hub token list`")
        }
    }

    /// The analyst whose valid token this is; nil for any other string.
    public func analyst(presenting token: String) async throws -> String? {
        let digest = Self.digest(token)
        return try await client.withConnection(within: deadline) { [logger] connection in
            try await connection.query(
                "SELECT name FROM hub_analysts WHERE token_sha256 = \(digest) AND revoked IS NULL", logger: logger
            ).decode(String.self).gathered().first
        }
    }

    /// The hub's authenticator: a request's token names its analyst.
    public var authenticator: Authenticator {
        { token in try await analyst(presenting: token).map { Caller(name: $0) } }
    }

    static func digest(_ token: String) -> String { ByteEncoding.hex(SHA256.hash(data: Array(token.utf8))) }
}

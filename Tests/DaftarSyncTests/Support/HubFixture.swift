import DaftarCore
import DaftarHub
import DaftarSync
import Foundation
import PostgresNIO
import Testing

/// A real PostgreSQL for the hub's tests: the server at `$DAFTAR_TEST_POSTGRES` (a URL to a
/// database a test may create databases from; `.ci/run` starts a throwaway cluster and sets
/// it). Each test gets a database of its own, migrated, dropped after. Under CI (`CI=true`)
/// the tests run, never skip: without the URL they fail saying so.
enum HubFixture {
    static let url = ProcessInfo.processInfo.environment["DAFTAR_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    static let underCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let shouldRun = underCI || url != nil
    static let skipReason: Comment = "no PostgreSQL: set DAFTAR_TEST_POSTGRES=postgres://USER@HOST:PORT/postgres (.ci/postgres start DIR prints one)"

    /// The server's URL with another database.
    static func url(database: String) throws -> String {
        guard let url else {
            throw HubFixtureError(description: "DAFTAR_TEST_POSTGRES is not set: under CI the hub's tests need PostgreSQL (.ci/run starts one)")
        }
        return try HubDatabase.url(url, database: database)
    }

    /// Runs `body` with a fresh, migrated database of its own (dropped after).
    static func withDatabase<T: Sendable>(_ body: (HubDatabase) async throws -> T) async throws -> T {
        try await withDatabaseURL { database, _ in try await body(database) }
    }

    /// ``withDatabase(_:)``, with the database's URL too (for `daftar hub` processes).
    static func withDatabaseURL<T: Sendable>(_ body: (HubDatabase, String) async throws -> T) async throws -> T {
        let name = "daftar_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let admin = try HubDatabase(url: try url(database: "postgres"))
        try await admin.withClient(maximumConnections: 1) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        let database = try HubDatabase(url: try url(database: name))
        do {
            try await database.withClient(maximumConnections: 1) { try await HubSchema.migrate($0) }
            let result = try await body(database, try url(database: name))
            try await drop(name, admin)
            return result
        } catch {
            try? await drop(name, admin)
            throw error
        }
    }

    static func drop(_ name: String, _ admin: HubDatabase) async throws {
        try await admin.withClient(maximumConnections: 1) { client in
            try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        }
    }

    /// A hub log over `database` while `body` runs: its own connection pool, like a process.
    static func withLog<T: Sendable>(
        _ database: HubDatabase, deadline: Duration = HubDeadline.standard, _ body: (HubLog, HubAnalysts) async throws -> T
    ) async throws -> T {
        try await database.withClient { client in try await body(HubLog(client: client, deadline: deadline), HubAnalysts(client: client)) }
    }
}

struct HubFixtureError: Error, CustomStringConvertible {
    var description: String
}

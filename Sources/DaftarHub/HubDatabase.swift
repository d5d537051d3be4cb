import DaftarCore
import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// The hub's PostgreSQL database: where to reach it (a `postgres://` URL) and a running
/// connection pool for the length of some work.
public struct HubDatabase: Sendable {
    public var configuration: PostgresClient.Configuration
    /// The URL without its password, for messages.
    public var shown: String
    /// `sslmode`: disable, prefer or require.
    var tlsMode: String

    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require]`
    /// (also `postgresql://`). Without `sslmode`, TLS is used when the server offers it.
    public init(url text: String) throws {
        let usage = "the hub's database must be a URL: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""),
            let host = url.host, !host.isEmpty, let user = url.user, !user.isEmpty
        else { throw DaftarError(.badInput, usage) }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard !database.isEmpty, !database.contains("/") else { throw DaftarError(.badInput, usage) }
        let tls: PostgresClient.Configuration.TLS
        switch url.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer" {
        case "disable": (tls, tlsMode) = (.disable, "disable")
        case "prefer", "allow": (tls, tlsMode) = (.prefer(.makeClientConfiguration()), "prefer")
        case "require", "verify-ca", "verify-full": (tls, tlsMode) = (.require(.makeClientConfiguration()), "require")
        case let other: throw DaftarError(.badInput, "sslmode \(other) is not one of disable, prefer, require")
        }
        configuration = PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: user, password: url.password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(10)
        shown = "postgres://\(user)@\(host):\(url.port ?? 5432)/\(database)"
    }

    /// `server` (a `postgres://` URL) naming `database` instead of its own, its user, password
    /// and query kept: how a test or the bench makes a database of its own beside the one it
    /// was given.
    public static func url(_ server: String, database: String) throws -> String {
        _ = try HubDatabase(url: server)  // a postgres:// URL, or why not
        var url = URLComponents(string: server)
        url?.path = "/" + database
        guard let text = url?.string else { throw DaftarError(.badInput, "\(database) cannot be a database's name in a URL") }
        return text
    }

    /// Runs `body` with a connection pool to the database, closed when it returns. One
    /// connection is made first, alone: a server that is down, a wrong password or a missing
    /// database are told at once in words (a pool would retry for a minute, then say only
    /// that it gave up).
    public func withClient<T: Sendable>(
        maximumConnections: Int = 20, _ body: (PostgresClient) async throws -> T
    ) async throws -> T {
        let client = try await pool(maximumConnections: maximumConnections)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            do {
                return try await body(client)
            } catch let error as PSQLError {
                throw HubDatabase.explain(error, shown)
            }
        }
    }

    /// A running pool not bound to a scope, for a database that may die while in use: cancel
    /// the returned task to stop it, without waiting for connections that will never come.
    public func startClient(maximumConnections: Int = 20) async throws -> (PostgresClient, Task<Void, Never>) {
        let client = try await pool(maximumConnections: maximumConnections)
        return (client, Task { await client.run() })
    }

    /// A pool of at most `maximumConnections`, not yet running, once one connection has
    /// shown the database is there (``probe()``).
    private func pool(maximumConnections: Int) async throws -> PostgresClient {
        try await probe()
        var configuration = configuration
        configuration.options.maximumConnections = maximumConnections
        return PostgresClient(configuration: configuration, backgroundLogger: HubDatabase.quiet)
    }

    /// Connects once, and closes; throws what went wrong in the operator's terms.
    public func probe() async throws {
        let tls: PostgresConnection.Configuration.TLS
        switch tlsMode {
        case "disable": tls = .disable
        case "require": tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var probe = PostgresConnection.Configuration(
            host: configuration.host ?? "localhost", port: configuration.port ?? 5432, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: tls)
        probe.options.connectTimeout = .seconds(10)
        do {
            let connection = try await PostgresConnection.connect(configuration: probe, id: 0, logger: Self.quiet)
            try await connection.close()
        } catch let error as PSQLError {
            throw Self.explain(error, shown)
        } catch {
            throw DaftarError(.busy, "cannot reach PostgreSQL at \(shown): \(error)")
        }
    }

    /// Background messages of the pool are not the analyst's concern; failures reach the caller.
    public static let quiet: Logger = {
        var logger = Logger(label: "daftar.hub.postgres")
        logger.logLevel = .critical
        return logger
    }()

    /// A database error in the operator's terms: what could not be done, and what to do.
    static func explain(_ error: PSQLError, _ shown: String) -> DaftarError {
        if let message = error.serverInfo?[.message] {
            let code = error.serverInfo?[.sqlState] ?? ""
            if code == "3D000" { return DaftarError(.badInput, "the database in \(shown) does not exist: create it (createdb), then run `daftar hub migrate`") }
            if code == "28P01" || code == "28000" { return DaftarError(.badInput, "PostgreSQL at \(shown) refused the user or password: \(message)") }
            return DaftarError(.busy, "PostgreSQL at \(shown): \(message)")
        }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection:
            return DaftarError(.busy, "cannot reach PostgreSQL at \(shown); is it running, and is the URL right?")
        default:
            return DaftarError(.busy, "PostgreSQL at \(shown) failed: \(String(describing: error.code))")
        }
    }
}

extension PostgresClient {
    /// Runs `body` in a transaction; what it throws comes out as thrown (not wrapped), and the
    /// database's own failures in the operator's terms (`busy`: 503 to a sync client).
    func inTransaction<T: Sendable>(logger: Logger, shown: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        func explain(_ error: (any Error)?) -> (any Error)? {
            error.map { ($0 as? PSQLError).map { HubDatabase.explain($0, shown) } ?? $0 }
        }
        do {
            return try await withTransaction(logger: logger) { try await body($0) }
        } catch let error as PostgresTransactionError {
            throw explain(error.closureError) ?? explain(error.beginError) ?? explain(error.commitError) ?? error
        } catch let error as PSQLError {
            throw HubDatabase.explain(error, shown)
        }
    }
}

extension AsyncSequence where Self: Sendable {
    /// Every element, in order (a query's rows, decoded).
    func gathered() async throws -> [Element] {
        var out: [Element] = []
        for try await element in self { out.append(element) }
        return out
    }
}

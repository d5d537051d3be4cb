import ArgumentParser
import DaftarApp
import DaftarCore
import DaftarHub
import DaftarSync
import Foundation
import NIOSSL

/// `daftar hub`: a team's hub, its log in PostgreSQL.
struct Hub: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a team hub: the sync API over a log in PostgreSQL, one token per analyst.",
        discussion: """
            A hub stores and forwards the team's events; analysts sync with it as with any peer \
            (`daftar sync URL --token-file F`, `clone`, bundles). Any number of hub processes may \
            serve one database, behind any HTTP load balancer. First create the database's tables \
            with `daftar hub migrate`, and a token per analyst with `daftar hub token add NAME`.

            The database is --database URL, else $DAFTAR_HUB_DATABASE: \
            postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require].
            """,
        subcommands: [HubServe.self, HubMigrate.self, HubToken.self, HubStatus.self],
        defaultSubcommand: HubServe.self)
}

/// Where the hub's database is.
struct HubDatabaseOption: ParsableArguments {
    @Option(help: ArgumentHelp("The hub's PostgreSQL database (default: $DAFTAR_HUB_DATABASE).", valueName: "postgres-url"))
    var database: String?

    func resolved() throws -> HubDatabase {
        guard let url = database ?? ProcessInfo.processInfo.environment["DAFTAR_HUB_DATABASE"], !url.isEmpty else {
            throw DaftarError(.badInput, "no database for the hub: pass --database postgres://USER@HOST:PORT/DATABASE or set $DAFTAR_HUB_DATABASE")
        }
        return try HubDatabase(url: url)
    }
}

struct HubServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the sync API (/v1/…) over the hub's database (the default subcommand).",
        discussion: """
            Listens on 127.0.0.1:8767 unless told otherwise (--listen HOST:PORT; port 0 picks a \
            free one). Every request needs `Authorization: Bearer TOKEN`, a token of \
            `daftar hub token add`; a revoked one is refused at once. Each request is logged on \
            standard error, one line: time (UTC), method, path, status, bytes, the caller's \
            replica (else -) and analyst=NAME. Never the token. Stops cleanly on SIGINT/SIGTERM. \
            With --tls-cert and --tls-key it serves HTTPS itself; else put it behind a \
            TLS-terminating load balancer.
            """)

    @OptionGroup var database: HubDatabaseOption

    @Option(help: ArgumentHelp("Address to listen on.", valueName: "host:port"))
    var listen: String = "127.0.0.1:8767"

    @Option(help: ArgumentHelp("Most connections to PostgreSQL this process opens.", valueName: "n"))
    var connections: Int = 20

    @OptionGroup var tls: TLSOptions

    func validate() throws {
        _ = try parseListen(listen)
        guard (1...1000).contains(connections) else { throw ValidationError("--connections must be from 1 to 1000") }
    }

    func run() async throws {
        let (host, port) = try parseListen(listen)
        let database = try database.resolved()
        let tlsConfiguration = try tls.configuration()
        let shown = urlHost(host)
        let scheme = tlsConfiguration == nil ? "http" : "https"
        if !ReaderAccess.isLoopback(host), tlsConfiguration == nil {
            Terminal.warning("serving on \(shown) over plain HTTP: tokens and events travel unencrypted; serve HTTPS with --tls-cert FILE --tls-key FILE, put the hub behind a TLS-terminating load balancer, or serve on a trusted network")
        }
        try await database.withClient(maximumConnections: connections) { client in
            try await HubSchema.check(client)
            let analysts = HubAnalysts(client: client)
            let app = buildApplication(
                service: SyncService(log: HubLog(client: client)), authenticate: analysts.authenticator, host: host, port: port,
                onRunning: { bound in
                    FileHandle.standardOutput.write(Data("hub listening on \(scheme)://\(shown):\(bound) (database \(database.shown))\n".utf8))
                },
                accessLog: { entry in FileHandle.standardError.write(Data((entry.line + "\n").utf8)) }, tls: tlsConfiguration)
            try await runListening(app, host: host, port: port)
        }
    }
}

struct HubMigrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the hub's tables in its database.",
        discussion: "Safe to run again, and from several machines at once. A database of a newer Daftar is refused unchanged.")

    @OptionGroup var database: HubDatabaseOption

    @Flag(help: "Print the outcome as JSON.")
    var json = false

    struct Output: Encodable {
        var from: Int
        var to: Int
    }

    func run() async throws {
        let database = try database.resolved()
        let (from, to) = try await database.withClient(maximumConnections: 1) { try await HubSchema.migrate($0) }
        if json { return try Terminal.printJSON(Output(from: from, to: to)) }
        print(from == to ? "the hub's schema is at version \(to) already; nothing to do" : "the hub's schema is now at version \(to) (was \(from))")
    }
}

struct HubToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Give analysts tokens, list them, revoke one.",
        subcommands: [Add.self, ListTokens.self, Revoke.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a token for an analyst and print it (the only time it is shown).",
            discussion: "Give it to the analyst, who saves it in a file only they can read and syncs with `daftar sync URL --token-file F`.")

        @OptionGroup var database: HubDatabaseOption

        @Argument(help: "The analyst's name: letters, digits, '.', '_' or '-' (what the access log shows).")
        var name: String

        func validate() throws { try HubAnalysts.checkName(name) }

        func run() async throws {
            let database = try database.resolved()
            let token = try await database.withClient(maximumConnections: 1) { client in
                try await HubSchema.check(client)
                return try await HubAnalysts(client: client).add(name)
            }
            print(token)
            Terminal.note("the token of \(name) — shown once; the hub keeps only its hash")
        }
    }

    struct ListTokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the analysts and whether each token is valid.")

        @OptionGroup var database: HubDatabaseOption

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let database = try database.resolved()
            let analysts = try await database.withClient(maximumConnections: 1) { client in
                try await HubSchema.check(client)
                return try await HubAnalysts(client: client).list()
            }
            if json { return try Terminal.printJSON(analysts) }
            if analysts.isEmpty { Terminal.note("no analysts yet: `daftar hub token add NAME`") }
            for analyst in analysts {
                let state = analyst.revoked.map { "revoked \(Terminal.time($0))" } ?? "valid"
                print("\(analyst.name)  since \(Terminal.time(analyst.created))  \(state)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an analyst's token: their next request is refused.")

        @OptionGroup var database: HubDatabaseOption

        @Argument(help: "The analyst's name.")
        var name: String

        func run() async throws {
            let database = try database.resolved()
            try await database.withClient(maximumConnections: 1) { client in
                try await HubSchema.check(client)
                try await HubAnalysts(client: client).revoke(name)
            }
            print("revoked the token of \(name)")
        }
    }
}

struct HubStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "What the hub holds: events, origins, frozen origins, analysts.")

    @OptionGroup var database: HubDatabaseOption

    @Flag(help: "Print JSON.")
    var json = false

    struct Output: Encodable {
        var schema: Int
        var events: Int
        var origins: Int
        var frozen: [String]
        var analysts: Int
    }

    func run() async throws {
        let database = try database.resolved()
        let output = try await database.withClient(maximumConnections: 2) { client in
            try await HubSchema.check(client)
            let log = HubLog(client: client)
            return Output(
                schema: HubSchema.current, events: try await log.count(), origins: try await log.heads().heads.count,
                frozen: try await log.frozen().keys.map(\.rawValue).sorted(),
                analysts: try await HubAnalysts(client: client).list().filter { $0.revoked == nil }.count)
        }
        if json { return try Terminal.printJSON(output) }
        print("hub database \(database.shown), schema version \(output.schema)")
        print("\(output.events) events from \(output.origins) replicas; \(output.analysts) analysts with valid tokens")
        if !output.frozen.isEmpty { print("frozen (proven forks): \(output.frozen.joined(separator: ", "))") }
    }
}

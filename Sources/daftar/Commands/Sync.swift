import ArgumentParser
import DaftarCore
import DaftarStore
import DaftarSync
import Foundation

/// Where the token comes from, for the client side: a file, a peer's file, or $DAFTAR_TOKEN.
func clientToken(file: String?, peer: Peer?) throws -> String {
    if let file = file ?? peer?.tokenFile { return try SyncToken.read(file: file) }
    if let token = ProcessInfo.processInfo.environment["DAFTAR_TOKEN"], !token.isEmpty { return token }
    throw DaftarError(.badInput, "no token: pass --token-file F (or set it with `daftar peer add … --token-file F`) or set $DAFTAR_TOKEN")
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve this store to peers over HTTP (sync API /v1/…).",
        discussion: """
            Listens on 127.0.0.1:8765 unless told otherwise (--listen HOST:PORT; port 0 picks a \
            free one). Every request needs `Authorization: Bearer TOKEN`; the token comes from \
            --token-file, else $DAFTAR_TOKEN, else a file beside the store (STORE.token, created \
            on first serve, owner-only; its path is printed). The store stays usable by other \
            daftar commands while it serves. Stops cleanly on SIGINT/SIGTERM.
            """)

    @ParentCommand var daftar: Daftar

    @Option(help: ArgumentHelp("Address to listen on.", valueName: "host:port"))
    var listen: String = "127.0.0.1:8765"

    @Option(help: ArgumentHelp("Read the bearer token from this file.", valueName: "file"))
    var tokenFile: String?

    func parsedListen() throws -> (String, Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:8765")
        }
        return (String(listen[..<colon]), port)
    }

    func validate() throws { _ = try parsedListen() }

    func run() async throws {
        let (host, port) = try parsedListen()
        let store = try daftar.openStore(forWriting: false)
        let token: String
        if let tokenFile {
            token = try SyncToken.read(file: tokenFile)
        } else if let env = ProcessInfo.processInfo.environment["DAFTAR_TOKEN"], !env.isEmpty {
            token = env
        } else {
            let (generated, created) = try SyncToken.readOrCreate(file: store.path + ".token")
            token = generated
            Terminal.note("\(created ? "created a token in" : "token in") \(store.path).token — give it to peers (`daftar sync URL --token-file F`)")
        }
        let app = buildApplication(service: SyncService(log: store), token: token, host: host, port: port) { bound in
            FileHandle.standardOutput.write(Data("listening on http://\(host):\(bound)\n".utf8))
        }
        try await app.runService()
    }
}

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Exchange events with a peer: pull what this store lacks, then push what the peer lacks.",
        discussion: """
            PEER is a URL (http://host:8765) or a name from `daftar peer add`. The token comes \
            from --token-file, the peer's token file, or $DAFTAR_TOKEN — never the command line. \
            Each received page is verified whole and committed in one transaction: an \
            interrupted sync keeps what it committed, and running it again completes it.

            "in sync" is said only when both sides hold the same heads. Otherwise the report \
            says what stayed behind and why: a replica frozen because it signed two histories \
            (with the proof checked; see `daftar forks`), events held back because they depend \
            on a frozen history, a peer that stopped making progress. The exit status is 1 when \
            anything this store holds did not reach the peer, the sync stopped early, or a fork \
            left the two sides with different histories. If this store's own replica is the one \
            forked, the report says so and what to do (`daftar rekey`).
            """)

    @ParentCommand var daftar: Daftar

    @Argument(help: "The peer: URL or name.")
    var peer: String

    @Option(help: ArgumentHelp("Read the bearer token from this file.", valueName: "file"))
    var tokenFile: String?

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() async throws {
        let store = try daftar.openStore(forWriting: false)
        let named = try store.peers().first { $0.name == peer }
        let url = named?.url ?? peer
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw DaftarError(.badInput, "\(peer) is neither a URL nor a peer name; see `daftar peer list`")
        }
        let token = try clientToken(file: tokenFile, peer: named)
        let before = try SyncSummary.Counts(store)
        let report = try await Self.sync(store: store, url: url, token: token)
        if let named, let replica = report.peerReplica { try store.setPeerReplica(named.name, replica) }
        let summary = try SyncSummary(report: report, store: store, peer: url, before: before)
        if json { try Terminal.printJSON(summary) } else { summary.print() }
        if summary.failed { throw ExitCode(1) }
    }

    /// Syncs with progress on stderr; records what the peer holds afterwards.
    static func sync(store: Store, url: String, token: String) async throws -> SyncReport {
        let transport = HTTPTransport(baseURL: url, token: token)
        let report = try await SyncDriver.run(log: store, transport: transport) { report in
            Terminal.progress("sync: pulled \(report.pulledEvents) events, pushed \(report.pushedEvents)")
        }
        Terminal.clearProgress()
        if let replica = report.peerReplica { try store.recordKnownHeads(report.peerHeads, of: replica) }
        return report
    }
}

struct Clone: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a new store (with a new identity) from a peer, in one step.",
        discussion: "The store (--store, $DAFTAR_STORE or the default) must not exist yet. The peer is remembered as `origin`.")

    @ParentCommand var daftar: Daftar

    @Argument(help: "The peer's URL.")
    var url: String

    @Option(help: ArgumentHelp("Read the bearer token from this file.", valueName: "file"))
    var tokenFile: String?

    func run() async throws {
        let (path, _) = try daftar.storePath()
        if FileManager.default.fileExists(atPath: path) {
            throw DaftarError(.badStore, "\(path) exists already; clone into a new --store path, or use `daftar sync \(url)`")
        }
        let token = try clientToken(file: tokenFile, peer: nil)
        // Check the peer before creating anything.
        _ = try await HTTPTransport(baseURL: url, token: token).heads()
        let store = try daftar.openStore(forWriting: true)
        try store.addPeer(Peer(name: "origin", url: url, tokenFile: tokenFile.map { URL(fileURLWithPath: $0).path }))
        let report = try await SyncCommand.sync(store: store, url: url, token: token)
        print("cloned \(report.pulledEvents) events from \(url) into \(path) (replica \(store.identity!.origin); peer `origin`)")
    }
}

struct PeerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer", abstract: "Remember peers by name.",
        subcommands: [Add.self, ListPeers.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a peer: `daftar sync NAME` then reaches it.")
        @ParentCommand var peer: PeerCommand
        @Argument var name: String
        @Argument(help: "Its URL, e.g. http://192.168.1.5:8765") var url: String
        @Option(help: ArgumentHelp("The file holding its token.", valueName: "file")) var tokenFile: String?

        func validate() throws {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw ValidationError("the URL must start with http:// or https://") }
            guard !name.contains("/") && !name.contains(":") else { throw ValidationError("a peer name cannot contain / or :") }
        }

        func run() throws {
            let file = tokenFile.map { URL(fileURLWithPath: $0).path }
            if let file { _ = try SyncToken.read(file: file) }
            try peer.daftar.openStore(forWriting: false).addPeer(Peer(name: name, url: url, tokenFile: file))
            print("added peer \(name) → \(url)")
        }
    }

    struct ListPeers: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List peers.")
        @ParentCommand var peer: PeerCommand
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let peers = try peer.daftar.openStore(forWriting: false).peers()
            if json { return try Terminal.printJSON(peers) }
            for p in peers { print("\(p.name)\t\(p.url)\t\(p.tokenFile ?? "($DAFTAR_TOKEN)")") }
            if peers.isEmpty { Terminal.note("no peers; add one with `daftar peer add NAME URL --token-file F`") }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget a peer.")
        @ParentCommand var peer: PeerCommand
        @Argument var name: String

        func run() throws {
            try peer.daftar.openStore(forWriting: false).removePeer(name)
            print("removed peer \(name)")
        }
    }

    @ParentCommand var daftar: Daftar
}

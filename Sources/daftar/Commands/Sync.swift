import ArgumentParser
import DaftarApp
import DaftarCore
import DaftarStore
import DaftarSync
import Foundation
import Hummingbird
import NIOSSL

/// A peer's URL as typed: `http://` is assumed when no scheme is given (`127.0.0.1:8765`), and
/// said on stderr; a peer name stays unresolved (nil) when it is not address-shaped.
func peerURL(_ given: String) throws -> String? {
    if given.hasPrefix("http://") || given.hasPrefix("https://") { return given }
    if let scheme = given.range(of: "://") {
        throw DaftarError(.badInput, "\(given): peers are reached over http:// or https://, not \(given[..<scheme.lowerBound])://")
    }
    // host:port, [v6]:port, a dotted name or address, localhost — never a peer name (those have no `:`).
    let host = given.split(separator: "/", maxSplits: 1).first.map(String.init) ?? given
    guard host.contains(":") || host.contains(".") || host == "localhost", !given.contains(" ") else { return nil }
    let url = "http://" + given
    Terminal.note("taking \(given) as \(url)")
    return url
}

/// `--timeout` of `sync` and `clone`.
struct StallTimeout: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Give up when the peer sends nothing for this long.", valueName: "seconds"))
    var timeout: Int64 = HTTPTransport.defaultStallSeconds

    func validate() throws {
        guard timeout >= 1 else { throw ValidationError("--timeout must be a whole number of seconds, at least 1") }
    }

    /// Runs `body`; a peer that stopped answering is told in the command line's terms.
    func reworded<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DaftarError where error.code == .stalled {
            throw DaftarError(
                .stalled, error.message + "; is a daftar server listening there? Give a slow peer longer with --timeout SECONDS", cause: error)
        }
    }
}

/// `--tls-cert` and `--tls-key` of `serve` and `hub serve`.
struct TLSOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Serve over HTTPS with this certificate (PEM; needs --tls-key).", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The certificate's private key (PEM; owner-only, or it is refused).", valueName: "file"))
    var tlsKey: String?

    /// The server's TLS configuration, nil for plain HTTP.
    func configuration() throws -> TLSConfiguration? {
        try ServerTLS.given(certificate: tlsCert, key: tlsKey)?.configuration()
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve this store to peers over HTTP (sync API /v1/…).",
        discussion: """
            Listens on 127.0.0.1:8765 unless told otherwise (--listen HOST:PORT, an IPv6 address \
            in brackets: [::1]:8765; port 0 picks a free one). Every request needs \
            `Authorization: Bearer TOKEN`; the token (at least 16 characters) comes from \
            --token-file, else $DAFTAR_TOKEN, else a file beside the store (STORE.token, created \
            on the first serve that starts listening, owner-only; its path is printed). The store \
            stays usable by other daftar commands while it serves. Stops cleanly on SIGINT/SIGTERM.

            With --tls-cert and --tls-key it serves HTTPS (peers whose certificate your team \
            signed itself: set $DAFTAR_TLS_CA=ca.pem where they sync). On an address other than \
            loopback without them it warns: the token and the events would cross the network in clear.

            Each request is logged on standard error, one line: time (UTC), method, path, status, \
            bytes of the response, and the caller's replica when it names it (else -). Never the token.
            """)

    @ParentCommand var daftar: Daftar

    @Option(help: ArgumentHelp("Address to listen on.", valueName: "host:port"))
    var listen: String = "127.0.0.1:8765"

    @Option(help: ArgumentHelp("Read the bearer token from this file.", valueName: "file"))
    var tokenFile: String?

    @OptionGroup var tls: TLSOptions

    /// Writes a generated token once listening. Should that fail (the folder was checked
    /// before), serving is pointless and nobody knows the token yet: stop at once.
    static func writeToken(_ token: String, to file: String) {
        do {
            try SyncToken.write(token, to: file)
            Terminal.note("created a token in \(file) — give it to peers (`daftar sync URL --token-file F`)")
        } catch {
            Terminal.error((error as? DaftarError).map(Daftar.commandLineMessage) ?? "cannot create the token file \(file)")
            Foundation.exit(1)
        }
    }

    func parsedListen() throws -> (host: String, port: Int) { try parseListen(listen) }

    func validate() throws { _ = try parsedListen() }

    func run() async throws {
        let (host, port) = try parsedListen()
        let tlsConfiguration = try tls.configuration()
        let store = try daftar.openStore(forWriting: false)
        let shown = urlHost(host)
        let scheme = tlsConfiguration == nil ? "http" : "https"
        if !ReaderAccess.isLoopback(host), tlsConfiguration == nil {
            // Say plainly what crosses the network.
            Terminal.warning("serving on \(shown) over plain HTTP: the token and every event travel unencrypted, readable and replayable by anyone on the network; serve HTTPS with --tls-cert FILE --tls-key FILE, or on a trusted network or through an SSH tunnel or VPN (loopback: --listen 127.0.0.1:\(port))")
        }
        let token: String
        // A token generated here is written only once the socket is bound: a failed start
        // leaves no file behind.
        var unwritten: String? = nil
        if let tokenFile {
            token = try SyncToken.read(file: tokenFile)
        } else if let env = try PeerSync.environmentToken() {
            token = env
        } else {
            let file = store.path + ".token"
            let (found, exists) = try SyncToken.readOrGenerate(file: file)
            token = found
            if exists {
                Terminal.note("token in \(file) — give it to peers (`daftar sync URL --token-file F`)")
            } else {
                guard SyncToken.canCreate(file: file) else {
                    throw DaftarError(.badInput, "cannot create the token file \(file) (its folder is not writable); pass --token-file F or set $DAFTAR_TOKEN")
                }
                unwritten = file
            }
        }
        let app = buildApplication(
            service: SyncService(log: store), token: token, host: host, port: port,
            onRunning: { [unwritten, token] bound in
                if let file = unwritten { Self.writeToken(token, to: file) }
                FileHandle.standardOutput.write(Data("listening on \(scheme)://\(shown):\(bound)\n".utf8))
            },
            accessLog: { entry in FileHandle.standardError.write(Data((entry.line + "\n").utf8)) }, tls: tlsConfiguration)
        try await runListening(app, host: host, port: port)
    }
}

/// Runs a server, wording a failure to listen in the command line's terms.
func runListening(_ app: some ApplicationProtocol, host: String, port: Int) async throws {
    let shown = urlHost(host)
    do {
        try await app.runService()
    } catch {
        switch ListenFailure(error) {
        case .addressInUse:
            throw DaftarError(.badInput, "port \(port) on \(shown) is already in use; choose another with --listen \(shown):PORT (PORT 0 picks a free one)")
        case .permissionDenied:
            throw DaftarError(.badInput, "port \(port) on \(shown) needs privileges; choose one above 1023 with --listen \(shown):PORT")
        case .addressNotAvailable:
            throw DaftarError(.badInput, "\(shown) is not an address of this machine; listen on one of its own, e.g. --listen 127.0.0.1:\(port)")
        case .unknownHost:
            throw DaftarError(.badInput, "cannot resolve \(host); give --listen an address, e.g. 127.0.0.1:\(port) or [::1]:\(port)")
        case nil:
            throw error
        }
    }
}

/// `HOST:PORT`, `[IPV6]:PORT`, as `--listen` takes it.
func parseListen(_ listen: String) throws -> (host: String, port: Int) {
    let usage = "--listen must be HOST:PORT, e.g. 127.0.0.1:8765 (an IPv6 address in brackets: [::1]:8765)"
    guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
        throw ValidationError(usage)
    }
    var host = String(listen[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") {
        host = String(host.dropFirst().dropLast())
        guard host.contains(":") else { throw ValidationError(usage) }
    } else if host.contains(":") || host.contains("[") || host.contains("]") {
        throw ValidationError(usage)
    }
    guard !host.isEmpty else { throw ValidationError(usage) }
    return (host, port)
}

struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Exchange events with a peer: pull what this store lacks, then push what the peer lacks.",
        discussion: """
            PEER is a URL (http://host:8765; host:8765 is taken as http://) or a name from \
            `daftar peer add`. The token (at least 16 characters) comes \
            from --token-file, the peer's token file, or $DAFTAR_TOKEN — never the command line. \
            Each received page is verified whole and committed in one transaction: an \
            interrupted sync keeps what it committed, and running it again completes it. A peer \
            that sends nothing for --timeout seconds (default 30) ends the sync with a message.

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

    @OptionGroup var stall: StallTimeout

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() async throws {
        let store = try daftar.openStore(forWriting: false)
        let named = try store.peers().first { $0.name == peer }
        guard let url = try named?.url ?? peerURL(peer) else {
            throw DaftarError(.badInput, "\(peer) is neither a URL nor a peer name; see `daftar peer list`")
        }
        let token = try PeerSync.token(file: tokenFile, peer: named)
        let summary = try await stall.reworded {
            try await PeerSync.run(store: store, peer: named, url: url, token: token, stallSeconds: stall.timeout, progress: Self.progress)
        }
        Terminal.clearProgress()
        if json { try Terminal.printJSON(summary) } else { summary.print() }
        if summary.failed { throw ExitCode(1) }
    }

    /// Progress on stderr.
    @Sendable static func progress(_ report: SyncReport) {
        Terminal.progress("sync: pulled \(report.pulledEvents) events, pushed \(report.pushedEvents)")
    }
}

struct Clone: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a new store (with a new identity) from a peer, in one step.",
        discussion: """
            The store (--store, $DAFTAR_STORE or the default) must not exist yet; nothing is created \
            when the peer cannot be reached or sends nothing for --timeout seconds. The peer is \
            remembered as `origin`.
            """)

    @ParentCommand var daftar: Daftar

    @Argument(help: "The peer's URL (http:// is assumed when none is given).")
    var url: String

    @Option(help: ArgumentHelp("Read the bearer token from this file.", valueName: "file"))
    var tokenFile: String?

    @OptionGroup var stall: StallTimeout

    func run() async throws {
        let (path, _) = try daftar.storePath()
        // An empty file is what a clone killed before its first write leaves: cloned into again.
        if Store.isBegun(at: path) {
            throw DaftarError(.badStore, "\(path) exists already; clone into a new --store path, or use `daftar sync \(url)`")
        }
        guard let peerAddress = try peerURL(url) else {
            throw DaftarError(.badInput, "\(url) is not a URL; give the peer's, e.g. http://192.168.1.5:8765")
        }
        let token = try PeerSync.token(file: tokenFile, peer: nil)
        // Check the peer before creating anything.
        _ = try await stall.reworded { try await HTTPTransport(baseURL: peerAddress, token: token, stallSeconds: stall.timeout).heads() }
        let store = try daftar.openStore(forWriting: true)
        try store.addPeer(Peer(name: "origin", url: peerAddress, tokenFile: tokenFile.map { URL(fileURLWithPath: $0).path }))
        try store.recordSyncStart(peer: "origin")
        let report = try await stall.reworded {
            try await PeerSync.exchange(store: store, url: peerAddress, token: token, stallSeconds: stall.timeout, progress: SyncCommand.progress)
        }
        Terminal.clearProgress()
        print("cloned \(report.pulledEvents) events from \(peerAddress) into \(path) (replica \(store.identity!.origin); peer `origin`)")
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
            guard !name.contains("/") && !name.contains(":") else { throw ValidationError("a peer name cannot contain / or :") }
        }

        func run() throws {
            guard let address = try peerURL(url) else {
                throw ValidationError("the URL must be http://HOST:PORT or https://HOST:PORT (or HOST:PORT, taken as http://)")
            }
            let file = tokenFile.map { URL(fileURLWithPath: $0).path }
            if let file { _ = try SyncToken.read(file: file) }
            try peer.daftar.openStore(forWriting: false).addPeer(Peer(name: name, url: address, tokenFile: file))
            print("added peer \(name) → \(address)")
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

import DaftarCore
import DaftarStore
import DaftarSync
import Foundation

/// A sync with a peer as the command line and the reader both run it: the moment before it
/// recorded, the exchange, what the peer holds remembered, and the outcome in the analyst's terms.
public enum PeerSync {
    /// Syncs `store` with the peer at `url` (`peer` when it is a named one): records the moment
    /// before it (for `--as-of sync:PEER` and `changes`), exchanges, and says what moved and
    /// what stayed behind.
    public static func run(
        store: Store, peer: Peer?, url: String, token: String, stallSeconds: Int64,
        progress: (@Sendable (SyncReport) -> Void)? = nil
    ) async throws -> SyncSummary {
        let before = try SyncSummary.Counts(store)
        try store.recordSyncStart(peer: peer?.name ?? url)
        let report = try await exchange(store: store, url: url, token: token, stallSeconds: stallSeconds, progress: progress)
        if let peer, let replica = report.peerReplica { try store.setPeerReplica(peer.name, replica) }
        return try SyncSummary(report: report, store: store, peer: url, before: before)
    }

    /// The exchange itself; records what the peer holds afterwards.
    public static func exchange(
        store: Store, url: String, token: String, stallSeconds: Int64, progress: (@Sendable (SyncReport) -> Void)? = nil
    ) async throws -> SyncReport {
        let transport = HTTPTransport(baseURL: url, token: token, replica: store.replicaID, stallSeconds: stallSeconds)
        let report = try await SyncDriver.run(log: store, transport: transport, progress: progress)
        if let replica = report.peerReplica { try store.recordKnownHeads(report.peerHeads, of: replica) }
        return report
    }

    /// The client's token: a file, the peer's token file, or $DAFTAR_TOKEN.
    public static func token(file: String?, peer: Peer?) throws -> String {
        if let file = file ?? peer?.tokenFile { return try SyncToken.read(file: file) }
        if let token = try environmentToken() { return token }
        throw DaftarError(.badInput, "no token: pass --token-file F (or set it with `daftar peer add … --token-file F`) or set $DAFTAR_TOKEN")
    }

    /// $DAFTAR_TOKEN when set, refused when too short to be safe.
    public static func environmentToken() throws -> String? {
        guard let token = ProcessInfo.processInfo.environment["DAFTAR_TOKEN"]?.trimmingWhitespace, !token.isEmpty else { return nil }
        try SyncToken.check(token, from: "$DAFTAR_TOKEN")
        return token
    }
}

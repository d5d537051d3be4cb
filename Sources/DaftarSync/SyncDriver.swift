import DaftarCore
import DaftarStore

/// Carries out a ``DaftarCore/SyncSession``'s actions against a store and a transport: each
/// pulled page is verified whole and committed in one transaction, so an interrupted sync
/// keeps whole pages and the next one resumes from the version vector.
public enum SyncDriver {
    public static func run(
        store: Store, transport: some SyncTransport, progress: (@Sendable (SyncReport) -> Void)? = nil
    ) async throws -> SyncReport {
        let frozenAt = try store.frozenAt()
        var session = SyncSession(local: try store.versionVector(), frozen: Set(frozenAt.keys))
        var action = session.start()
        var bytes = 0
        while true {
            switch action {
            case .fetchHeads:
                let peer = try await transport.heads()
                bytes += peer.bytes
                action = session.receivedHeads(peer.heads)
            case .pull(var request):
                request.frozenAt = try store.frozenAt()
                request.checkpoints = try store.checkpoints(for: request.checkpointOrigins)
                let (page, size) = try await transport.pull(request)
                // Freeze forks the peer found, at the seq both histories share (before storing
                // the page, so that events depending on the other history are held back).
                for origin in page.forked { try store.freeze(origin, agreed: page.agreed[origin] ?? 0) }
                let result = try store.receivePage(page.events, freezeForks: true)
                var seen = page
                seen.forked.formUnion(result.forked)
                action = session.pulled(seen, stored: result.stored, bytes: size, local: try store.versionVector())
            case .push(let peerHeads, let exclude):
                let page = try store.page(after: peerHeads, exclude: exclude)
                if page.events.isEmpty {
                    action = session.pushed(events: 0, bytes: 0, peerHeads: peerHeads, forked: page.forked)
                } else {
                    let reply = try await transport.push(page.events)
                    action = session.pushed(events: reply.accepted, bytes: reply.bytes, peerHeads: reply.heads,
                                            forked: reply.forked.union(page.forked))
                }
            case .done(var report):
                for origin in report.forked { try store.freeze(origin, agreed: report.agreed[origin] ?? 0) }
                report.headsBytes = bytes
                return report
            }
            progress?(session.report)
        }
    }
}

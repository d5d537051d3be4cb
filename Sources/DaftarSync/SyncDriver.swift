import DaftarCore

/// Carries out a ``DaftarCore/SyncSession``'s actions against a log and a transport: each
/// pulled page is verified before the log's transaction opens and committed whole, so an
/// interrupted sync keeps whole pages and the next one resumes from the version vector.
public enum SyncDriver {
    public static func run(
        log: some EventLog, transport: some SyncTransport, progress: (@Sendable (SyncReport) -> Void)? = nil
    ) async throws -> SyncReport {
        var session = SyncSession(
            local: try await log.heads(), frozen: Set(try await log.frozen().keys),
            payloadless: !(try await log.payloadless(limit: 1)).isEmpty)
        var action = session.start()
        var headsBytes = 0
        var peerReplica: ReplicaID? = nil
        var peerFrozen: Set<ReplicaID> = []
        var proofsSent: [ReplicaID: Int64] = [:]  // the agreed seq each sent proof gives
        let agreedAtStart = try await log.frozen().mapValues(\.agreed)
        while true {
            switch action {
            case .fetchHeads:
                let peer = try await transport.heads()
                headsBytes += peer.bytes
                peerReplica = peer.replica
                peerFrozen = peer.frozen
                action = session.handle(.heads(peer.heads, frozen: peer.frozen))

            case .pull(var request):
                request.frozenAt = try await log.frozen().mapValues(\.agreed)
                request.checkpoints = try await log.checkpoints(for: request.checkpointOrigins)
                request.payloadless = try await log.payloadless(limit: PullRequest.maxPayloadless)
                let (page, size) = try await transport.pull(request)
                let verified: VerifiedPage
                do {
                    verified = try ReceivePlanner.verify(page.events)
                } catch {
                    throw DaftarError(.invalidEvent, "\(transport.peerName) sent an invalid page: \(error.message)", cause: error)
                }
                // Freeze on the peer's proven forks before storing the page, so that events
                // depending on the other history are held back.
                let claims = try await log.consider(page.forkClaims)
                let result = try await log.receive(verified)
                var outcome = PullOutcome(
                    stored: result.stored, heldBack: result.heldBack, bytes: size, more: page.more,
                    forks: claims.frozen + result.forks, ignored: claims.ignored, local: try await log.heads())
                outcome.restored = result.restored
                action = session.handle(.pulled(outcome))

            case .push(let peerHeads):
                // What the peer froze it holds proofs of: no evidence, no proofs for those.
                var request = PullRequest(have: peerHeads)
                let frozenHere = try await log.frozen()
                for origin in peerFrozen { request.frozenAt[origin] = frozenHere[origin]?.agreed ?? 0 }
                let page = try await log.page(for: request)
                // Proofs of forks the peer has not frozen, and of forks located more precisely
                // during this sync; once each.
                let proofs = frozenHere.filter { origin, mine in
                    if let sent = proofsSent[origin] { return mine.agreed > sent }
                    return !peerFrozen.contains(origin) || mine.agreed > (agreedAtStart[origin] ?? 0)
                }.sorted { $0.key < $1.key }.compactMap(\.value.proof)
                if page.events.isEmpty && proofs.isEmpty {
                    action = session.handle(.pushed(PushOutcome(sent: 0, accepted: 0, bytes: 0, peerHeads: peerHeads)))
                    break
                }
                for proof in proofs { proofsSent[proof.origin] = proof.agreedSeq ?? 0 }
                peerFrozen.formUnion(proofs.map(\.origin))
                let reply = try await transport.push(PushRequest(events: page.events, forks: proofs))
                // The peer's proofs: believed only when they verify; then frozen here too.
                let claims = try await log.consider(reply.forkClaims)
                peerFrozen.formUnion(claims.verified.map(\.origin))
                action = session.handle(.pushed(PushOutcome(
                    sent: max(1, page.events.count), accepted: reply.accepted, heldBack: reply.heldBack, bytes: reply.bytes,
                    peerHeads: reply.heads, forks: claims.verified, ignored: claims.ignored)))

            case .done(var report):
                report.headsBytes = headsBytes
                report.peerReplica = peerReplica
                report.localHeads = try await log.heads()
                return report

            case .fail(let why):
                throw DaftarError(.protocolMismatch, why)
            }
            progress?(session.report)
        }
    }
}

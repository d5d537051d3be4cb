@testable import DaftarCore
import Testing

/// The sync session as a state machine, fed scripted inputs (STYLE 2): every state × input.
@Suite("Sync session state machine")
struct SyncSessionTests {
    static let x = ReplicaID(rawValue: String(repeating: "a", count: 32))
    static let y = ReplicaID(rawValue: String(repeating: "b", count: 32))

    static func vv(_ entries: [ReplicaID: Int64]) -> VersionVector {
        VersionVector(entries.mapValues { ChainHead(seq: $0, hash: "h\($0)") })
    }

    static func pulled(_ stored: Int, more: Bool, local: VersionVector) -> SyncSession.Input {
        .pulled(PullOutcome(stored: stored, bytes: 10, more: more, local: local))
    }

    static func pushed(sent: Int, accepted: Int, peer: VersionVector) -> SyncSession.Input {
        .pushed(PushOutcome(sent: sent, accepted: accepted, bytes: 10, peerHeads: peer))
    }

    @Test("Agreeing sides: heads, then done, in sync")
    func agreeing() {
        var session = SyncSession(local: Self.vv([Self.x: 3]))
        #expect(session.start() == .fetchHeads)
        guard case .done(let report) = session.handle(.heads(Self.vv([Self.x: 3]), frozen: [])) else {
            Issue.record("expected done")
            return
        }
        #expect(report.inSync)
    }

    @Test("Pull until the target is held, then push until the peer holds ours")
    func pullThenPush() {
        var session = SyncSession(local: Self.vv([Self.x: 3]))
        _ = session.start()
        guard case .pull = session.handle(.heads(Self.vv([Self.y: 4]), frozen: [])) else { Issue.record("expected a pull"); return }
        guard case .pull = session.handle(Self.pulled(2, more: true, local: Self.vv([Self.x: 3, Self.y: 2]))) else {
            Issue.record("expected another pull"); return
        }
        guard case .push(let peerHeads) = session.handle(Self.pulled(2, more: false, local: Self.vv([Self.x: 3, Self.y: 4]))) else {
            Issue.record("expected a push"); return
        }
        #expect(peerHeads == Self.vv([Self.y: 4]))
        guard case .done(let report) = session.handle(Self.pushed(sent: 3, accepted: 3, peer: Self.vv([Self.x: 3, Self.y: 4]))) else {
            Issue.record("expected done"); return
        }
        #expect(report.inSync && report.pulledEvents == 4 && report.pushedEvents == 3)
    }

    @Test("A peer that never advances ends the session after a bounded number of pushes")
    func peerNeverAdvances() {
        var session = SyncSession(local: Self.vv([Self.x: 3]))
        _ = session.start()
        var action = session.handle(.heads(VersionVector(), frozen: []))
        var pushes = 0
        while case .push = action {
            pushes += 1
            action = session.handle(Self.pushed(sent: 3, accepted: 3, peer: VersionVector()))
        }
        guard case .done(let report) = action else { Issue.record("expected done, got \(action)"); return }
        #expect(pushes == SyncSession.maxIdleRounds)
        #expect(report.stopped == .peerDidNotAdvance(rounds: SyncSession.maxIdleRounds))
        #expect(!report.inSync)
        #expect(report.notDelivered(agreed: [:]) == [Self.x: 3])
    }

    @Test("A peer cannot fake progress with made-up origins or heads that go back and forth")
    func fakeProgress() {
        var session = SyncSession(local: Self.vv([Self.x: 5]))
        _ = session.start()
        var action = session.handle(.heads(Self.vv([Self.x: 1]), frozen: []))
        var pushes = 0
        while case .push = action, pushes < 50 {
            pushes += 1
            // Alternates x between 1 and 2, and invents a rising y.
            let claimed = Self.vv([Self.x: Int64(1 + pushes % 2), Self.y: Int64(pushes)])
            action = session.handle(Self.pushed(sent: 4, accepted: 4, peer: claimed))
        }
        guard case .done(let report) = action else { Issue.record("expected done after \(pushes) pushes, got \(action)"); return }
        #expect(pushes <= SyncSession.maxIdleRounds + 1, "pushed \(pushes) times")
        #expect(report.stopped == .peerDidNotAdvance(rounds: SyncSession.maxIdleRounds))
    }

    @Test("A peer that says it has more but sends nothing new stops the pulls")
    func peerSendsNothingNew() {
        var session = SyncSession(local: VersionVector())
        _ = session.start()
        var action = session.handle(.heads(Self.vv([Self.y: 9]), frozen: []))
        var pulls = 0
        while case .pull = action {
            pulls += 1
            action = session.handle(Self.pulled(0, more: true, local: VersionVector()))
        }
        #expect(pulls == SyncSession.maxIdleRounds)
        guard case .done(let report) = action else { Issue.record("expected done, got \(action)"); return }
        #expect(report.stopped == .peerSentNothingNew(rounds: SyncSession.maxIdleRounds))
        #expect(report.notReceived(agreed: [:]) == [Self.y: 9])
    }

    @Test("Unexpected inputs fail loudly in every state", arguments: ["idle", "awaitingHeads", "pulling", "pushing", "finished"])
    func unexpectedInputs(state: String) {
        func session(in state: String) -> SyncSession {
            var session = SyncSession(local: Self.vv([Self.x: 1]))
            switch state {
            case "idle": break
            case "awaitingHeads": _ = session.start()
            case "pulling":
                _ = session.start()
                _ = session.handle(.heads(Self.vv([Self.y: 2]), frozen: []))
            case "pushing":
                _ = session.start()
                _ = session.handle(.heads(VersionVector(), frozen: []))
            default:
                _ = session.start()
                _ = session.handle(.heads(Self.vv([Self.x: 1]), frozen: []))
            }
            return session
        }
        let inputs: [SyncSession.Input] = [
            .heads(VersionVector(), frozen: []), Self.pulled(0, more: false, local: VersionVector()),
            Self.pushed(sent: 1, accepted: 1, peer: VersionVector()),
        ]
        let expected: [String: Int] = ["idle": -1, "awaitingHeads": 0, "pulling": 1, "pushing": 2, "finished": -1]
        for (i, input) in inputs.enumerated() {
            var s = session(in: state)
            let action = s.handle(input)
            if i == expected[state] {
                if case .fail = action { Issue.record("\(state): the expected input \(input.name) failed") }
            } else {
                guard case .fail(let why) = action else {
                    Issue.record("\(state): \(input.name) should fail, got \(action)")
                    continue
                }
                #expect(why.contains(input.name))
            }
        }
        if state != "idle" {
            var s = session(in: state)
            guard case .fail = s.start() else { Issue.record("\(state): a second start() should fail"); return }
        }
    }
}

import DaftarCore
import GRDB

extension Store {
    /// Stores events from another replica (a sync page, a bundle), all or nothing.
    ///
    /// The whole batch is verified before anything is written (DESIGN §2): hashes, chain
    /// links, seals, causal dependencies, and each origin's last event being a seal. Events
    /// already held are skipped, so a re-sent batch is a no-op; an event at a held dot with
    /// another hash is equivocation and refuses the batch. Returns how many events were new.
    @discardableResult
    public func receive(_ events: [Event]) throws -> Int {
        try writer.write { db in
            let held = try Self.versionVector(db)
            var verifier = ChainVerifier(heads: held)
            var fresh: [Event] = []
            let hashAt = try db.cachedStatement(sql: "SELECT hash FROM events WHERE origin = ? AND seq = ?")
            for event in events {
                if let head = verifier.heads[event.origin], event.seq <= head.seq {
                    let stored = try String.fetchOne(hashAt, arguments: [event.origin.rawValue, event.seq])
                        ?? fresh.first(where: { $0.dot == event.dot })?.hash
                    guard stored == event.hash else {
                        throw DaftarError(.invalidEvent, "equivocation: replica \(event.origin) signed two different events at seq \(event.seq); nothing from this batch was stored")
                    }
                    continue
                }
                do throws(EventError) {
                    try verifier.accept(event)
                } catch {
                    throw DaftarError(.invalidEvent, "refused \(error.message); nothing from this batch was stored", cause: error)
                }
                fresh.append(event)
            }
            do throws(EventError) {
                try verifier.requireSealedHeads()
            } catch {
                throw DaftarError(.invalidEvent, "refused: \(error.message); nothing from this batch was stored", cause: error)
            }
            try append(fresh, db)
            return fresh.count
        }
    }
}

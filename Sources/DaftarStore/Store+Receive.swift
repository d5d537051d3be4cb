import DaftarCore

extension Store {
    /// Stores events from another replica (a sync page, a bundle), all or nothing.
    ///
    /// The whole batch is verified before anything is written (DESIGN §2): hashes, chain
    /// links, seals, causal dependencies, and each origin's last event being a seal. Events
    /// already held are skipped, so a re-sent batch is a no-op; an event at a held dot with
    /// another hash is equivocation and refuses the batch (sync uses
    /// ``receivePage(_:freezeForks:)`` to freeze that origin and keep the rest). Returns how
    /// many events were new.
    @discardableResult
    public func receive(_ events: [Event]) throws -> Int {
        try receivePage(events, freezeForks: false).stored
    }
}

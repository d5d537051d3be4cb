import DaftarCore
import Testing

@Suite("Alias groups")
struct AliasGroupsTests {
    typealias Replica = AnnotationMergeTests.Replica

    func replicas() -> (Replica, Replica) { AnnotationMergeTests().replicas() }

    func add(_ r: inout Replica, _ words: [String], at time: Int64) -> Event {
        r.write(EventType.aliasAdded.name, ["words": .array(words.map(JSONValue.string))], at: time)
    }

    func remove(_ r: inout Replica, _ words: [String], at time: Int64) -> Event {
        r.write(EventType.aliasRemoved.name, ["words": .array(words.map(JSONValue.string))], at: time)
    }

    /// The groups as folded words; the same in every order the events may arrive in.
    func groups(_ events: [Event], seed: UInt64 = 7) -> [[String]] {
        let resolved = AliasGroups.resolve(events)
        var rng = SplitMix64(seed: seed)
        for _ in 0..<20 { #expect(AliasGroups.resolve(events.shuffled(using: &rng)) == resolved, "order changed the groups") }
        return resolved.map { $0.map(\.folded) }
    }

    @Test func addMakesOneGroupAndSharedSpellingsJoinGroups() {
        var (a, _) = replicas()
        let first = add(&a, ["شویگو", "شایگو"], at: 1)
        let second = add(&a, ["شوئیگو", "شايگو"], at: 2)  // Arabic yeh: the same as شایگو
        #expect(groups([first, second]) == [["شایگو", "شویگو", "شوییگو"]])
        // Shown as first written.
        #expect(AliasGroups.resolve([first, second])[0].map(\.spelling) == ["شایگو", "شویگو", "شوئیگو"])
    }

    @Test func removeTakesOutWhatItSawAndConcurrentAddsWin() {
        var (a, b) = replicas()
        let added = add(&a, ["شویگو", "شایگو", "شوئیگو"], at: 1)
        b.see(a)
        let removed = remove(&b, ["شوئیگو"], at: 2)
        #expect(groups([added, removed]) == [["شایگو", "شویگو"]])
        // Alice, not having seen the remove, links the spelling again: her add stays.
        let again = add(&a, ["شوئیگو", "شویگو"], at: 3)
        #expect(groups([added, removed, again]) == [["شایگو", "شویگو", "شوییگو"]])
        // Removing the last but one spelling leaves no group.
        b.see(a)
        let emptied = remove(&b, ["شایگو", "شوئیگو"], at: 4)
        #expect(groups([added, removed, again, emptied]) == [])
    }

    @Test func randomHistoriesConvergeInAnyOrder() {
        let words = ["الف", "ب‌ب", "پپ", "تت", "ثث", "جج"]
        for seed in UInt64(1)...30 {
            var rng = SplitMix64(seed: seed)
            var (a, b) = replicas()
            var events: [Event] = []
            for step in 0..<12 {
                let pick = Array(words.shuffled(using: &rng).prefix(Int.random(in: 1...3, using: &rng)))
                let onA = Bool.random(using: &rng)
                let event: Event
                if Int.random(in: 0..<3, using: &rng) == 0 {
                    event = onA ? remove(&a, pick, at: Int64(step)) : remove(&b, pick, at: Int64(step))
                } else {
                    event = onA ? add(&a, pick, at: Int64(step)) : add(&b, pick, at: Int64(step))
                }
                events.append(event)
                if Int.random(in: 0..<4, using: &rng) == 0 { a.see(b); b.see(a) }
            }
            let result = groups(events, seed: seed)
            #expect(result.allSatisfy { $0.count >= 2 })
            #expect(Set(result.joined()).count == result.joined().count, "a spelling in two groups")
        }
    }
}

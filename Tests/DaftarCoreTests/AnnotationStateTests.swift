@testable import DaftarCore
import Foundation
import Testing

/// The merge rules as first written: every rule a filter over all of an annotation's events
/// (quadratic, plainly a function of the set). The incremental ``AnnotationState`` must give
/// exactly what these give, for every set of events and every causal order of arrival.
enum BatchMerge {
    static func batchRegister(_ writes: [(String, Event)]) -> Register {
        let latest = writes.filter { w in !writes.contains { other in w.1.happened(before: other.1) } }
        return Register(latest: latest.map { RegisterValue(value: $0.0, dot: $0.1.dot, author: $0.1.author, time: $0.1.time, hash: $0.1.hash) })
    }

    static func resolve(_ events: [Event]) -> AnnotationView? {
        func string(_ e: Event, _ key: String) -> String? { e.data?[key]?.stringValue }
        let creates = events.filter { $0.is(.annotationCreated) && $0.data != nil }
            .sorted { ($0.time, $0.origin, $0.seq) < ($1.time, $1.origin, $1.seq) }
        guard let create = creates.first, let data = create.data,
            let id = string(create, "annotation"), let article = string(create, "article"),
            let target = data["target"], let exact = target["exact"]?.stringValue,
            let start = target["start"]?.intValue, let end = target["end"]?.intValue
        else { return nil }

        let edits = events.filter { $0.is(.annotationEdited) && $0.data != nil }
        let writers = creates + edits
        let note = batchRegister( writers.compactMap { e in string(e, "note").map { ($0, e) } })
        let motivation = batchRegister( writers.compactMap { e in string(e, "motivation").map { ($0, e) } })

        var adds: [(String, Event)] = []
        for c in creates { for tag in c.data?["tags"]?.arrayValue ?? [] { if let t = tag.stringValue { adds.append((t, c)) } } }
        adds += events.filter { $0.is(.annotationTagged) }.compactMap { e in string(e, "tag").map { ($0, e) } }
        let removes = events.filter { $0.is(.annotationUntagged) }.compactMap { e in string(e, "tag").map { ($0, e) } }
        let tags = ObservedRemoveSet.entries(adds: adds, removes: removes)

        let deletes = events.filter { $0.is(.annotationDeleted) }
        let restores = events.filter { $0.is(.annotationRestored) }
        let effective = deletes.filter { d in !restores.contains { d.happened(before: $0) } }
        let changes = events.filter { $0.eventType.map(EventType.annotationChanges.contains) ?? false }
        let decisions = deletes + restores
        var concurrent: [RegisterValue] = []
        for e in changes {
            let clashes = effective.contains { d in
                e.isConcurrent(with: d) && !decisions.contains { x in e.happened(before: x) && d.happened(before: x) }
            }
            if clashes {
                concurrent.append(RegisterValue(
                    value: string(e, "note") ?? string(e, "tag").map { "\(e.is(.annotationTagged) ? "+" : "-")#\($0)" } ?? string(e, "motivation") ?? "",
                    dot: e.dot, author: e.author, time: e.time, hash: e.hash))
            }
        }
        concurrent.sort { ($0.time, $0.dot.origin, $0.dot.seq) < ($1.time, $1.dot.origin, $1.dot.seq) }

        return AnnotationView(
            id: id, article: article,
            anchor: TextAnchor(exact: exact, prefix: target["prefix"]?.stringValue ?? "", suffix: target["suffix"]?.stringValue ?? "",
                               start: Int(start), end: Int(end)),
            note: note, motivation: motivation, tagEntries: tags,
            deleted: !effective.isEmpty, editsConcurrentWithDelete: concurrent,
            creator: string(create, "creator") ?? create.author,
            created: create.time, createdText: string(create, "created"),
            modified: events.map(\.time).max() ?? create.time,
            createdBy: create.dot)
    }
}

@Suite("Annotation state, applied event by event")
struct AnnotationStateTests {
    static var seeds: [UInt64] {
        if let text = ProcessInfo.processInfo.environment["DAFTAR_TEST_SEED"], let seed = UInt64(text) { return [seed] }
        return Array(1...40)
    }

    let id = "11111111-2222-4333-8444-555555555555"

    /// A replica of the simulation: its composer, what it holds, and its version vector.
    struct Replica {
        let composer: EventComposer
        var held: [Event] = []
        var vv = VersionVector()

        mutating func write(_ type: EventType, _ data: JSONValue, at time: Int64) -> Event {
            let event = composer.compose([EventDraft(type, data)], on: vv, time: time)[0]
            receive(event)
            return event
        }

        mutating func receive(_ event: Event) {
            guard !held.contains(where: { $0.dot == event.dot }) else { return }
            held.append(event)
            vv[event.origin] = ChainHead(seq: event.seq, hash: event.hash)
        }
    }

    /// Three replicas write creates, edits, tags, untags, deletes and restores of one
    /// annotation and sync partially in between; then every event is delivered to a fresh
    /// state in a random causal order and the state is compared with the batch rules.
    @Test(arguments: seeds)
    func stateEqualsTheBatchRulesInAnyCausalOrder(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var replicas = ["Alice", "Bob", "Sara"].map { Replica(composer: EventComposer(identity: Identity.generate(), author: $0)) }
        let tags = ["ایران", "ايران", "روسیه", "تحریم"]
        var time: Int64 = 1
        _ = replicas[0].write(.annotationCreated, [
            "annotation": .string(id), "article": "a", "note": "آغاز", "motivation": "commenting",
            "target": ["exact": "x", "prefix": "", "suffix": "", "start": 0, "end": 1], "tags": ["ایران"],
        ], at: time)
        for _ in 0..<Int.random(in: 10...60, using: &rng) {
            time += Int64.random(in: -3...5, using: &rng)  // clocks that disagree, too
            let r = Int.random(in: 0..<3, using: &rng)
            guard !replicas[r].held.isEmpty else {
                replicas[r].receive(replicas[0].held[0])
                continue
            }
            switch Int.random(in: 0..<10, using: &rng) {
            case 0...2: _ = replicas[r].write(.annotationEdited, ["annotation": .string(id), "note": .string("یادداشت \(Int.random(in: 0..<4, using: &rng))")], at: time)
            case 3: _ = replicas[r].write(.annotationEdited, ["annotation": .string(id), "motivation": .string(["questioning", "commenting"].randomElement(using: &rng)!)], at: time)
            case 4: _ = replicas[r].write(.annotationTagged, ["annotation": .string(id), "tag": .string(tags.randomElement(using: &rng)!)], at: time)
            case 5: _ = replicas[r].write(.annotationUntagged, ["annotation": .string(id), "tag": .string(tags.randomElement(using: &rng)!)], at: time)
            case 6: _ = replicas[r].write(.annotationDeleted, ["annotation": .string(id)], at: time)
            case 7: _ = replicas[r].write(.annotationRestored, ["annotation": .string(id)], at: time)
            default:
                // A partial sync: another replica's events, in its order, up to a random point.
                let from = replicas[Int.random(in: 0..<3, using: &rng)]
                for event in from.held.prefix(Int.random(in: 0...from.held.count, using: &rng)) {
                    if replicas[r].vv.clock.includes(event.dot) { continue }
                    guard event.clock.entries.allSatisfy({ o, n in o == event.origin || replicas[r].vv.clock[o] >= n }),
                          event.seq == replicas[r].vv.clock[event.origin] + 1 else { break }
                    replicas[r].receive(event)
                }
            }
        }
        var all: [Event] = []
        for replica in replicas { for e in replica.held where !all.contains(where: { $0.dot == e.dot }) { all.append(e) } }
        let expected = try #require(BatchMerge.resolve(all), "seed \(seed)")

        // Each replica's own view, event by event, and the whole set in random causal orders.
        for replica in replicas {
            var state = AnnotationState()
            for (i, event) in replica.held.enumerated() {
                state.apply(event) { clock in replica.held.prefix(i + 1).filter { $0.eventType.map(EventType.annotationChanges.contains) ?? false && !clock.includes($0.dot) } }
            }
            #expect(state.view == BatchMerge.resolve(replica.held), "seed \(seed): \(replica.composer.author) differs from the batch rules")
            // Stored as JSON by hand, in the shape Codable gives: each reads the other's.
            #expect(try AnnotationState(json: JSONValue.parse(state.json.canonicalBytes)) == state, "seed \(seed)")
            #expect(try JSONDecoder().decode(AnnotationState.self, from: Data(state.json.canonicalBytes)) == state, "seed \(seed)")
            #expect(try AnnotationState(json: JSONValue.parse(Array(JSONEncoder().encode(state)))) == state, "seed \(seed)")
        }
        for _ in 0..<3 {
            var pending = all, delivered: [Event] = [], state = AnnotationState()
            while !pending.isEmpty {
                let ready = pending.indices.filter { i in
                    let e = pending[i]
                    return e.clock.entries.allSatisfy { o, n in
                        let held = delivered.filter { $0.origin == o }.map(\.seq).max() ?? 0
                        return o == e.origin ? held == n - 1 : held >= n
                    }
                }
                let pick = try #require(ready.randomElement(using: &rng), "seed \(seed): nothing can be delivered")
                let event = pending.remove(at: pick)
                delivered.append(event)
                state.apply(event) { clock in delivered.filter { $0.eventType.map(EventType.annotationChanges.contains) ?? false && !clock.includes($0.dot) } }
            }
            #expect(state.view == expected, "seed \(seed): a causal order gave another view than the batch rules")
        }
        #expect(AnnotationView.resolve(all.shuffled(using: &rng)) == expected, "seed \(seed): resolve differs from the batch rules")
    }

    /// The state kept for an annotation edited many times in a row stays one write long.
    @Test func sequentialEditsKeepOneWrite() throws {
        var replica = Replica(composer: EventComposer(identity: Identity.generate(), author: "Alice"))
        var state = AnnotationState()
        let create = replica.write(.annotationCreated, [
            "annotation": .string(id), "article": "a", "note": "0", "motivation": "commenting",
            "target": ["exact": "x", "prefix": "", "suffix": "", "start": 0, "end": 1],
        ], at: 1)
        state.apply(create) { _ in [] }
        var size = 0
        for n in 1...300 {
            let edit = replica.write(.annotationEdited, ["annotation": .string(id), "note": .string("\(n)")], at: Int64(n + 1))
            state.apply(edit) { _ in Issue.record("a note edit asked for the changes"); return [] }
            let bytes = try JSONEncoder().encode(state).count
            if n == 10 { size = bytes }
            if n > 10 { #expect(bytes <= size + 8, "the state grew with the edits: \(bytes) bytes after \(n)") }
        }
        #expect(state.view?.note.values.map(\.value) == ["300"])
    }
}

import DaftarCore
import Testing

@Suite("Annotation merge rules")
struct AnnotationMergeTests {
    let alice = Identity.generate(), bob = Identity.generate()
    let id = "11111111-2222-4333-8444-555555555555"

    /// A tiny simulated pair of replicas: each keeps its version vector; `sync` merges them.
    struct Replica {
        let composer: EventComposer
        var vv = VersionVector()
        mutating func write(_ type: String, _ data: JSONValue, at time: Int64) -> Event {
            let event = composer.compose([EventDraft(type: type, data: data)], on: vv, time: time)[0]
            vv[event.origin] = ChainHead(seq: event.seq, hash: event.hash)
            return event
        }
        mutating func see(_ other: Replica) {
            for (origin, head) in other.vv.heads where (vv[origin]?.seq ?? 0) < head.seq { vv[origin] = head }
        }
    }

    func replicas() -> (Replica, Replica) {
        (Replica(composer: EventComposer(identity: alice, author: "Alice")), Replica(composer: EventComposer(identity: bob, author: "Bob")))
    }

    func created(_ r: inout Replica, note: String = "", tags: [JSONValue] = []) -> Event {
        r.write("annotation.created", [
            "annotation": .string(id), "article": "a", "note": .string(note), "motivation": "commenting",
            "target": ["exact": "x", "prefix": "", "suffix": "", "start": 0, "end": 1], "tags": .array(tags),
        ], at: 1)
    }

    func resolve(_ events: [Event], _ seed: UInt64 = 1) throws -> AnnotationView {
        var rng = SplitMix64(seed: seed)
        let view = try #require(AnnotationView.resolve(events))
        for _ in 0..<5 { #expect(AnnotationView.resolve(events.shuffled(using: &rng)) == view, "order changed the result") }
        return view
    }

    @Test func concurrentEditsAreAConflictUntilAnEditSeesBoth() throws {
        var (a, b) = replicas()
        let c = created(&a, note: "first")
        b.see(a)
        let ea = a.write("annotation.edited", ["annotation": .string(id), "note": "from alice"], at: 5)
        let eb = b.write("annotation.edited", ["annotation": .string(id), "note": "from bob"], at: 7)
        var view = try resolve([c, ea, eb])
        #expect(view.note.inConflict)
        #expect(Set(view.note.values.map(\.value)) == ["from alice", "from bob"])
        #expect(view.note.displayed?.value == "from bob")  // greatest time
        #expect(view.inConflict)
        a.see(b)
        let fix = a.write("annotation.edited", ["annotation": .string(id), "note": "merged"], at: 9)
        view = try resolve([c, ea, eb, fix])
        #expect(!view.inConflict)
        #expect(view.note.values.map(\.value) == ["merged"])
    }

    @Test func equalConcurrentValuesAreNoConflict() throws {
        var (a, b) = replicas()
        let c = created(&a)
        b.see(a)
        let ea = a.write("annotation.edited", ["annotation": .string(id), "note": "same"], at: 5)
        let eb = b.write("annotation.edited", ["annotation": .string(id), "note": "same"], at: 6)
        let view = try resolve([c, ea, eb])
        #expect(view.note.values.count == 2)
        #expect(!view.note.inConflict && !view.inConflict)
        #expect(view.note.displayed?.value == "same")
    }

    @Test func tagsAreAnObservedRemoveSet() throws {
        var (a, b) = replicas()
        let c = created(&a, tags: ["ايران"])  // Arabic yeh, first written
        b.see(a)
        let addAgain = a.write("annotation.tagged", ["annotation": .string(id), "tag": "ایران"], at: 3)
        let remove = b.write("annotation.untagged", ["annotation": .string(id), "tag": "ایران"], at: 4)
        // Bob's remove saw only the creation's add; Alice's concurrent add wins.
        var view = try resolve([c, addAgain, remove])
        #expect(view.tags == [Tag.key("ایران"): "ایران"])
        a.see(b)
        let removeAll = a.write("annotation.untagged", ["annotation": .string(id), "tag": "ايران"], at: 8)
        view = try resolve([c, addAgain, remove, removeAll])
        #expect(view.tags.isEmpty)
    }

    @Test func tagSpellingIsTheFirstWritten() throws {
        var (a, b) = replicas()
        let c = created(&a)
        b.see(a)
        let late = a.write("annotation.tagged", ["annotation": .string(id), "tag": "روسیه"], at: 9)
        let early = b.write("annotation.tagged", ["annotation": .string(id), "tag": "روسيه"], at: 2)
        #expect(try resolve([c, late, early]).tags.values.first == "روسيه")
    }

    @Test func editConcurrentWithDeleteIsListedUntilDecided() throws {
        var (a, b) = replicas()
        let c = created(&a, note: "n")
        b.see(a)
        let delete = a.write("annotation.deleted", ["annotation": .string(id)], at: 5)
        let edit = b.write("annotation.edited", ["annotation": .string(id), "note": "edited"], at: 6)
        var view = try resolve([c, delete, edit])
        #expect(view.deleted)
        #expect(view.editsConcurrentWithDelete.map(\.value) == ["edited"])
        #expect(view.inConflict)

        // Deciding to restore, having seen both:
        var decider = a
        decider.see(b)
        let restore = decider.write("annotation.restored", ["annotation": .string(id)], at: 8)
        view = try resolve([c, delete, edit, restore])
        #expect(!view.deleted && !view.inConflict)
        #expect(view.note.displayed?.value == "edited")

        // …or to delete again, having seen both:
        let deleteAgain = decider.composer.compose([EventDraft(type: "annotation.deleted", data: ["annotation": .string(id)])], on: {
            var vv = a.vv
            vv.heads.merge(b.vv.heads) { x, y in x.seq >= y.seq ? x : y }
            return vv
        }(), time: 8)[0]
        view = try resolve([c, delete, edit, deleteAgain])
        #expect(view.deleted && !view.inConflict)
    }

    @Test func deleteThenRestoreThenDeleteFollowsCausality() throws {
        var (a, _) = replicas()
        let c = created(&a)
        let d1 = a.write("annotation.deleted", ["annotation": .string(id)], at: 2)
        let r1 = a.write("annotation.restored", ["annotation": .string(id)], at: 3)
        #expect(try !resolve([c, d1, r1]).deleted)
        let d2 = a.write("annotation.deleted", ["annotation": .string(id)], at: 4)
        #expect(try resolve([c, d1, r1, d2]).deleted)
    }

    @Test func withoutACreationThereIsNoAnnotation() {
        var (a, _) = replicas()
        let e = a.write("annotation.edited", ["annotation": .string(id), "note": "x"], at: 1)
        #expect(AnnotationView.resolve([e]) == nil)
    }
}

@Suite("Quote anchoring")
struct AnchoringTests {
    @Test func foldedMatchMapsBackToTheOriginal() {
        let body = "در «بینالمللی» و بین المللی، روسیه"
        let anchoring = Anchoring(body: body)
        let joined = anchoring.occurrences(of: "بين‌المللي")  // Arabic yeh, ZWNJ
        #expect(joined.map { anchoring.text($0) } == ["بینالمللی", "بین المللی"])
        #expect(anchoring.occurrences(of: "روسيه").map { anchoring.text($0) } == ["روسیه"])
        #expect(anchoring.occurrences(of: "بین المللی", prefix: "و", suffix: nil).map { anchoring.text($0) } == ["بین المللی"])
    }

    /// Hamza forms anchor as search folds them: a quote typed with `رئیس` or `ارتقاء` finds the
    /// text written `رییس` or `ارتقا`, and the reverse; the passage marked is the text's own.
    @Test func hamzaFormsAnchorAsSearchFoldsThem() {
        let body = "رییس سازمان از ارتقاء همکاری و ارائه گزارش گفت؛ جزء دوم ماند."
        let anchoring = Anchoring(body: body)
        #expect(anchoring.occurrences(of: "رئیس سازمان").map { anchoring.text($0) } == ["رییس سازمان"])
        #expect(anchoring.occurrences(of: "ارتقا همکاری").map { anchoring.text($0) } == ["ارتقاء همکاری"])
        #expect(anchoring.occurrences(of: "ارایه").map { anchoring.text($0) } == ["ارائه"])
        #expect(anchoring.occurrences(of: "ارتقاء").map { anchoring.text($0) } == ["ارتقاء"])
        #expect(anchoring.occurrences(of: "ارتقا").map { anchoring.text($0) } == ["ارتقاء"], "the passage takes the word's dropped hamza")
        #expect(anchoring.occurrences(of: "جز دوم").isEmpty, "a hamza after a consonant is a letter")
    }

    /// A passage never stops before its last letter's combining marks: a final kasra or a
    /// hamza above is part of the quote, not the start of the suffix.
    @Test func aPassageKeepsItsFinalMarks() {
        let body = "کتابِ تازهٔ او و خانهٔ ما"
        let anchoring = Anchoring(body: body)
        #expect(anchoring.occurrences(of: "کتاب").map { anchoring.text($0) } == ["کتابِ"])
        #expect(anchoring.occurrences(of: "تازه").map { anchoring.text($0) } == ["تازهٔ"])
        #expect(anchoring.occurrences(of: "خانه ما").map { anchoring.text($0) } == ["خانهٔ ما"])
        let match = anchoring.occurrences(of: "کتاب")[0]
        let anchor = TextAnchor(body: anchoring.body, start: match.lowerBound, end: match.upperBound)
        #expect(anchor.suffix.unicodeScalars.first == " ")
    }

    @Test func wholeWordsAreTold() {
        let anchoring = Anchoring(body: "برنامه اتمی و اتم، و «اتم‌ها»")
        let found = anchoring.occurrences(of: "اتم")
        #expect(found.count == 3)
        #expect(found.filter(anchoring.isWholeWords).map { anchoring.text($0) } == ["اتم"])
        #expect(anchoring.isWholeWords(anchoring.occurrences(of: "برنامه اتمی")[0]))
    }

    @Test func closestPassageForAMissingQuote() throws {
        let anchoring = Anchoring(body: "وزارت دفاع روسیه اعلام کرد")
        let closest = try #require(anchoring.closestPassage(to: "دفاع چین"))
        #expect(anchoring.text(closest).hasPrefix("دفاع"))
        #expect(anchoring.closestPassage(to: "xyz") == nil)
    }

    @Test func anchorKeepsContext() {
        let body = Array(String(repeating: "الف ", count: 20).unicodeScalars) + Array("هدف".unicodeScalars) + Array(" ب".unicodeScalars)
        let anchor = TextAnchor(body: body, start: 80, end: 83)
        #expect(anchor.exact == "هدف")
        #expect(anchor.prefix.unicodeScalars.count == TextAnchor.contextLength)
        #expect(anchor.suffix == " ب")
    }
}

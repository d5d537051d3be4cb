import DaftarCore
import Testing

@Suite("A page as sent")
struct PageEncodingTests {
    /// A log that keeps its events' canonical bytes splices them into the page (the hub does);
    /// the bytes must be exactly the page's canonical JSON, with or without them, fork proofs,
    /// Persian text and `more` included.
    @Test func splicedBytesAreThePagesCanonicalJSON() {
        let alice = EventComposer(identity: Identity.generate(), author: "Alice")
        var vv = VersionVector()
        var events: [Event] = []
        for (i, note) in ["یادداشت", "نوشته‌ای با نیم‌فاصله", "\u{1F600} and \u{FB33}"].enumerated() {
            let event = alice.compose(
                [EventDraft(.annotationCreated, ["annotation": .string("a\(i)"), "article": "x", "note": .string(note)])],
                on: vv, time: Int64(i + 1))[0]
            vv[event.origin] = ChainHead(seq: event.seq, hash: event.hash)
            events.append(event)
        }
        let forker = EventComposer(identity: Identity.generate(), author: "Bob")
        let one = forker.compose([EventDraft(.annotationTagged, ["annotation": "a0", "tag": "یک"])], on: VersionVector(), time: 7)
        let two = forker.compose([EventDraft(.annotationTagged, ["annotation": "a0", "tag": "دو"])], on: VersionVector(), time: 8)
        let proof = ForkProof(origin: one[0].origin, seq: 1, one, two)
        for page in [
            Page(events: events, heads: vv, more: true, forks: [proof]), Page(events: [], heads: VersionVector(), more: false),
        ] {
            #expect(page.canonicalBytes { _ in nil } == page.json.canonicalBytes)
            #expect(page.canonicalBytes { $0.canonicalBytes } == page.json.canonicalBytes)
        }
    }
}

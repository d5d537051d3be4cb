import DaftarCore
@testable import DaftarStore
import Foundation
import Testing

/// Annotations through the Store API, on the five seed articles.
@Suite("Annotations in the store")
struct AnnotationStoreTests {
    static let s000 = "000_1ecfb78ca4866ac4.txt", s001 = "001_e43867a11d68460e.txt", s002 = "002_0a9e599e7ddfaa65.txt"
    static let s003 = "003_8fc7de84c5610d4c.txt", s004 = "004_8002fddc3a075398.txt"
    static let seeds = [s000, s001, s002, s003, s004]

    let fixture: StoreFixture
    let store: Store
    /// Seed file name → article id.
    let ids: [String: String]

    init() throws {
        (fixture, store, ids) = try Self.seededStore()
    }

    static func seededStore() throws -> (StoreFixture, Store, [String: String]) {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        try store.ingest(StoreFixture.seedFiles())
        let ids = Dictionary(uniqueKeysWithValues: try store.articles().map { ($0.file, $0.id) })
        return (fixture, store, ids)
    }

    func id(_ seed: String) -> String { ids[seed]! }

    func scalars(_ seed: String) throws -> [Unicode.Scalar] { Array(try store.article(id(seed)).body.unicodeScalars) }

    static func text(_ scalars: [Unicode.Scalar], _ range: Range<Int>) -> String {
        String(String.UnicodeScalarView(scalars[range]))
    }

    /// Exact (unfolded) occurrences of `needle` in `body`, in reading order.
    static func positions(of needle: String, in body: [Unicode.Scalar]) -> [Int] {
        let n = Array(needle.unicodeScalars)
        guard n.count <= body.count else { return [] }
        return (0...(body.count - n.count)).filter { Array(body[$0..<$0 + n.count]) == n }
    }

    static func quote(_ q: String, prefix: String? = nil, suffix: String? = nil, occurrence: Int? = nil) -> AnnotationTarget {
        .quote(q, prefix: prefix, suffix: suffix, occurrence: occurrence)
    }

    /// The anchor is the body's own text at start..<end, with ≤32 scalars of context.
    func expectAnchorIsBodyText(_ view: AnnotationView, _ seed: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let body = try scalars(seed)
        let a = view.anchor
        #expect(view.article == id(seed), sourceLocation: sourceLocation)
        #expect(a.start >= 0 && a.start < a.end && a.end <= body.count, sourceLocation: sourceLocation)
        guard a.start >= 0, a.start < a.end, a.end <= body.count else { return }
        #expect(a.exact == Self.text(body, a.start..<a.end), sourceLocation: sourceLocation)
        #expect(a.prefix == Self.text(body, max(0, a.start - 32)..<a.start), sourceLocation: sourceLocation)
        #expect(a.suffix == Self.text(body, a.end..<min(body.count, a.end + 32)), sourceLocation: sourceLocation)
        #expect(a.prefix.unicodeScalars.count <= 32 && a.suffix.unicodeScalars.count <= 32, sourceLocation: sourceLocation)
    }

    /// Runs `body`, which must throw a DaftarError with `code` (and a message containing
    /// `containing`), and checks that neither the digest nor the event count changed.
    func expectRefused(
        _ code: DaftarError.Code, containing: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) throws {
        let digest = try store.digest()
        let events = try store.count("events")
        do {
            try body()
            Issue.record("expected a DaftarError \(code), but nothing was thrown", sourceLocation: sourceLocation)
        } catch let error as DaftarError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            if let containing {
                #expect(error.message.contains(containing), "\(error.message)", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("expected a DaftarError \(code), got \(error)", sourceLocation: sourceLocation)
        }
        #expect(try store.digest() == digest, "the digest changed", sourceLocation: sourceLocation)
        #expect(try store.count("events") == events, "events were written", sourceLocation: sourceLocation)
    }

    // MARK: 1. Anchoring

    @Test func arabicLettersAnchorOnThePersianText() throws {
        let view = try store.annotate(article: id(Self.s003), target: Self.quote("پيمان همكاري جامع"), note: "پیمان")
        #expect(view.anchor.exact == "پیمان همکاری جامع")
        try expectAnchorIsBodyText(view, Self.s003)
        let body = try scalars(Self.s003)
        #expect(Self.positions(of: "پیمان همکاری جامع", in: body) == [view.anchor.start])
        #expect(view.anchor.end - view.anchor.start == "پیمان همکاری جامع".unicodeScalars.count)
        // Stored as read back.
        #expect(try store.annotation(view.id) == view)
        #expect(try store.annotations(article: id(Self.s003)).map(\.id) == [view.id])
    }

    @Test func spaceWhereTheTextJoinsAnchors() throws {
        // Seed 000 writes «امنیت بینالمللی»; the quote has a space (and alone «بین المللی»
        // occurs three times there).
        let view = try store.annotate(article: id(Self.s000), target: Self.quote("امنیت بین المللی"))
        #expect(view.anchor.exact == "امنیت بینالمللی")
        try expectAnchorIsBodyText(view, Self.s000)
        #expect(view.motivation.displayed?.value == "highlighting")
    }

    @Test func zwnjInTheQuoteAnchorsOnTextWithout() throws {
        let view = try store.annotate(article: id(Self.s000), target: Self.quote("تطبیق\u{200C}پذیری"))
        #expect(view.anchor.exact == "تطبیقپذیری")
        try expectAnchorIsBodyText(view, Self.s000)
    }

    /// `اتم` is the word, not the start of `اتمی`: a whole-word occurrence is taken when there
    /// is one; only the same letters inside longer words are still found when there is none.
    @Test func aWholeWordIsPreferredToTheSameLettersInsideAWord() throws {
        let path = try fixture.write("atom/atom.txt", "عنوان\nبرنامه اتمی ایران و اتم‌ها در گفت‌وگو از اتم گفتند.")
        let article = try store.ingest([try SourceFile.read(path: path)])[0].articleID
        let view = try store.annotate(article: article, target: Self.quote("اتم"))
        #expect(view.anchor.exact == "اتم")
        #expect(view.anchor.prefix.hasSuffix("گفت‌وگو از "))
        let partial = try store.annotate(article: article, target: Self.quote("برنامه اتم"))
        #expect(partial.anchor.exact == "برنامه اتم")
    }

    @Test func repeatedQuoteIsAmbiguousWithoutAChoice() throws {
        try expectRefused(.ambiguousQuote) {
            _ = try store.annotate(article: id(Self.s003), target: Self.quote("پوتین"), note: "x")
        }
        #expect(try store.annotations(includeDeleted: true).isEmpty)
    }

    @Test func occurrencePicksInReadingOrder() throws {
        let body = try scalars(Self.s003)
        let all = Self.positions(of: "پوتین", in: body)
        #expect(all.count >= 3)
        let view = try store.annotate(article: id(Self.s003), target: Self.quote("پوتين", occurrence: 2))
        #expect(view.anchor.start == all[1])
        #expect(view.anchor.exact == "پوتین")
        try expectAnchorIsBodyText(view, Self.s003)
        // An occurrence past the last is refused.
        try expectRefused(.badInput) {
            _ = try store.annotate(article: id(Self.s003), target: Self.quote("پوتین", occurrence: all.count + 1))
        }
    }

    @Test func prefixPicksTheMatchingOccurrence() throws {
        let body = try scalars(Self.s003)
        let expected = Self.positions(of: "دیدار پزشکیان و پوتین", in: body)
        #expect(expected.count == 1)
        let view = try store.annotate(article: id(Self.s003), target: Self.quote("پوتین", prefix: "ديدار پزشكيان و "))
        #expect(view.anchor.start == expected[0] + "دیدار پزشکیان و ".unicodeScalars.count)
        #expect(view.anchor.prefix.hasSuffix("دیدار پزشکیان و "))
        try expectAnchorIsBodyText(view, Self.s003)
    }

    @Test func missingQuoteNamesTheClosestPassage() throws {
        try expectRefused(.notFound, containing: "closest passage") {
            _ = try store.annotate(article: id(Self.s003), target: Self.quote("پیمان همکاری جامع فضایی"))
        }
        try expectRefused(.notFound) {
            _ = try store.annotate(article: id(Self.s003), target: Self.quote("ژژژژ"))
        }
    }

    @Test(arguments: [(-1, 5), (10, 10), (20, 10), (0, 1_000_000)])
    func positionsOutOfRangeAreRefused(_ range: (Int, Int)) throws {
        try expectRefused(.badInput) {
            _ = try store.annotate(article: id(Self.s003), target: .positions(start: range.0, end: range.1))
        }
    }

    @Test func positionsInRangeAnchorOnTheBodyText() throws {
        let view = try store.annotate(article: id(Self.s001), target: .positions(start: 40, end: 60))
        #expect(view.anchor.start == 40 && view.anchor.end == 60)
        try expectAnchorIsBodyText(view, Self.s001)
    }

    @Test func unknownMotivationIsRefused() throws {
        try expectRefused(.badInput, containing: "pondering") {
            _ = try store.annotate(article: id(Self.s003), target: Self.quote("پیمان همکاری جامع"), motivation: "pondering")
        }
    }

    @Test func unknownArticleIsRefused() throws {
        try expectRefused(.notFound) {
            _ = try store.annotate(article: String(repeating: "0", count: 64), target: Self.quote("پوتین"))
        }
    }

    // MARK: 2. Edit, delete, restore, tags

    @Test func editChangesNoteAndMotivation() throws {
        let view = try store.annotate(article: id(Self.s003), target: Self.quote("پیمان همکاری جامع"), note: "اول")
        #expect(view.note.displayed?.value == "اول")
        #expect(view.motivation.displayed?.value == "commenting")

        let edited = try store.edit(annotation: view.id, note: "دوم", motivation: nil)
        #expect(edited.note.displayed?.value == "دوم")
        #expect(edited.motivation.displayed?.value == "commenting")
        #expect(!edited.inConflict)
        #expect(edited.anchor == view.anchor)

        let requalified = try store.edit(annotation: view.id, note: nil, motivation: "questioning")
        #expect(requalified.note.displayed?.value == "دوم")
        #expect(requalified.motivation.displayed?.value == "questioning")
        #expect(try store.annotations().first == requalified)

        try expectRefused(.badInput) { _ = try store.edit(annotation: view.id, note: nil, motivation: "pondering") }
        try expectRefused(.badInput) { _ = try store.edit(annotation: view.id, note: nil, motivation: nil) }
    }

    static let unknownAnnotation = "00000000-0000-4000-8000-000000000000"

    @Test
    func editOfAnUnknownAnnotationWritesNothing() throws {
        try expectRefused(.notFound) {
            _ = try store.edit(annotation: Self.unknownAnnotation, note: "x", motivation: nil)
        }
    }

    @Test func deleteOrRestoreOfAnUnknownAnnotationWritesNothing() throws {
        try expectRefused(.notFound) { try store.setDeleted(annotation: Self.unknownAnnotation, true) }
        try expectRefused(.notFound) { try store.setDeleted(annotation: Self.unknownAnnotation, false) }
    }

    @Test
    func tagOfAnUnknownAnnotationWritesNothing() throws {
        try expectRefused(.notFound) { try store.setTags(["ایران"], on: .annotation(Self.unknownAnnotation), add: true) }
    }

    @Test
    func tagOfAnUnknownArticleWritesNothing() throws {
        try expectRefused(.notFound) { try store.setTags(["ایران"], on: .article(String(repeating: "0", count: 64)), add: true) }
    }

    @Test func deleteHidesRestoreBringsBack() throws {
        let a = try store.annotate(article: id(Self.s003), target: Self.quote("پیمان همکاری جامع"), note: "یک")
        let b = try store.annotate(article: id(Self.s000), target: Self.quote("تطبیقپذیری"), note: "دو")
        #expect(Set(try store.annotations().map(\.id)) == [a.id, b.id])

        try store.setDeleted(annotation: a.id, true)
        #expect(try store.annotations().map(\.id) == [b.id])
        #expect(try store.annotations(article: id(Self.s003)).isEmpty)
        let all = try store.annotations(includeDeleted: true)
        #expect(Set(all.map(\.id)) == [a.id, b.id])
        #expect(all.first { $0.id == a.id }?.deleted == true)
        #expect(try store.annotation(a.id).deleted)

        try expectRefused(.badInput) { try store.setDeleted(annotation: a.id, true) }

        try store.setDeleted(annotation: a.id, false)
        #expect(Set(try store.annotations().map(\.id)) == [a.id, b.id])
        let restored = try store.annotation(a.id)
        #expect(!restored.deleted)
        #expect(restored.note.displayed?.value == "یک")
        #expect(restored.anchor == a.anchor)

        try expectRefused(.badInput) { try store.setDeleted(annotation: a.id, false) }
    }

    @Test func tagsAreComparedFoldedAndDisplayedAsFirstWritten() throws {
        let a = try store.annotate(article: id(Self.s003), target: Self.quote("پیمان همکاری جامع"), tags: ["ايران"])
        #expect(a.tags == [Tag.key("ایران"): "ايران"])
        #expect(a.motivation.displayed?.value == "tagging")
        #expect(Tag.key("ايران") == Tag.key("ایران"))

        // The Persian spelling is the same tag: already there, nothing written.
        try expectRefused(.badInput) { try store.setTags(["ایران"], on: .annotation(a.id), add: true) }

        // Adding a present tag with a new one: only the new one is written.
        let changed = try store.setTags(["ایران", "روسیه"], on: .annotation(a.id), add: true)
        #expect(changed == ["روسیه"])
        #expect(try store.annotation(a.id).tags == [Tag.key("ایران"): "ايران", Tag.key("روسیه"): "روسیه"])

        // Filter by either spelling.
        #expect(try store.annotations(tag: "ایران").map(\.id) == [a.id])
        #expect(try store.annotations(tag: "ايران").map(\.id) == [a.id])

        // Untag with the other spelling removes it; untagging an absent tag is refused.
        #expect(try store.setTags(["ایران"], on: .annotation(a.id), add: false) == ["ایران"])
        #expect(try store.annotation(a.id).tags == [Tag.key("روسیه"): "روسیه"])
        #expect(try store.annotations(tag: "ایران").isEmpty)
        try expectRefused(.badInput) { try store.setTags(["ایران"], on: .annotation(a.id), add: false) }
        try expectRefused(.badInput) { try store.setTags(["  "], on: .annotation(a.id), add: true) }

        // Written again, now in the Persian spelling: displayed so.
        try store.setTags(["ایران"], on: .annotation(a.id), add: true)
        #expect(try store.annotation(a.id).tags[Tag.key("ایران")] == "ایران")
    }

    @Test func articleTags() throws {
        let article = id(Self.s001)
        #expect(try store.setTags(["ديپلماسي", "قفقاز"], on: .article(article), add: true) == ["ديپلماسي", "قفقاز"])
        #expect(try store.tags(of: .article(article)) == [Tag.key("دیپلماسی"): "ديپلماسي", Tag.key("قفقاز"): "قفقاز"])
        try expectRefused(.badInput) { try store.setTags(["دیپلماسی"], on: .article(article), add: true) }
        try store.setTags(["دیپلماسی"], on: .article(article), add: false)
        #expect(try store.tags(of: .article(article)) == [Tag.key("قفقاز"): "قفقاز"])
        try expectRefused(.badInput) { try store.setTags(["دیپلماسی"], on: .article(article), add: false) }
        #expect(try store.resolveTagTarget(String(article.prefix(10))) == .article(article))
    }

    @Test func tagCountsCountLiveAnnotationsAndArticles() throws {
        let a = try store.annotate(article: id(Self.s003), target: Self.quote("پیمان همکاری جامع"), tags: ["ایران", "روسیه"])
        _ = try store.annotate(article: id(Self.s000), target: Self.quote("تطبیقپذیری"), tags: ["ايران"])
        let c = try store.annotate(article: id(Self.s001), target: Self.quote("سرگئی لاوروف", occurrence: 1), tags: ["ایران"])
        try store.setDeleted(annotation: c.id, true)
        try store.setTags(["ایران", "دیپلماسی"], on: .article(id(Self.s002)), add: true)
        _ = a

        let counts = try store.tagCounts()
        let byKey = Dictionary(uniqueKeysWithValues: counts.map { (Tag.key($0.tag), ($0.annotations, $0.articles)) })
        #expect(counts.count == 3)
        #expect(byKey[Tag.key("ایران")].map { [$0.0, $0.1] } == [2, 1])
        #expect(byKey[Tag.key("روسیه")].map { [$0.0, $0.1] } == [1, 0])
        #expect(byKey[Tag.key("دیپلماسی")].map { [$0.0, $0.1] } == [0, 1])
        #expect(Tag.key(counts[0].tag) == Tag.key("ایران"))  // most used first

        try store.setDeleted(annotation: c.id, false)
        let after = Dictionary(uniqueKeysWithValues: try store.tagCounts().map { (Tag.key($0.tag), $0.annotations) })
        #expect(after[Tag.key("ایران")] == 3)
    }

    // MARK: 3. Notes are searchable

    @Test func notesAreSearchable() throws {
        let a = try store.annotate(article: id(Self.s003), target: Self.quote("پیمان همکاری جامع"), note: "این پیمان درباره زعفران نیست", tags: ["ویژه"])
        let b = try store.annotate(article: id(Self.s000), target: Self.quote("تطبیقپذیری"), note: "زعفران و پسته")

        func noteHits(_ text: String, _ filter: SearchFilter = SearchFilter()) throws -> [String?] {
            try store.search(SearchQuery(parsing: text), filter: filter).filter { $0.kind == .note }.map(\.annotation)
        }
        let hits = try store.search(SearchQuery(parsing: "زعفران"))
        #expect(hits.allSatisfy { $0.kind == .note })  // no seed mentions saffron
        #expect(Set(hits.map(\.annotation)) == [a.id, b.id])
        let hitA = hits.first { $0.annotation == a.id }
        #expect(hitA?.id == id(Self.s003))
        #expect(hitA?.file == Self.s003)

        // Folded like article search: Arabic letter forms find the note.
        #expect(Set(try noteHits("پسته")) == [b.id])
        #expect(Set(try noteHits("زعفران پيمان")) == [a.id])

        // Tag filter restricts, in either spelling.
        #expect(try noteHits("زعفران", SearchFilter(tag: "ويژه")) == [a.id])
        #expect(try noteHits("زعفران", SearchFilter(tag: "ناموجود")).isEmpty)

        try store.setDeleted(annotation: a.id, true)
        #expect(try noteHits("زعفران") == [b.id])
        #expect(try noteHits("زعفران", SearchFilter(tag: "ویژه")).isEmpty)

        try store.setDeleted(annotation: a.id, false)
        #expect(Set(try noteHits("زعفران")) == [a.id, b.id])

        // An edited note is searched by its new text only.
        _ = try store.edit(annotation: b.id, note: "گلاب", motivation: nil)
        #expect(try noteHits("زعفران") == [a.id])
        #expect(try noteHits("گلاب") == [b.id])
        #expect(try noteHits("پسته").isEmpty)
    }

    // MARK: 4. Rebuild

    @Test func rebuildReproducesAnnotationsExactly() throws {
        let a = try store.annotate(article: id(Self.s003), target: Self.quote("پيمان همكاري جامع"), note: "اول", tags: ["ايران", "پیمان"])
        let b = try store.annotate(article: id(Self.s003), target: Self.quote("پوتین", occurrence: 3), note: "عکس")
        let c = try store.annotate(article: id(Self.s000), target: Self.quote("امنیت بین المللی"), tags: ["امنیت"])
        let d = try store.annotate(article: id(Self.s004), target: .positions(start: 5, end: 30), note: "highlight in English", motivation: "highlighting")
        let e = try store.annotate(article: id(Self.s002), target: Self.quote("شریک راهبردی", occurrence: 1), note: "حذف می‌شود")
        _ = try store.edit(annotation: a.id, note: "دوم", motivation: nil)
        _ = try store.edit(annotation: b.id, note: nil, motivation: "questioning")
        try store.setTags(["ایران"], on: .annotation(b.id), add: true)
        try store.setTags(["پيمان"], on: .annotation(a.id), add: false)
        try store.setDeleted(annotation: c.id, true)
        try store.setDeleted(annotation: d.id, true)
        try store.setDeleted(annotation: d.id, false)
        try store.setDeleted(annotation: e.id, true)
        try store.setTags(["روسيه", "قفقاز"], on: .article(id(Self.s001)), add: true)
        try store.setTags(["قفقاز"], on: .article(id(Self.s001)), add: false)

        let before = try store.annotations(includeDeleted: true)
        let visible = try store.annotations()
        let articleTags = try store.tags(of: .article(id(Self.s001)))
        let counts = try store.tagCounts().map { "\($0.tag) \($0.annotations) \($0.articles)" }
        #expect(before.count == 5)
        #expect(Set(visible.map(\.id)) == [a.id, b.id, d.id])

        let report = try store.rebuild()
        #expect(report.digestBefore == report.digestAfter)
        #expect(try store.digest() == report.digestBefore)
        #expect(try store.annotations(includeDeleted: true) == before)
        #expect(try store.annotations() == visible)
        #expect(try store.tags(of: .article(id(Self.s001))) == articleTags)
        #expect(try store.tagCounts().map { "\($0.tag) \($0.annotations) \($0.articles)" } == counts)
        #expect(report.byType["annotation.created"] == 5)
        #expect(report.byType["annotation.deleted"] == 3)
        #expect(report.byType["annotation.restored"] == 1)

        // And a reopened store shows the same.
        let reopened = try fixture.open()
        #expect(try reopened.annotations(includeDeleted: true) == before)
    }

    // MARK: 5. W3C round trip

    /// What must survive a round trip.
    struct Essence: Hashable, CustomStringConvertible {
        var id, article, exact, prefix, suffix: String
        var start, end: Int
        var note, motivation: String?
        var tags: [String: String]
        var creator: String
        init(_ v: AnnotationView) {
            (id, article, exact, prefix, suffix) = (v.id, v.article, v.anchor.exact, v.anchor.prefix, v.anchor.suffix)
            (start, end) = (v.anchor.start, v.anchor.end)
            (note, motivation) = (v.note.displayed?.value, v.motivation.displayed?.value)
            (tags, creator) = (v.tags, v.creator)
        }
        var description: String { "\(id) \(article.prefix(8)) «\(exact)» \(start)-\(end) \(note ?? "-") \(motivation ?? "-") \(tags) \(creator)" }
    }

    /// Annotates each seed, with notes, tags, an edit, a deletion.
    func annotateEverySeed() throws -> [AnnotationView] {
        let a = try store.annotate(article: id(Self.s000), target: Self.quote("امنیت بین المللی"), note: "امنیت منطقه", tags: ["امنیت", "قفقاز"])
        let b = try store.annotate(article: id(Self.s001), target: Self.quote("اقدام تروریستی"), note: "A note in English", tags: ["آذربایجان"])
        let c = try store.annotate(article: id(Self.s002), target: Self.quote("ايران شريك راهبردي ماست", occurrence: 1), motivation: "highlighting")
        let d = try store.annotate(article: id(Self.s003), target: Self.quote("پيمان همكاري جامع"), note: "پیمان ۲۰ ساله", tags: ["ايران", "روسیه"])
        let e = try store.annotate(article: id(Self.s004), target: Self.quote("شانگهای و بریکس"), note: "چندجانبه‌گرایی", motivation: "questioning")
        let gone = try store.annotate(article: id(Self.s003), target: Self.quote("پوتین", occurrence: 2), note: "حذف")
        _ = try store.edit(annotation: d.id, note: "پیمان جامع راهبردی", motivation: nil)
        try store.setTags(["سازمان"], on: .annotation(e.id), add: true)
        try store.setDeleted(annotation: gone.id, true)
        _ = (a, b, c)
        return try store.annotations()
    }

    static func parse(_ text: String) throws -> [W3CAnnotations.Imported] {
        try W3CAnnotations.parse(JSONSerialization.jsonObject(with: Data(text.utf8))).items
    }

    @Test func w3cRoundTripGivesTheSameAnnotations() throws {
        let originals = try annotateEverySeed()
        #expect(originals.count == 5)
        let exported = W3CAnnotations.collection(originals, label: "Daftar annotations").prettyString

        let (otherFixture, other, otherIDs) = try Self.seededStore()
        _ = otherFixture
        #expect(otherIDs == ids)
        let report = try other.importAnnotations(Self.parse(exported))
        #expect(report.orphans.isEmpty, "\(report.orphans.map(\.reason))")
        #expect(Set(report.imported) == Set(originals.map(\.id)))
        #expect(report.alreadyPresent.isEmpty)

        let imported = try other.annotations()
        #expect(imported.map(Essence.init) == originals.map(Essence.init))

        // Re-importing is a no-op.
        let digest = try other.digest()
        let events = try other.count("events")
        let again = try other.importAnnotations(Self.parse(exported))
        #expect(again.imported.isEmpty)
        #expect(Set(again.alreadyPresent) == Set(originals.map(\.id)))
        #expect(again.orphans.isEmpty)
        #expect(try other.digest() == digest)
        #expect(try other.count("events") == events)

        // Exporting from the second store and importing into the first is a no-op too.
        let back = W3CAnnotations.collection(imported, label: "x").prettyString
        let digestFirst = try store.digest()
        let backReport = try store.importAnnotations(Self.parse(back))
        #expect(backReport.imported.isEmpty)
        #expect(try store.digest() == digestFirst)
    }

    @Test func w3cExportShape() throws {
        let originals = try annotateEverySeed()
        let text = W3CAnnotations.collection(originals, label: "Daftar annotations").prettyString
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(json["@context"] as? String == "http://www.w3.org/ns/anno.jsonld")
        #expect(json["type"] as? String == "AnnotationCollection")
        let id = try #require(json["id"] as? String)
        #expect(id.hasPrefix("urn:daftar:collection:"))
        // The same content, the same id; the page has its own.
        #expect(W3CAnnotations.collection(originals, label: "Daftar annotations").prettyString == text)
        let page = try #require(json["first"] as? [String: Any])
        #expect(page["id"] as? String == id + "/page/1")
        let items = try #require(page["items"] as? [[String: Any]])
        #expect(items.count == originals.count)

        for view in originals {
            let item = try #require(items.first { $0["id"] as? String == "urn:uuid:\(view.id)" }, "\(view.id)")
            #expect(item["type"] as? String == "Annotation")
            #expect(item["motivation"] as? String == view.motivation.displayed?.value)
            #expect(item["created"] is String && item["modified"] is String)
            #expect((item["creator"] as? [String: Any])?["name"] as? String == view.creator)

            let bodies = (item["body"] as? [[String: Any]]) ?? []
            let note = view.note.displayed?.value ?? ""
            let noteBodies = bodies.filter { $0["purpose"] == nil }
            if note.isEmpty {
                #expect(noteBodies.isEmpty)
            } else {
                #expect(noteBodies.count == 1)
                let body = try #require(noteBodies.first)
                #expect(body["type"] as? String == "TextualBody")
                #expect(body["value"] as? String == note)
                if note.unicodeScalars.contains(where: { (0x0600...0x06FF).contains($0.value) }) {
                    #expect(body["language"] as? String == "fa")
                    #expect(body["textDirection"] as? String == "rtl")
                } else {
                    #expect(body["textDirection"] as? String != "rtl")
                }
            }
            let tagBodies = bodies.filter { $0["purpose"] as? String == "tagging" }
            #expect(tagBodies.allSatisfy { $0["type"] as? String == "TextualBody" })
            #expect(Set(tagBodies.compactMap { $0["value"] as? String }) == Set(view.tags.values))
            #expect(tagBodies.count == view.tags.count)

            let target = try #require(item["target"] as? [String: Any])
            #expect(target["source"] as? String == "urn:daftar:article:\(view.article)")
            let selectors = try #require(target["selector"] as? [[String: Any]])
            let quote = try #require(selectors.first { $0["type"] as? String == "TextQuoteSelector" })
            #expect(quote["exact"] as? String == view.anchor.exact)
            #expect(quote["prefix"] as? String == view.anchor.prefix)
            #expect(quote["suffix"] as? String == view.anchor.suffix)
            let position = try #require(selectors.first { $0["type"] as? String == "TextPositionSelector" })
            #expect((position["start"] as? NSNumber)?.intValue == view.anchor.start)
            #expect((position["end"] as? NSNumber)?.intValue == view.anchor.end)
        }
        // The Persian-noted one, specifically.
        let persian = try #require(originals.first { $0.note.displayed?.value == "امنیت منطقه" })
        let persianItem = try #require(items.first { $0["id"] as? String == "urn:uuid:\(persian.id)" })
        let persianBody = try #require((persianItem["body"] as? [[String: Any]])?.first { $0["purpose"] == nil })
        #expect(persianBody["language"] as? String == "fa")
        #expect(persianBody["textDirection"] as? String == "rtl")
    }

    // MARK: 6. Import from another tool

    static let foreign = """
        {
          "@context": "http://www.w3.org/ns/anno.jsonld",
          "id": "http://example.com/annotations",
          "type": "AnnotationCollection",
          "first": {
            "type": "AnnotationPage",
            "items": [
              {
                "id": "http://example.com/anno/1",
                "type": "Annotation",
                "motivation": "commenting",
                "created": "2024-03-01T10:00:00Z",
                "creator": {"type": "Person", "name": "Maryam"},
                "body": [
                  {"type": "TextualBody", "value": "یادداشتی از ابزار دیگر", "language": "fa"},
                  {"type": "TextualBody", "value": "خارجی", "purpose": "tagging"}
                ],
                "target": {
                  "source": "http://example.com/some-article",
                  "selector": {"type": "TextQuoteSelector", "exact": "پيمان همكاري جامع"}
                }
              },
              {
                "id": "http://example.com/anno/2",
                "type": "Annotation",
                "bodyValue": "positions are stale",
                "target": {
                  "source": "urn:daftar:article:ARTICLE003",
                  "selector": [
                    {"type": "TextQuoteSelector", "exact": "ولادیمیر پوتین", "prefix": "کرملین اعلام کرد که ", "suffix": "، رئیسجمهور روسیه، روز"},
                    {"type": "TextPositionSelector", "start": 3, "end": 17}
                  ]
                }
              },
              {
                "id": "http://example.com/anno/3",
                "type": "Annotation",
                "motivation": "highlighting",
                "target": {
                  "source": "http://example.com/elsewhere",
                  "selector": {"type": "TextQuoteSelector", "exact": "قله دماوند پوشیده از برف"}
                }
              }
            ]
          }
        }
        """

    @Test func importFromAnotherTool() throws {
        let text = Self.foreign.replacingOccurrences(of: "ARTICLE003", with: id(Self.s003))
        let items = try Self.parse(text)
        #expect(items.count == 3)
        let report = try store.importAnnotations(items)
        #expect(report.imported.count == 2)
        #expect(report.alreadyPresent.isEmpty)

        // (a) an unknown source, matched by its quote across the archive.
        let first = try #require(items.first { $0.originalID == "http://example.com/anno/1" })
        let a = try store.annotation(first.id)
        #expect(a.article == id(Self.s003))
        #expect(a.anchor.exact == "پیمان همکاری جامع")
        try expectAnchorIsBodyText(a, Self.s003)
        #expect(a.creator == "Maryam")
        #expect(a.createdText == "2024-03-01T10:00:00.000Z")  // normalised; the original is kept in `w3c`
        #expect(a.note.displayed?.value == "یادداشتی از ابزار دیگر")
        #expect(a.motivation.displayed?.value == "commenting")
        #expect(Array(a.tags.values) == ["خارجی"])
        let created = try #require(try store.allEvents().first {
            $0.type == "annotation.created" && $0.data?["annotation"]?.stringValue == first.id
        })
        #expect(created.data?["creator"]?.stringValue == "Maryam")
        #expect(created.data?["created"]?.stringValue == "2024-03-01T10:00:00.000Z")
        #expect(created.data?["w3c"]?["created"]?.stringValue == "2024-03-01T10:00:00Z")

        // (b) wrong positions, right quote: re-anchored by the quote.
        let second = try #require(items.first { $0.originalID == "http://example.com/anno/2" })
        let b = try store.annotation(second.id)
        let body = try scalars(Self.s003)
        let expected = Self.positions(of: "کرملین اعلام کرد که ولادیمیر پوتین", in: body)
        #expect(expected.count == 1)
        #expect(b.anchor.start == expected[0] + "کرملین اعلام کرد که ".unicodeScalars.count)
        #expect(b.anchor.exact == "ولادیمیر پوتین")
        #expect(b.anchor.start != 3)
        try expectAnchorIsBodyText(b, Self.s003)
        #expect(b.note.displayed?.value == "positions are stale")

        // (c) a quote in no article: an orphan, nothing stored.
        #expect(report.orphans.count == 1)
        let orphan = try #require(report.orphans.first)
        #expect(orphan.annotation.originalID == "http://example.com/anno/3")
        #expect(!orphan.reason.isEmpty)
        #expect(throws: DaftarError.self) { try store.annotation(orphan.annotation.id) }
        #expect(try store.annotations(includeDeleted: true).count == 2)
        #expect(!(try store.allEvents().contains { $0.data?["annotation"]?.stringValue == orphan.annotation.id }))

        // Importing again: the two are present, the orphan is reported again, nothing written.
        let digest = try store.digest()
        let events = try store.count("events")
        let again = try store.importAnnotations(Self.parse(text))
        #expect(again.imported.isEmpty)
        #expect(Set(again.alreadyPresent) == [first.id, second.id])
        #expect(again.orphans.map(\.annotation.originalID) == ["http://example.com/anno/3"])
        #expect(try store.digest() == digest)
        #expect(try store.count("events") == events)
    }

    @Test func unknownMotivationInAFileIsRefused() throws {
        let text = """
            {"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "id": "urn:x:1",
             "motivation": "pondering",
             "target": {"source": "http://example.com/a", "selector": {"type": "TextQuoteSelector", "exact": "پوتین"}}}
            """
        let parsed = try W3CAnnotations.parse(JSONSerialization.jsonObject(with: Data(text.utf8)))
        #expect(parsed.items.isEmpty)
        #expect(parsed.refused.map(\.originalID) == ["urn:x:1"])
        #expect(parsed.refused.first?.reason.contains("pondering") == true, "\(parsed.refused)")
    }

    /// A position that is not a whole number from 0 refuses the annotation: 2^64 must not
    /// wrap to 0, -1 or 3.5 must not become a place in the text.
    @Test(arguments: ["18446744073709551616", "9223372036854775808", "-1", "3.5", "\"7\"", "1e300"])
    func positionsOutOfRangeAreRefused(_ start: String) throws {
        let text = """
            {"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation", "id": "urn:x:9",
             "target": {"source": "http://example.com/a", "selector": {"type": "TextPositionSelector", "start": \(start), "end": 5}}}
            """
        let parsed = try W3CAnnotations.parse(JSONSerialization.jsonObject(with: Data(text.utf8)))
        #expect(parsed.items.isEmpty, "expected start \(start) to be refused, got \(parsed.items.map { ($0.start, $0.end) })")
        #expect(parsed.refused.first?.reason.contains("TextPositionSelector") == true, "\(parsed.refused)")
        #expect(try Self.parse(text.replacingOccurrences(of: ": \(start),", with: ": 0,")).first?.start == 0)
    }

    /// An item of a file that is not an annotation, or an annotation without a target, is
    /// refused on its own (the file's other annotations are read).
    @Test(arguments: [#"[{"type": "Foo"}]"#, #"{"type": "Annotation", "id": "urn:x:2"}"#])
    func aBadItemIsRefusedOnItsOwn(_ text: String) throws {
        let parsed = try W3CAnnotations.parse(JSONSerialization.jsonObject(with: Data(text.utf8)))
        #expect(parsed.items.isEmpty && parsed.refused.count == 1, "\(parsed.refused)")
    }

    @Test(arguments: [#"{"type":"Foo"}"#, #"{"id": "x"}"#, #""just a string""#])
    func notAnAnnotationFileIsRefused(_ text: String) throws {
        do {
            let data = Data(text.utf8)
            _ = try W3CAnnotations.parse(JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed))
            Issue.record("expected \(text) to be refused")
        } catch let error as DaftarError {
            #expect(error.code == .badInput)
        }
    }
}

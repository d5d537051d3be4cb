import DaftarCore
@testable import DaftarStore
import Foundation
import Testing

/// One article per story: copies of one article (other line endings, a trailing newline,
/// another scraped tail) are one article with several sources, wherever and in whatever order
/// they are ingested, and what was written on any copy is shown on it.
@Suite("One article per story")
struct StoryTests {
    static let original = "پوتین و شویگو در مسکو\nبند اول درباره پوتین.\n\nبند دوم درباره شویگو و همکاری نظامی."
    static let crlf = original.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n"
    static let tail = original + "\nنظرات کاربران\n۱۲ نظر ثبت شده"

    @Test func copiesAreOneArticleWithEverySource() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        let outcomes = try store.ingest([
            try SourceFile.read(path: fixture.write("a/story.txt", Self.original)),
            try SourceFile.read(path: fixture.write("b/story.txt", Self.crlf)),
            try SourceFile.read(path: fixture.write("c/story.txt", Self.original + "\n\n")),
            try SourceFile.read(path: fixture.write("d/story.txt", Self.tail)),
            try SourceFile.read(path: fixture.write("e/story-crlf.txt", Self.crlf)),
        ])
        let id = ArticleText.id(of: Self.original)
        #expect(outcomes == [
            .added(articleID: id), .alreadyArchived(articleID: id), .alreadyArchived(articleID: id),
            .copy(articleID: id, copyID: ArticleText.id(of: Self.tail)), .copy(articleID: id, copyID: ArticleText.id(of: Self.crlf)),
        ])
        #expect(try store.articles().map(\.id) == [id])
        #expect(try store.article(id).sources.map(\.file) == ["story.txt", "story.txt", "story-crlf.txt"])
        #expect(try store.search(SearchQuery(parsing: "شویگو")).map(\.id) == [id])
        // Any copy's id names the article.
        #expect(try store.resolveArticle(String(ArticleText.id(of: Self.tail).prefix(10))) == id)
        // Again: nothing new.
        let again = try store.ingest([try SourceFile.read(path: fixture.write("f/story.txt", Self.tail))])
        #expect(again == [.alreadyArchived(articleID: id)])
    }

    /// A store written before copies were merged holds annotations and tags naming a copy, with
    /// positions counted in that copy's text (CR LF line endings): after the upgrade (a
    /// rebuild) they are shown on the article, at the same words.
    @Test func whatWasWrittenOnACopyIsShownOnTheArticle() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        try store.ingest([try SourceFile.read(path: fixture.write("a.txt", Self.original))])
        try store.ingest([try SourceFile.read(path: fixture.write("b.txt", Self.crlf))])
        let copy = ArticleText.id(of: Self.crlf)
        let copyBody = Array(Self.crlf.unicodeScalars)
        let quote = Array("شویگو و همکاری".unicodeScalars)
        let start = (0...(copyBody.count - quote.count)).first { Array(copyBody[$0..<$0 + quote.count]) == quote }!
        let anchor = TextAnchor(body: copyBody, start: start, end: start + quote.count)
        try store.commit([
            EventDraft(type: "annotation.created", data: [
                "annotation": "0d1e2f30-0000-4000-8000-000000000001", "article": .string(copy),
                "target": anchor.eventTarget, "note": "یادداشت روی نسخه دوم", "motivation": "commenting", "tags": [],
            ]),
            EventDraft(type: "article.tagged", data: ["article": .string(copy), "tag": "دفاع"]),
        ])
        let id = ArticleText.id(of: Self.original)
        let before = try store.digest()
        let report = try store.rebuild()
        #expect(report.digestAfter == before)
        let shown = try store.annotations(article: id)
        #expect(shown.map(\.id) == ["0d1e2f30-0000-4000-8000-000000000001"])
        let body = Array(try store.article(id).body.unicodeScalars)
        let placed = try #require(shown.first).anchor
        #expect(String(String.UnicodeScalarView(body[placed.start..<placed.end])) == "شویگو و همکاری")
        #expect(placed.start < start, "positions counted with CR are moved to the LF body")
        #expect(try store.tags(of: .article(id)) == [Tag.key("دفاع"): "دفاع"])
        #expect(try store.tagCounts().map(\.tag) == ["دفاع"])
    }

    /// Three replicas each archive another copy of one story, annotate and tag it; their
    /// events arrive at other stores in every order: one article, the same digest, and every
    /// annotation and tag on it.
    @Test func concurrentCopiesConverge() throws {
        let fixture = try StoreFixture()
        var batches: [[Event]] = []
        for (i, text) in [Self.tail, Self.crlf, Self.original].enumerated() {
            let replica = try fixture.open(at: fixture.directory + "/replica\(i).sqlite")
            let outcome = try replica.ingest([try SourceFile.read(path: fixture.write("r\(i)/copy\(i).txt", text))])
            _ = try replica.annotate(article: outcome[0].articleID, target: .quote("بند اول", prefix: nil, suffix: nil, occurrence: nil), note: "از \(i)")
            _ = try replica.setTags(["برچسب\(i)"], on: .article(outcome[0].articleID), add: true)
            batches.append(try replica.allEvents())
        }
        var digests: Set<String> = []
        var shownAs: Set<String> = []
        for order in [[0, 1, 2], [2, 1, 0], [1, 0, 2], [2, 0, 1], [0, 2, 1], [1, 2, 0]] {
            let target = try fixture.open(at: fixture.directory + "/target-\(order.map(String.init).joined()).sqlite")
            for i in order { try target.receive(batches[i]) }
            let articles = try target.articles()
            try #require(articles.count == 1)
            let id = articles[0].id
            shownAs.insert(id)
            #expect(try target.article(id).sources.count == 3)
            let annotations = try target.annotations(article: id)
            #expect(annotations.count == 3)
            #expect(annotations.allSatisfy { $0.anchor.exact == "بند اول" && $0.article == id })
            #expect(Set(try target.tags(of: .article(id)).values) == ["برچسب0", "برچسب1", "برچسب2"])
            let digest = try target.digest()
            #expect(try target.rebuild().digestAfter == digest)
            digests.insert(digest)
        }
        #expect(digests.count == 1)
        #expect(shownAs == [ArticleText.id(of: Self.tail)], "shown as the earliest copy")
    }

    /// What was written on a copy may be applied before the copy: a store that holds the
    /// copy's event without its payload (accepted from a peer that stripped it, by an older
    /// version) applies annotations and tags on it, then the payload arrives. Once it does —
    /// even for a copy later than the one shown — they are shown on the article, as a rebuild
    /// shows them.
    @Test func writtenOnACopyBeforeTheCopyArrives() throws {
        let fixture = try StoreFixture()
        let shownHere = try fixture.open(at: fixture.directory + "/w.sqlite")
        try shownHere.ingest([try SourceFile.read(path: fixture.write("w/story.txt", Self.original))])
        let copier = try fixture.open(at: fixture.directory + "/r.sqlite")
        let copy = try copier.ingest([try SourceFile.read(path: fixture.write("r/story.txt", Self.tail))])[0].articleID
        let annotator = try fixture.open(at: fixture.directory + "/q.sqlite")
        try annotator.receive(try copier.allEvents())
        let note = try annotator.annotate(article: copy, target: .quote("بند دوم", prefix: nil, suffix: nil, occurrence: nil), note: "روی نسخه")
        _ = try annotator.setTags(["نسخه"], on: .article(copy), add: true)
        let q = annotator.identity!.origin
        let id = ArticleText.id(of: Self.original)

        let copyEvents = try copier.allEvents()
        try shownHere.writer.write { db in try shownHere.append(copyEvents.map(\.withoutData), db) }
        try shownHere.receive(try annotator.allEvents().filter { $0.origin == q })
        #expect(try shownHere.annotations(article: id).isEmpty, "the copy is not here yet")
        try shownHere.receive(copyEvents)
        #expect(try shownHere.articles().map(\.id) == [id])
        #expect(try shownHere.annotations(article: id).map(\.id) == [note.id])
        #expect(try shownHere.tags(of: .article(id)).values.sorted() == ["نسخه"])
        let digest = try shownHere.digest()
        #expect(try shownHere.rebuild().digestAfter == digest)
    }
}

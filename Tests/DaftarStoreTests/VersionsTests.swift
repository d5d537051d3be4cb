import DaftarCore
import DaftarTestSupport
@testable import DaftarStore
import Foundation
import Testing

/// Article versions: a near-duplicate is a new version of the story, its annotations carried
/// from the other versions with how each was placed, orphans listed; grouping converges and an
/// analyst can split a wrong one.
@Suite("Article versions")
struct VersionsTests {
    static let typoed = StoryVersions.typoed
    static let original = StoryVersions.original
    static let updated = StoryVersions.updated

    @Test func anUpdatedStoryIsANewVersionWithItsAnnotationsCarried() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        let first = try store.ingest([try SourceFile.read(path: fixture.write("v1.txt", Self.typoed))])[0].articleID
        let kept = try store.annotate(article: first, target: .quote("همکاری‌های نظامی دوجانبه", prefix: nil, suffix: nil, occurrence: nil), note: "مهم")
        let fixed = try store.annotate(article: first, target: .quote("همکاری دو کشور در حوزه نضامی", prefix: nil, suffix: nil, occurrence: nil))
        let gone = try store.annotate(article: first, target: .quote("نشست بعدی در تهران", prefix: nil, suffix: nil, occurrence: nil))

        let outcome = try store.ingest([try SourceFile.read(path: fixture.write("v2.txt", Self.updated))])[0]
        let second = outcome.articleID
        #expect(outcome == .version(articleID: second, of: first, number: 2))
        // Listed once, as its latest version; both versions numbered.
        #expect(try store.articles().map(\.id) == [second])
        #expect(try store.articles()[0].versions == 2)
        #expect(try store.versions(of: first).map(\.summary.id) == [first, second])
        // Search finds the story once, as the version that matches best.
        let hits = try store.search(SearchQuery(parsing: "سفیر"))
        #expect(hits.count == 1 && hits[0].versions == 2)
        #expect(try store.search(SearchQuery(parsing: "تهران")).map(\.id) == [first])

        let carried = try store.carriedAnnotations(onto: second)
        let byID = Dictionary(uniqueKeysWithValues: carried.map { ($0.view.id, $0) })
        #expect(byID[kept.id]?.placement.method == .exact)
        #expect(byID[kept.id]?.placement.anchor?.exact == "همکاری‌های نظامی دوجانبه")
        #expect(byID[fixed.id]?.placement.method == .fuzzy)
        #expect(byID[fixed.id]?.placement.anchor?.exact == "همکاری دو کشور در حوزه نظامی")
        #expect(byID[gone.id]?.placement.method == .orphan)
        // What v2 says about v1: nothing carried back (v2 has no annotations of its own).
        #expect(try store.carriedAnnotations(onto: first).isEmpty)
        // A rebuild places them the same way.
        let digest = try store.digest()
        try store.rebuild()
        #expect(try store.digest() == digest)
    }

    /// An annotation about the whole article (imported: its target is the page, no selector)
    /// belongs to every version: carried as `whole`, never an orphan, nothing marked.
    @Test func aWholeArticleAnnotationIsOnEveryVersion() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        let first = try store.ingest([try SourceFile.read(path: fixture.write("v1.txt", Self.typoed))])[0].articleID
        let file: [String: Any] = [
            "@context": "http://www.w3.org/ns/anno.jsonld", "id": "http://example.org/anno/page", "type": "Annotation",
            "motivation": "bookmarking", "bodyValue": "کل گزارش را بخوانید", "target": W3CAnnotations.articlePrefix + first,
        ]
        let report = try store.importAnnotations(W3CAnnotations.parse(file).items)
        #expect(report.imported.count == 1 && report.wholeArticle == report.imported && report.orphans.isEmpty)
        let second = try store.ingest([try SourceFile.read(path: fixture.write("v2.txt", Self.updated))])[0].articleID
        let carried = try store.carriedAnnotations(onto: second)
        #expect(carried.map(\.placement.method) == [.whole])
        #expect(carried.first?.placement.anchor?.isWholeArticle == true && carried.first?.placement.label == "whole article")
        let digest = try store.digest()
        try store.rebuild()
        #expect(try store.digest() == digest)
    }

    /// Two replicas archive the two versions in either order, and annotate: after exchanging
    /// events they group and place alike (equal digests), whatever the order of arrival.
    @Test func versionsConvergeAcrossReplicas() throws {
        let fixture = try StoreFixture()
        let a = try fixture.open(at: fixture.directory + "/a.sqlite"), b = try fixture.open(at: fixture.directory + "/b.sqlite")
        let v1 = try a.ingest([try SourceFile.read(path: fixture.write("a/v1.txt", Self.typoed))])[0].articleID
        _ = try a.annotate(article: v1, target: .quote("نشست بعدی در تهران", prefix: nil, suffix: nil, occurrence: nil))
        let v2 = try b.ingest([try SourceFile.read(path: fixture.write("b/v2.txt", Self.updated))])[0].articleID
        _ = try b.annotate(article: v2, target: .quote("سازنده خواند", prefix: nil, suffix: nil, occurrence: nil))
        let fromA = try a.allEvents(), fromB = try b.allEvents()
        try a.receive(fromB)
        try b.receive(fromA)
        #expect(try a.digest() == b.digest())
        #expect(try a.versions(of: v2).map(\.summary.id) == b.versions(of: v2).map(\.summary.id))
        #expect(try a.carriedAnnotations(onto: v1).map(\.placement.method) == [.orphan])  // «سازنده خواند» is new in v2
        #expect(try b.carriedAnnotations(onto: v2).map(\.placement.method) == [.orphan])  // the paragraph was deleted
    }

    @Test func anAnalystSplitsAWrongVersionOff() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        let first = try store.ingest([try SourceFile.read(path: fixture.write("v1.txt", Self.original))])[0].articleID
        let second = try store.ingest([try SourceFile.read(path: fixture.write("v2.txt", Self.updated))])[0].articleID
        #expect(try store.versions(of: first).count == 2)
        let before = try store.digest()
        #expect(try store.splitVersion(second).map(\.id) == [first])
        #expect(try store.versions(of: first).count == 1 && store.versions(of: second).count == 1)
        #expect(Set(try store.articles().map(\.id)) == [first, second])
        #expect(try store.digest() != before)
        // It stays split through a rebuild, and a split of an article alone is refused.
        let digest = try store.digest()
        try store.rebuild()
        #expect(try store.digest() == digest)
        #expect(throws: DaftarError.self) { try store.splitVersion(second) }
        // A third version, which the split did not name, joins both.
        let third = try store.ingest([try SourceFile.read(path: fixture.write("v3.txt", Self.updated + "\n\nخبر تکمیلی."))])[0].articleID
        #expect(try store.versions(of: third).count == 3)
    }

    /// Unrelated articles (the seeds) never become versions of one another.
    @Test func unrelatedArticlesStayApart() throws {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        try store.ingest(StoreFixture.seedFiles())
        #expect(try store.articles().allSatisfy { $0.versions == 1 })
        #expect(try store.count("version_links") == 0)
    }
}

import DaftarCore
import DaftarTestSupport
@testable import DaftarStore
import Foundation
import Testing

/// Annotation files written by other tools (`Tests/Foreign`): for each, what was imported,
/// placed, orphaned, refused and kept; and export → import → export gives the same document.
@Suite("Import of other tools' annotations")
struct ForeignImportTests {
    static let folder = Repository.root + "/Tests/Foreign"

    /// A store with the seeds, and the file's text with the seeds' article ids filled in.
    static func seeded() throws -> (StoreFixture, Store) {
        let fixture = try StoreFixture()
        let store = try fixture.open()
        try store.ingest(StoreFixture.seedFiles())
        return (fixture, store)
    }

    static func file(_ name: String) throws -> Any {
        var text = try String(contentsOfFile: folder + "/" + name, encoding: .utf8)
        for seed in ["002_0a9e599e7ddfaa65.txt", "003_8fc7de84c5610d4c.txt"] {
            let id = ArticleText.id(of: try String(contentsOfFile: Repository.seedsDirectory + "/" + seed, encoding: .utf8))
            text = text.replacingOccurrences(of: "{{\(seed.prefix(3))}}", with: W3CAnnotations.articlePrefix + id)
        }
        return try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    /// Imports a file: the report, with the file's refusals.
    static func importFile(_ name: String, into store: Store) throws -> ImportReport {
        let parsed = try W3CAnnotations.parse(file(name))
        var report = try store.importAnnotations(parsed.items)
        report.refused = parsed.refused
        return report
    }

    /// The exported annotation that came from `originalID`.
    static func exported(_ store: Store, _ originalID: String) throws -> [String: Any] {
        let id = W3CAnnotations.Imported.daftarID(originalID)
        let items = try exportItems(store)
        return try #require(items.first { $0["id"] as? String == "urn:uuid:\(id)" }, "\(originalID) not exported")
    }

    static func exportText(_ store: Store) throws -> String {
        let articles = try store.annotatedArticles()
        let views = articles.flatMap(\.annotations).sorted { ($0.article, $0.anchor.start, $0.id) < ($1.article, $1.anchor.start, $1.id) }
        return W3CAnnotations.collection(views, articles: articles, label: "Daftar annotations").prettyString
    }

    static func exportItems(_ store: Store) throws -> [[String: Any]] {
        let json = try JSONSerialization.jsonObject(with: Data(exportText(store).utf8)) as? [String: Any]
        return ((json?["first"] as? [String: Any])?["items"] as? [[String: Any]]) ?? []
    }

    @Test func theW3CModelsShapesAreImportedKeptOrReportedOneByOne() throws {
        let (fixture, store) = try Self.seeded()
        _ = fixture
        let report = try Self.importFile("w3c-model-examples.jsonld", into: store)
        let imported = Set(report.imported)
        let ids = ["many-bodies", "markdown", "ambiguous-decided", "whole-document"].map { W3CAnnotations.Imported.daftarID("http://example.org/anno/\($0)") }
        #expect(imported == Set(ids), "\(report.orphans.map(\.reason)) \(report.refused)")
        #expect(report.wholeArticle == [ids[3]])
        let orphans = Dictionary(uniqueKeysWithValues: report.orphans.map { ($0.annotation.originalID.replacingOccurrences(of: "http://example.org/anno/", with: ""), $0.reason) })
        #expect(orphans["range-only"]?.contains("RangeSelector") == true, "\(orphans)")
        #expect(orphans["ambiguous"]?.contains("places") == true, "\(orphans)")
        let refused = Dictionary(uniqueKeysWithValues: report.refused.map { ($0.originalID.replacingOccurrences(of: "http://example.org/anno/", with: ""), $0.reason) })
        #expect(refused["unknown-motivation"]?.contains("pondering") == true)
        #expect(refused["yesterday"]?.contains("not a date and time") == true)
        #expect(refused["fractional-position"]?.contains("whole numbers") == true)
        #expect(orphans.count + refused.count + imported.count == 9)

        // The page as a whole: attached to its article, marking no passage, exported with the
        // article as its target and no selector.
        let whole = try store.annotation(ids[3])
        #expect(whole.anchor.isWholeArticle && whole.note.displayed?.value == "کل مقاله را بخوانید")
        #expect(try store.annotations(article: whole.article).map(\.id).contains(ids[3]))
        let target = try Self.exported(store, "http://example.org/anno/whole-document")["target"] as? [String: Any]
        #expect(target?["selector"] == nil && (target?["source"] as? String)?.hasSuffix(whole.article) == true, "\(target ?? [:])")

        // The refinedBy quote placed the Markdown note in the one article that has it.
        let markdown = try store.annotation(ids[1])
        #expect(markdown.anchor.exact == "پیمان همکاری جامع راهبردی")
        // Prefix and suffix chose one of the 16 «ایران».
        let decided = try store.annotation(ids[2]).anchor
        #expect(decided.prefix.hasSuffix("روسیه: ") && decided.suffix.hasPrefix(" شریک"), "\(decided)")

        // Everything Daftar does not model, exported again.
        let many = try Self.exported(store, "http://example.org/anno/many-bodies")
        let bodies = try #require(many["body"] as? [Any])
        #expect(bodies.contains { ($0 as? [String: Any])?["format"] as? String == "text/html" && ($0 as? [String: Any])?["language"] as? String == "fa" })
        #expect(bodies.contains { $0 as? String == "http://example.org/comment-as-iri" })
        for type in ["Video", "SpecificResource", "Choice"] {
            #expect(bodies.contains { ($0 as? [String: Any])?["type"] as? String == type }, "\(type) body lost")
        }
        let targets = try #require(many["target"] as? [Any])
        #expect(targets.count == 3)
        #expect(((targets[0] as? [String: Any])?["source"] as? String)?.hasPrefix(W3CAnnotations.articlePrefix) == true)
        #expect((targets[1] as? [String: Any])?["source"] as? String == "https://www.example.ir/news/123")
        #expect(targets[2] as? String == "http://example.org/page-as-iri")
        #expect((many["creator"] as? [Any])?.count == 2)
        #expect((many["generator"] as? [String: Any])?["name"] as? String == "Code v2.1")
        #expect(many["rights"] as? String == "https://creativecommons.org/publicdomain/zero/1.0/")
        #expect((many["audience"] as? [String: Any])?["schema:educationalRole"] as? String == "teacher")
        #expect(many["canonical"] as? String == "urn:uuid:dbfb1861-0ecf-41ad-be94-a584e5c4f1df")
        #expect(many["via"] as? String == "http://other.example.org/anno1")
        #expect(many["created"] as? String == "2015-01-28T11:00:00.000Z")
        #expect(many["modified"] as? String == "2015-01-29T09:00:00.000Z")
        let md = try Self.exported(store, "http://example.org/anno/markdown")
        #expect((md["body"] as? [Any])?.first.flatMap { ($0 as? [String: Any])?["format"] as? String } == "text/markdown")
        #expect(md["via"] as? String == "http://example.org/anno/markdown")  // the original id
        #expect(md["created"] as? String == "2016-02-01T05:00:00.500Z")
    }

    @Test func hypothesisRecogitoApacheAnnotatorAndExpandedJSONLD() throws {
        let (fixture, store) = try Self.seeded()
        _ = fixture
        let hypothesis = try Self.importFile("hypothesis-api.json", into: store)
        #expect(hypothesis.imported.count == 1 && hypothesis.orphans.count == 1 && hypothesis.refused.isEmpty)
        let sara = try store.annotation(hypothesis.imported[0])
        #expect(sara.anchor.exact == "چشمانداز توسعه روابط دوجانبه")
        #expect(sara.note.displayed?.value == "این **مهم** است" && Set(sara.tags.values) == ["پیمان", "روسیه"])
        #expect(sara.creator == "Sara")
        let saraOut = try Self.exported(store, "https://hypothes.is/a/Hyp0AAAAAAAAAAAAAAAAAA")
        #expect((saraOut["creator"] as? [String: Any])?["nickname"] as? String == "sara")
        #expect(saraOut["modified"] as? String == "2025-09-02T08:00:00.000Z")
        #expect(saraOut["via"] as? String == "https://hyp.is/Hyp0AAAAAAAAAAAAAAAAAA/www.example.ir/kremlin")
        #expect((saraOut["target"] as? [Any])?.count == 2)  // the passage here, and the page it was made on

        let recogito = try Self.importFile("recogito.jsonld", into: store)
        #expect(recogito.imported.count == 1)
        let ali = try store.annotation(recogito.imported[0])
        #expect(ali.anchor.exact == "شریک راهبردی ماست" && ali.creator == "Ali" && Array(ali.tags.values) == ["روسیه"])
        #expect(ali.note.displayed?.value == "ادعای طرف روس")

        let apache = try Self.importFile("apache-annotator.json", into: store)
        #expect(apache.imported == ["3f7c2c1e-1d6f-4f7e-9a55-0a1b2c3d4e5f"])
        #expect(try store.annotation(apache.imported[0]).motivation.displayed?.value == "tagging")

        let expanded = try Self.importFile("expanded.jsonld", into: store)
        #expect(expanded.imported.count == 1, "\(expanded.orphans.map(\.reason)) \(expanded.refused)")
        let reza = try store.annotation(expanded.imported[0])
        #expect(reza.creator == "Reza" && reza.note.displayed?.value == "از پردازشگر JSON-LD")
        #expect(reza.anchor.exact == "چشمانداز توسعه روابط دوجانبه")
    }

    /// Export, import into another archive, export again: the same document (the same id,
    /// the same items), and importing it again changes nothing.
    @Test func exportImportExportIsStable() throws {
        let (fixture, store) = try Self.seeded()
        _ = fixture
        for name in ["w3c-model-examples.jsonld", "hypothesis-api.json", "recogito.jsonld", "apache-annotator.json", "expanded.jsonld"] {
            _ = try Self.importFile(name, into: store)
        }
        _ = try store.annotate(article: try store.resolveArticle("7ea8effc0c5d"), target: .quote("وزرای دفاع", prefix: nil, suffix: nil, occurrence: nil), note: "بومی")
        let first = try Self.exportText(store)

        let (otherFixture, other) = try Self.seeded()
        _ = otherFixture
        let report = try other.importAnnotations(W3CAnnotations.parse(JSONSerialization.jsonObject(with: Data(first.utf8))).items)
        #expect(report.orphans.isEmpty && report.refused.isEmpty, "\(report.orphans.map(\.reason))")
        let second = try Self.exportText(other)
        func canonical(_ text: String) throws -> Set<String> {
            let items = try Self.exportItems(from: text)
            return Set(items.map { String(decoding: JSONValue(foundation: $0).canonicalBytes, as: UTF8.self) })
        }
        #expect(try canonical(second) == canonical(first))
        #expect(second == first)
        let digest = try other.digest()
        _ = try other.importAnnotations(W3CAnnotations.parse(JSONSerialization.jsonObject(with: Data(second.utf8))).items)
        #expect(try other.digest() == digest)
    }

    static func exportItems(from text: String) throws -> [[String: Any]] {
        let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        return ((json?["first"] as? [String: Any])?["items"] as? [[String: Any]]) ?? []
    }
}

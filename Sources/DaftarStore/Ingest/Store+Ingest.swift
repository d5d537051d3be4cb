import DaftarCore
import GRDB

/// What ingest did with one file.
public enum IngestOutcome: Sendable, Hashable {
    /// A new article.
    case added(articleID: String)
    /// A known article under a new file name: its provenance was recorded.
    case newProvenance(articleID: String)
    /// A copy of an archived article (its body is equal, the file differs: line endings,
    /// another scraped tail): recorded as one more source of `articleID`, the id it is shown as.
    case copy(articleID: String, copyID: String)
    /// The same content under the same file name: nothing written.
    case alreadyArchived(articleID: String)
    /// A new article that is a near-duplicate of an archived one (the same story updated or
    /// scraped elsewhere): version `number` of the story whose first version is `of`.
    case version(articleID: String, of: String, number: Int)

    /// The article the file is shown as.
    public var articleID: String {
        switch self {
        case .added(let id), .newProvenance(let id), .copy(let id, _), .alreadyArchived(let id), .version(let id, _, _): id
        }
    }
}

extension Store {
    /// The `article.ingested` payload for a file.
    static func ingestedDraft(_ file: SourceFile, articleID: String) -> EventDraft {
        EventDraft(.articleIngested, [
            "article": .string(articleID),
            "file": .string(file.name.nfc),
            "text": .string(file.text),
            "encoding": .string(file.encoding),
        ])
    }

    /// Ingests a batch of files in one transaction (one commit, sealed): new articles, copies
    /// of archived ones and new provenance are recorded; the same content under the same name
    /// (line endings and trailing whitespace aside) writes nothing. Returns one outcome per
    /// file, in order.
    public func ingest(_ files: [SourceFile]) throws -> [IngestOutcome] {
        try writer.write { db in
            var outcomes: [IngestOutcome?] = []
            var drafts: [EventDraft] = []
            // Per file name, the texts this batch archives under it.
            var namedInBatch: [String: [String]] = [:]
            let nameKnown = try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM article_sources WHERE file = ?)")
            let sameName = try db.cachedStatement(sql: "SELECT content FROM article_sources WHERE story = ? AND file = ?")
            let shown = try db.cachedStatement(sql: "SELECT id FROM articles WHERE story = ?")
            for file in files {
                let id = ArticleText.id(of: file.text)
                let name = file.name.nfc
                // Only a file name already archived can be the same content again (typically the
                // same folder ingested twice): only then is the text parsed here.
                if try namedInBatch[name] != nil || (Bool.fetchOne(nameKnown, arguments: [name]) ?? false) {
                    let story = ArticleText(parsing: file.text).story
                    let archivedContents = try String.fetchAll(sameName, arguments: [story, name])
                    let batchTexts = (namedInBatch[name] ?? []).filter { ArticleText(parsing: $0).story == story }
                    if !archivedContents.isEmpty || !batchTexts.isEmpty {
                        let content = ArticleText.content(of: file.text, id: id)
                        if archivedContents.contains(content) || batchTexts.contains(where: { ArticleText.content(of: $0) == content }) {
                            let storyShownAs = try String.fetchOne(shown, arguments: [story])
                            outcomes.append(.alreadyArchived(articleID: storyShownAs ?? ArticleText.id(of: batchTexts[0])))
                            continue
                        }
                    }
                }
                namedInBatch[name, default: []].append(file.text)
                outcomes.append(nil)
                drafts.append(Self.ingestedDraft(file, articleID: id))
            }
            // What each archived file became, from the projection the append just updated.
            let events = try commit(drafts, db)
            let became = try db.cachedStatement(sql: """
                SELECT a.id, a.first_origin = s.origin AND a.first_seq = s.seq, s.article, a.version, f.id
                FROM article_sources s JOIN articles a ON a.story = s.story LEFT JOIN articles f ON f.story = a.family
                WHERE s.origin = ? AND s.seq = ?
                """)
            var archived = events.filter { $0.is(.articleIngested) }.makeIterator()
            return try outcomes.map { outcome in
                if let outcome { return outcome }
                guard let event = archived.next(), let row = try Row.fetchOne(became, arguments: [event.origin.rawValue, event.seq]) else {
                    throw DaftarError(.corrupt, "an archived file has no source in the projection")
                }
                let (shownAs, isFirst, copy): (String, Bool, String) = (row[0], row[1], row[2])
                if isFirst, let first = row[4] as String?, first != copy { return .version(articleID: copy, of: first, number: row[3]) }
                if isFirst { return .added(articleID: copy) }
                return shownAs == copy ? .newProvenance(articleID: copy) : .copy(articleID: shownAs, copyID: copy)
            }
        }
    }
}

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

    /// The article the file is shown as.
    public var articleID: String {
        switch self {
        case .added(let id), .newProvenance(let id), .copy(let id, _), .alreadyArchived(let id): id
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
            var outcomes: [IngestOutcome] = []
            var drafts: [EventDraft] = []
            // Per (story, file name) in this batch: the texts archived, and the id shown.
            var namedInBatch: [[String]: [String]] = [:]
            var storiesInBatch: [String: String] = [:]
            let sameName = try db.cachedStatement(sql: "SELECT content FROM article_sources WHERE story = ? AND file = ?")
            let shown = try db.cachedStatement(sql: "SELECT id FROM articles WHERE story = ?")
            for file in files {
                let id = ArticleText.id(of: file.text)
                let story = ArticleText(parsing: file.text).story
                let name = file.name.nfc
                let shownAs = try storiesInBatch[story] ?? String.fetchOne(shown, arguments: [story])
                // The reader's form of the text is computed only when a file of this name is
                // already a source of the story (typically: the same folder ingested again).
                let archivedContents = try String.fetchAll(sameName, arguments: [story, name])
                let batchTexts = namedInBatch[[story, name]] ?? []
                if !archivedContents.isEmpty || !batchTexts.isEmpty {
                    let content = ArticleText.content(of: file.text)
                    if archivedContents.contains(content) || batchTexts.contains(where: { ArticleText.content(of: $0) == content }) {
                        outcomes.append(.alreadyArchived(articleID: shownAs ?? id))
                        continue
                    }
                }
                namedInBatch[[story, name], default: []].append(file.text)
                if let shownAs {
                    outcomes.append(shownAs == id ? .newProvenance(articleID: id) : .copy(articleID: shownAs, copyID: id))
                } else {
                    outcomes.append(.added(articleID: id))
                    storiesInBatch[story] = id
                }
                drafts.append(Self.ingestedDraft(file, articleID: id))
            }
            try commit(drafts, db)
            return outcomes
        }
    }
}

import DaftarCore
import GRDB

/// What ingest did with one file.
public enum IngestOutcome: Sendable, Hashable {
    /// A new article.
    case added(articleID: String)
    /// A known article under a new file name: its provenance was recorded.
    case newProvenance(articleID: String)
    /// The same content under the same file name: nothing written.
    case alreadyArchived(articleID: String)

    public var articleID: String {
        switch self {
        case .added(let id), .newProvenance(let id), .alreadyArchived(let id): id
        }
    }
}

extension Store {
    /// The `article.ingested` payload for a file.
    static func ingestedDraft(_ file: SourceFile, articleID: String) -> EventDraft {
        EventDraft(type: "article.ingested", data: [
            "article": .string(articleID),
            "file": .string(file.name.nfc),
            "text": .string(file.text),
            "encoding": .string(file.encoding),
        ])
    }

    /// Ingests a batch of files in one transaction (one commit, sealed): new articles and new
    /// provenance are recorded; the same content under the same name writes nothing.
    /// Returns one outcome per file, in order.
    public func ingest(_ files: [SourceFile]) throws -> [IngestOutcome] {
        try writer.write { db in
            var outcomes: [IngestOutcome] = []
            var drafts: [EventDraft] = []
            var seenInBatch: Set<[String]> = []
            var articlesInBatch: Set<String> = []
            let archived = try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM article_sources WHERE article = ? AND file = ?)")
            let known = try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM articles WHERE id = ?)")
            for file in files {
                let id = ArticleText.id(of: file.text)
                let name = file.name.nfc
                if try seenInBatch.contains([id, name]) || (Bool.fetchOne(archived, arguments: [id, name]) ?? false) {
                    outcomes.append(.alreadyArchived(articleID: id))
                    continue
                }
                seenInBatch.insert([id, name])
                if try articlesInBatch.contains(id) || (Bool.fetchOne(known, arguments: [id]) ?? false) {
                    outcomes.append(.newProvenance(articleID: id))
                } else {
                    outcomes.append(.added(articleID: id))
                }
                articlesInBatch.insert(id)
                drafts.append(Self.ingestedDraft(file, articleID: id))
            }
            try commit(drafts, db)
            return outcomes
        }
    }
}

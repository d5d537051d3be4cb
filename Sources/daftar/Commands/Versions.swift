import ArgumentParser
import DaftarCore
import DaftarStore

struct VersionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "versions", abstract: "The versions of an article, and what changed between them.",
        discussion: """
            A file whose text is a near-duplicate of an archived article's (the same story updated, \
            or scraped from another site) is archived as a new version of it: `daftar list` and \
            `daftar search` show the story once, and annotations made on one version are shown on \
            the others, each saying how it was placed (exact, moved, fuzzy with a score) or listed \
            as an orphan there. `daftar versions ID` lists the versions with the words removed \
            and added between each and the one before; `daftar show ID --version N` shows one. \
            When two articles were grouped wrongly, `daftar versions split ID` splits ID off (an \
            event: it syncs, and every replica groups alike).
            """,
        subcommands: [ListVersions.self, Split.self],
        defaultSubcommand: ListVersions.self)

    @ParentCommand var daftar: Daftar

    struct ListVersions: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List an article's versions with what changed.")
        @ParentCommand var versions: VersionsCommand
        @Argument(help: "Article id (any version's) or unambiguous prefix.") var id: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let store = try versions.daftar.openStoreForReading()
            let all = try store.versions(of: store.resolveArticle(id))
            var changes: [[WordDiff.Change]] = [[]]
            for (older, newer) in zip(all, all.dropFirst()) {
                changes.append(WordDiff(from: try store.article(older.summary.id).body, to: try store.article(newer.summary.id).body).changes)
            }
            if json {
                return try Terminal.printJSON(zip(all, changes).map { Output(version: $0.number, article: $0.summary, changes: $1.map(Output.Change.init)) })
            }
            print("\(Terminal.safe(all[0].summary.title)) — \(all.count) version\(all.count == 1 ? "" : "s")")
            for (version, changed) in zip(all, changes) {
                print("version \(version.number)  \(version.summary.id.prefix(12))  \(Terminal.safe(version.summary.file))  \(Terminal.time(version.summary.added))")
                if version.number > 1 && changed.isEmpty { print("  (the same words as version \(version.number - 1))") }
                for change in changed {
                    let words = Terminal.clip(Terminal.safe(change.text.replacingOccurrences(of: "\n", with: " ")), 160)
                    if case .removed = change { print(Terminal.dim("  − «\(words)»")) } else { print("  + «\(words)»") }
                }
            }
            if all.count == 1 { Terminal.note("no other version: a near-duplicate archived later becomes one") }
        }

        struct Output: Encodable {
            struct Change: Encodable {
                var removed: String?
                var added: String?
                init(_ change: WordDiff.Change) {
                    if case .removed(let words) = change { removed = words } else { added = change.text }
                }
            }
            var version: Int
            var article: ArticleSummary
            /// What changed from the version before, in reading order.
            var changes: [Change]
        }
    }

    struct Split: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Split an article off the versions it was grouped with.")
        @ParentCommand var versions: VersionsCommand
        @Argument(help: "Article id or unambiguous prefix.") var id: String

        func run() throws {
            let store = try versions.daftar.openStore(forWriting: true)
            let id = try store.resolveArticle(self.id)
            let others = try store.splitVersion(id)
            print("split \(id.prefix(12)) off: no longer a version of \(others.map { "\($0.id.prefix(12)) «\(Terminal.clip(Terminal.safe($0.title), 40))»" }.joined(separator: ", "))")
        }
    }
}

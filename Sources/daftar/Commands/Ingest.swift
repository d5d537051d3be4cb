import ArgumentParser
import DaftarCore
import DaftarStore
import Foundation

struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Archive article files (UTF-8, or UTF-16 with a byte-order mark).",
        discussion: """
            Directories are walked recursively (hidden entries skipped); symbolic links are \
            followed, and a link that leads back into a folder being walked is reported as a loop. \
            An article's id is the SHA-256 of its text. The same content under the same file name \
            (line endings, a byte-order mark and trailing whitespace aside) is "already archived" \
            and writes nothing; under another name, its new provenance is recorded. A file whose \
            article body equals an archived one's (another copy of the story: other line endings, \
            another scraped tail) is a copy: one more source of that article, named on stderr. \
            Files that cannot be read (bad encoding, binary, empty, too large) are reported and \
            skipped; the rest are archived. Files are committed in batches: an interrupted \
            ingest keeps whole batches, and running it again completes it.
            Exit status: 0 when every file is archived, 1 otherwise.
            """)

    @ParentCommand var daftar: Daftar

    @Argument(help: ArgumentHelp("Files and directories to archive.", valueName: "path"))
    var paths: [String]

    @Option(help: ArgumentHelp("Largest file accepted, in bytes (at most 2 MiB).", valueName: "bytes"))
    var maxSize = Number(Limits.defaultArticleBytes)

    @Option(help: ArgumentHelp("Files per transaction (each batch also stops at 8 MiB of text).", valueName: "n"))
    var batch = Number(1024)

    @Flag(help: "Print one line per file.")
    var verbose = false

    @Flag(help: "Print the outcome of every file as JSON.")
    var json = false

    func validate() throws {
        guard (1...Limits.maxArticleBytes).contains(maxSize.value) else {
            throw ValidationError("--max-size must be between 1 and \(Limits.maxArticleBytes) bytes")
        }
        guard batch.value >= 1 else { throw ValidationError("--batch must be at least 1") }
    }

    struct FileReport: Encodable {
        var path: String
        var status: String
        var id: String?
        /// For a copy: the id of its own text (`id` is the article it is shown as).
        var copy: String?
        var error: String?
    }

    struct Report: Encodable {
        var files: [FileReport] = []
        var added = 0
        var newProvenance = 0
        var copies = 0
        var versions = 0
        var alreadyArchived = 0
        var failed = 0
        var loops: [String] = []
    }

    func run() throws {
        let store = try daftar.openStore(forWriting: true)
        let expansion = SourceFile.expand(self.paths)
        let paths = expansion.files
        var report = Report()
        let batchBytes = 8 << 20
        let printsLines = verbose && !json

        for problem in expansion.problems {
            Terminal.error("skipped \(problem)")  // shown safe: a name may hold a newline
            report.failed += 1
            report.files.append(FileReport(path: problem, status: "failed", error: problem))
        }
        for loop in expansion.loops {
            Terminal.note(loop)
            report.loops.append(loop)
        }

        func record(_ path: String, _ outcome: IngestOutcome) {
            let status: String
            var copy: String? = nil
            switch outcome {
            case .added: status = "added"; report.added += 1
            case .newProvenance: status = "new provenance"; report.newProvenance += 1
            case .copy(let shownAs, let copyID):
                status = "copy"
                copy = copyID
                report.copies += 1
                if !json {
                    Terminal.clearProgress()
                    Terminal.note("\(Terminal.safe(path)) is a copy of article \(shownAs.prefix(12)) (the same text but for line endings or the scraped tail): recorded as one more source")
                }
            case .alreadyArchived: status = "already archived"; report.alreadyArchived += 1
            case .version(let id, let first, let number):
                status = "new version"
                report.versions += 1
                if !json {
                    Terminal.clearProgress()
                    Terminal.note("\(Terminal.safe(path)) is version \(number) of article \(first.prefix(12)) (a near-duplicate: the same story updated or from another site); annotations on the other versions are shown on it — see `daftar versions \(id.prefix(12))`")
                }
            }
            report.files.append(FileReport(path: path, status: status, id: outcome.articleID, copy: copy))
            if printsLines { print("\(status.padding(toLength: 16, withPad: " ", startingAt: 0)) \(outcome.articleID.prefix(12))  \(Terminal.safe(path))") }
        }

        var pending: [SourceFile] = []
        var pendingBytes = 0
        var committed = 0
        func flush() throws {
            guard !pending.isEmpty else { return }
            let outcomes = try store.ingest(pending)
            for (file, outcome) in zip(pending, outcomes) { record(file.path, outcome) }
            committed += pending.count
            pending.removeAll()
            pendingBytes = 0
            Terminal.progress("ingesting: \(committed)/\(paths.count) files archived")
        }

        for (i, path) in paths.enumerated() {
            do {
                let file = try SourceFile.read(path: path, maxBytes: maxSize.value)
                pending.append(file)
                pendingBytes += file.text.utf8.count
            } catch let error as DaftarError {
                Terminal.clearProgress()
                Terminal.error("skipped \(Terminal.safe(error.message))\(error.code == .tooLarge ? "; --max-size raises the limit" : "")")
                report.failed += 1
                report.files.append(FileReport(path: path, status: "failed", error: error.message))
            }
            if pending.count >= batch.value || pendingBytes >= batchBytes { try flush() }
            if i % 16 == 0 { Terminal.progress("ingesting: \(committed)/\(paths.count) files archived, \(i + 1) read") }
        }
        try flush()
        Terminal.clearProgress()

        if json {
            try Terminal.printJSON(report)
        } else {
            var parts = ["\(report.added) new article\(report.added == 1 ? "" : "s")"]
            if report.versions > 0 { parts.append("\(report.versions) new version\(report.versions == 1 ? "" : "s") of archived articles") }
            if report.copies > 0 { parts.append("\(report.copies) cop\(report.copies == 1 ? "y" : "ies") of archived articles") }
            if report.newProvenance > 0 { parts.append("\(report.newProvenance) new provenance") }
            parts.append("\(report.alreadyArchived) already archived")
            if report.failed > 0 { parts.append("\(report.failed) failed") }
            let nothing = report.added + report.newProvenance + report.copies + report.versions == 0 ? " — nothing new to archive" : ""
            let count = paths.count + expansion.problems.count
            print("\(count) file\(count == 1 ? "" : "s"): \(parts.joined(separator: ", "))\(nothing)")
        }
        if report.failed > 0 { throw ExitCode(1) }
    }
}

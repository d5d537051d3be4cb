import ArgumentParser
import DaftarApp
import DaftarCore
import DaftarStore
import Foundation

struct Annotate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Highlight a passage of an article, with an optional note and tags.",
        discussion: """
            The quote is found with the folding of search: Arabic or Persian letter forms, \
            digits in any script, with or without zero-width non-joiners, and with a space where \
            the text joins (or the other way round) all anchor. The stored selector holds the \
            article's own text there (exact, plus 32 characters of prefix and suffix). A quote \
            that occurs more than once needs --prefix/--suffix or --occurrence N; alternatively \
            give --start/--end (Unicode scalars of the body). Nothing is written on error.
            A note longer than a shell line: --note-file F, or --note - to read standard input \
            (e.g. from a here-document). Annotating the same passage with the same note twice \
            writes nothing and says so, unless --again.
            Motivations (W3C): \(Motivation.all.joined(separator: ", ")).
            """)

    @ParentCommand var daftar: Daftar

    @Argument(help: "Article id or unambiguous prefix.")
    var article: String

    @Option(help: "The passage to annotate, as it reads in the article.")
    var quote: String?

    @Option(help: "Text just before the quote, to pick one occurrence.")
    var prefix: String?

    @Option(help: "Text just after the quote, to pick one occurrence.")
    var suffix: String?

    @Option(help: "Which occurrence of the quote (1-based, in reading order).")
    var occurrence: Number<Int>?

    @Option(help: "Start offset (Unicode scalars of the body), instead of --quote.")
    var start: Number<Int>?

    @Option(help: "End offset (exclusive), with --start.")
    var end: Number<Int>?

    @Option(help: ArgumentHelp("The note; - reads it from standard input.", valueName: "text"))
    var note: String?

    @Option(help: ArgumentHelp("Read the note from this file (UTF-8).", valueName: "file"))
    var noteFile: String?

    @Flag(help: "Write the annotation even when the same one (article, passage and note) exists.")
    var again = false

    @Option(name: .customLong("tag"), help: "A tag (repeatable).")
    var tags: [String] = []

    @Option(help: "W3C motivation (default: commenting with a note, tagging with tags only, else highlighting).")
    var motivation: String?

    @Flag(help: "Print the annotation as JSON.")
    var json = false

    func validate() throws {
        switch (quote, start, end) {
        case (.some, nil, nil), (nil, .some, .some): break
        case (.some, _, _): throw ValidationError("give either --quote or --start/--end, not both")
        default: throw ValidationError("give --quote TEXT (or --start N --end M)")
        }
    }

    func run() throws {
        let store = try daftar.openStore(forWriting: true)
        let id = try store.resolveArticle(article)
        let target: AnnotationTarget = if let quote {
            .quote(quote, prefix: prefix, suffix: suffix, occurrence: occurrence?.value)
        } else {
            .positions(start: start!.value, end: end!.value)
        }
        let note = try NoteInput.read(note: note, file: noteFile) ?? ""
        if !again, let existing = try store.sameAnnotation(article: id, target: target, note: note) {
            if json { return try Terminal.printJSON(AnnotationOutput(existing)) }
            print("already annotated: \(existing.id) on \(id.prefix(12)) at \(existing.anchor.start)–\(existing.anchor.end) has this passage and note; nothing written (--again writes another)")
            return
        }
        let view = try store.annotate(article: id, target: target, note: note, tags: tags, motivation: motivation)
        if quote != nil, !Anchoring(body: try store.article(id).body).isWholeWords(view.anchor.start..<view.anchor.end) {
            Terminal.note("the quote is found only inside longer words here: the passage is «\(Terminal.clip(view.anchor.exact, 60))» within a word")
        }
        if json { return try Terminal.printJSON(AnnotationOutput(view)) }
        print("annotated \(view.id) on \(id.prefix(12)) at \(view.anchor.start)–\(view.anchor.end): «\(Terminal.clip(view.anchor.exact, 60))»")
    }
}

/// An annotation as commands print it: times in local time.
typealias AnnotationOutput = AnnotationJSON<String>

extension AnnotationJSON where Time == String {
    init(_ view: AnnotationView) { self.init(view, time: Terminal.time, created: view.createdText) }
}

struct Annotations: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List annotations, in reading order.")

    @ParentCommand var daftar: Daftar

    @Argument(help: "Only this article (id or prefix).")
    var article: String?

    @Option(help: "Only annotations with this tag.")
    var tag: String?

    @Flag(help: "Include deleted annotations.")
    var deleted = false

    @OptionGroup var past: PastOption

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        let live = try daftar.openStoreForReading()
        let article = try self.article.map(live.resolveArticle)
        let views: [AnnotationView]
        if let moment = try daftar.pastMoment(live, asOf: past.asOf) {
            // As they were then, from their own events (of one article: that article's only).
            views = try (article.map { try live.article($0, at: moment).annotations } ?? live.annotations(at: moment))
                .filter { view in (deleted || !view.deleted) && (tag.map { view.tagEntries[Tag.key($0)] != nil } ?? true) }
        } else {
            views = try live.annotations(article: article, tag: tag, includeDeleted: deleted)
        }
        if json { return try Terminal.printJSON(views.map(AnnotationOutput.init)) }
        for view in views {
            let flags = [view.deleted ? "deleted" : nil, view.inConflict ? "CONFLICT" : nil].compactMap { $0 }
            let tags = view.tags.sorted { $0.key < $1.key }.map { "#\($0.value)" }.joined(separator: " ")
            print("\(view.id.prefix(13))  \(view.article.prefix(12)) \(view.anchor.isWholeArticle ? "" : "\(view.anchor.start)–\(view.anchor.end)  ")\(Terminal.quote(view.anchor, 40))\(flags.isEmpty ? "" : "  [\(flags.joined(separator: ", "))]")")
            let note = view.note.displayed?.value ?? ""
            if !note.isEmpty || !tags.isEmpty {
                print("    \(view.motivation.displayed?.value ?? ""): \(Terminal.clip(note, 80)) \(tags)")
            }
        }
        if views.isEmpty { Terminal.note("no annotations\(tag.map { " tagged \($0)" } ?? "")") }
    }
}

struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Change an annotation's note or motivation.",
        discussion: """
            With neither --note, --note-file nor --motivation, the current note opens in \
            $VISUAL (else $EDITOR); saving a changed note writes it, leaving it unchanged writes \
            nothing.
            """)

    @ParentCommand var daftar: Daftar

    @Argument(help: "Annotation id or unambiguous prefix.")
    var annotation: String

    @Option(help: ArgumentHelp("The new note; - reads it from standard input.", valueName: "text"))
    var note: String?

    @Option(help: ArgumentHelp("Read the new note from this file (UTF-8).", valueName: "file"))
    var noteFile: String?

    @Option(help: "The new motivation.")
    var motivation: String?

    func run() throws {
        let store = try daftar.openStore(forWriting: true)
        let id = try store.resolveAnnotation(annotation)
        var note = try NoteInput.read(note: note, file: noteFile)
        if note == nil, motivation == nil {
            let before = try store.annotation(id)
            guard let edited = try NoteInput.edit(before.note.displayed?.value ?? "") else {
                print("note unchanged; nothing written")
                return
            }
            // A sync (or another command) may have changed the note while the editor was
            // open: writing now would silently replace what arrived. Keep the text instead.
            if try store.annotation(id) != before {
                let kept = try NoteInput.keep(edited, for: id)
                throw DaftarError(.badInput, "annotation \(id.prefix(13)) changed while you were editing; nothing written — your text is in \(kept): look at the annotation, then `daftar edit \(id.prefix(8)) --note-file \(kept)`")
            }
            note = edited
        }
        let view = try store.edit(annotation: id, note: note, motivation: motivation)
        print("edited \(id)\(view.deleted ? " (it is deleted; `daftar restore \(id.prefix(8))` brings it back)" : "")")
    }
}

struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete an annotation (it stays in the log; `restore` brings it back).")

    @ParentCommand var daftar: Daftar

    @Argument(help: "Annotation id or unambiguous prefix.")
    var annotation: String

    func run() throws { try setDeleted(daftar, annotation, true) }
}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Restore a deleted annotation.")

    @ParentCommand var daftar: Daftar

    @Argument(help: "Annotation id or unambiguous prefix.")
    var annotation: String

    func run() throws { try setDeleted(daftar, annotation, false) }
}

/// `delete` and `restore`.
private func setDeleted(_ daftar: Daftar, _ annotation: String, _ deleted: Bool) throws {
    let store = try daftar.openStore(forWriting: true)
    let id = try store.resolveAnnotation(annotation)
    try store.setDeleted(annotation: id, deleted)
    print("\(deleted ? "deleted" : "restored") \(id)")
}

struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag", abstract: "Tag an article or an annotation.",
        discussion: "Tags are compared folded (ايران and ایران are one tag) and shown as first written.")

    @ParentCommand var daftar: Daftar

    @Argument(help: "Article or annotation id (or unambiguous prefix).")
    var target: String

    @Argument(help: "Tags to add.")
    var tags: [String]

    func run() throws {
        let store = try daftar.openStore(forWriting: true)
        let changed = try store.setTags(tags, on: store.resolveTagTarget(target), add: true)
        print("tagged \(target): \(changed.map { "#\($0)" }.joined(separator: " "))")
    }
}

struct Untag: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove tags from an article or an annotation.")

    @ParentCommand var daftar: Daftar

    @Argument(help: "Article or annotation id (or unambiguous prefix).")
    var target: String

    @Argument(help: "Tags to remove.")
    var tags: [String]

    func run() throws {
        let store = try daftar.openStore(forWriting: true)
        let changed = try store.setTags(tags, on: store.resolveTagTarget(target), add: false)
        print("untagged \(target): \(changed.map { "#\($0)" }.joined(separator: " "))")
    }
}

struct Tags: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List tags with how many annotations and articles carry them.")

    @ParentCommand var daftar: Daftar

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var past: PastOption

    struct Count: Encodable {
        var tag: String
        var annotations: Int
        var articles: Int
    }

    func run() throws {
        let live = try daftar.openStoreForReading()
        let counts = try (daftar.pastMoment(live, asOf: past.asOf).map { try live.tagCounts(at: $0) } ?? live.tagCounts()).map { Count(tag: $0.tag, annotations: $0.annotations, articles: $0.articles) }
        if json { return try Terminal.printJSON(counts) }
        for c in counts { print("#\(c.tag)\t\(c.annotations) annotation\(c.annotations == 1 ? "" : "s")\t\(c.articles) article\(c.articles == 1 ? "" : "s")") }
        if counts.isEmpty { Terminal.note("no tags yet; add some with `daftar tag ID TAG`") }
    }
}

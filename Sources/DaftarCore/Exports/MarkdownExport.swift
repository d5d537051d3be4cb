/// Annotated articles as Markdown, for reading and sharing: per article its title, date, file
/// and tags, then each annotation in reading order — the passage as a block quote, then the
/// note and the annotation's tags.
///
/// Persian articles are wrapped in `<div dir="rtl" lang="fa">`, with blank lines inside. Markdown
/// has no direction of its own, and "rely on the first letter" works only where a renderer
/// applies `dir="auto"` to every paragraph (GitHub does, Pandoc does not): a block quote that
/// starts with a Latin word or a digit, or a list of tags, would be laid out left to right. The
/// div sets the direction once for all of it; GitHub keeps `dir` and `lang` when it sanitises
/// HTML and renders the Markdown inside because of the blank lines, and Pandoc reads it as a
/// Div with `dir=rtl` (its HTML, EPUB and LaTeX writers honour it). Articles not in Arabic
/// script get no wrapper.
public enum MarkdownExport {
    public static func render(_ articles: [AnnotatedArticle]) -> String {
        var out = ""
        for article in articles where !article.annotations.isEmpty || !article.tags.isEmpty {
            let rtl = W3CAnnotations.isPersian(article.title + " " + article.annotations.map(\.anchor.exact).joined(separator: " "))
            if !out.isEmpty { out += "\n" }
            if rtl { out += "<div dir=\"rtl\" lang=\"fa\">\n\n" }
            out += "## \(escaped(oneLine(article.title)))\n\n"
            out += ([article.published].compactMap { $0 } + [code(article.file)]).joined(separator: " · ") + "\n\n"
            if !article.tags.isEmpty { out += tagLine(article.tags) + "\n\n" }
            for view in article.annotations.sorted(by: { ($0.anchor.start, $0.id) < ($1.anchor.start, $1.id) }) {
                out += (view.anchor.isWholeArticle ? "*On the whole article:*" : quoted(view.anchor.exact)) + "\n\n"
                if let note = view.note.displayed?.value, !note.trimmingWhitespace.isEmpty {
                    out += paragraphs(note) + "\n\n"
                }
                if !view.tags.isEmpty { out += tagLine(view.sortedTags) + "\n\n" }
            }
            if rtl { out += "</div>\n" }
        }
        return out
    }

    /// Tags as code spans: they stand out as labels, need no escaping, and read the same in
    /// either direction.
    static func tagLine(_ tags: [String]) -> String { tags.map(code).joined(separator: " ") }

    static func code(_ text: String) -> String {
        let line = oneLine(text)
        // A fence longer than any run of backticks inside (CommonMark code spans).
        var longest = 0, run = 0
        for c in line { run = c == "`" ? run + 1 : 0; longest = max(longest, run) }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = longest > 0 ? " " : ""
        return fence + pad + line + pad + fence
    }

    /// A passage as a block quote, line by line (empty lines kept inside the quote).
    static func quoted(_ text: String) -> String {
        lines(text).map { $0.isEmpty ? ">" : "> " + escaped($0) }.joined(separator: "\n")
    }

    /// A note: its lines kept as lines (a hard break), its blank lines as paragraph breaks.
    static func paragraphs(_ text: String) -> String {
        var paragraphs: [[String]] = [[]]
        for line in lines(text) {
            if line.isEmpty {
                if !(paragraphs.last?.isEmpty ?? true) { paragraphs.append([]) }
            } else {
                paragraphs[paragraphs.count - 1].append(escaped(line))
            }
        }
        return paragraphs.filter { !$0.isEmpty }.map { $0.joined(separator: "  \n") }.joined(separator: "\n\n")
    }

    /// The trimmed lines of the trimmed text.
    static func lines(_ text: String) -> [String] {
        text.trimmingWhitespace.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { String($0).trimmingWhitespace }
    }

    static func oneLine(_ text: String) -> String {
        lines(text).filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// Text that Markdown shows as written: its punctuation backslash-escaped where Markdown
    /// would read it as markup (emphasis, links, HTML, headings, list and table markers).
    static func escaped(_ text: String) -> String {
        var out = ""
        for (index, c) in text.enumerated() {
            switch c {
            case "\\", "`", "*", "_", "[", "]", "<", ">", "#", "|", "~", "!":
                out += "\\\(c)"
            case "-", "+", "=":
                out += index == 0 ? "\\\(c)" : String(c)  // a list marker or a heading underline
            case "." where index > 0 && text.prefix(index).allSatisfy(\.isASCIIDigit):
                out += "\\."  // `1.` would start a list
            default:
                out.append(c)
            }
        }
        return out
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

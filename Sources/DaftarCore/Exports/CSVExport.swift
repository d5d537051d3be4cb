/// Annotations as CSV (RFC 4180): one row per annotation, a header row first, CRLF line ends,
/// a field quoted when it holds a comma, a quote, CR or LF, its quotes doubled.
///
/// UTF-8, without a byte order mark unless asked: spreadsheet programs other than Excel,
/// pandas and command-line tools read UTF-8 as it is and would keep a BOM as part of the first
/// column's name; Excel needs the BOM to read Persian as UTF-8 rather than the system's code page.
public enum CSVExport {
    public static let header = [
        "annotation", "article", "title", "file", "published", "quote", "note", "tags", "motivation", "creator", "created",
        "modified", "conflict",
    ]

    /// The UTF-8 byte order mark.
    public static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The header and one row per annotation of each article, in the order given.
    public static func render(_ articles: [AnnotatedArticle], bom: Bool = false) -> [UInt8] {
        var out = bom ? Self.bom : []
        out += Array(row(header).utf8)
        for article in articles {
            for view in article.annotations {
                out += Array(row(fields(view, of: article)).utf8)
            }
        }
        return out
    }

    /// One annotation's fields, in ``header``'s order. Tags are separated by `;` (a tag holding
    /// one is rare enough not to be escaped).
    public static func fields(_ view: AnnotationView, of article: AnnotatedArticle) -> [String] {
        [
            view.id, article.id, article.title, article.file, article.published ?? "", view.anchor.exact,
            view.note.displayed?.value ?? "", view.sortedTags.joined(separator: ";"), view.motivation.displayed?.value ?? "highlighting",
            view.creator, view.createdText ?? W3CAnnotations.iso(view.created), W3CAnnotations.iso(view.modified),
            view.inConflict ? "true" : "false",
        ]
    }

    /// One record, CRLF-terminated.
    public static func row(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// A field, quoted when it must be (RFC 4180 §2.6–2.7).
    public static func field(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return value }
        return "\"" + value.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}

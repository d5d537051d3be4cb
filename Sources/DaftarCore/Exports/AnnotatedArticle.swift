/// An article as the exports show it: what it is, its tags, its live annotations in reading order.
public struct AnnotatedArticle: Sendable, Hashable {
    public var id: String
    public var title: String
    /// The published date the parser found (`YYYY-MM-DD`), if any.
    public var published: String?
    /// The file it was first archived from.
    public var file: String
    /// Its tags as displayed, in folded order.
    public var tags: [String]
    /// When its tags were first and last changed, ms since 1970 (nil when never tagged).
    public var tagsCreated: Int64?
    public var tagsModified: Int64?
    /// Who first tagged it.
    public var tagsCreator: String?
    /// Its annotations (not deleted), by start.
    public var annotations: [AnnotationView]

    public init(
        id: String, title: String, published: String? = nil, file: String, tags: [String] = [], tagsCreated: Int64? = nil,
        tagsModified: Int64? = nil, tagsCreator: String? = nil, annotations: [AnnotationView] = []
    ) {
        (self.id, self.title, self.published, self.file, self.tags) = (id, title, published, file, tags)
        (self.tagsCreated, self.tagsModified, self.tagsCreator, self.annotations) = (tagsCreated, tagsModified, tagsCreator, annotations)
    }

    /// Articles in the order a reader goes through them: by published date (undated last), title, id.
    public static func readingOrder(_ a: AnnotatedArticle, _ b: AnnotatedArticle) -> Bool {
        switch (a.published, b.published) {
        case (let x?, let y?) where x != y: return x < y
        case (.some, nil): return true
        case (nil, .some): return false
        default: return (a.title, a.id) < (b.title, b.id)
        }
    }
}

extension AnnotationView {
    /// Its tags as displayed, in folded order (the order every export uses).
    public var sortedTags: [String] { tags.sorted { $0.key < $1.key }.map(\.value) }
}

/// A failure a person can act on: a code callers match on, and one line saying what went
/// wrong and what to do about it (STYLE 7).
public struct DaftarError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The store file is not a Daftar store, or cannot be opened.
        case badStore
        /// The store was written by a newer Daftar.
        case newerSchema
        /// No store at the path, for a command that only reads.
        case noStore
        /// The key file exists but cannot be used.
        case badKeyFile
        /// A file given to ingest or import cannot be read.
        case badInput
        /// A search query that cannot be run.
        case badQuery
        /// No article, annotation or event matches the id given.
        case notFound
        /// An id prefix matches more than one thing.
        case ambiguous
        /// The log failed verification.
        case corrupt
        /// An event was refused.
        case invalidEvent
    }

    public let code: Code
    public let message: String
    /// The underlying error, when there is one.
    public let cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }
}

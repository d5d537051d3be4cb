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
        /// The peer cannot be reached (refused, no route, name not found, timed out).
        case unreachable
        /// The peer refused the credentials.
        case unauthorized
        /// The peer is not a Daftar peer, speaks another protocol version, or sent a message
        /// this version cannot read.
        case protocolMismatch
        /// The peer refused what was sent (an event or page it found invalid).
        case refusedByPeer
        /// A replica signed two histories: a verified fork proof froze it.
        case equivocation
        /// A quote occurs more than once in the article and nothing says which occurrence.
        case ambiguousQuote
        /// The connection broke during a transfer; what was committed stays.
        case interrupted
        /// The peer stopped making progress: it acknowledges but does not advance.
        case stalled
        /// Something is over a size limit.
        case tooLarge
        /// A bundle needs events this store does not hold yet.
        case missingPrerequisites
        /// The store is locked by another writer for longer than the wait allows.
        case busy
        /// The store cannot be written by this user (permissions, read-only media).
        case readOnly
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

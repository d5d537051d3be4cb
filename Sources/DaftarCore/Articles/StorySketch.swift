/// How alike two article bodies are, for telling a new version of a story (updated, or scraped
/// elsewhere) from an unrelated article.
///
/// A body is read as search reads it — folded, so letter forms, digits and diacritics do not
/// count — with the spaces and ZWNJs between words left out (sites join and split words
/// differently), and cut into overlapping **shingles** of ``width`` letters. Two bodies are
/// versions of one story when the Jaccard similarity of their shingle sets is at least
/// ``threshold``. To find the candidates among many articles without comparing against each,
/// a body is also summarised by its ``indexed`` smallest shingle hashes (a bottom-k sketch):
/// two near-duplicates share some of them with high probability, unrelated articles almost
/// never. Everything here is symmetric in the two bodies, so which arrived first never matters.
public struct StorySketch: Sendable, Hashable {
    /// Letters per shingle: longer than most words, so that a shared shingle is a shared
    /// phrase, not a common word.
    public static let width = 12
    /// Jaccard similarity from which two bodies are versions of one story. Chosen from
    /// `StorySketchTests` on news-length texts: an update (a tenth of the sentences deleted and
    /// as many written, typos, another site's letter forms and spacing) stays above 0.53;
    /// distinct articles, the seeds among them, below 0.02.
    public static let threshold = 0.3
    /// Bodies with fewer shingles than this are never linked: too short to judge.
    public static let minimumShingles = 40
    /// How many of the smallest shingle hashes are indexed for finding candidates.
    public static let indexed = 16

    /// Distinct shingle hashes, sorted.
    public let shingles: [UInt64]

    public init(body: String) {
        let letters = Anchoring.foldedScalars(body).map(\.value)
        var hashes = Set<UInt64>()
        if letters.count >= Self.width {
            hashes.reserveCapacity(letters.count)
            for i in 0...(letters.count - Self.width) { hashes.insert(Self.hash(letters[i..<i + Self.width])) }
        }
        shingles = hashes.sorted()
    }

    /// True when the body is long enough to be compared.
    public var isComparable: Bool { shingles.count >= Self.minimumShingles }

    /// The smallest hashes, as stored in SQLite's signed 64-bit integers.
    public var index: [Int64] { shingles.prefix(Self.indexed).map { Int64(bitPattern: $0) } }

    /// Jaccard similarity of the two shingle sets, 0…1.
    public func similarity(to other: StorySketch) -> Double {
        guard !shingles.isEmpty || !other.shingles.isEmpty else { return 0 }
        var i = 0, j = 0, common = 0
        while i < shingles.count && j < other.shingles.count {
            if shingles[i] == other.shingles[j] {
                common += 1
                i += 1
                j += 1
            } else if shingles[i] < other.shingles[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return Double(common) / Double(shingles.count + other.shingles.count - common)
    }

    /// True when the two bodies are versions of one story.
    public func isVersion(of other: StorySketch) -> Bool {
        isComparable && other.isComparable && similarity(to: other) >= Self.threshold
    }

    /// FNV-1a over the letters' scalar values: stable across machines.
    static func hash(_ letters: ArraySlice<UInt32>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for letter in letters { h = (h ^ UInt64(letter)) &* 0x100_0000_01b3 }
        return h
    }
}

/// How alike two article bodies are, for telling a new version of a story (updated, or scraped
/// elsewhere) from an unrelated article.
///
/// A body is read as search reads it — folded, so letter forms, digits and diacritics do not
/// count — with the spaces, punctuation and ZWNJs between words left out (sites join and split words
/// differently), and cut into overlapping **shingles** of ``width`` bytes of its UTF-8 (12
/// Persian letters). Two bodies are
/// versions of one story when the Jaccard similarity of their shingle sets is at least
/// ``threshold``. To find the candidates among many articles without comparing against each,
/// a body is also summarised by its ``indexed`` smallest shingle hashes (a bottom-k sketch):
/// two near-duplicates share some of them with high probability, unrelated articles almost
/// never. Everything here is symmetric in the two bodies, so which arrived first never matters.
public struct StorySketch: Sendable, Hashable {
    /// Bytes of folded UTF-8 per shingle (a Persian letter is two): longer than most words, so
    /// that a shared shingle is a shared phrase, not a common word.
    public static let width = 24
    /// Jaccard similarity from which two bodies are versions of one story. Chosen from
    /// `StorySketchTests` on news-length texts: an update (a tenth of the sentences deleted and
    /// as many written, typos, another site's letter forms and spacing) stays above 0.53;
    /// distinct articles, the seeds among them, below 0.02.
    public static let threshold = 0.3
    /// Bodies with fewer shingles than this (about 80 Persian words, a short news item) are never
    /// linked: too short to judge — two short notices written from one template, differing by a
    /// number or a name, are two notices.
    public static let minimumShingles = 800
    /// How many of the smallest shingle hashes are indexed for finding candidates.
    public static let indexed = 16

    /// Distinct shingle hashes, sorted.
    public let shingles: [UInt64]

    public init(body: String) {
        var hashes: [UInt64] = []
        Self.forEachShingle(of: body) { hashes.append($0) }
        hashes.sort()
        var unique: [UInt64] = []
        unique.reserveCapacity(hashes.count)
        for h in hashes where unique.last != h { unique.append(h) }
        shingles = unique
    }

    /// True when the body is long enough to be compared.
    public var isComparable: Bool { shingles.count >= Self.minimumShingles }

    /// The smallest hashes, as stored in SQLite's signed 64-bit integers.
    public var index: [Int64] { shingles.prefix(Self.indexed).map { Int64(bitPattern: $0) } }

    /// The ``index`` of a body, without keeping its shingles (what ingest needs): equal to
    /// `StorySketch(body:).index`. Nil when the body is too short to compare (judged exactly
    /// near the limit; a body of many repeated shingles may still be indexed, and is then
    /// refused when a pair is compared).
    public static func index(of body: String) -> [Int64]? {
        var smallest: [UInt64] = []  // sorted, distinct, at most `indexed`
        var count = 0
        forEachShingle(of: body) { h in
            count += 1
            if smallest.count == indexed, h >= smallest[indexed - 1] { return }
            var lo = 0, hi = smallest.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if smallest[mid] < h { lo = mid + 1 } else { hi = mid }
            }
            if lo < smallest.count && smallest[lo] == h { return }
            smallest.insert(h, at: lo)
            if smallest.count > indexed { smallest.removeLast() }
        }
        // `count` counts repeats: comparable needs the distinct count, so check it exactly.
        guard count >= minimumShingles else { return nil }
        if count < 2 * minimumShingles, !StorySketch(body: body).isComparable { return nil }
        return smallest.map { Int64(bitPattern: $0) }
    }

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

    /// Calls `body` with the hash of every shingle: a polynomial rolling hash over the bytes of
    /// the folded words (search's tokenizer, its fast path), wrapping 64-bit arithmetic — stable
    /// across machines — mixed so that the smallest hashes are a fair sample.
    static func forEachShingle(of text: String, _ body: (UInt64) -> Void) {
        let base: UInt64 = 0x100_0000_01b3
        var power: UInt64 = 1  // base^(width-1)
        for _ in 1..<width { power = power &* base }
        var window = [UInt8](repeating: 0, count: width)
        var filled = 0, slot = 0, rolling: UInt64 = 0
        var text = text
        window.withUnsafeMutableBufferPointer { window in
            text.withUTF8 { utf8 in
                FoldingTokenizer.tokenize(utf8: utf8) { word, _, _ in
                    for byte in word {
                        if filled >= width {
                            rolling = rolling &- UInt64(window[slot]) &* power
                        } else {
                            filled += 1
                        }
                        rolling = rolling &* base &+ UInt64(byte)
                        window[slot] = byte
                        slot = slot == width - 1 ? 0 : slot + 1
                        if filled == width { body(mix(rolling)) }
                    }
                    return true
                }
            }
        }
    }

    /// SplitMix64's finaliser.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

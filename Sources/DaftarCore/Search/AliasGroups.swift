/// Spellings an analyst says are one word (`daftar alias add شویگو شایگو شوئیگو`), which no
/// folding rule can know: transliterated names above all.
///
/// Groups are derived from `alias.added` and `alias.removed` events, the same way on every
/// replica whatever order they arrived in. An add links every two of its spellings; a remove
/// takes a spelling out: it drops the links to it from the adds it has seen (its clock covers
/// them), while a concurrent add wins, as for tags (an observed-remove set of links). A group is
/// a connected set of present links, so two adds sharing a spelling make one group.
public enum AliasGroups {
    /// Most spellings in one group: each is searched as its own term, with its forms.
    public static let maxSpellings = 16

    /// A spelling in a group: folded as search folds it, and as first written.
    public struct Member: Sendable, Hashable, Codable {
        public var folded: String
        public var spelling: String

        public init(folded: String, spelling: String) {
            (self.folded, self.spelling) = (folded, spelling)
        }
    }

    /// The folded word a spelling stands for: nil unless it is exactly one word.
    public static func key(_ spelling: String) -> String? {
        let words = PersianFolding.words(in: spelling)
        return words.count == 1 ? words[0].folded : nil
    }

    /// The spellings of an alias event, as written (empty for other events).
    public static func spellings(_ event: Event) -> [String] {
        if case .alias(let words, _)? = EventPayload(event) { return words }
        return []
    }

    /// The groups `events` leave (events of other types are ignored), each sorted by folded
    /// spelling, the groups by their first.
    public static func resolve(_ events: [Event]) -> [[Member]] {
        let adds = events.filter { $0.is(.aliasAdded) }
        let removes = events.filter { $0.is(.aliasRemoved) }.map { remove in
            (event: remove, words: Set(spellings(remove).compactMap(key)))
        }
        var parent: [String: String] = [:]
        func root(_ word: String) -> String {
            var word = word
            while let up = parent[word], up != word { word = up }
            return word
        }
        // The spelling shown for a word: from the earliest add (time, origin, seq) holding it
        // in a present link.
        var shown: [String: (spelling: String, order: (Int64, String, Int64))] = [:]
        for add in adds {
            var members: [(folded: String, spelling: String)] = []
            for spelling in spellings(add) {
                guard let folded = key(spelling), !members.contains(where: { $0.folded == folded }) else { continue }
                members.append((folded, spelling))
            }
            let removedHere = Set(removes.filter { add.happened(before: $0.event) }.flatMap(\.words))
            let present = members.filter { !removedHere.contains($0.folded) }
            guard present.count >= 2 else { continue }
            let order = (add.time, add.origin.rawValue, add.seq)
            for member in present {
                if parent[member.folded] == nil { parent[member.folded] = member.folded }
                if let current = shown[member.folded], current.order <= order { continue }
                shown[member.folded] = (member.spelling, order)
            }
            for member in present.dropFirst() {
                let (a, b) = (root(present[0].folded), root(member.folded))
                if a != b { parent[max(a, b)] = min(a, b) }
            }
        }
        var groups: [String: [Member]] = [:]
        for (word, entry) in shown {
            groups[root(word), default: []].append(Member(folded: word, spelling: entry.spelling))
        }
        return groups.values.map { $0.sorted { $0.folded < $1.folded } }.sorted { $0[0].folded < $1[0].folded }
    }
}

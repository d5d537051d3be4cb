/// What changed between two versions of an article, word by word, in reading order: runs of
/// words removed from the older text and added in the newer one. Words are compared folded
/// (as search reads them), so a change of letter forms, digits or spacing is no change; the
/// runs are shown as the texts write them.
public struct WordDiff: Sendable, Hashable {
    public enum Change: Sendable, Hashable, Codable {
        /// Words of the older text that the newer one does not have.
        case removed(String)
        /// Words of the newer text that the older one does not have.
        case added(String)

        public var text: String {
            switch self {
            case .removed(let s), .added(let s): s
            }
        }
    }

    public let changes: [Change]

    public init(from old: String, to new: String) {
        let a = PersianFolding.words(in: old), b = PersianFolding.words(in: new)
        let script = Self.readable(Self.editScript(a.map(\.folded), b.map(\.folded)))
        func text(_ words: [PersianFolding.Word], _ source: String, _ range: Range<Int>) -> String {
            let scalars = Array(source.unicodeScalars)
            let span = words[range.lowerBound].scalarRange.lowerBound..<words[range.upperBound - 1].scalarRange.upperBound
            return String(String.UnicodeScalarView(scalars[span]))
        }
        var changes: [Change] = []
        for step in script {
            if !step.removed.isEmpty { changes.append(.removed(text(a, old, step.removed))) }
            if !step.added.isEmpty { changes.append(.added(text(b, new, step.added))) }
        }
        self.changes = changes
    }

    /// One place where the texts differ: words `removed` of the old text replaced by words
    /// `added` of the new one (either may be empty).
    struct Step {
        var removed: Range<Int>
        var added: Range<Int>
    }

    /// The script with changes that only a word or two in common separate made one (a
    /// rewritten sentence reads as one change, not as fragments around `و` and `در`).
    static func readable(_ steps: [Step]) -> [Step] {
        var out: [Step] = []
        for step in steps {
            if let last = out.last {
                let gap = step.removed.lowerBound - last.removed.upperBound
                let size = { (s: Step) in s.removed.count + s.added.count }
                if gap <= 2 && size(last) >= 2 * gap && size(step) >= 2 * gap {
                    out[out.count - 1] = Step(removed: last.removed.lowerBound..<step.removed.upperBound, added: last.added.lowerBound..<step.added.upperBound)
                    continue
                }
            }
            out.append(step)
        }
        return out
    }

    /// Myers' O((N+M)·D) shortest edit script, as runs of removed and added words in order.
    static func editScript(_ a: [String], _ b: [String]) -> [Step] {
        // Common ends cost nothing and are most of a typical update.
        var head = 0
        while head < a.count && head < b.count && a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head && tail < b.count - head && a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        let x0 = Array(a[head..<(a.count - tail)]), y0 = Array(b[head..<(b.count - tail)])
        let n = x0.count, m = y0.count
        if n == 0 && m == 0 { return [] }
        if n == 0 || m == 0 { return [Step(removed: head..<head + n, added: head..<head + m)] }

        // Forward search, keeping each round's furthest reaching x per diagonal.
        let offset = n + m
        var v = [Int](repeating: 0, count: 2 * offset + 2)
        var trace: [[Int]] = []
        search: for d in 0...(n + m) {
            trace.append(Array(v[(offset - d)...(offset + d)]))  // what round d reads: O(D²) kept in all
            for k in stride(from: -d, through: d, by: 2) {
                var x = (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) ? v[offset + k + 1] : v[offset + k - 1] + 1
                var y = x - k
                while x < n && y < m && x0[x] == y0[y] {
                    x += 1
                    y += 1
                }
                v[offset + k] = x
                if x >= n && y >= m { break search }
            }
        }
        // Walk back: which words of each side are not on the common path.
        var keptA = [Bool](repeating: false, count: n), keptB = [Bool](repeating: false, count: m)
        var x = n, y = m
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let v = trace[d]  // v[k + d] is the furthest x on diagonal k before round d
            let k = x - y
            let prevK = (k == -d || (k != d && v[k - 1 + d] < v[k + 1 + d])) ? k + 1 : k - 1
            let prevX = d == 0 ? 0 : v[prevK + d]
            let prevY = prevX - prevK
            while x > prevX && y > prevY {
                x -= 1
                y -= 1
                keptA[x] = true
                keptB[y] = true
            }
            if d > 0 { (x, y) = (prevX, prevY) }
        }
        // Runs between kept words.
        var steps: [Step] = []
        var i = 0, j = 0
        while i < n || j < m {
            let si = i, sj = j
            while i < n && !keptA[i] { i += 1 }
            while j < m && !keptB[j] { j += 1 }
            if i > si || j > sj { steps.append(Step(removed: head + si..<head + i, added: head + sj..<head + j)) }
            while i < n && j < m && keptA[i] && keptB[j] {
                i += 1
                j += 1
            }
        }
        return steps
    }
}

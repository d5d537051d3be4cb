import GRDB
import GRDBSQLite
import Foundation

/// The FTS5 auxiliary function `daftar_rank(fts, limit, weight…)`: FTS5's own bm25 score
/// (the same formula, the same numbers: k1 = 1.2, b = 0.75, IDF floored at 1e-6, column
/// weights), for a query that keeps only the best `limit` rows.
///
/// bm25 spends most of its time reading each matching row's length (a `%_docsize` lookup
/// per row); for a word in most articles that is most of a query's time. A row's score can
/// only fall as its length grows, and each column holds at least one token past its last
/// matched one, so the score at that shortest possible length bounds the row's score from
/// above. Once `limit` rows have been scored, a row whose bound is below the `limit`-th best
/// score so far cannot be among the best `limit`: it is returned as `+∞` (sorting last)
/// without its length being read. Every row that can be in the top `limit` gets its exact
/// bm25 score, so `ORDER BY daftar_rank(…) LIMIT limit` returns what `ORDER BY bm25(…)`
/// would, in the same order. Requires that SQLite calls it once per row, as it does for a
/// result column that ORDER BY refers to.
public enum RankFunction {
    public static let name = "daftar_rank"

    public static func register(_ db: Database) {
        let api = UnsafeMutablePointer(mutating: FTS5.api(db))
        _ = api.pointee.xCreateFunction(api, name, nil, rank, nil)
    }

    /// What one query's calls share: the IDF of each phrase, the mean row length, the column
    /// weights, and the best scores so far. Called for every matching row, so its storage is
    /// plain memory (no copy-on-write or exclusivity checks in the loop).
    final class State {
        let phrases: Int
        let idf: UnsafeMutablePointer<Double>
        /// Per row: each phrase's frequency, instances weighted by column.
        let frequency: UnsafeMutablePointer<Double>
        let columns: Int
        /// Per row: for each column, one past the last matched token's offset.
        let columnEnds: UnsafeMutablePointer<Int32>
        let weights: [Double]
        let averageLength: Double
        let limit: Int
        /// The best exact scores so far (positive: higher is better), highest first.
        private(set) var best: [Double] = []

        init(idf: [Double], columns: Int, averageLength: Double, weights: [Double], limit: Int) {
            phrases = idf.count
            self.columns = columns
            columnEnds = .allocate(capacity: max(1, columns))
            columnEnds.initialize(repeating: 0, count: max(1, columns))
            self.idf = .allocate(capacity: max(1, idf.count))
            self.idf.initialize(from: idf, count: idf.count)
            frequency = .allocate(capacity: max(1, idf.count))
            frequency.initialize(repeating: 0, count: max(1, idf.count))
            (self.averageLength, self.weights, self.limit) = (averageLength, weights, limit)
        }

        deinit {
            idf.deallocate()
            frequency.deallocate()
            columnEnds.deallocate()
        }

        /// bm25 for the current `frequency` and row length `length` (FTS5's formula, in its order).
        func score(length: Double) -> Double {
            let k1 = 1.2, b = 0.75
            let norm = k1 * (1 - b + b * length / averageLength)
            var score = 0.0
            for i in 0..<phrases {
                score += idf[i] * ((frequency[i] * (k1 + 1.0)) / (frequency[i] + norm))
            }
            return score
        }

        /// The score a row must reach to be among the best `limit` (−∞ until `limit` are seen).
        var threshold: Double = -.infinity

        func record(_ score: Double) {
            guard score > threshold || best.count < limit else { return }
            var i = best.count
            while i > 0, best[i - 1] < score { i -= 1 }
            best.insert(score, at: i)
            if best.count > limit { best.removeLast() }
            if best.count == limit { threshold = best[limit - 1] }
        }
    }

    /// Counts a phrase's rows for its IDF; stops at half of all rows, where the IDF reaches
    /// its floor whatever the exact count.
    struct Count {
        var rows: Int64 = 0
        var stopAt: Int64
    }

    static let countRow: @convention(c) (UnsafePointer<Fts5ExtensionApi>?, OpaquePointer?, UnsafeMutableRawPointer?) -> Int32 = { _, _, user in
        let count = user!.assumingMemoryBound(to: Count.self)
        count.pointee.rows += 1
        return count.pointee.rows >= count.pointee.stopAt ? SQLITE_DONE : SQLITE_OK
    }

    static func makeState(
        _ api: Fts5ExtensionApi, _ fts: OpaquePointer?, _ values: UnsafeMutablePointer<OpaquePointer?>?, _ count: Int32
    ) -> (State?, Int32) {
        guard count >= 1, let values else { return (nil, SQLITE_MISUSE) }
        let limit = Int(sqlite3_value_int64(values[0]))
        let weights = (1..<Int(count)).map { sqlite3_value_double(values[$0]) }
        var rows: Int64 = 0, tokens: Int64 = 0
        var rc = api.xRowCount(fts, &rows)
        if rc == SQLITE_OK { rc = api.xColumnTotalSize(fts, -1, &tokens) }
        guard rc == SQLITE_OK else { return (nil, rc) }
        let phrases = Int(api.xPhraseCount(fts))
        var idf: [Double] = []
        for phrase in 0..<phrases {
            // (N − n + 0.5) / (n + 0.5) ≤ 1 once n ≥ N/2: the IDF is then at its floor.
            var hits = Count(stopAt: max(1, (rows + 1) / 2))
            rc = api.xQueryPhrase(fts, Int32(phrase), &hits, countRow)
            guard rc == SQLITE_OK else { return (nil, rc) }
            // Counting stopped early only where the IDF is at its floor anyway.
            let n = Double(hits.rows), N = Double(rows)
            let value = log((N - n + 0.5) / (n + 0.5))
            idf.append(value <= 0 ? 1e-6 : value)
        }
        return (State(idf: idf, columns: Int(api.xColumnCount(fts)), averageLength: rows > 0 ? Double(tokens) / Double(rows) : 1, weights: weights, limit: max(1, limit)), SQLITE_OK)
    }

    static let rank: fts5_extension_function = { api, fts, context, count, values in
        guard let api = api?.pointee else { return }
        let state: State
        if let stored = api.xGetAuxdata(fts, 0) {
            state = Unmanaged<State>.fromOpaque(stored).takeUnretainedValue()
        } else {
            let (made, rc) = makeState(api, fts, values, count)
            guard let made else {
                sqlite3_result_error_code(context, rc)
                return
            }
            let retained = Unmanaged.passRetained(made).toOpaque()
            let stored = api.xSetAuxdata(fts, retained) { pointer in
                if let pointer { Unmanaged<State>.fromOpaque(pointer).release() }
            }
            guard stored == SQLITE_OK else {
                sqlite3_result_error_code(context, stored)
                return
            }
            state = made
        }

        // Phrase frequencies, each instance weighted by its column.
        let frequency = state.frequency, phrases = Int32(state.phrases), weights = state.weights
        frequency.update(repeating: 0, count: state.phrases)
        // A column holds at least one token past its last matched one: the row's length is at
        // least the sum of those, which bounds its score from above more tightly than zero.
        let columnEnds = state.columnEnds, columns = state.columns
        columnEnds.update(repeating: 0, count: columns)
        var column: Int32 = 0, offset: Int32 = 0
        var iterator = Fts5PhraseIter()
        var rc = SQLITE_OK
        for phrase in 0..<phrases where rc == SQLITE_OK {
            rc = api.xPhraseFirst(fts, phrase, &iterator, &column, &offset)
            while rc == SQLITE_OK, column >= 0 {
                let c = Int(column)
                frequency[Int(phrase)] += c < weights.count ? weights[c] : 1.0
                if c < columns, offset >= columnEnds[c] { columnEnds[c] = offset + 1 }
                api.xPhraseNext(fts, &iterator, &column, &offset)
            }
        }
        guard rc == SQLITE_OK else {
            sqlite3_result_error_code(context, rc)
            return
        }
        var shortest: Int32 = 0
        for c in 0..<columns { shortest += columnEnds[c] }
        guard state.score(length: Double(shortest)) >= state.threshold else {
            sqlite3_result_double(context, .infinity)
            return
        }
        var length: Int32 = 0
        rc = api.xColumnSize(fts, -1, &length)
        guard rc == SQLITE_OK else {
            sqlite3_result_error_code(context, rc)
            return
        }
        let score = state.score(length: Double(length))
        state.record(score)
        sqlite3_result_double(context, -1.0 * score)
    }
}

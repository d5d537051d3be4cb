/// The hot path of ``PersianFolding`` for the search index: it walks raw UTF-8 and hands each
/// folded word and its byte range to a callback without allocating per word.
///
/// It must agree with ``PersianFolding/words(in:)`` (a property test holds them together);
/// bytes that are not valid UTF-8 separate words.
public enum FoldingTokenizer {
    private static let separator: UInt32 = 0xFFFF_FFFF
    private static let ignorable: UInt32 = 0xFFFF_FFFE
    private static let keep: UInt32 = 0xFFFF_FFFD
    private static let complex: UInt32 = 0xFFFF_FFFC

    /// Actions of U+0000–U+07FF, precomputed: a mapped scalar, or one of the markers above.
    private static let table: [UInt32] = (0..<0x800).map { v in
        guard let scalar = Unicode.Scalar(UInt32(v)) else { return separator }
        switch PersianFolding.action(for: scalar) {
        case .separator: return separator
        case .ignorable: return ignorable
        case .keep: return keep
        case .replace(let r): return r.count == 1 ? r[0].value : complex
        }
    }

    /// Calls `body(folded, start, end)` for each word of `text`; `folded` is the folded word's
    /// UTF-8 and `start..<end` its byte range in `text`. Stops early when `body` returns false.
    public static func tokenize(
        utf8 text: UnsafeBufferPointer<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>, Int, Int) -> Bool
    ) {
        scan(utf8: text) { token, start, end, _ in body(token, start, end) }
    }

    /// ``tokenize(utf8:_:)``, also handing over where each word had a ZWNJ: bit `i` of the
    /// fourth argument is set when one stood before folded scalar `i` (for ``PersianForms``).
    public static func scan(
        utf8 text: UnsafeBufferPointer<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>, Int, Int, UInt64) -> Bool
    ) {
        let table = Self.table
        var folded: [UInt8] = []
        folded.reserveCapacity(64)
        var scalars = 0  // in `folded`
        var zwnj: UInt64 = 0
        var wordStart = -1
        var wordEnd = 0
        var i = 0
        let n = text.count

        @inline(__always) func appendScalar(_ v: UInt32) {
            scalars += 1
            if v < 0x80 {
                folded.append(UInt8(v))
            } else if v < 0x800 {
                folded.append(UInt8(0xC0 | (v >> 6)))
                folded.append(UInt8(0x80 | (v & 0x3F)))
            } else if v < 0x10000 {
                folded.append(UInt8(0xE0 | (v >> 12)))
                folded.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
                folded.append(UInt8(0x80 | (v & 0x3F)))
            } else {
                folded.append(UInt8(0xF0 | (v >> 18)))
                folded.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
                folded.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
                folded.append(UInt8(0x80 | (v & 0x3F)))
            }
        }

        // Returns false when the callback asked to stop.
        @inline(__always) func flush() -> Bool {
            defer {
                folded.removeAll(keepingCapacity: true)
                wordStart = -1
                scalars = 0
                zwnj = 0
            }
            // A word-final ء (D8 A1) after ا (D8 A7), و (D9 88) or ی (DB 8C) is dropped.
            let n = folded.count
            if n >= 4, folded[n - 2] == 0xD8, folded[n - 1] == 0xA1,
                (folded[n - 4] == 0xD8 && folded[n - 3] == 0xA7) || (folded[n - 4] == 0xD9 && folded[n - 3] == 0x88)
                    || (folded[n - 4] == 0xDB && folded[n - 3] == 0x8C) {
                folded.removeLast(2)
            }
            if wordStart >= 0, !folded.isEmpty {
                return folded.withUnsafeBufferPointer { body($0, wordStart, wordEnd, zwnj) }
            }
            return true
        }

        while i < n {
            let start = i
            let b0 = UInt32(text[i])
            var v: UInt32
            var width: Int
            if b0 < 0x80 {
                v = b0
                width = 1
            } else if b0 & 0xE0 == 0xC0, i + 1 < n, text[i + 1] & 0xC0 == 0x80 {
                v = (b0 & 0x1F) << 6 | UInt32(text[i + 1] & 0x3F)
                width = 2
                if v < 0x80 { v = 0xFFFF_FFFF }
            } else if b0 & 0xF0 == 0xE0, i + 2 < n, text[i + 1] & 0xC0 == 0x80, text[i + 2] & 0xC0 == 0x80 {
                v = (b0 & 0x0F) << 12 | UInt32(text[i + 1] & 0x3F) << 6 | UInt32(text[i + 2] & 0x3F)
                width = 3
                if v < 0x800 || (0xD800...0xDFFF).contains(v) { v = 0xFFFF_FFFF }
            } else if b0 & 0xF8 == 0xF0, i + 3 < n, text[i + 1] & 0xC0 == 0x80, text[i + 2] & 0xC0 == 0x80, text[i + 3] & 0xC0 == 0x80 {
                v = (b0 & 0x07) << 18 | UInt32(text[i + 1] & 0x3F) << 12 | UInt32(text[i + 2] & 0x3F) << 6 | UInt32(text[i + 3] & 0x3F)
                width = 4
                if v < 0x10000 || v > 0x10FFFF { v = 0xFFFF_FFFF }
            } else {
                v = 0xFFFF_FFFF
                width = 1
            }
            i += width

            var action: UInt32
            if v == 0xFFFF_FFFF {
                action = separator
            } else if v < 0x800 {
                action = table[Int(v)]
            } else {
                action = complex
            }
            if action == complex {
                switch PersianFolding.action(for: Unicode.Scalar(v)!) {
                case .separator:
                    action = separator
                case .ignorable:
                    action = ignorable
                case .keep:
                    action = keep
                case .replace(let r):
                    if wordStart < 0 { wordStart = start }
                    for s in r { appendScalar(s.value) }
                    wordEnd = i
                    continue
                }
            }
            switch action {
            case separator:
                if !flush() { return }
            case ignorable:
                if wordStart < 0 { wordStart = start }
                if v == 0x200C, scalars > 0, scalars < 64 { zwnj |= 1 << UInt64(scalars) }
                wordEnd = i
            case keep:
                if wordStart < 0 { wordStart = start }
                appendScalar(v)
                wordEnd = i
            default:
                if wordStart < 0 { wordStart = start }
                appendScalar(action)
                wordEnd = i
            }
        }
        _ = flush()
    }
}

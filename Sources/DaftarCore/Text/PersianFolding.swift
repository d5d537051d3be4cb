import Foundation

/// The Persian-aware folding shared by the search index, queries and (later) quote anchoring
/// (DESIGN §4). It never changes stored text: it says, scalar by scalar, what a word *means*
/// for matching.
///
/// - letters: Arabic yeh and its variants → ی, Arabic kaf → ک, ة/ۀ/ھ → ه, أ/إ/آ/ٱ → ا,
///   ؤ → و, ئ → ی, presentation forms → base letters, Latin case-folded;
/// - a word-final ء after a long vowel (ا و ی, as folded) is dropped: `ارتقاء` is `ارتقا`;
///   elsewhere ء stays a letter (`جزء` is not `جز`);
/// - digits: Persian ۰–۹ and Arabic-Indic ٠–٩ → 0–9;
/// - ignorable inside a word (dropped, not a break): ZWNJ, ZWJ, tatweel, Arabic diacritics,
///   direction marks, soft hyphen;
/// - every other scalar that is not a letter, digit, mark or private-use character separates
///   words, NO-BREAK SPACE included.
///
/// ```swift
/// PersianFolding.words(in: "بین‌المللی روسيه ۱۴۰۴")  // ["بینالمللی", "روسیه", "1404"]
/// ```
public enum PersianFolding {
    /// What folding does with one scalar.
    public enum Action: Equatable, Sendable {
        /// Ends a word.
        case separator
        /// Part of a word, but contributes nothing to it.
        case ignorable
        /// Part of a word, unchanged.
        case keep
        /// Part of a word, replaced by these scalars.
        case replace([Unicode.Scalar])
    }

    /// The action for `scalar`.
    public static func action(for scalar: Unicode.Scalar) -> Action {
        let v = scalar.value
        if v < 0x80 {
            switch v {
            case 0x30...0x39, 0x61...0x7A: return .keep
            case 0x41...0x5A: return .replace([Unicode.Scalar(v + 0x20)!])
            default: return .separator
            }
        }
        switch v {
        // Yeh variants → Persian yeh.
        case 0x064A, 0x0649, 0x06CD, 0x06D0, 0x0620, 0x063D, 0x063E, 0x063F: return .replace(["\u{06CC}"])
        // Arabic kaf and swash kaf → keheh.
        case 0x0643, 0x06AA: return .replace(["\u{06A9}"])
        // Teh marbuta, heh with yeh, heh doachashmee, ae, heh goal → heh.
        case 0x0629, 0x06C0, 0x06BE, 0x06D5, 0x06C1, 0x06C2, 0x06C3: return .replace(["\u{0647}"])
        // Alef with hamza above/below, with madda, wasla → alef.
        case 0x0623, 0x0625, 0x0622, 0x0671: return .replace(["\u{0627}"])
        // Waw with hamza → waw; yeh with hamza → yeh (`رئیس` is `رییس`).
        case 0x0624: return .replace(["\u{0648}"])
        case 0x0626: return .replace(["\u{06CC}"])
        // Persian and Arabic-Indic digits → ASCII.
        case 0x06F0...0x06F9: return .replace([Unicode.Scalar(v - 0x06F0 + 0x30)!])
        case 0x0660...0x0669: return .replace([Unicode.Scalar(v - 0x0660 + 0x30)!])
        // ZWNJ, ZWJ, tatweel, soft hyphen, direction marks and isolates.
        case 0x200C, 0x200D, 0x0640, 0x00AD, 0x200E, 0x200F, 0x061C, 0x202A...0x202E, 0x2066...0x2069:
            return .ignorable
        // Arabic diacritics, superscript alef, Quranic annotation marks.
        case 0x064B...0x065F, 0x0670, 0x0610...0x061A, 0x06D6...0x06DC, 0x06DF...0x06E4, 0x06E7, 0x06E8, 0x06EA...0x06ED,
            0x08D3...0x08FF:
            return .ignorable
        // Arabic presentation forms → their base letters, folded in turn.
        case 0xFB50...0xFDFF, 0xFE70...0xFEFF:
            return presentationForms[v] ?? .separator
        default:
            break
        }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .titlecaseLetter:
            let lower = Array(scalar.properties.lowercaseMapping.unicodeScalars)
            return lower == [scalar] ? .keep : .replace(lower)
        case .lowercaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber,
            .nonspacingMark, .spacingMark, .enclosingMark,
            .privateUse:
            return .keep
        default:
            return .separator
        }
    }

    /// Presentation forms (U+FB50–FDFF, U+FE70–FEFF) decomposed by NFKC and folded.
    private static let presentationForms: [UInt32: Action] = {
        var table: [UInt32: Action] = [:]
        for v in Array(0xFB50...0xFDFF) + Array(0xFE70...0xFEFF) {
            guard let scalar = Unicode.Scalar(UInt32(v)), scalar.properties.generalCategory != .unassigned else { continue }
            let decomposed = String(scalar).precomposedStringWithCompatibilityMapping.unicodeScalars
            guard decomposed.count > 0, !(decomposed.count == 1 && decomposed.first == scalar) else { continue }
            var folded: [Unicode.Scalar] = []
            var wordish = true
            for s in decomposed {
                switch action(for: s) {
                case .separator: wordish = false
                case .ignorable: break
                case .keep: folded.append(s)
                case .replace(let r): folded.append(contentsOf: r)
                }
            }
            if wordish { table[UInt32(v)] = folded.isEmpty ? .ignorable : .replace(folded) }
        }
        return table
    }()

    /// True for the folded scalars after which a word-final hamza is dropped: alef, waw, yeh.
    @inline(__always)
    static func isLongVowel(_ v: UInt32) -> Bool { v == 0x0627 || v == 0x0648 || v == 0x06CC }

    /// `scalar` as folding writes it when it becomes one scalar; else itself.
    static func folded(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        if case .replace(let r) = action(for: scalar), r.count == 1 { return r[0] }
        return scalar
    }

    /// The hamza dropped at a word's end after a long vowel.
    static let hamza: UInt32 = 0x0621

    /// A word found in a text: its folded form and where it is in the original.
    public struct Word: Equatable, Sendable {
        /// The folded word, as the index stores it.
        public var folded: String
        /// Byte range in the original UTF-8 text.
        public var utf8Range: Range<Int>
        /// Range in Unicode scalars of the original text.
        public var scalarRange: Range<Int>
    }

    /// The words of `text`, folded, with their positions in the original.
    public static func words(in text: String) -> [Word] {
        var words: [Word] = []
        var current: [Unicode.Scalar] = []
        var start: (utf8: Int, scalar: Int)? = nil
        var end = (utf8: 0, scalar: 0)
        var position = (utf8: 0, scalar: 0)
        func flush() {
            if current.count >= 2, current[current.count - 1].value == hamza, isLongVowel(current[current.count - 2].value) {
                current.removeLast()
            }
            if let s = start, !current.isEmpty {
                var folded = String.UnicodeScalarView()
                folded.append(contentsOf: current)
                words.append(Word(folded: String(folded), utf8Range: s.utf8..<end.utf8, scalarRange: s.scalar..<end.scalar))
            }
            current.removeAll(keepingCapacity: true)
            start = nil
        }
        for scalar in text.unicodeScalars {
            let next = (utf8: position.utf8 + UTF8.width(scalar), scalar: position.scalar + 1)
            switch action(for: scalar) {
            case .separator:
                flush()
            case .ignorable:
                if start == nil { start = position }
                end = next
            case .keep:
                if start == nil { start = position }
                current.append(scalar)
                end = next
            case .replace(let r):
                if start == nil { start = position }
                current.append(contentsOf: r)
                end = next
            }
            position = next
        }
        flush()
        return words
    }

    /// The folded words of `text` joined by single spaces: what matching sees.
    public static func fold(_ text: String) -> String {
        words(in: text).map(\.folded).joined(separator: " ")
    }
}

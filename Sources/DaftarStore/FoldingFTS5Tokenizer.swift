import DaftarCore
import GRDB

/// The FTS5 tokenizer `daftar`: ``DaftarCore/FoldingTokenizer`` over SQLite's buffers, for
/// documents and queries alike, so `روسيه`, `روسیه` and `روسي‌ه` are one token.
///
/// DESIGN §4 suggested wrapping `unicode61`; the fold lives in DaftarCore instead so that the
/// index, the query side and quote anchoring share one implementation that is testable
/// without SQLite, and so that the token boundaries are ours rather than `unicode61`'s.
public final class FoldingFTS5Tokenizer: FTS5CustomTokenizer {
    public static let name = "daftar"

    public init(db: Database, arguments: [String]) throws {}

    public func tokenize(
        context: UnsafeMutableRawPointer?,
        tokenization: FTS5Tokenization,
        pText: UnsafePointer<CChar>?,
        nText: CInt,
        tokenCallback: @escaping FTS5TokenCallback
    ) -> CInt {
        guard let pText, nText > 0 else { return 0 }  // SQLITE_OK
        var status: CInt = 0
        // Documents also get each inflected word's stems, colocated (PersianForms); queries
        // ask for them by name, and highlights need only the words.
        let forms = tokenization.contains(.document)
        pText.withMemoryRebound(to: UInt8.self, capacity: Int(nText)) { bytes in
            FoldingTokenizer.scan(utf8: UnsafeBufferPointer(start: bytes, count: Int(nText))) { token, start, end, zwnj in
                token.withMemoryRebound(to: CChar.self) { chars in
                    status = tokenCallback(context, 0, chars.baseAddress, CInt(chars.count), CInt(start), CInt(end))
                }
                guard status == 0 else { return false }
                guard forms, PersianForms.mayHaveStem(utf8: token, zwnj: zwnj) else { return true }
                let word = Array(String(decoding: token, as: UTF8.self).unicodeScalars)
                for stem in PersianForms.stems(of: word, zwnj: zwnj) {
                    var term = PersianForms.term(stem)
                    term.withUTF8 { utf8 in
                        utf8.withMemoryRebound(to: CChar.self) { chars in
                            status = tokenCallback(context, Self.colocated, chars.baseAddress, CInt(chars.count), CInt(start), CInt(end))
                        }
                    }
                    guard status == 0 else { return false }
                }
                return true
            }
        }
        return status
    }

    /// `FTS5_TOKEN_COLOCATED`: the token shares the previous one's position.
    static let colocated: CInt = 1
}

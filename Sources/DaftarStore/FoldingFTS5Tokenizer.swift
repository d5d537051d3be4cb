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
        pText.withMemoryRebound(to: UInt8.self, capacity: Int(nText)) { bytes in
            FoldingTokenizer.tokenize(utf8: UnsafeBufferPointer(start: bytes, count: Int(nText))) { token, start, end in
                token.withMemoryRebound(to: CChar.self) { chars in
                    status = tokenCallback(context, 0, chars.baseAddress, CInt(chars.count), CInt(start), CInt(end))
                }
                return status == 0
            }
        }
        return status
    }
}

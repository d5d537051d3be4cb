import DaftarCore
import Testing

@Suite("Search query language")
struct SearchQueryTests {
    @Test func wordsAreFoldedAndQuoted() throws {
        let query = try SearchQuery(parsing: "ولاديمير پوتين")
        #expect(query.words == ["ولادیمیر", "پوتین"])
        #expect(query.ftsExpression.contains("\"ولادیمیر\""))
        #expect(query.ftsExpression.contains("\"ولادیمیرپوتین\""))  // the joined reading
    }

    @Test func phrasesOrExclusionAndPrefix() throws {
        let query = try SearchQuery(parsing: #""پیمان همکاری" پوتین OR شویگو -اوکراین همکار*"#, forms: false)
        #expect(query.required == [
            .phrase(["پیمان", "همکاری"]),
            .any([.word("پوتین", splits: []), .word("شویگو", splits: [])]),
            .prefix("همکار"),
        ])
        #expect(query.excluded == [.word("اوکراین", splits: [])])
        let fts = query.ftsExpression
        #expect(fts.hasSuffix(#") NOT (("اوکراین" OR "او کراین" OR "اوکرا ین" OR "اوک راین" OR "اوکر این"))"#))
        #expect(fts.contains(#""همکار" *"#))
        #expect(fts.contains(#""پیمان همکاری""#))
    }

    @Test func zwnjIsTheSplitPoint() throws {
        let query = try SearchQuery(parsing: "مي‌کنند", forms: false)
        #expect(query.required == [.word("میکنند", splits: [2])])
        #expect(query.ftsExpression == #"("میکنند" OR "می کنند")"#)
        // With forms, also the words whose stem it is (the index's marked stems).
        #expect(try SearchQuery(parsing: "مي‌کنند").ftsExpression == #"("میکنند" OR "\#u{E002}میکنند" OR "می کنند")"#)
    }

    @Test func longWordsSplitNearTheirEndsFirstAndBounded() {
        let phrases = SearchQuery.splitPhrases("همکاریهای")
        #expect(phrases.count == SearchQuery.maxSplitsPerWord - 2)  // 9 letters: splits 2…7
        #expect(phrases.contains(["همکاری", "های"]))
        #expect(phrases.first == ["هم", "کاریهای"])
        let long = String(repeating: "ب", count: 40)
        #expect(SearchQuery.splitPhrases(long).count == SearchQuery.maxSplitsPerWord + SearchQuery.maxThreePieces)
        #expect(SearchQuery.splitPhrases("ایرا").count == 1)
        #expect(SearchQuery.splitPhrases("ما").isEmpty)
        #expect(SearchQuery.splitPhrases("1404").isEmpty)  // numbers are not split
    }

    /// A compound in three pieces: `و` between two words, on its own or joined to either.
    @Test func compoundsSplitAroundAnd() {
        for (word, left, right) in [("صداوسیما", "صدا", "سیما"), ("رفتوامد", "رفت", "امد"), ("حملونقل", "حمل", "نقل")] {
            let phrases = SearchQuery.splitPhrases(word)
            #expect(phrases.contains([left, "و", right]), "\(word)")
            #expect(phrases.contains([left, "و" + right]), "\(word)")
            #expect(phrases.contains([left + "و", right]), "\(word)")
        }
        // A و at a word's edge, or with one letter beside it, is no compound's "and".
        #expect(!SearchQuery.splitPhrases("وزیران").contains { $0.count == 3 })
        #expect(!SearchQuery.splitPhrases("گفتگو").contains { $0.count == 3 })
        #expect(!SearchQuery.splitPhrases("بودن").contains { $0.count == 3 })
        // Bounded: many و, at most maxAndSplits compounds (three forms each).
        let many = SearchQuery.splitPhrases("ابوابوابوابوابواب").filter { $0.count == 3 || $0.contains { $0 == "و" } }
        #expect(many.filter { $0.count == 3 && $0[1] == "و" }.count == SearchQuery.maxAndSplits)
    }

    /// Three adjacent words also match joined into one; the expression stays bounded.
    @Test func threeWordsJoin() throws {
        let expression = try SearchQuery(parsing: "صدا و سیما").ftsExpression
        #expect(expression.contains(#""صداوسیما""#), "\(expression)")
        #expect(expression.contains(#""صداو""#) && expression.contains(#""وسیما""#), "\(expression)")
        let six = try SearchQuery(parsing: "یک دو سه چهار پنج شش").ftsExpression
        #expect(six.utf8.count < 20_000, "\(six.utf8.count) bytes")
    }

    @Test func joinsAreBoundedToRuns() throws {
        let eight = try SearchQuery(parsing: "یک دو سه چهار پنج شش هفت هشت")
        let fts = eight.ftsExpression
        #expect(fts.contains("\"ششهفت\"") == false)  // 6 and 7 are in different runs
        #expect(fts.contains("\"هفتهشت\""))
        #expect(fts.contains("\"پنجشش\""))
    }

    @Test func tooManyTermsIsAClearError() {
        let text = Array(repeating: "کلمه", count: SearchQuery.maxTerms + 1).joined(separator: " ")
        let error = #expect(throws: DaftarError.self) { try SearchQuery(parsing: text) }
        #expect(error?.code == .badQuery)
        #expect(error?.message.contains("too long") == true)
    }

    @Test func onlyExclusionsIsAClearError() {
        let error = #expect(throws: DaftarError.self) { try SearchQuery(parsing: "-روسیه -ایران") }
        #expect(error?.message.contains("only excludes") == true)
    }

    @Test(arguments: [
        #"""#, #""""#, "OR", "OR OR", "-", "- -", "*", "***", "(", ")", "^", ":", "{}",
        "«»", "،؛؟", "\u{200C}", "\u{200F}", "-\"\"",
    ])
    func hostileInputWithoutWordsIsAClearError(_ text: String) {
        #expect(throws: DaftarError.self) {
            do { _ = try SearchQuery(parsing: text) } catch let error as DaftarError {
                #expect(error.code == .badQuery)
                throw error
            }
        }
    }

    @Test(arguments: ["AND", "NOT", "NEAR(", "col:x"])
    func fts5KeywordsAreOrdinaryWords(_ text: String) throws {
        let query = try SearchQuery(parsing: text)
        #expect(query.words == PersianFolding.words(in: text).map(\.folded))
    }

    @Test func quotesNeverReachFTS5() throws {
        let query = try SearchQuery(parsing: #"a"b "c OR" d" e\"f col:x NEAR(g h) {i j}"#)
        // Every quote in the expression is one we added around folded words.
        for piece in query.ftsExpression.split(separator: "\"", omittingEmptySubsequences: false).enumerated() where piece.offset % 2 == 1 {
            #expect(piece.element.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == " " || $0 == PersianForms.marker }, "\(piece.element)")
        }
    }

    /// Three-piece readings: only long words, pieces of three letters or more, bounded, the
    /// most even first; none for numbers or words typed with a ZWNJ (their pieces are known).
    @Test func threePiecesAreBounded() throws {
        #expect(SearchQuery.threePieces("بینالمللی").isEmpty)  // 9 letters
        let readings = SearchQuery.threePieces("محمدجوادظریف")
        #expect(readings.first == ["محمد", "جواد", "ظریف"])
        #expect(readings.count == 10 && readings.allSatisfy { $0.allSatisfy { $0.unicodeScalars.count >= 3 } })
        #expect(SearchQuery.threePieces(String(repeating: "ب", count: 40)).count == SearchQuery.maxThreePieces)
        #expect(SearchQuery.threePieces("12345678901").isEmpty)
        #expect(SearchQuery.threePieces(String(repeating: "ب", count: 41)).isEmpty)
        let typed = try SearchQuery(parsing: "محمد‌جواد‌ظریف", forms: false).ftsExpression
        #expect(!typed.contains("\"محم دجو"))
    }
}

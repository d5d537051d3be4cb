import DaftarCore
import Testing

@Suite("Article shapes of the seeds")
struct ArticleTextTests {
    struct Expectation: Sendable, CustomTestStringConvertible {
        let file: String
        let title: String
        let published: String?
        let bodyEnd: String
        var testDescription: String { file }
    }

    static let seeds: [Expectation] = [
        Expectation(
            file: "000_1ecfb78ca4866ac4.txt",
            title: "وزارت دفاع روسیه اعلام کرد که در دیدار معاون این وزارتخانه و سفیر ایران در مسکو، مسائل امنیت بینالمللی و منطقهای از جمله قفقاز جنوبی بررسی شد.",
            published: "2025-08-26",
            bodyEnd: "در کاخ کرملین حضور داشت."),
        Expectation(
            file: "001_e43867a11d68460e.txt",
            title: "حسین امیرعبداللهیان (چپ) صبح چهارشنبه با سرگئی لاوروف دیدار کرد",
            published: nil,
            bodyEnd: "تحول مهمی در ارتباط با این مذاکرات رخ نداده است."),
        Expectation(
            file: "002_0a9e599e7ddfaa65.txt",
            title: "روسیه: ایران شریک راهبردی ماست",
            published: nil,
            bodyEnd: "با رئیسجمهور روسیه دیدار کردند."),  // before «مطالب مرتبط» and the teasers
        Expectation(
            file: "003_8fc7de84c5610d4c.txt",
            title: "کرملین: روز جمعه در مسکو پوتین و پزشکیان پیمان همکاری جامع راهبردی امضا می کنند",
            published: nil,
            bodyEnd: "برای مشارکت در جنگ اوکراین حکایت دارند."),
        Expectation(
            file: "004_8002fddc3a075398.txt",
            title: "به گزارش اکونا پرس،",  // a dateline, not a headline: kept in the body too
            published: nil,
            bodyEnd: "همکاری های دوجانبه دفاعی را مورد بررسی قرار دادند."),
    ]

    @Test(arguments: seeds)
    func seedShape(_ expected: Expectation) throws {
        let original = try Fixtures.seed(expected.file)
        let article = ArticleText(parsing: original)
        #expect(article.title == expected.title)
        #expect(article.published == expected.published)
        #expect(article.body.hasSuffix(expected.bodyEnd))
        #expect(article.body.hasPrefix(article.title))
        // The body starts at bodyStart in the original: its first line is there verbatim.
        let scalars = Array(original.unicodeScalars)
        let title = article.title.unicodeScalars.count
        #expect(String(String.UnicodeScalarView(scalars[article.bodyStart..<article.bodyStart + title])) == article.title)
        for marker in ["مطالب مرتبط", "نظرات کاربران", "\n|\n"] {
            #expect(!article.body.contains(marker))
        }
    }

    @Test func datePrefixOnItsOwnLine() {
        let article = ArticleText(parsing: "date 2024-01-05\nعنوان\n\nمتن")
        #expect(article.published == "2024-01-05")
        #expect(article.title == "عنوان")
        #expect(article.body == "عنوان\n\nمتن")
    }

    @Test func notADate() {
        let article = ArticleText(parsing: "date 2024-13-05 عنوان")
        #expect(article.published == nil)
        #expect(article.title == "date 2024-13-05 عنوان")
    }

    @Test func tailMarkerWithSurroundingSpaces() {
        let article = ArticleText(parsing: "عنوان\nمتن\n  مطالب مرتبط \nتیتر دیگر")
        #expect(article.body == "عنوان\nمتن")
    }

    @Test func idIsTheHashOfTheNFCText() {
        #expect(ArticleText.id(of: "e\u{301}") == ArticleText.id(of: "\u{E9}"))
        #expect(ArticleText.id(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// Line endings, a byte-order mark and trailing whitespace make no difference; another
    /// scraped tail makes a copy: the same story, other content.
    @Test(arguments: [
        "عنوان\r\nمتن  \r\n\r\nبند دوم\r\n",
        "عنوان\nمتن\n\nبند دوم\n\n\n",
        "\u{FEFF}عنوان \t\nمتن\n\nبند دوم",
        "عنوان\rمتن\r\rبند دوم",
    ])
    func copiesReadTheSame(_ copy: String) {
        let original = "عنوان\nمتن\n\nبند دوم"
        #expect(ArticleText(parsing: copy).body == ArticleText(parsing: original).body)
        #expect(ArticleText.content(of: copy) == ArticleText.content(of: original))
        #expect(ArticleText(parsing: copy + "\nنظرات کاربران\n۱۲ نظر").story == ArticleText(parsing: original).story)
        #expect(ArticleText.content(of: copy + "\nنظرات کاربران\n۱۲ نظر") != ArticleText.content(of: original))
    }

    @Test func differentBodiesAreDifferentStories() {
        #expect(ArticleText(parsing: "عنوان\nمتن").story != ArticleText(parsing: "عنوان\nمتن دیگر").story)
        #expect(ArticleText(parsing: "عنوان\n  متن").story != ArticleText(parsing: "عنوان\nمتن").story)
    }
}

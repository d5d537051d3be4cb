/// A news story and its update, for the tests of article versions: the update fixes a typo in
/// the fourth paragraph («نضامی»), deletes the fifth, writes a new one and changes the title.
public enum StoryVersions {
    public static let paragraphs = [
        "وزارت دفاع روسیه اعلام کرد که در دیدار معاون این وزارتخانه و سفیر ایران در مسکو، مسائل امنیت منطقه‌ای از جمله قفقاز جنوبی بررسی شد.",
        "به گزارش خبرگزاری تاس، معاون وزیر دفاع روسیه و سفیر ایران در این جلسه درباره همکاری‌های نظامی دوجانبه و چشم‌انداز اجرای آنها گفتگو کردند.",
        "معاون وزیر دفاع روسیه از سفیر به خاطر سهم بزرگ وی در توسعه روابط دو کشور تشکر کرد.",
        "سفیر ایران نیز به پویایی بالا و تطبیق‌پذیری همکاری دو کشور در حوزه نظامی اشاره کرد و گفت این روند ادامه خواهد یافت.",
        "در پایان دیدار دو طرف بر ادامه رایزنی‌ها در سطح کارشناسی تاکید کردند و قرار شد نشست بعدی در تهران برگزار شود.",
        "کارشناسان می‌گویند این دیدارها نشانه گسترش روابط دفاعی دو کشور در ماه‌های اخیر است.",
    ]
    public static let original = "دیدار سفیر ایران با معاون وزیر دفاع روسیه\n\n" + paragraphs.joined(separator: "\n\n")
    /// The first version as archived: with the typo.
    public static let typoed = original.replacingOccurrences(of: "در حوزه نظامی اشاره", with: "در حوزه نضامی اشاره")
    public static let updated = "دیدار سفیر ایران و معاون وزیر دفاع روسیه در مسکو\n\n" + [
        paragraphs[0], paragraphs[1], paragraphs[2], paragraphs[3],
        "وزارت خارجه ایران نیز این دیدار را سازنده خواند و از ادامه همکاری‌ها خبر داد.",
        paragraphs[5],
    ].joined(separator: "\n\n")
}

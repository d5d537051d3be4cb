import Foundation

/// Numbers and dates as a Persian-speaking analyst types them: Persian (۱۴۰۴) or
/// Arabic-Indic (١٤٠٤) digits as well as Latin ones, and Solar Hijri dates (the Iranian
/// calendar, Foundation's `.persian`) as well as Gregorian ones.
public enum PersianDates {
    /// `text` with Persian and Arabic-Indic digits replaced by Latin ones.
    public static func latinDigits(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            switch s.value {
            case 0x06F0...0x06F9: out.append(Unicode.Scalar(s.value - 0x06F0 + 0x30)!)
            case 0x0660...0x0669: out.append(Unicode.Scalar(s.value - 0x0660 + 0x30)!)
            default: out.append(s)
            }
        }
        return String(out)
    }

    /// Years below this are Solar Hijri (1404 SH is 2025): no archived news predates 1700.
    public static let solarHijriBelow = 1700

    static let persianCalendar: Calendar = {
        var calendar = Calendar(identifier: .persian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    static let gregorianCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// The Gregorian `YYYY-MM-DD` of a date typed as `YYYY-MM-DD` or `YYYY/MM/DD`, in any
    /// digits; a year below 1700 is Solar Hijri (`۱۴۰۳-۱۰-۲۸` is 2025-01-17). Nil when it is
    /// not a date (month 13, day 32, Esfand 30 in a common year…).
    public static func gregorian(_ text: String) -> String? {
        let parts = latinDigits(text.trimmingWhitespace).split(omittingEmptySubsequences: false) { $0 == "-" || $0 == "/" }
        guard parts.count == 3, (1...4).contains(parts[0].count), (1...2).contains(parts[1].count), (1...2).contains(parts[2].count),
            let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            year >= 1, (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let calendar = year < solarHijriBelow ? persianCalendar : gregorianCalendar
        let components = DateComponents(year: year, month: month, day: day)
        guard let date = calendar.date(from: components),
            calendar.dateComponents([.year, .month, .day], from: date) == DateComponents(year: year, month: month, day: day)
        else { return nil }
        let g = gregorianCalendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", g.year!, g.month!, g.day!)
    }

    /// The Solar Hijri `YYYY-MM-DD` of a Gregorian `YYYY-MM-DD`; nil when it is not one.
    public static func solarHijri(_ gregorianDate: String) -> String? {
        let parts = gregorianDate.split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            let date = gregorianCalendar.date(from: DateComponents(year: y, month: m, day: d))
        else { return nil }
        let p = persianCalendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", p.year!, p.month!, p.day!)
    }
}

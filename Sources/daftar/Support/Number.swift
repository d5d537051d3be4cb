import ArgumentParser
import DaftarCore

/// A whole number as an analyst types it: Latin (12), Persian (۱۲) or Arabic-Indic (١٢)
/// digits. Out of range (e.g. 2^64 for a 64-bit position) is refused, never wrapped.
struct Number<Value: FixedWidthInteger & Sendable>: ExpressibleByArgument, Sendable, CustomStringConvertible {
    var value: Value

    init(_ value: Value) { self.value = value }

    init?(argument: String) {
        guard let value = Value(PersianDates.latinDigits(argument), radix: 10) else { return nil }
        self.value = value
    }

    var description: String { "\(value)" }
    var defaultValueDescription: String { "\(value)" }
}

/// A date as an analyst types it: `YYYY-MM-DD` (or with `/`) in any digits; a year below
/// 1700 is Solar Hijri. Holds the Gregorian `YYYY-MM-DD` the archive compares.
struct DateArgument: ExpressibleByArgument, Sendable {
    var gregorian: String

    init?(argument: String) {
        guard let gregorian = PersianDates.gregorian(argument) else { return nil }
        self.gregorian = gregorian
    }
}

/// How dates are shown: Gregorian (the default) or Solar Hijri.
enum CalendarChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case gregorian, persian

    /// A stored `YYYY-MM-DD` (Gregorian) as this calendar writes it.
    func show(_ date: String) -> String {
        switch self {
        case .gregorian: date
        case .persian: PersianDates.solarHijri(date) ?? date
        }
    }
}

import DaftarCore
import DaftarStore
import Foundation

/// WHEN, as `--as-of` and `changes --since/--until` take it: a time (`2026-11-20`,
/// `2026-11-20T14:00`, local time; a date alone is the end of that day; Solar Hijri dates
/// and Persian digits accepted), a position in this store's log (`1234`), a version vector
/// (`ORIGIN:SEQ,…`, origins by unambiguous prefix), or a sync (`sync:PEER` is just before the
/// last sync with that peer, `sync:PEER~2` the one before).
public struct When: Sendable, CustomStringConvertible {
    public enum Form: Sendable {
        case time(Int64)
        case position(Int64)
        case versionVector(String)
        case sync(peer: String, back: Int)
    }

    public let form: Form
    public let text: String
    public var description: String { text }

    public init?(argument: String) {
        text = argument
        let latin = PersianDates.latinDigits(argument.trimmingWhitespace)
        if latin.hasPrefix("sync:") {
            let rest = latin.dropFirst(5)
            let parts = rest.split(separator: "~", maxSplits: 1)
            guard let peer = parts.first, !peer.isEmpty else { return nil }
            let back = parts.count == 2 ? Int(parts[1]) : 1
            guard let back, back >= 1 else { return nil }
            form = .sync(peer: String(peer), back: back)
        } else if let position = Int64(latin), position >= 0 {
            form = .position(position)
        } else if let time = Self.time(latin) {
            form = .time(time)
        } else if latin.split(separator: ",").allSatisfy({ $0.split(separator: ":").count == 2 && $0.first?.isLetter == true }) {
            form = .versionVector(latin)
        } else {
            return nil
        }
    }

    /// Milliseconds since 1970 of `YYYY-MM-DD` (the end of that day) or `YYYY-MM-DDTHH:MM[:SS]`,
    /// local time; a year below 1700 is Solar Hijri.
    public static func time(_ text: String) -> Int64? {
        let parts = text.split(separator: "T", maxSplits: 1).map(String.init)
        guard let day = parts.first.flatMap(PersianDates.gregorian) else { return nil }
        let ymd = day.split(separator: "-").compactMap { Int($0) }
        var components = DateComponents(year: ymd[0], month: ymd[1], day: ymd[2])
        if parts.count == 2 {
            let hms = parts[1].split(separator: ":").map { Int($0) }
            guard (2...3).contains(hms.count), hms.allSatisfy({ $0 != nil }) else { return nil }
            let (h, m, s) = (hms[0]!, hms[1]!, hms.count == 3 ? hms[2]! : 0)
            guard (0...23).contains(h), (0...59).contains(m), (0...59).contains(s) else { return nil }
            (components.hour, components.minute, components.second) = (h, m, s)
        } else {
            (components.hour, components.minute, components.second, components.nanosecond) = (23, 59, 59, 999_000_000)
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .current
        guard let date = calendar.date(from: components) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// The events this names, in `store`.
    public func moment(in store: Store) throws -> PastMoment {
        switch form {
        case .time(let ms): try store.moment(at: ms)
        case .position(let p): .position(p)
        case .versionVector(let text): try store.moment(covering: text)
        case .sync(let peer, let back): try store.moment(beforeSync: peer, back: back)
        }
    }
}


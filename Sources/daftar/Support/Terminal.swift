import DaftarCore
import Foundation

/// Printing: results on stdout, messages and progress on stderr.
enum Terminal {
    static let stdoutIsTTY = isatty(STDOUT_FILENO) == 1
    static let stderrIsTTY = isatty(STDERR_FILENO) == 1

    /// One line on stderr. Messages carry text from outside (file names, a peer's reason):
    /// it is shown ``safe(_:)``, so nothing in it can forge a line or restyle the terminal.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("daftar: \(safe(message))\n".utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data("daftar: \(safe(message))\n".utf8))
    }

    /// A warning the user must not miss: on stderr, marked, bold on a terminal.
    static func warning(_ message: String) {
        let text = "WARNING: \(safe(message))"
        FileHandle.standardError.write(Data("daftar: \(stderrIsTTY ? "\u{1B}[1m\(text)\u{1B}[0m" : text)\n".utf8))
    }

    /// A progress line that rewrites itself; only when stderr is a terminal.
    static func progress(_ message: String) {
        guard stderrIsTTY else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(message)".utf8))
    }

    static func clearProgress() {
        guard stderrIsTTY else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// Prints a value as JSON (sorted keys, slashes unescaped).
    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// Matched text: reverse video on a terminal, brackets otherwise.
    static var highlight: (before: String, after: String) {
        stdoutIsTTY ? ("\u{1B}[7m", "\u{1B}[27m") : ("[", "]")
    }

    static func dim(_ s: String) -> String { stdoutIsTTY ? "\u{1B}[2m\(s)\u{1B}[22m" : s }

    /// `2026-11-23 19:44:31Z` from milliseconds since 1970.
    static func time(_ ms: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000)) + "Z"
    }

    /// Text from outside (a file name, a message naming one) made safe for one line of a
    /// terminal: control characters (newlines, ANSI escapes) and direction overrides are shown
    /// as `\u{…}`, so a name can neither forge a line nor restyle or reorder what follows.
    static func safe(_ text: String) -> String {
        func unsafe(_ s: Unicode.Scalar) -> Bool {
            s.value < 0x20 || (0x7F...0x9F).contains(s.value) || (0x202A...0x202E).contains(s.value) || (0x2066...0x2069).contains(s.value)
        }
        guard text.unicodeScalars.contains(where: unsafe) else { return text }
        var out = ""
        for s in text.unicodeScalars {
            if unsafe(s) { out += "\\u{\(String(s.value, radix: 16, uppercase: true))}" } else { out.unicodeScalars.append(s) }
        }
        return out
    }

    /// At most `limit` scalars of one line of `text`, with an ellipsis when cut.
    /// An annotation's passage as a line shows it: «quote», clipped; or that it is about the
    /// whole article.
    static func quote(_ anchor: TextAnchor, _ limit: Int) -> String {
        anchor.isWholeArticle ? "(the whole article)" : "«\(clip(safe(anchor.exact), limit))»"
    }

    static func clip(_ text: String, _ limit: Int = 90) -> String {
        let line = text.replacingOccurrences(of: "\n", with: " ")
        let scalars = line.unicodeScalars
        guard scalars.count > limit else { return line }
        return String(String.UnicodeScalarView(scalars.prefix(limit))) + "…"
    }
}

import DaftarCore
import Foundation

/// An article file read from disk and decoded, ready to ingest.
public struct SourceFile: Sendable, Hashable {
    /// The path as given or found (for messages).
    public let path: String
    /// The file's name: what provenance records.
    public let name: String
    /// The decoded text (not yet normalised; events hold it in NFC).
    public let text: String
    /// `utf-8`, `utf-8-bom`, `utf-16le` or `utf-16be`.
    public let encoding: String

    /// A file already in memory (for tests and benchmarks).
    public init(path: String, name: String, text: String, encoding: String = "utf-8") {
        self.path = path
        self.name = name
        self.text = text
        self.encoding = encoding
    }

    /// Reads and decodes one file. UTF-8 (with or without a byte-order mark) and UTF-16 with
    /// a byte-order mark are accepted; anything else is refused with a message naming the file.
    /// The size is judged before a byte is read — through a symbolic link too — and only
    /// regular files are opened: a FIFO, a device or a socket is refused without blocking on it.
    public static func read(path: String, maxBytes: Int = Limits.defaultArticleBytes) throws -> SourceFile {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw DaftarError(.badInput, errno == ENOENT ? "\(path): no such file or directory" : "\(path): cannot be read (\(String(cString: strerror(errno))))")
        }
        try checkKind(info, path: path)
        try checkSize(Int(info.st_size), path: path, maxBytes: maxBytes)
        // Opened without following a swap to a FIFO (O_NONBLOCK) and checked again on the
        // descriptor: what is read is what was judged.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw DaftarError(.badInput, "\(path): cannot be read (check its permissions)") }
        defer { close(descriptor) }
        guard fstat(descriptor, &info) == 0 else { throw DaftarError(.badInput, "\(path): cannot be read") }
        try checkKind(info, path: path)
        try checkSize(Int(info.st_size), path: path, maxBytes: maxBytes)
        var bytes = [UInt8](repeating: 0, count: min(Int(info.st_size), maxBytes) + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw DaftarError(.badInput, "\(path): cannot be read (\(String(cString: strerror(errno))))") }
            if n == 0 { break }
            count += n
        }
        // It grew while being read: judged by what it holds now.
        try checkSize(count, path: path, maxBytes: maxBytes)
        let (text, encoding) = try decode(Array(bytes[..<count]), path: path)
        return SourceFile(path: path, name: (path as NSString).lastPathComponent, text: text, encoding: encoding)
    }

    private static func checkKind(_ info: stat, path: String) throws {
        switch info.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw DaftarError(.badInput, "\(path): is a directory")
        case S_IFIFO: throw DaftarError(.badInput, "\(path): is a named pipe (FIFO), not a file; not read")
        case S_IFCHR, S_IFBLK: throw DaftarError(.badInput, "\(path): is a device, not a file; not read")
        case S_IFSOCK: throw DaftarError(.badInput, "\(path): is a socket, not a file; not read")
        default: throw DaftarError(.badInput, "\(path): is not a regular file; not read")
        }
    }

    private static func checkSize(_ size: Int, path: String, maxBytes: Int) throws {
        guard size > maxBytes else { return }
        throw DaftarError(
            .tooLarge,
            "\(path): \(Self.describe(bytes: size)) is over the \(Self.describe(bytes: maxBytes)) limit (it can be raised up to \(Self.describe(bytes: Limits.maxArticleBytes)))")
    }

    /// Decodes file bytes: UTF-8 (BOM optional) or BOM-marked UTF-16; refuses empty, binary
    /// and otherwise-encoded content.
    static func decode(_ bytes: [UInt8], path: String) throws -> (String, String) {
        guard !bytes.isEmpty else { throw DaftarError(.badInput, "\(path): empty file") }
        let text: String
        let encoding: String
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            guard let s = String(validating: bytes.dropFirst(3), as: UTF8.self) else {
                throw DaftarError(.badInput, "\(path): starts with a UTF-8 byte-order mark but is not valid UTF-8")
            }
            (text, encoding) = (s, "utf-8-bom")
        } else if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            let littleEndian = bytes[0] == 0xFF
            let body = bytes.dropFirst(2)
            guard body.count % 2 == 0 else { throw DaftarError(.badInput, "\(path): UTF-16 with an odd number of bytes (truncated?)") }
            var units: [UInt16] = []
            units.reserveCapacity(body.count / 2)
            var i = body.startIndex
            while i < body.endIndex {
                let a = UInt16(body[i]), b = UInt16(body[i + 1])
                units.append(littleEndian ? (b << 8 | a) : (a << 8 | b))
                i += 2
            }
            guard let s = String(validating: units, as: UTF16.self) else {
                throw DaftarError(.badInput, "\(path): has a UTF-16 byte-order mark but is not valid UTF-16")
            }
            (text, encoding) = (s, littleEndian ? "utf-16le" : "utf-16be")
        } else {
            if let order = utf16WithoutMark(bytes) {
                throw DaftarError(
                    .badInput,
                    "\(path): looks like UTF-16 without a byte-order mark; convert it first, e.g. `iconv -f UTF-16\(order) -t UTF-8`")
            }
            if bytes.contains(0) {
                throw DaftarError(.badInput, "\(path): looks like a binary file (it contains NUL bytes), not an article")
            }
            guard let s = String(validating: bytes, as: UTF8.self) else {
                throw DaftarError(.badInput, "\(path): is not UTF-8 text and has no UTF-16 byte-order mark; convert it first, e.g. `iconv -f WINDOWS-1256 -t UTF-8`")
            }
            (text, encoding) = (s, "utf-8")
        }
        let controls = text.unicodeScalars.lazy.filter { $0.value < 0x20 && !["\n", "\r", "\t", "\u{0C}"].contains($0) }
        if !controls.isEmpty {
            throw DaftarError(.badInput, "\(path): looks like a binary file (it contains control characters), not an article")
        }
        if text.trimmingWhitespace.isEmpty {
            throw DaftarError(.badInput, "\(path): empty file (only whitespace)")
        }
        return (text, encoding)
    }

    /// `LE` or `BE` when NUL bytes (the high bytes of ASCII spaces and digits in UTF-16) fall
    /// only on odd or only on even offsets of the file's start; binary files have them on both.
    static func utf16WithoutMark(_ bytes: [UInt8]) -> String? {
        var even = 0, odd = 0
        for (i, byte) in bytes.prefix(8192).enumerated() where byte == 0 {
            if i % 2 == 0 { even += 1 } else { odd += 1 }
        }
        guard bytes.count % 2 == 0, even + odd >= 2 else { return nil }
        if even == 0 { return "LE" }
        if odd == 0 { return "BE" }
        return nil
    }

    static func describe(bytes: Int) -> String {
        if bytes >= 1 << 30 { return String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }
        if bytes >= 1 << 20 { return String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) }
        if bytes >= 1 << 10 { return String(format: "%.1f KiB", Double(bytes) / Double(1 << 10)) }
        return "\(bytes) bytes"
    }

    /// What walking the given paths found.
    public struct Expansion: Sendable, Equatable {
        /// Files as given, and those found in folders, in order (names sorted per folder).
        public var files: [String] = []
        /// One message per entry that could not be read (a broken link, an unreadable folder).
        public var problems: [String] = []
        /// One message per symbolic link not followed because it leads back into a folder
        /// being walked.
        public var loops: [String] = []
    }

    /// The files named by `paths`: files as given, directories walked recursively (hidden
    /// entries skipped, names sorted). Symbolic links are followed — a path given as a link to
    /// a folder is walked, a link inside a folder is followed once — and a link back into a
    /// folder being walked is reported as a loop. Paths that do not exist are returned too,
    /// so that reading them reports the error by name.
    public static func expand(_ paths: [String]) -> Expansion {
        var out = Expansion()
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                out.files.append(path)
                continue
            }
            walk(path, into: &out, walking: [realPath(path)])
        }
        return out
    }

    /// Adds the files under the folder `path`; `walking` holds the real paths of the folders
    /// from the root down to it.
    private static func walk(_ path: String, into out: inout Expansion, walking: [String]) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: path) else {
            out.problems.append("\(path): folder cannot be read (check its permissions)")
            return
        }
        for name in names.sorted() where !name.hasPrefix(".") {
            let child = (path as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: child, isDirectory: &isDirectory) else {
                out.problems.append("\(child): a symbolic link to nothing (\((try? fm.destinationOfSymbolicLink(atPath: child)) ?? "?"))")
                continue
            }
            guard isDirectory.boolValue else {
                out.files.append(child)
                continue
            }
            let real = realPath(child)
            if walking.contains(real) {
                out.loops.append("\(child): a symbolic link loop (it leads back to \(real)); not followed")
                continue
            }
            walk(child, into: &out, walking: walking + [real])
        }
    }

    private static func realPath(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }
}

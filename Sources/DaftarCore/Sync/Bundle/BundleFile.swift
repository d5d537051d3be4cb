import Crypto
import Foundation

/// A bundle file (``BundleWriter`` describes the format), checked whole before anything of it
/// is applied: its header, its trailer, and the SHA-256 over its pages — so a truncated or
/// altered file changes nothing. Pages are then read one at a time, never the whole file.
public struct BundleFile: Sendable {
    public let path: String
    public let header: BundleHeader
    public let pageCount: Int
    public let bytes: Int

    /// Opens `path` and checks its integrity. Throws saying what is wrong.
    public static func read(_ path: String) throws -> BundleFile {
        guard let reader = LineReader(path: path) else { throw DaftarError(.badInput, "cannot read bundle \(path)") }
        guard let first = try reader.next() else { throw DaftarError(.badInput, "\(path) is empty, not a Daftar bundle") }
        let header: BundleHeader
        do {
            header = try BundleHeader(json: try JSONValue.parse(first.line))
        } catch let error as DaftarError {
            throw DaftarError(error.code, "\(path): \(error.message)")
        } catch {
            throw DaftarError(.badInput, "\(path) is not a Daftar bundle (its first line is not JSON)")
        }
        var hasher = SHA256()
        var previous: LineReader.Line? = nil
        var count = 0
        while let line = try reader.next() {
            if let page = previous {
                hasher.update(data: page.line + [UInt8(ascii: "\n")])
                count += 1
                guard page.terminated else { break }
            }
            previous = line
        }
        guard let last = previous, last.terminated, let trailer = try? JSONValue.parse(last.line),
            let expectedCount = trailer["pages"]?.intValue, let expected = trailer["sha256"]?.stringValue
        else {
            throw DaftarError(.badInput, "bundle \(path) is truncated (it does not end with its trailer); nothing was applied — ask for it again")
        }
        guard count == expectedCount else {
            throw DaftarError(.badInput, "bundle \(path) is damaged: its trailer counts \(expectedCount) pages, the file holds \(count); nothing was applied")
        }
        guard ByteEncoding.hex(hasher.finalize()) == expected else {
            throw DaftarError(.badInput, "bundle \(path) is damaged or was altered: its SHA-256 does not match its trailer; nothing was applied")
        }
        return BundleFile(path: path, header: header, pageCount: count, bytes: reader.bytesRead)
    }

    /// Calls `body` with each page in order, its events verified (hashes, chains, seals) and
    /// its fork claims; throws naming the first bad page.
    public func forEachPage(_ body: (Int, VerifiedPage, [ForkClaim]) async throws -> Void) async throws {
        var pages = try self.pages()
        while let (index, verified, claims) = try pages.next() {
            try await body(index, verified, claims)
        }
    }

    /// The pages in order, each read and verified when asked for.
    public func pages() throws -> Pages {
        guard let reader = LineReader(path: path) else { throw DaftarError(.badInput, "cannot read bundle \(path)") }
        _ = try reader.next()  // the header
        return Pages(bundle: self, reader: reader)
    }

    public struct Pages {
        let bundle: BundleFile
        let reader: LineReader
        var index = 0

        /// The next page (its index, events verified, fork claims), nil after the last; throws
        /// naming a bad page.
        public mutating func next() throws -> (Int, VerifiedPage, [ForkClaim])? {
            let (path, pageCount) = (bundle.path, bundle.pageCount)
            guard index < pageCount else { return nil }
            guard let line = try reader.next() else {
                throw DaftarError(.badInput, "bundle \(path) changed while it was read; nothing more was applied")
            }
            defer { index += 1 }
            do {
                let page = try Page(json: try JSONValue.parse(line.line))
                return (index, try ReceivePlanner.verify(page.events), page.forkClaims)
            } catch let error as DaftarError {
                throw DaftarError(.invalidEvent, "bundle \(path), page \(index + 1) of \(pageCount): \(error.message)", cause: error)
            } catch {
                throw DaftarError(.badInput, "bundle \(path), page \(index + 1) of \(pageCount) is not valid JSON")
            }
        }
    }

    /// What applying did.
    public struct Applied: Sendable {
        public var stored = 0
        public var heldBack = 0
        public var forks: [ForkProof] = []
        public var ignored: [IgnoredClaim] = []
    }

    /// Applies the pages in order, each in one transaction of `log`'s; applying twice stores
    /// nothing new. Refuses before storing anything when `log` lacks the prerequisites; a page
    /// refused later keeps the whole pages before it.
    public func apply(to log: some EventLog, progress: (@Sendable (Int) -> Void)? = nil) async throws -> Applied {
        let missing = header.missing(from: try await log.heads())
        if !missing.isEmpty {
            let list = missing.map { "\($0.origin):\($0.need) (this store holds \($0.have))" }.joined(separator: ", ")
            throw DaftarError(
                .missingPrerequisites,
                "bundle \(path) starts after events this store does not hold: \(list); apply the bundles before it, or ask its creator for one made since this store's version vector")
        }
        var applied = Applied()
        try await forEachPage { index, page, claims in
            do {
                let outcome = try await log.consider(claims)
                let result = try await log.receive(page)
                applied.stored += result.stored
                applied.heldBack += result.heldBack
                applied.forks += outcome.frozen + result.forks
                applied.ignored += outcome.ignored
            } catch let error as DaftarError {
                throw DaftarError(
                    error.code, "bundle \(path), page \(index + 1) of \(pageCount): \(error.message) (the \(index) pages before it were applied)",
                    cause: error)
            }
            progress?(applied.stored)
        }
        return applied
    }
}

/// Reads a file line by line in 1 MiB chunks, so a large bundle is never whole in memory.
final class LineReader {
    struct Line {
        var line: [UInt8]
        /// False for a last line with no newline after it.
        var terminated: Bool
    }

    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private(set) var bytesRead = 0

    init?(path: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        self.handle = handle
    }

    deinit { try? handle.close() }

    func next() throws -> Line? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[start..<newline])
                start = newline + 1
                return Line(line: line, terminated: true)
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                start = buffer.count
                return Line(line: line, terminated: false)
            }
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            if chunk.isEmpty { atEnd = true }
            bytesRead += chunk.count
            buffer.removeFirst(start)
            start = 0
            buffer.append(contentsOf: chunk)
        }
    }
}

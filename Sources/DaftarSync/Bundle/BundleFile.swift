import Crypto
import DaftarCore
import Foundation

/// A bundle file read and checked whole — header, every page's structure, hashes and seals, and
/// the SHA-256 over the pages — before anything of it is applied, so a truncated or tampered
/// file changes nothing (``BundleWriter`` describes the format).
public struct BundleFile: Sendable {
    public let path: String
    public let header: BundleHeader
    /// Each page's events, checked by ``DaftarCore/ReceivePlanner/verify(_:)``, and its fork claims.
    public let pages: [(events: VerifiedPage, claims: [ForkClaim])]
    public let bytes: Int

    /// Events in the bundle.
    public var eventCount: Int { pages.reduce(0) { $0 + $1.events.events.count } }

    /// Reads and checks `path`. Throws naming the first bad page.
    public static func read(_ path: String) throws -> BundleFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DaftarError(.badInput, "cannot read bundle \(path)")
        }
        let bytes = [UInt8](data)
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        // A complete file ends with a newline after its trailer.
        guard lines.count >= 3, lines.last?.isEmpty == true else {
            throw DaftarError(.badInput, "bundle \(path) is truncated (it does not end with its trailer); ask for it again")
        }
        lines.removeLast()
        let header: BundleHeader
        do {
            header = try BundleHeader(json: try JSONValue.parse(lines[0]))
        } catch let error as DaftarError {
            throw DaftarError(error.code, "\(path): \(error.message)")
        } catch {
            throw DaftarError(.badInput, "\(path) is not a Daftar bundle (its first line is not JSON)")
        }
        guard let trailer = try? JSONValue.parse(lines[lines.count - 1]), let count = trailer["pages"]?.intValue,
            let expected = trailer["sha256"]?.stringValue
        else {
            throw DaftarError(.badInput, "bundle \(path) is truncated or damaged: its last line is not a trailer; ask for it again")
        }
        let pageLines = lines[1..<(lines.count - 1)]
        guard pageLines.count == count else {
            throw DaftarError(.badInput, "bundle \(path) is damaged: its trailer counts \(count) pages, the file holds \(pageLines.count); ask for it again")
        }
        var hasher = SHA256()
        for line in pageLines {
            hasher.update(data: Array(line) + [UInt8(ascii: "\n")])
        }
        guard ByteEncoding.hex(hasher.finalize()) == expected else {
            throw DaftarError(.badInput, "bundle \(path) is damaged or was altered: its SHA-256 does not match its trailer; nothing was applied")
        }
        var pages: [(VerifiedPage, [ForkClaim])] = []
        for (i, line) in pageLines.enumerated() {
            do {
                let page = try Page(json: try JSONValue.parse(line))
                pages.append((try ReceivePlanner.verify(page.events), page.forkClaims))
            } catch let error as DaftarError {
                throw DaftarError(.invalidEvent, "bundle \(path), page \(i + 1) of \(count): \(error.message)", cause: error)
            } catch {
                throw DaftarError(.badInput, "bundle \(path), page \(i + 1) of \(count) is not valid JSON")
            }
        }
        return BundleFile(path: path, header: header, pages: pages, bytes: bytes.count)
    }

    /// What applying did.
    public struct Applied: Sendable {
        public var stored = 0
        public var heldBack = 0
        public var forks: [ForkProof] = []
        public var ignored: [IgnoredClaim] = []
    }

    /// Applies the pages in order, each in one transaction of `log`'s; applying twice stores
    /// nothing new. Refuses before storing anything when `log` lacks the prerequisites.
    public func apply(to log: some EventLog, progress: (@Sendable (Int) -> Void)? = nil) async throws -> Applied {
        let missing = header.missing(from: try await log.heads())
        if !missing.isEmpty {
            let list = missing.map { "\($0.origin):\($0.need) (this store holds \($0.have))" }.joined(separator: ", ")
            throw DaftarError(
                .missingPrerequisites,
                "bundle \(path) starts after events this store does not hold: \(list); apply the bundles before it, or ask its creator for one made since this store's version vector")
        }
        var applied = Applied()
        for (i, page) in pages.enumerated() {
            do {
                let claims = try await log.consider(page.claims)
                let result = try await log.receive(page.events)
                applied.stored += result.stored
                applied.heldBack += result.heldBack
                applied.forks += claims.frozen + result.forks
                applied.ignored += claims.ignored
            } catch let error as DaftarError {
                throw DaftarError(
                    error.code, "bundle \(path), page \(i + 1) of \(pages.count): \(error.message) (the \(i) pages before it were applied)",
                    cause: error)
            }
            progress?(applied.stored)
        }
        return applied
    }
}

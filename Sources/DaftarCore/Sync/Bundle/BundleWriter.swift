import Crypto
import Foundation

/// Writes a bundle file: what a receiver holding `since` lacks, as the same verified pages an
/// HTTP sync sends (DESIGN §5), one JSON object per line:
///
/// ```
/// {"format":"daftar-bundle","version":1,…}        header (BundleHeader)
/// {"events":[…],"heads":{…},"more":…,"forks":[…]}  one line per page (Page)
/// {"pages":N,"sha256":"…"}                          trailer: SHA-256 over the page lines
/// ```
///
/// The file appears complete or not at all: it is written beside the target and renamed.
public enum BundleWriter {
    /// What was written.
    public struct Summary: Sendable {
        public var header: BundleHeader
        public var pages: Int
        public var events: Int
        public var bytes: Int
    }

    public static func create(
        from log: some EventLog, since: VersionVector, to path: String, now: Int64,
        pageBytes: Int = SyncLimits.pageBytes, progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> Summary {
        let header = BundleHeader(creator: try await log.replica(), requires: since, brings: try await log.heads(), created: now)
        let temporary = path + ".partial-\(UInt32.random(in: 0...UInt32.max))"
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
            let file = FileHandle(forWritingAtPath: temporary)
        else {
            throw DaftarError(.badInput, "cannot write \(path); check that its directory exists and is writable")
        }
        var done = false
        defer {
            try? file.close()
            if !done { try? FileManager.default.removeItem(atPath: temporary) }
        }
        var bytes = 0
        func write(_ line: [UInt8]) throws {
            try file.write(contentsOf: line + [UInt8(ascii: "\n")])
            bytes += line.count + 1
        }
        try write(header.json.canonicalBytes)

        var hasher = SHA256()
        var have = since
        // Origins whose proofs went out, or whose history contradicts `since`: marked frozen in
        // the request, so that their proofs and evidence go out once while the events of an
        // origin that is merely frozen keep flowing.
        var frozenAt: [ReplicaID: Int64] = [:]
        let frozen = try await log.frozen()
        var pages = 0
        var events = 0
        while true {
            var request = PullRequest(have: have, maxBytes: pageBytes)
            request.frozenAt = frozenAt
            let page = try await log.page(for: request)
            if page.events.isEmpty && page.forkClaims.isEmpty { break }
            let line = page.json.canonicalBytes + [UInt8(ascii: "\n")]
            hasher.update(data: line)
            try file.write(contentsOf: line)
            bytes += line.count
            pages += 1
            events += page.events.count
            progress?(events)
            for claim in page.forkClaims {
                if case .proof(let proof) = claim { frozenAt[proof.origin] = frozen[proof.origin]?.agreed ?? 0 }
            }
            for event in page.events {
                if event.seq > (have[event.origin]?.seq ?? 0) {
                    have[event.origin] = ChainHead(seq: event.seq, hash: event.hash)
                } else if frozenAt[event.origin] == nil {
                    frozenAt[event.origin] = event.seq - 1  // evidence: nothing of ours follows theirs
                }
            }
            if !page.more || page.events.isEmpty { break }
        }
        let trailer: JSONValue = ["pages": .int(Int64(pages)), "sha256": .string(ByteEncoding.hex(hasher.finalize()))]
        try write(trailer.canonicalBytes)
        try file.synchronize()
        try file.close()
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
        done = true
        return Summary(header: header, pages: pages, events: events, bytes: bytes)
    }
}

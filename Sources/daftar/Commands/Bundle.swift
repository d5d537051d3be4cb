import ArgumentParser
import DaftarApp
import DaftarCore
import DaftarStore
import DaftarSync
import Foundation

extension Daftar {
    /// `daftar bundle create|verify|apply`: sync by file, for machines with no network between them.
    struct Bundle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bundle",
            abstract: "Sync by file (USB stick, e-mail): write what another store lacks, check a bundle, apply one.",
            discussion: """
                A bundle holds the same verified pages an HTTP sync sends, a header saying what the \
                receiver must already hold, and a SHA-256 over the pages. Applying is page by page, \
                each page one transaction; applying twice changes nothing. A truncated or altered \
                file is refused before anything is applied.

                  daftar bundle create --all --output to-desk.daftar-bundle
                  daftar bundle verify to-desk.daftar-bundle
                  daftar bundle apply to-desk.daftar-bundle
                  daftar bundle create --for REPLICA --output reply.daftar-bundle   (answer its creator)
                """,
            subcommands: [Create.self, Verify.self, Apply.self])

        @ParentCommand var daftar: Daftar
    }
}

extension Daftar.Bundle {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a bundle of what another store lacks.")

        @ParentCommand var bundle: Daftar.Bundle

        @Option(name: .customLong("for"), help: ArgumentHelp(
            "The receiver: a peer name, or a replica id (or prefix) this store has synced with or applied a bundle from.",
            valueName: "peer"))
        var receiver: String?

        @Option(help: ArgumentHelp("What the receiver holds, as a version vector ORIGIN:SEQ,… (`daftar status` prints one).", valueName: "vv"))
        var since: String?

        @Flag(help: "Everything this store holds.")
        var all = false

        @Option(name: .shortAndLong, help: ArgumentHelp("The bundle file to write.", valueName: "file"))
        var output: String

        @Flag(help: "Print what was written as JSON.")
        var json = false

        func validate() throws {
            guard [receiver != nil, since != nil, all].filter({ $0 }).count == 1 else {
                throw ValidationError("say what the receiver holds: exactly one of --for PEER, --since VV or --all")
            }
            if let since, VersionVector.parseSeqs(since) == nil {
                throw ValidationError("--since must be a version vector ORIGIN:SEQ,ORIGIN:SEQ (as `daftar status` prints it)")
            }
        }

        struct Output: Encodable {
            var file: String
            var creator: String?
            var pages: Int
            var events: Int
            var bytes: Int
            var requires: String
            var brings: String
        }

        func run() async throws {
            let store = try bundle.daftar.openStore(forWriting: false)
            let have = try receiverHeads(store)
            let summary = try await BundleWriter.create(from: store, since: have, to: output, now: Store.systemClock()) { events in
                Terminal.progress("bundle: \(events) events written")
            }
            Terminal.clearProgress()
            if json {
                return try Terminal.printJSON(Output(
                    file: output, creator: summary.header.creator?.rawValue, pages: summary.pages, events: summary.events,
                    bytes: summary.bytes, requires: summary.header.requires.description, brings: summary.header.brings.description))
            }
            print("wrote \(summary.events) events in \(summary.pages) pages to \(output) (\(summary.bytes / 1024) KiB)")
            if summary.events == 0 { Terminal.note("the receiver already holds everything this store does: the bundle carries nothing new") }
        }

        /// What the receiver holds: given, or as last learned from it.
        func receiverHeads(_ store: Store) throws -> VersionVector {
            if all { return VersionVector() }
            if let since {
                // Hashes are unknown here: only the seqs matter for what to send.
                let seqs = VersionVector.parseSeqs(since) ?? [:]
                var vv = VersionVector()
                for (origin, seq) in seqs where seq > 0 {
                    // The receiver's hash at that seq is taken to be ours (it cannot be checked here).
                    guard let hash = try store.hash(of: origin, at: seq) else {
                        throw DaftarError(.badInput, "--since names \(origin):\(seq), which this store does not hold; it cannot know what comes after it")
                    }
                    vv[origin] = ChainHead(seq: seq, hash: hash)
                }
                return vv
            }
            let name = receiver!
            let replica: ReplicaID
            if let named = try store.peerReplica(name) {
                replica = named
            } else {
                let matches = try store.knownReplicas().filter { $0.rawValue.hasPrefix(name) }
                guard matches.count == 1 else {
                    throw DaftarError(
                        matches.isEmpty ? .notFound : .ambiguous,
                        matches.isEmpty
                            ? "nothing is known of what \(name) holds: sync with it once or apply a bundle from it, or use --since VV or --all"
                            : "\(name) matches \(matches.count) replicas: \(matches.map(\.rawValue).joined(separator: ", "))")
                }
                replica = matches[0]
            }
            guard let heads = try store.knownHeads(of: replica) else {
                throw DaftarError(.notFound, "nothing is known of what \(name) holds: sync with it once or apply a bundle from it, or use --since VV or --all")
            }
            return heads
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a bundle and say what it holds and what this store lacks to apply it, without applying.")

        @ParentCommand var bundle: Daftar.Bundle
        @Argument(help: "The bundle file.") var file: String
        @Flag(help: "Print JSON.") var json = false

        struct Output: Encodable {
            var file: String
            var creator: String?
            var created: Int64
            var pages: Int
            var events: Int
            var forkProofs: Int
            var requires: String
            var brings: String
            /// Events this store does not hold yet (nil when there is no store).
            var newEvents: Int?
            /// Prerequisites this store lacks: `ORIGIN:SEQ` it must hold first.
            var missing: [String]
            var canApply: Bool
        }

        func run() async throws {
            let contents = try BundleFile.read(file)
            let store = try? bundle.daftar.openStoreForReading()
            let heads = try store?.versionVector()
            let missing = heads.map { contents.header.missing(from: $0) } ?? []
            // Every page checked as apply would (hashes, chains, seals), nothing stored.
            var events = 0, newEvents = 0, proofs = 0
            try await contents.forEachPage { _, page, claims in
                events += page.events.count
                newEvents += page.events.filter { $0.seq > (heads?[$0.origin]?.seq ?? 0) }.count
                proofs += claims.count
            }
            let output = Output(
                file: file, creator: contents.header.creator?.rawValue, created: contents.header.created, pages: contents.pageCount,
                events: events, forkProofs: proofs, requires: contents.header.requires.description,
                brings: contents.header.brings.description, newEvents: heads == nil ? nil : newEvents,
                missing: missing.map { "\($0.origin):\($0.need)" }, canApply: missing.isEmpty)
            if json {
                try Terminal.printJSON(output)
            } else {
                print("\(file): a valid bundle from \(contents.header.creator?.rawValue ?? "an unnamed relay"), written \(Terminal.time(contents.header.created))")
                print("holds \(events) events in \(contents.pageCount) pages\(proofs > 0 ? ", \(proofs) fork proofs" : "")")
                if heads != nil { print("\(newEvents) of them are new to this store") }
                if !missing.isEmpty {
                    Terminal.error("this store cannot apply it yet: it must first hold \(missing.map { "\($0.origin):\($0.need) (holds \($0.have))" }.joined(separator: ", "))")
                }
            }
            if !missing.isEmpty { throw ExitCode(1) }
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a bundle: page by page, each page one transaction; applying twice changes nothing.")

        @ParentCommand var bundle: Daftar.Bundle
        @Argument(help: "The bundle file.") var file: String
        @Flag(help: "Print what was applied as JSON.") var json = false

        struct Output: Encodable {
            var file: String
            var creator: String?
            var storedEvents: Int
            var heldBack: Int
            var broughtIn: SyncSummary.Counts
            var forks: [String]
            var ignoredForkClaims: [String]
        }

        func run() async throws {
            let contents = try BundleFile.read(file)
            // Applying may create the store: a bundle can start a new replica, like clone.
            let store = try bundle.daftar.openStore(forWriting: true)
            let before = try SyncSummary.Counts(store)
            // The moment before it: `--as-of sync:bundle:NAME`, `changes --since sync:bundle:NAME`.
            try store.recordSyncStart(peer: "bundle:" + URL(fileURLWithPath: file).lastPathComponent)
            let applied = try await contents.apply(to: store) { stored in Terminal.progress("bundle: \(stored) events stored") }
            Terminal.clearProgress()
            if let creator = contents.header.creator { try store.recordKnownHeads(contents.header.brings, of: creator) }
            let broughtIn = try SyncSummary.Counts.broughtIn(store, since: before)
            if json {
                try Terminal.printJSON(Output(
                    file: file, creator: contents.header.creator?.rawValue, storedEvents: applied.stored, heldBack: applied.heldBack,
                    broughtIn: broughtIn, forks: applied.forks.map(\.origin.rawValue),
                    ignoredForkClaims: applied.ignored.map { $0.origin?.rawValue ?? "?" }))
            } else {
                print(applied.stored == 0 ? "nothing new in \(file): this store already holds all of it" : "applied \(applied.stored) new events from \(file)")
                if applied.stored > 0 {
                    print("brought in: \(broughtIn.sentence)")
                }
                for proof in applied.forks {
                    Terminal.error("replica \(proof.origin) signed two different events at seq \(proof.seq) (proof checked): frozen; see `daftar forks`")
                }
                for claim in applied.ignored {
                    Terminal.error("ignored a claim that replica \(claim.origin?.rawValue ?? "?") is forked: \(claim.reason)")
                }
                if applied.heldBack > 0 { Terminal.error("\(applied.heldBack) events held back: they depend on a frozen history") }
            }
            if !applied.forks.isEmpty || applied.heldBack > 0 { throw ExitCode(1) }
        }
    }
}

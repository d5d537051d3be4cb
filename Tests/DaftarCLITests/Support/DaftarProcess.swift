import DaftarTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The built `daftar` executable and the seeds (see ``Repository``).
enum DaftarBinary {
    static var path: String? { Repository.daftarBinary }
    static var seedsDirectory: String { Repository.seedsDirectory }
}

typealias RunResult = DaftarRun
typealias CLITestError = DaftarTestError

/// A fresh temporary directory for one test, with a store path inside it, removed at the end.
/// Children run with their working directory here, with `HOME` and `XDG_DATA_HOME` pointing
/// into it and `DAFTAR_STORE` unset, so a test can never touch a real archive.
final class Sandbox {
    let directory: String
    /// `<directory>/archive.sqlite`: what `run` passes as `--store` unless told otherwise.
    let store: String
    var keyPath: String { store + ".key" }

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("daftar-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/home", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/.runs", withIntermediateDirectories: true)
        store = directory + "/archive.sqlite"
    }

    deinit {
        // A test may have taken permissions away; give them back so removal works.
        if let walker = FileManager.default.enumerator(atPath: directory) {
            for case let relative as String in walker {
                chmod(directory + "/" + relative, 0o700)
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `<directory>/<relative>`.
    func path(_ relative: String) -> String { directory + "/" + relative }

    /// Writes bytes to `<directory>/<name>` (creating folders) and returns the path.
    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        let file = path(name)
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: file))
        return file
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String { try write(name, Data(text.utf8)) }

    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String { try write(name, Data(bytes)) }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// The child's environment: ours, without anything that could point at a real store.
    func environment(_ overrides: [String: String?]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["DAFTAR_STORE"] = nil
        env["HOME"] = path("home")
        env["XDG_DATA_HOME"] = path("home/.local/share")
        env["DAFTAR_AUTHOR"] = "cli-tests"
        for (key, value) in overrides { env[key] = value }
        return env
    }

    typealias Child = DaftarChild

    /// Starts `daftar [--store S] ARGS…` in the sandbox. `store` nil: no `--store` option.
    func start(_ arguments: [String], store: String?, environment overrides: [String: String?] = [:]) throws -> Child {
        try DaftarChild((store.map { ["--store", $0] } ?? []) + arguments, in: directory, environment: environment(overrides))
    }

    /// Runs `daftar ARGS…` (with `--store` when given) to completion, with `input` as its
    /// standard input.
    func run(_ arguments: [String], store: String?, input: Data, environment overrides: [String: String?] = [:]) throws -> RunResult {
        try DaftarChild((store.map { ["--store", $0] } ?? []) + arguments, in: directory, environment: environment(overrides), input: input)
            .wait(timeout: 180)
    }

    /// Runs a bash script in the sandbox, with the built `daftar` first on the `PATH`.
    func bash(_ script: String, environment overrides: [String: String?] = [:], timeout: TimeInterval = 300) throws -> RunResult {
        guard let binary = DaftarBinary.path else { throw CLITestError("the daftar executable was not found") }
        var env = environment(overrides)
        env["PATH"] = (binary as NSString).deletingLastPathComponent + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        return try DaftarChild(["-c", script], in: directory, environment: env, executable: "/bin/bash").wait(timeout: timeout)
    }

    /// Runs `daftar --store <store> ARGS…` to completion.
    func run(_ arguments: String..., timeout: TimeInterval = 180) throws -> RunResult {
        try start(arguments, store: store).wait(timeout: timeout)
    }

    /// Runs `daftar ARGS…` with an explicit `--store` (or none, when `store` is nil).
    func run(_ arguments: [String], store: String?, environment: [String: String?] = [:], timeout: TimeInterval = 180) throws -> RunResult {
        try start(arguments, store: store, environment: environment).wait(timeout: timeout)
    }

    // MARK: - Store state

    /// `status --json` of the sandbox store (or `store`), checked to succeed.
    func status(store: String? = nil) throws -> [String: Any] {
        let result = try run(["status", "--json"], store: store ?? self.store)
        guard result.status == 0, !result.signaled else { throw CLITestError("status failed: \(result)") }
        return try result.jsonObject()
    }

    /// What must not change when a command fails: the digest, the event count, the version vector.
    struct Snapshot: Equatable, CustomStringConvertible {
        var digest: String
        var events: Int
        var articles: Int
        var versionVector: [String]

        var description: String { "events \(events), articles \(articles), digest \(digest), vv \(versionVector)" }
    }

    func snapshot(store: String? = nil) throws -> Snapshot {
        let store = store ?? self.store
        let digest = try run(["digest"], store: store)
        guard digest.status == 0 else { throw CLITestError("digest failed: \(digest)") }
        let status = try self.status(store: store)
        let heads = (status["versionVector"] as? [[String: Any]] ?? []).map {
            "\($0["origin"] ?? "?"):\($0["seq"] ?? "?"):\($0["hash"] ?? "?")"
        }
        return Snapshot(
            digest: digest.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
            events: status["events"] as? Int ?? -1,
            articles: status["articles"] as? Int ?? -1,
            versionVector: heads.sorted())
    }
}

// MARK: - Expectations

/// Text that must never reach the analyst: a crash, a stack trace, raw SQLite or GRDB errors.
let leakedInternals = [
    "Fatal error", "Stack dump", "Backtrace", "💣", "SQLite error", "SQLITE_", "GRDB", "DatabaseError",
    "DaftarError(", "Swift/", ".swift:",
]

/// A failure: non-zero exit (not a signal), and stderr made of `daftar: …` lines only
/// (exactly `lines` of them when given), none leaking internals, the first containing every
/// string in `mentioning`.
func expectCleanFailure(
    _ result: RunResult,
    status: Int32? = nil,
    lines: Int? = 1,
    mentioning: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(!result.signaled, "crashed: \(result)", sourceLocation: sourceLocation)
    if let status {
        #expect(result.status == status, "\(result)", sourceLocation: sourceLocation)
    } else {
        #expect(result.status != 0, "\(result)", sourceLocation: sourceLocation)
    }
    let errorLines = result.stderrLines
    #expect(!errorLines.isEmpty, "nothing on stderr: \(result)", sourceLocation: sourceLocation)
    if let lines {
        #expect(errorLines.count == lines, "expected \(lines) stderr line(s): \(result)", sourceLocation: sourceLocation)
    }
    for line in errorLines {
        #expect(line.hasPrefix("daftar: "), "stderr line without `daftar: `: \(line)", sourceLocation: sourceLocation)
    }
    for bad in leakedInternals {
        #expect(!result.stderr.contains(bad), "stderr leaks \(bad): \(result)", sourceLocation: sourceLocation)
        #expect(!result.stdout.contains(bad), "stdout leaks \(bad): \(result)", sourceLocation: sourceLocation)
    }
    for needle in mentioning {
        #expect(result.stderr.contains(needle), "stderr does not mention \(needle): \(result)", sourceLocation: sourceLocation)
    }
}

/// Success: exit 0 and no crash.
func expectSuccess(_ result: RunResult, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == 0 && !result.signaled, "\(result)", sourceLocation: sourceLocation)
    for bad in leakedInternals {
        #expect(!result.stderr.contains(bad), "stderr leaks \(bad): \(result)", sourceLocation: sourceLocation)
    }
}

import DaftarTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The built `daftar` executable (this target does not depend on it: `swift build
/// --build-tests` builds it; see ``Repository``).
enum DaftarExecutable {
    static var path: String? { Repository.daftarBinary }
    static var packageRoot: URL? { URL(fileURLWithPath: Repository.root) }
}

typealias CLIResult = DaftarRun
typealias CLIError = DaftarTestError

/// A temporary directory for one test, removed at the end. Children run there with `HOME`
/// and `XDG_DATA_HOME` inside it and `DAFTAR_STORE` and `DAFTAR_TOKEN` unset.
final class CLISandbox {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("daftar-sync-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/home", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/.runs", withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func path(_ relative: String) -> String { directory + "/" + relative }

    /// Writes an owner-only file.
    @discardableResult
    func writeSecret(_ name: String, _ text: String) throws -> String {
        let file = path(name)
        guard FileManager.default.createFile(atPath: file, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CLIError("cannot create \(file)")
        }
        return file
    }

    /// The child's environment; `overrides` set (or, with nil, remove) variables last.
    func environment(author: String, _ overrides: [String: String?] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["DAFTAR_STORE"] = nil
        env["DAFTAR_TOKEN"] = nil
        env["HOME"] = path("home")
        env["XDG_DATA_HOME"] = path("home/.local/share")
        env["DAFTAR_AUTHOR"] = author
        for (key, value) in overrides { env[key] = value }
        return env
    }

    typealias Child = DaftarChild

    /// Starts `daftar --store STORE ARGS…` in the sandbox.
    func start(_ arguments: [String], store: String, author: String = "sync-cli-tests", environment overrides: [String: String?] = [:]) throws -> Child {
        try DaftarChild(["--store", store] + arguments, in: directory, environment: environment(author: author, overrides))
    }

    /// ``run(_:store:author:environment:timeout:)`` without holding a thread while it runs.
    func finish(
        _ arguments: [String], store: String, author: String = "sync-cli-tests", environment overrides: [String: String?] = [:],
        timeout: TimeInterval = 180
    ) async throws -> CLIResult {
        try await start(arguments, store: store, author: author, environment: overrides).finished(timeout: timeout)
    }

    /// Runs `daftar --store STORE ARGS…` to completion.
    func run(
        _ arguments: [String], store: String, author: String = "sync-cli-tests", environment overrides: [String: String?] = [:],
        timeout: TimeInterval = 180
    ) throws -> CLIResult {
        try start(arguments, store: store, author: author, environment: overrides).wait(timeout: timeout)
    }
}

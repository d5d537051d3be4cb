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

/// What one run of `daftar` did.
struct CLIResult: CustomStringConvertible {
    var arguments: [String]
    var status: Int32
    var signaled: Bool
    var stdoutData: Data
    var stderrData: Data

    var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    var stderr: String { String(decoding: stderrData, as: UTF8.self) }
    var succeeded: Bool { status == 0 && !signaled }

    func json() throws -> Any { try JSONSerialization.jsonObject(with: stdoutData, options: [.fragmentsAllowed]) }

    func object() throws -> [String: Any] {
        guard let object = try json() as? [String: Any] else { throw CLIError("stdout is not a JSON object: \(self)") }
        return object
    }

    func array() throws -> [[String: Any]] {
        guard let array = try json() as? [[String: Any]] else { throw CLIError("stdout is not a JSON array of objects: \(self)") }
        return array
    }

    var description: String {
        "daftar \(arguments.joined(separator: " ")) → \(signaled ? "signal" : "exit") \(status)\n--- stdout:\n\(stdout)\n--- stderr:\n\(stderr)"
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

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

    func environment(author: String) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["DAFTAR_STORE"] = nil
        env["DAFTAR_TOKEN"] = nil
        env["HOME"] = path("home")
        env["XDG_DATA_HOME"] = path("home/.local/share")
        env["DAFTAR_AUTHOR"] = author
        return env
    }

    /// A started `daftar` child, its output going to files.
    final class Child {
        let process: Process
        let arguments: [String]
        let stdoutPath: String
        let stderrPath: String

        init(process: Process, arguments: [String], stdoutPath: String, stderrPath: String) {
            (self.process, self.arguments, self.stdoutPath, self.stderrPath) = (process, arguments, stdoutPath, stderrPath)
        }

        var pid: Int32 { process.processIdentifier }
        var isRunning: Bool { process.isRunning }
        var stdoutSoFar: String { String(decoding: FileManager.default.contents(atPath: stdoutPath) ?? Data(), as: UTF8.self) }
        var stderrSoFar: String { String(decoding: FileManager.default.contents(atPath: stderrPath) ?? Data(), as: UTF8.self) }

        /// Waits for a line starting with `prefix` on stdout (the child's readiness signal) and
        /// returns the rest of it. Throws if the child exits first or `timeout` passes.
        func line(startingWith prefix: String, timeout: TimeInterval) throws -> String {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let line = stdoutSoFar.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                    return String(line.dropFirst(prefix.count))
                }
                guard process.isRunning else {
                    throw CLIError("daftar \(arguments.joined(separator: " ")) exited (\(process.terminationStatus)) before printing \(prefix)…\n\(stdoutSoFar)\n\(stderrSoFar)")
                }
                usleep(10_000)
            }
            throw CLIError("daftar \(arguments.joined(separator: " ")) printed no \(prefix)… within \(Int(timeout)) s\n\(stdoutSoFar)\n\(stderrSoFar)")
        }

        /// Waits for the child to end; kills it and throws after `timeout` seconds.
        func wait(timeout: TimeInterval) throws -> CLIResult {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning {
                if Date() > deadline {
                    kill(process.processIdentifier, SIGKILL)
                    process.waitUntilExit()
                    throw CLIError("daftar \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
                }
                usleep(5_000)
            }
            process.waitUntilExit()
            return CLIResult(
                arguments: arguments, status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                stdoutData: FileManager.default.contents(atPath: stdoutPath) ?? Data(),
                stderrData: FileManager.default.contents(atPath: stderrPath) ?? Data())
        }
    }

    /// Starts `daftar --store STORE ARGS…` in the sandbox.
    func start(_ arguments: [String], store: String, author: String = "sync-cli-tests") throws -> Child {
        guard let binary = DaftarExecutable.path else { throw CLIError("the daftar executable was not found") }
        let full = ["--store", store] + arguments
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = full
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment(author: author)
        let id = UUID().uuidString
        let outPath = path(".runs/\(id).out"), errPath = path(".runs/\(id).err")
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            throw CLIError("cannot open output files in \(directory)")
        }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? out.close()
        try? err.close()
        return Child(process: process, arguments: full, stdoutPath: outPath, stderrPath: errPath)
    }

    /// Runs `daftar --store STORE ARGS…` to completion.
    func run(_ arguments: [String], store: String, author: String = "sync-cli-tests", timeout: TimeInterval = 180) throws -> CLIResult {
        try start(arguments, store: store, author: author).wait(timeout: timeout)
    }
}

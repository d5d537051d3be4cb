import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one run of `daftar` did.
public struct DaftarRun: CustomStringConvertible {
    public var arguments: [String]
    /// The exit status, or the signal number when `signaled`.
    public var status: Int32
    public var signaled: Bool
    public var stdoutData: Data
    public var stderrData: Data

    public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    public var stderr: String { String(decoding: stderrData, as: UTF8.self) }
    public var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    public var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    public var succeeded: Bool { status == 0 && !signaled }

    /// stdout parsed as JSON.
    public func json() throws -> Any { try JSONSerialization.jsonObject(with: stdoutData, options: [.fragmentsAllowed]) }

    public func jsonObject() throws -> [String: Any] {
        guard let object = try json() as? [String: Any] else { throw DaftarTestError("stdout is not a JSON object: \(self)") }
        return object
    }

    public func jsonArray() throws -> [[String: Any]] {
        guard let array = try json() as? [[String: Any]] else { throw DaftarTestError("stdout is not a JSON array of objects: \(self)") }
        return array
    }

    public var description: String {
        "daftar \(arguments.joined(separator: " ")) → \(signaled ? "signal" : "exit") \(status)\n--- stdout:\n\(stdout)\n--- stderr:\n\(stderr)"
    }
}

public struct DaftarTestError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A started `daftar` child, its output going to files (so nothing blocks on a full pipe).
public final class DaftarChild {
    public let process: Spawned
    public let arguments: [String]
    public let stdoutPath: String
    public let stderrPath: String

    /// Starts the built `daftar` with `arguments` in `directory`; output goes to files in
    /// `directory/.runs`.
    /// `executable` runs another program instead (e.g. `/bin/bash` for the README's examples);
    /// `input` is its standard input (none by default).
    public init(
        _ arguments: [String], in directory: String, environment: [String: String], executable: String? = nil, input: Data? = nil
    ) throws {
        guard let binary = executable ?? Repository.daftarBinary else {
            throw DaftarTestError("the daftar executable was not found next to the test bundle nor in .build/{debug,release}")
        }
        let id = UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/.runs", withIntermediateDirectories: true)
        let outPath = directory + "/.runs/\(id).out", errPath = directory + "/.runs/\(id).err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        var inPath: String? = nil
        if let input {
            inPath = directory + "/.runs/\(id).in"
            _ = FileManager.default.createFile(atPath: inPath!, contents: input)
        }
        let process = try Spawned(
            executable: binary, arguments: arguments, directory: directory, environment: environment,
            input: inPath, output: outPath, errors: errPath)
        (self.process, self.arguments, self.stdoutPath, self.stderrPath) = (process, arguments, outPath, errPath)
    }

    public var pid: Int32 { process.pid }
    public var isRunning: Bool { process.isRunning }
    public var stdoutSoFar: String { String(decoding: FileManager.default.contents(atPath: stdoutPath) ?? Data(), as: UTF8.self) }
    public var stderrSoFar: String { String(decoding: FileManager.default.contents(atPath: stderrPath) ?? Data(), as: UTF8.self) }

    /// Waits for a line starting with `prefix` on stdout (the child's readiness signal) and
    /// returns the rest of it. Throws if the child exits first or `timeout` passes.
    public func line(startingWith prefix: String, timeout: TimeInterval) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = stdoutSoFar.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) {
                return String(line.dropFirst(prefix.count))
            }
            if let ended = process.ended {
                throw DaftarTestError("daftar \(arguments.joined(separator: " ")) exited (\(ended.status)) before printing \(prefix)…\n\(stdoutSoFar)\n\(stderrSoFar)")
            }
            usleep(10_000)
        }
        throw DaftarTestError("daftar \(arguments.joined(separator: " ")) printed no \(prefix)… within \(Int(timeout)) s\n\(stdoutSoFar)\n\(stderrSoFar)")
    }

    /// ``wait(timeout:)`` without holding a thread while the child runs: the task sleeps
    /// between looks. Tests run many at once on a few threads, and in-process servers of other
    /// tests need them; a long child (a crash run, a fuzzer) must not take one away.
    public func finished(timeout: TimeInterval) async throws -> DaftarRun {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
        return try wait(timeout: 0)
    }

    /// Waits for the child to end; kills it and throws after `timeout` seconds.
    public func wait(timeout: TimeInterval) throws -> DaftarRun {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                kill(process.pid, SIGKILL)
                _ = process.waitUntilExit()
                throw DaftarTestError("daftar \(arguments.joined(separator: " ")) did not finish within \(Int(timeout)) s")
            }
            usleep(5_000)
        }
        let ended = process.waitUntilExit()
        return DaftarRun(
            arguments: arguments, status: ended.status, signaled: ended.signaled,
            stdoutData: FileManager.default.contents(atPath: stdoutPath) ?? Data(),
            stderrData: FileManager.default.contents(atPath: stderrPath) ?? Data())
    }
}

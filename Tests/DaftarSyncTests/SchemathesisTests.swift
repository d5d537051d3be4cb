import DaftarTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Schemathesis (from PyPI; `.ci/run` installs it and sets `$DAFTAR_SCHEMATHESIS`) fuzzes
/// `serve` against schema/sync-api.yaml and `reader` against schema/reader-api.yaml: no 5xx,
/// every status, content type, header and body as the file says, 405 for any other method.
/// Not run: `positive_data_acceptance` and `negative_data_rejection` — a schema cannot say
/// that a hash must match or a seal verify (422), and the sync API by design ignores, and
/// reports, optional hints and fork claims it cannot use rather than refusing the request.
@Suite("The OpenAPI files match the servers (Schemathesis)", .serialized)
struct SchemathesisTests {
    static let checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,unsupported_method"
    static let examples = Stress.pick(light: 15, ci: 25, full: 200)

    /// The schemathesis command: `$DAFTAR_SCHEMATHESIS`, else one on the PATH.
    static let command: String? = {
        if let given = ProcessInfo.processInfo.environment["DAFTAR_SCHEMATHESIS"], !given.isEmpty { return given }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(folder)/schemathesis"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()
    static let runs = (command != nil || ProcessInfo.processInfo.environment["CI"] == "true") && DaftarExecutable.path != nil

    /// Runs schemathesis over `schema` against `url` with `headers`; its exit status and output.
    static func fuzz(_ schema: String, _ url: String, headers: [String], in box: CLISandbox) async throws -> (status: Int32, output: String) {
        guard let command else { throw CLIError("schemathesis is not installed: `.ci/run` installs it from PyPI (pip install schemathesis)") }
        guard let root = DaftarExecutable.packageRoot else { throw CLIError("package root not found") }
        let output = box.path("schemathesis-\(schema).log")
        FileManager.default.createFile(atPath: output, contents: nil)
        let process = try Spawned(
            executable: command,
            arguments: ["run", root.appendingPathComponent("schema/" + schema).path, "--url", url, "-n", "\(examples)", "--seed", "42",
                        "-c", checks, "--request-timeout", "30", "--no-color"] + headers.flatMap { ["-H", $0] },
            directory: box.directory, environment: ProcessInfo.processInfo.environment, output: output, errors: output)
        let ended = try await process.finished()  // holding no thread meanwhile
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        if let summary = text.split(separator: "\n").last(where: { $0.contains("generated") }) {
            print("schemathesis \(schema): \(summary.trimmingCharacters(in: .whitespaces))")
        }
        return (ended.status, text)
    }

    @Test("serve answers as schema/sync-api.yaml says", .enabled(if: runs, "schemathesis is not installed (set $DAFTAR_SCHEMATHESIS); CI installs it"))
    func syncAPI() async throws {
        let setup = try ServeCLITests.Setup()
        let (server, url) = try setup.serve("127.0.0.1:0")
        defer { _ = try? ServeCLITests.stop(server) }
        let token = try String(contentsOfFile: setup.tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let (status, output) = try await Self.fuzz("sync-api.yaml", url, headers: ["Authorization: Bearer \(token)"], in: setup.box)
        #expect(status == 0, "\(output.suffix(6000))")
        #expect(!output.contains(token), "the token reached schemathesis' report")
    }

    @Test("reader answers as schema/reader-api.yaml says", .enabled(if: runs, "schemathesis is not installed (set $DAFTAR_SCHEMATHESIS); CI installs it"))
    func readerAPI() async throws {
        let setup = try ServeCLITests.Setup()
        let reader = try setup.box.start(["reader", "--listen", "127.0.0.1:0", "--no-open"], store: setup.a)
        defer { if reader.isRunning { kill(reader.pid, SIGKILL) } }
        let opened = try reader.line(startingWith: "reader at ", timeout: 60).trimmingCharacters(in: .whitespaces)
        let origin = String(opened.split(separator: "/open")[0])
        let port = origin.split(separator: ":").last!
        let secret = String(opened.split(separator: "=").last!)
        let (status, output) = try await Self.fuzz(
            "reader-api.yaml", origin, headers: ["Cookie: daftar_reader_\(port)=\(secret)", "Origin: \(origin)"], in: setup.box)
        #expect(status == 0, "\(output.suffix(6000))")
    }
}

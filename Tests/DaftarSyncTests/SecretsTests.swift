import DaftarTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// No secret leaves its file (issue: secrets and exposure): a session of commands — ingest,
/// serve, clone, sync with a right and a wrong token, annotate, export, bundle, status, log,
/// verify — and everything they printed, logged and wrote is searched for the token and for
/// either replica's private key. Secret files are owner-only.
@Suite("Secrets stay secret")
struct SecretsTests {
    @Test("Neither the token nor a private key appears in any output, log line, error or export; secret files are 0600",
          .enabled(if: DaftarExecutable.path != nil, "the daftar executable is not built; run `swift build --build-tests` first"))
    func noSecretInAnyOutput() async throws {
        let box = try CLISandbox()
        guard let root = DaftarExecutable.packageRoot else { throw CLIError("package root not found") }
        let a = box.path("a.sqlite"), b = box.path("b.sqlite")
        let token = "secret-token-\(UUID().uuidString)"
        let tokenFile = try box.writeSecret("token", token + "\n")
        let wrong = try box.writeSecret("wrong", "wrong-token-\(UUID().uuidString)\n")
        var printed = ""
        func run(_ arguments: [String], _ store: String, succeeds: Bool = true) async throws {
            let result = try await box.finish(arguments, store: store, timeout: 120)
            #expect(result.succeeded == succeeds, "\(result)")
            printed += result.stdout + result.stderr
        }

        try await run(["ingest", root.appendingPathComponent("seeds").path], a)
        let server = try box.start(["serve", "--listen", "127.0.0.1:0", "--token-file", tokenFile], store: a)
        defer { if server.isRunning { kill(server.pid, SIGKILL) } }
        let url = "http://" + (try server.line(startingWith: "listening on http://", timeout: 60)).trimmingCharacters(in: .whitespaces)
        try await run(["clone", url, "--token-file", tokenFile], b)
        let article = try #require(try await box.finish(["list", "--json"], store: b).jsonArray().first?["id"] as? String)
        try await run(["annotate", article, "--start", "2", "--end", "12", "--note", "یادداشت"], b)
        try await run(["sync", url, "--token-file", tokenFile, "--json"], b)
        try await run(["sync", url, "--token-file", wrong], b, succeeds: false)
        try await run(["sync", url], b, succeeds: false)  // no token at all
        try await run(["peer", "add", "desk", url, "--token-file", tokenFile], b)
        try await run(["sync", "desk"], b)
        try await run(["peer", "list"], b)
        for store in [a, b] {
            try await run(["status", "--json"], store)
            try await run(["log"], store)
            try await run(["verify"], store)
            try await run(["export", "--output", store + ".export.json"], store)
            try await run(["export", "--format", "w3c", "--output", store + ".w3c.json"], store)
        }
        try await run(["bundle", "create", "--all", "--output", box.path("all.daftar-bundle")], a)
        kill(server.pid, SIGTERM)
        let served = try await server.finished(timeout: 30)
        printed += served.stdout + served.stderr
        #expect(served.stderr.contains("/v1/push 200"), "the server's access log: \(served.stderr)")

        var written = ""
        for file in [a + ".export.json", a + ".w3c.json", b + ".export.json", b + ".w3c.json", box.path("all.daftar-bundle")] {
            written += (try? String(contentsOfFile: file, encoding: .utf8)) ?? String(decoding: FileManager.default.contents(atPath: file) ?? Data(), as: UTF8.self)
        }
        let keys = try [a, b].map { store in
            try #require(try String(contentsOfFile: store + ".key", encoding: .utf8).split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        for (name, secret) in [("the token", token)] + keys.enumerated().map { ("private key \($0.offset)", $0.element) } {
            #expect(!printed.contains(secret), "\(name) was printed")
            #expect(!written.contains(secret), "\(name) was written to an export or bundle")
        }
        #expect(printed.count > 1000 && written.count > 1000, "too little was searched to mean anything")

        for file in [a, a + ".key", b, b + ".key", tokenFile] + [a + "-wal", b + "-wal"].filter(FileManager.default.fileExists) {
            let mode = try #require((try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue)
            #expect(mode & 0o077 == 0, "\(file) is \(String(mode, radix: 8)), readable by others")
        }
    }
}

import DaftarHub
import DaftarTestSupport
import Foundation
import Testing

/// The README's examples, run as typed: every ```sh block, in order, by `bash -e` in one
/// sandbox whose folder holds `seeds` (a link to the repository's), with the built `daftar`
/// first on the PATH and the default store inside the sandbox. `swift run daftar` is the
/// built `daftar`; `swift build`/`swift test` lines are left to CI. Blocks fenced as
/// ```shell (installing, setting up) are not run.
@Suite("The README's examples")
struct ReadmeTests {
    /// The ```sh blocks of a Markdown text, each as its lines.
    static func shellBlocks(_ markdown: String) -> [[String]] {
        var blocks: [[String]] = []
        var current: [String]? = nil
        for line in markdown.components(separatedBy: "\n") {
            if current == nil {
                if line.trimmingCharacters(in: .whitespaces) == "```sh" { current = [] }
            } else if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                blocks.append(current!)
                current = nil
            } else {
                current!.append(line)
            }
        }
        return blocks
    }

    /// A block as a script: `swift run daftar` → `daftar`; other `swift` lines dropped.
    static func script(_ block: [String]) -> String {
        block.map { $0.replacingOccurrences(of: "swift run daftar", with: "daftar") }
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("swift ") }
            .joined(separator: "\n")
    }

    @Test func everyExampleRunsAsTyped() throws {
        let readme = try String(contentsOfFile: Repository.root + "/README.md", encoding: .utf8)
        let blocks = Self.shellBlocks(readme)
        let box = try Sandbox()
        try FileManager.default.createSymbolicLink(atPath: box.path("seeds"), withDestinationPath: Repository.seedsDirectory)
        var commands = 0
        for block in blocks {
            let script = Self.script(block)
            commands += script.components(separatedBy: "\n").filter { $0.contains("daftar ") }.count
            // The team hub's example runs on a database of its own on the tests' PostgreSQL.
            var environment: [String: String?] = [:]
            var database: String? = nil
            if script.contains("daftar hub") {
                guard let server = ProcessInfo.processInfo.environment["DAFTAR_TEST_POSTGRES"], !server.isEmpty else {
                    #expect(ProcessInfo.processInfo.environment["CI"] != "true", "the README's hub example needs PostgreSQL: DAFTAR_TEST_POSTGRES is not set")
                    continue  // outside CI, without PostgreSQL: not run
                }
                let name = "readme_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
                let created = try box.bash("psql \"$DAFTAR_TEST_POSTGRES\" -qc 'CREATE DATABASE \(name)'", environment: ["DAFTAR_TEST_POSTGRES": server])
                try #require(created.status == 0, "\(created)")
                environment["DAFTAR_HUB_DATABASE"] = try HubDatabase.url(server, database: name)
                database = name
            }
            defer {
                if let database, let server = ProcessInfo.processInfo.environment["DAFTAR_TEST_POSTGRES"] {
                    _ = try? box.bash("psql \"$DAFTAR_TEST_POSTGRES\" -qc 'DROP DATABASE IF EXISTS \(database) WITH (FORCE)'", environment: ["DAFTAR_TEST_POSTGRES": server])
                }
            }
            let result = try box.bash("set -e\n" + script, environment: environment)
            #expect(result.status == 0 && !result.signaled, "README block failed:\n\(script)\n\(result)")
            for bad in leakedInternals {
                #expect(!result.stderr.contains(bad), "README block leaks \(bad):\n\(script)\n\(result)")
            }
        }
        #expect(blocks.count >= 4, "the README's examples were not found")
        #expect(commands >= 25, "only \(commands) daftar commands found in the README's examples")
    }

    /// The first example: the seeds, then the search the README promises finds three articles.
    @Test func theFirstExampleFindsThreeArticles() throws {
        let readme = try String(contentsOfFile: Repository.root + "/README.md", encoding: .utf8)
        let first = try #require(Self.shellBlocks(readme).first)
        let box = try Sandbox()
        try FileManager.default.createSymbolicLink(atPath: box.path("seeds"), withDestinationPath: Repository.seedsDirectory)
        let result = try box.bash("set -e\n" + Self.script(first))
        #expect(result.status == 0, "\(result)")
        #expect(result.stderr.contains("3 results"), "\(result)")
    }
}

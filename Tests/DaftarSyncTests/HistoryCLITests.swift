import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// History as a new user tries it, with two stores: B edits a note, A edits it concurrently,
/// A syncs with B; `changes` lists exactly what that sync brought, `history` shows both
/// branches and the resolution, `show --as-of` a time before the edits shows the old note,
/// and the live view is untouched afterwards.
@Suite("History from the command line")
struct HistoryCLITests {
    @Test(.enabled(if: DaftarExecutable.path != nil, "the daftar executable is not built next to the tests"))
    func branchesResolutionPastAndChanges() throws {
        let box = try CLISandbox()
        let a = box.path("a.sqlite"), b = box.path("b.sqlite")
        let token = try box.writeSecret("token", "history-cli-token-\(UUID().uuidString)\n")
        guard let root = DaftarExecutable.packageRoot else { throw CLIError("package root not found") }
        func ok(_ arguments: [String], _ store: String, author: String) throws -> CLIResult {
            let result = try box.run(arguments, store: store, author: author)
            #expect(result.succeeded, "\(result)")
            guard result.succeeded else { throw CLIError("\(result)") }
            return result
        }
        func note(_ show: CLIResult, _ id: String) throws -> String? {
            let annotations = try show.jsonObject()["annotations"] as? [[String: Any]] ?? []
            return annotations.first { $0["id"] as? String == id }?["note"] as? String
        }

        _ = try ok(["ingest", root.appendingPathComponent("seeds").path], a, author: "الف")
        let annotation = try #require(try ok(["annotate", "7ea8effc0c5d", "--quote", "شریک راهبردی ماست", "--note", "نخست", "--json"], a, author: "الف")
            .jsonObject()["id"] as? String)
        // B: a copy of A, served.
        _ = try ok(["bundle", "create", "--all", "--output", box.path("a.bundle")], a, author: "الف")
        _ = try ok(["bundle", "apply", box.path("a.bundle")], b, author: "ب")
        // Applying a bundle is a sync too: `changes` says what it brought, and the moment before it has a name.
        let applied = try ok(["changes", "--json"], b, author: "ب").jsonObject()
        #expect((applied["articles"] as? [Any])?.count == 5, "\(applied)")
        #expect(try ok(["list", "--as-of", "sync:bundle:a.bundle"], b, author: "ب").stdout.isEmpty)
        let server = try box.start(["serve", "--listen", "127.0.0.1:0", "--token-file", token], store: b, author: "ب")
        defer { if server.isRunning { kill(server.pid, SIGKILL) } }
        let url = "http://" + (try server.line(startingWith: "listening on http://", timeout: 60)).trimmingCharacters(in: .whitespaces)
        _ = try ok(["peer", "add", "b", url, "--token-file", token], a, author: "الف")

        // A moment before the edits, as an analyst types it (local time, to the second).
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        formatter.timeZone = .current
        formatter.locale = Locale(identifier: "en_US_POSIX")
        Thread.sleep(forTimeInterval: 1.1)
        let before = formatter.string(from: Date())
        Thread.sleep(forTimeInterval: 1.1)

        _ = try ok(["edit", annotation, "--note", "از ب"], b, author: "ب")
        _ = try ok(["edit", annotation, "--note", "از الف"], a, author: "الف")
        let sync = try box.run(["sync", "b", "--json"], store: a, author: "الف")
        #expect(sync.status == 0, "\(sync)")

        // What the sync brought: B's edit, and the conflict it made.
        let changes = try ok(["changes", "--json"], a, author: "الف").jsonObject()
        #expect(changes["events"] as? Int == 1, "\(changes)")
        let group = try #require((changes["articles"] as? [[String: Any]])?.first)
        #expect(group["conflictsAppeared"] as? [String] == [annotation])
        let summary = (group["events"] as? [[String: Any]])?.first?["summary"] as? String ?? ""
        #expect(summary.contains("«نخست» → «از ب»"), "\(summary)")
        let named = try ok(["changes", "--since", "sync:b", "--json"], a, author: "الف").jsonObject()
        #expect(named["events"] as? Int == 1)

        _ = try ok(["resolve", annotation, "--note", "هر دو"], a, author: "الف")
        let history = try ok(["history", String(annotation.prefix(8)), "--json"], a, author: "الف").jsonArray()
        #expect(history.count == 4, "\(history)")
        let concurrent = history.filter { !($0["concurrentWith"] as? [Int] ?? []).isEmpty }
        #expect(concurrent.count == 1 && concurrent[0]["conflictsWith"] as? [Int] != [], "\(history)")
        #expect(history.last?["resolves"] as? [[Int]] == [[2, 3]], "\(history)")
        let text = try ok(["history", annotation], a, author: "الف").stdout
        #expect(text.contains("concurrent with #2") && text.contains("resolves #2 ‖ #3"), "\(text)")

        // The past, and the present untouched.
        let live = try ok(["show", "7ea8effc0c5d", "--json"], a, author: "الف")
        let past = try ok(["show", "7ea8effc0c5d", "--as-of", before, "--json"], a, author: "الف")
        #expect(try note(past, annotation) == "نخست", "\(past)")
        #expect(past.stderr.contains("a past view"), "\(past)")
        #expect(try note(live, annotation) == "هر دو")
        #expect(try note(ok(["show", "7ea8effc0c5d", "--json"], a, author: "الف"), annotation) == "هر دو")
        let beforeSync = try ok(["annotations", "--as-of", "sync:b", "--json"], a, author: "الف").jsonArray()
        #expect(beforeSync.first { $0["id"] as? String == annotation }?["note"] as? String == "از الف")
        let digestNow = try ok(["digest"], a, author: "الف").stdout
        #expect(try ok(["digest", "--as-of", "999999"], a, author: "الف").stdout == digestNow)
    }
}

import AsyncHTTPClient
import DaftarApp
@testable import DaftarCore
@testable import DaftarStore
import DaftarSync
import DaftarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The reader's JSON API over real HTTP on loopback (HummingbirdTesting's live server): who may
/// call it, and that each call is the library's.
@Suite("Reader API")
struct ReaderAPITests {
    @Test("Opening the printed URL sets an HttpOnly, SameSite=Strict cookie; the API needs it")
    func signIn() async throws {
        let fixture = try ReaderFixture()
        let access = ReaderAccess(host: "127.0.0.1")
        try await fixture.application(access: access).test(.live) { client in
            let wrong = try await client.execute(uri: "/open?key=not-the-secret", method: .get)
            #expect(wrong.status == .forbidden)
            #expect(wrong.headers[.setCookie] == nil)

            let opened = try await client.execute(uri: "/open?key=\(access.secret)", method: .get)
            #expect(opened.status == .seeOther)
            #expect(opened.headers[.location] == "/")
            let cookie = try #require(opened.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "\(cookie)")

            let anonymous = try await client.execute(uri: "/api/status", method: .get)
            #expect(anonymous.status == .unauthorized)
            #expect((anonymous.object["error"] as? [String: Any])?["message"] as? String == "not signed in: open the URL `daftar reader` printed")
            let forged = try await client.call(.get, "/api/status", cookie: "\(String(cookie.prefix { $0 != "=" }))=guess")
            #expect(forged.status == .unauthorized)

            let status = try await client.call(.get, "/api/status", cookie: try await client.signIn(access))
            #expect(status.status == .ok)
            #expect(status.object["articles"] as? Int == 6)

            // Every answer, refusals too, says the page loads nothing from elsewhere.
            for response in [wrong, opened, anonymous, status, try await client.execute(uri: "/", method: .get)] {
                #expect(response.headers[.contentSecurityPolicy] == ReaderRoutes.contentSecurityPolicy)
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            }
        }
    }

    @Test("A write without the app's own Origin is refused and writes nothing")
    func crossSiteWritesAreRefused() async throws {
        let fixture = try ReaderFixture()
        let access = ReaderAccess(host: "127.0.0.1")
        let events = try fixture.store.status().events
        try await fixture.application(access: access).test(.live) { client in
            let cookie = try await client.signIn(access)
            let body = jsonText(["start": 0, "end": 5, "exact": String(String.UnicodeScalarView(Array(try fixture.store.article(fixture.mixedID).body.unicodeScalars)[0..<5]))])
            for origin in [nil, "http://evil.example", "http://localhost.evil.example", "null"] as [String?] {
                let response = try await client.call(.post, "/api/articles/\(fixture.mixedID)/annotations", cookie: cookie, json: body, origin: origin)
                #expect(response.status == .forbidden, "Origin \(origin ?? "none"): \(response.status)")
                #expect(response.text.contains("must come from the reader's own page"), "\(response.text)")
            }
            #expect(try fixture.store.status().events == events)
            let allowed = try await client.call(.post, "/api/articles/\(fixture.mixedID)/annotations", cookie: cookie, json: body)
            #expect(allowed.status == .ok, "\(allowed.text)")
            #expect(try fixture.store.status().events == events + 1)
        }
    }

    @Test("A request naming another host (DNS rebinding) is refused, even with the cookie")
    func foreignHostIsRefused() async throws {
        let fixture = try ReaderFixture()
        let access = ReaderAccess(host: "127.0.0.1")
        try await fixture.application(access: access).test(.live) { client in
            let cookie = try await client.signIn(access)
            let port = try #require(client.port)
            func get(host: String) async throws -> (Int, String) {
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/status")
                request.headers.replaceOrAdd(name: "Host", value: host)
                request.headers.add(name: "Cookie", value: cookie)
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
            }
            let (refused, message) = try await get(host: "evil.example:\(port)")
            #expect(refused == 403)
            #expect(message.contains("answers only to its own address"), "\(message)")
            #expect(try await get(host: "127.0.0.1:\(port)").0 == 200)
            #expect(try await get(host: "localhost:\(port)").0 == 200)
            #expect(try await get(host: "127.0.0.1:\(port + 1)").0 == 403)
        }
    }

    /// The page sends offsets in Unicode scalars; the store keeps the same selector the CLI's
    /// `annotate --quote` makes for that passage.
    @Test("A selection becomes the CLI's selector: exact, 32-character prefix and suffix, scalar offsets")
    func selectionsBecomeTheCLISelector() async throws {
        let fixture = try ReaderFixture()
        let access = ReaderAccess(host: "127.0.0.1")
        let body = try fixture.store.article(fixture.mixedID).body
        let scalars = Array(body.unicodeScalars)
        let passages = ["همکاری‌های نظامی", "سال 2024 و ۱۴۰۳", "ادامه یافت 🙂 و افزود", "اَلسَّلامُ عَلَیکُم", "Shahed-136", "گزارش 😀 فقط"]
        try await fixture.application(access: access).test(.live) { client in
            let cookie = try await client.signIn(access)
            for passage in passages {
                let expected = try Store.anchor(.quote(passage, prefix: nil, suffix: nil, occurrence: nil), in: body, articleID: fixture.mixedID)
                let request = jsonText(["start": expected.start, "end": expected.end, "exact": passage, "note": "یادداشت"])
                let response = try await client.call(.post, "/api/articles/\(fixture.mixedID)/annotations", cookie: cookie, json: request)
                #expect(response.status == .ok, "\(passage): \(response.text)")
                let id = try #require(response.object["id"] as? String)
                let stored = try fixture.store.annotation(id).anchor
                #expect(stored == expected, "\(passage)")
                #expect(stored.exact == passage)
                #expect(String(String.UnicodeScalarView(scalars[stored.start..<stored.end])) == passage)
                #expect(stored.prefix.unicodeScalars.count == min(32, stored.start))
            }
            // The page and the archive disagreeing on the text there: refused, nothing written.
            let events = try fixture.store.status().events
            let wrong = try await client.call(.post, "/api/articles/\(fixture.mixedID)/annotations", cookie: cookie, json: jsonText(["start": 3, "end": 9, "exact": "not this"]))
            #expect(wrong.status == .badRequest)
            #expect(wrong.text.contains("does not match the article's text there"), "\(wrong.text)")
            let outside = try await client.call(.post, "/api/articles/\(fixture.mixedID)/annotations", cookie: cookie, json: jsonText(["start": 3, "end": scalars.count + 4, "exact": "x"]))
            #expect(outside.status == .badRequest)
            let malformed = try await client.call(.post, "/api/articles/\(fixture.mixedID)/annotations", cookie: cookie, json: "{\"start\": \"a\"}")
            #expect(malformed.status == .badRequest)
            #expect(try fixture.store.status().events == events)
        }
    }

    @Test("Edit, tag, untag, delete and restore from the sidebar are the library's; history lists them")
    func sidebarWrites() async throws {
        let fixture = try ReaderFixture()
        let access = ReaderAccess(host: "127.0.0.1")
        let view = try fixture.store.annotate(article: fixture.mixedID, target: .quote("همکاری‌ها", prefix: nil, suffix: "در ماه", occurrence: nil), note: "اول")
        try await fixture.application(access: access).test(.live) { client in
            let cookie = try await client.signIn(access)
            let base = "/api/annotations/\(view.id)"
            #expect(try await client.call(.post, base + "/edit", cookie: cookie, json: jsonText(["note": "دوم"])).status == .ok)
            #expect(try fixture.store.annotation(view.id).note.displayed?.value == "دوم")
            #expect(try await client.call(.post, base + "/tags", cookie: cookie, json: jsonText(["add": ["روسیه", "نظامی"]])).status == .ok)
            #expect(try await client.call(.post, base + "/tags", cookie: cookie, json: jsonText(["remove": ["روسيه"]])).status == .ok)
            #expect(Set(try fixture.store.annotation(view.id).tags.values) == ["نظامی"])
            #expect(try await client.call(.post, base + "/delete", cookie: cookie).status == .ok)
            #expect(try fixture.store.annotation(view.id).deleted)
            let restored = try await client.call(.post, base + "/restore", cookie: cookie)
            #expect(restored.object["deleted"] as? Bool == false)
            let history = try await client.call(.get, base + "/history", cookie: cookie)
            // Created, edited, two tags added, one removed, deleted, restored.
            #expect((history.json as? [Any])?.count == 7, "\(history.text)")
            #expect(try await client.call(.post, "/api/annotations/ffffffff/edit", cookie: cookie, json: jsonText(["note": "x"])).status == .notFound)
            #expect(try await client.call(.post, base + "/edit", cookie: cookie, json: "{}").status == .badRequest)
        }
    }

    @Test("A conflict shows both values with who and when; keeping one is the CLI's resolve")
    func conflicts() async throws {
        let fixture = try ReaderFixture()
        let access = ReaderAccess(host: "127.0.0.1")
        let view = try fixture.store.annotate(article: fixture.mixedID, target: .quote("Shahed-136", prefix: nil, suffix: nil, occurrence: nil), note: "اول")
        let other = try fixture.replica("other")
        try other.setAuthor("سارا")
        _ = try fixture.store.edit(annotation: view.id, note: "از اینجا", motivation: nil)
        _ = try other.edit(annotation: view.id, note: "از سارا", motivation: nil)
        try fixture.store.receiveAll(from: other)
        try await fixture.application(access: access).test(.live) { client in
            let cookie = try await client.signIn(access)
            let status = try await client.call(.get, "/api/status", cookie: cookie)
            #expect(status.object["conflicts"] as? Int == 1)
            let article = try await client.call(.get, "/api/articles/\(fixture.mixedID)", cookie: cookie)
            let shown = try #require((article.object["annotations"] as? [[String: Any]])?.first { $0["id"] as? String == view.id })
            #expect(shown["conflict"] as? Bool == true)
            let values = try #require(shown["noteValues"] as? [[String: Any]])
            #expect(Set(values.compactMap { $0["value"] as? String }) == ["از اینجا", "از سارا"])
            #expect(values.contains { $0["author"] as? String == "سارا" && ($0["time"] as? Int ?? 0) > 0 })
            let keep = try #require(values.first { $0["value"] as? String == "از سارا" }?["event"] as? String)
            let resolved = try await client.call(.post, "/api/annotations/\(view.id)/resolve", cookie: cookie, json: jsonText(["keep": keep]))
            #expect(resolved.status == .ok, "\(resolved.text)")
            #expect(try !fixture.store.annotation(view.id).inConflict)
            #expect(try fixture.store.annotation(view.id).note.displayed?.value == "از سارا")
            let remaining = try await client.call(.get, "/api/conflicts", cookie: cookie)
            #expect((remaining.json as? [Any])?.isEmpty == true)
        }
    }

    @Test("Library, search with filters, tags and a past view answer as the CLI's views do")
    func readingViews() async throws {
        let fixture = try ReaderFixture()
        let access = ReaderAccess(host: "127.0.0.1")
        let view = try fixture.store.annotate(article: fixture.mixedID, target: .quote("Shahed-136", prefix: nil, suffix: nil, occurrence: nil), note: "نخست", tags: ["پهپاد"])
        let before = try fixture.store.status().events
        _ = try fixture.store.edit(annotation: view.id, note: "سپس", motivation: nil)
        try await fixture.application(access: access).test(.live) { client in
            let cookie = try await client.signIn(access)
            let first = try await client.call(.get, "/api/articles?limit=4", cookie: cookie)
            #expect((first.object["articles"] as? [Any])?.count == 4)
            #expect(first.object["more"] as? Bool == true)
            let second = try await client.call(.get, "/api/articles?limit=4&offset=4", cookie: cookie)
            #expect((second.object["articles"] as? [Any])?.count == 2)
            #expect(second.object["more"] as? Bool == false)
            #expect(try await client.call(.get, "/api/articles?limit=0", cookie: cookie).status == .badRequest)

            let search = try await client.call(.get, "/api/search?q=\(percent("لاوروف"))", cookie: cookie)
            let hits = try #require(search.object["hits"] as? [[String: Any]])
            #expect(!hits.isEmpty)
            #expect(hits.allSatisfy { !($0["snippetMatches"] as? [Any] ?? []).isEmpty })
            let cli = try fixture.store.search(try SearchQuery(parsing: "لاوروف"), limit: 30)
            #expect(hits.map { $0["id"] as? String } == cli.map(\.id))
            let tagged = try await client.call(.get, "/api/search?q=\(percent("پهپاد"))&tag=\(percent("پهپاد"))", cookie: cookie)
            #expect((tagged.object["hits"] as? [[String: Any]])?.allSatisfy { $0["id"] as? String == fixture.mixedID } == true)
            let badDate = try await client.call(.get, "/api/search?q=a&since=yesterday", cookie: cookie)
            #expect(badDate.status == .badRequest)
            #expect(badDate.text.contains("is not a date"))

            let tags = try await client.call(.get, "/api/tags", cookie: cookie)
            #expect((tags.json as? [[String: Any]])?.first?["tag"] as? String == "پهپاد")

            let past = try await client.call(.get, "/api/articles/\(fixture.mixedID)?asOf=\(before)", cookie: cookie)
            #expect((past.object["past"] as? [String: Any])?["moment"] as? String == "log position \(before)")
            #expect((past.object["annotations"] as? [[String: Any]])?.first?["note"] as? String == "نخست")
            let now = try await client.call(.get, "/api/articles/\(fixture.mixedID)", cookie: cookie)
            #expect(now.object["past"] == nil)
            #expect((now.object["annotations"] as? [[String: Any]])?.first?["note"] as? String == "سپس")
            let badMoment = try await client.call(.get, "/api/articles/\(fixture.mixedID)?asOf=someday", cookie: cookie)
            #expect(badMoment.status == .badRequest)

            let found = try await client.call(.get, "/api/articles/\(fixture.mixedID)/find?q=\(percent("همكاريها"))", cookie: cookie)
            #expect((found.json as? [[String: Any]])?.first?["exact"] as? String == "همکاری‌ها")
        }
    }

    @Test("Sync now with a named peer streams progress, then the CLI's summary")
    func syncFromTheReader() async throws {
        let fixture = try ReaderFixture()
        let access = ReaderAccess(host: "127.0.0.1")
        let remote = try fixture.replica("remote")
        _ = try remote.annotate(article: fixture.mixedID, target: .quote("S-400", prefix: nil, suffix: nil, occurrence: nil), note: "از دور")
        try await fixture.withPeer(remote, named: "remote") {
            try await fixture.application(access: access).test(.live) { client in
                let cookie = try await client.signIn(access)
                let peers = try await client.call(.get, "/api/peers", cookie: cookie)
                #expect((peers.json as? [[String: Any]])?.first?["name"] as? String == "remote")
                #expect(try await client.call(.post, "/api/peers/nobody/sync", cookie: cookie).status == .notFound)
                let sync = try await client.call(.post, "/api/peers/remote/sync", cookie: cookie)
                #expect(sync.status == .ok)
                let lines = sync.text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                #expect(lines.contains { $0["progress"] != nil }, "\(sync.text)")
                let result = try #require(lines.last?["result"] as? [String: Any], "\(sync.text)")
                #expect(result["inSync"] as? Bool == true)
                #expect(result["pulledEvents"] as? Int == 1)
                #expect((result["broughtIn"] as? [String: Any])?["annotations"] as? Int == 1)
                #expect(lines.last?["failed"] as? Bool == false)
                #expect(try fixture.store.lastSync()?.peer == "remote")
                let changes = try await client.call(.get, "/api/changes", cookie: cookie)
                #expect(changes.object["since"] as? String == "sync:remote")
            }
        }
    }

    @Test("An article with versions: the others listed, their annotations placed here with how, orphans with why")
    func versionsAndCarriedAnnotations() async throws {
        let fixture = try ReaderFixture()
        let (first, second) = try fixture.storyWithTwoVersions()
        let access = ReaderAccess(host: "127.0.0.1")
        try await fixture.application(access: access).test(.live) { client in
            let cookie = try await client.signIn(access)
            let article = try await client.call(.get, "/api/articles/\(second)", cookie: cookie)
            #expect(article.status == .ok)
            #expect(article.object["version"] as? Int == 2)
            #expect((article.object["versions"] as? [[String: Any]])?.count == 2)
            let carried = try #require(article.object["carried"] as? [[String: Any]])
            let byMethod = Dictionary(uniqueKeysWithValues: carried.map { ($0["method"] as? String ?? "", $0) })
            let fuzzy = try #require(byMethod["fuzzy"])
            #expect((fuzzy["annotation"] as? [String: Any])?["exact"] as? String == "همکاری دو کشور در حوزه نظامی")
            #expect((fuzzy["label"] as? String)?.hasPrefix("fuzzy 0.") == true)
            #expect((byMethod["orphan"]?["reason"] as? String)?.contains("not in this version") == true)
            // The first version has no annotations of another version to show.
            let old = try await client.call(.get, "/api/articles/\(first)", cookie: cookie)
            #expect(old.object["version"] as? Int == 1 && (old.object["carried"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("Every registered route is in schema/reader-api.yaml, and vice versa")
    func routesAreDescribed() throws {
        let fixture = try ReaderFixture()
        let router = try buildReaderRouter(api: ReaderAPI(store: fixture.store), access: ReaderAccess(host: "127.0.0.1"))
        let registered = Set(router.routes.map { "\($0.method.rawValue.uppercased()) \($0.path)" })
        let listed = Set((ReaderRoutes.pages + ReaderRoutes.api).map { "\($0.method) \($0.path)" })
        #expect(registered == listed, "router \(registered.sorted()) vs ReaderRoutes \(listed.sorted())")
        let yaml = try String(contentsOfFile: Repository.root + "/schema/reader-api.yaml", encoding: .utf8)
        let described = OpenAPIPaths.operations(in: yaml)
        #expect(described == Set(ReaderRoutes.api.map { "\($0.method.lowercased()) \($0.path)" }), "described \(described.sorted())")
    }
}

func percent(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["&", "=", "+"]))! }

/// `method path` of each operation under `paths:` in an OpenAPI YAML file.
enum OpenAPIPaths {
    static func operations(in yaml: String) -> Set<String> {
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
        var operations = Set<String>()
        var inPaths = false
        var path: String? = nil
        for line in yaml.split(separator: "\n").map(String.init) {
            let content = line.trimmingCharacters(in: .whitespaces)
            if content.isEmpty || content.hasPrefix("#") { continue }
            let indent = line.prefix { $0 == " " }.count
            if indent == 0 { inPaths = content == "paths:"; continue }
            guard inPaths, content.hasSuffix(":") else { continue }
            let key = String(content.dropLast()).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            if indent == 2 { path = key.hasPrefix("/") ? key : nil } else if indent == 4, let path, methods.contains(key) { operations.insert("\(key) \(path)") }
        }
        return operations
    }
}

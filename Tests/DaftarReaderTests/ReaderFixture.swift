import DaftarApp
@testable import DaftarCore
@testable import DaftarStore
import DaftarTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization

/// A store in a fresh temporary directory holding the seeds and one article written to test
/// offsets: a ZWNJ word, Arabic diacritics, an emoji, and English words and Latin digits
/// inside the Persian.
final class ReaderFixture: @unchecked Sendable {
    let directory: String
    let store: Store
    let mixedID: String

    /// The article with every kind of text that makes UTF-16 and scalar offsets differ.
    static let mixedText = """
        گزارش آزمایشی خواننده دربارهٔ همکاری‌ها

        وزیر خارجه روز سه‌شنبه گفت «همکاری‌های نظامی» میان دو کشور در سال 2024 و ۱۴۰۳ ادامه یافت 🙂 و افزود: \
        اَلسَّلامُ عَلَیکُم به همه. او دربارهٔ پهپاد Shahed-136 و قرارداد S-400 گفت این گزارش 😀 فقط برای آزمون است. \
        کارشناسان می‌گویند همکاری‌ها در ماه‌های آینده گسترش می‌یابد.
        """

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("daftar-reader-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try Store.open(at: directory + "/archive.sqlite", forWriting: true)
        let seeds = try SourceFile.expand([Repository.seedsDirectory]).files.map { try SourceFile.read(path: $0) }
        _ = try store.ingest(seeds)
        mixedID = try store.ingest([SourceFile(path: directory + "/mixed.txt", name: "mixed.txt", text: Self.mixedText)])[0].articleID
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// A story archived, annotated twice (a passage with a typo, and one the update deletes),
    /// then archived updated: the ids of its two versions.
    func storyWithTwoVersions() throws -> (first: String, second: String) {
        let first = try store.ingest([SourceFile(path: "v1.txt", name: "v1.txt", text: StoryVersions.typoed)])[0].articleID
        _ = try store.annotate(article: first, target: .quote("همکاری دو کشور در حوزه نضامی", prefix: nil, suffix: nil, occurrence: nil), note: "اصلاح شد")
        _ = try store.annotate(article: first, target: .quote("نشست بعدی در تهران", prefix: nil, suffix: nil, occurrence: nil))
        let second = try store.ingest([SourceFile(path: "v2.txt", name: "v2.txt", text: StoryVersions.updated)])[0].articleID
        return (first, second)
    }

    /// Another store at `name` holding everything this one holds (for conflicts).
    func replica(_ name: String) throws -> Store {
        let other = try Store.open(at: directory + "/\(name).sqlite", forWriting: true)
        try other.receiveAll(from: store)
        return other
    }

    func application(access: ReaderAccess) throws -> some ApplicationProtocol {
        try buildReaderApplication(store: store, access: access, port: 0)
    }
}

extension TestClientProtocol {
    /// Opens the secret URL and returns the cookie it sets (`name=value`).
    func signIn(_ access: ReaderAccess) async throws -> String {
        let response = try await execute(uri: "/open?key=\(access.secret)", method: .get)
        let header = response.headers[.setCookie] ?? ""
        return String(header.split(separator: ";").first ?? "")
    }

    /// A JSON API call as the page makes it: the cookie, and the app's own Origin on writes.
    func call(_ method: HTTPRequest.Method, _ uri: String, cookie: String, json: String? = nil, origin: String? = "http://localhost") async throws -> TestResponse {
        var headers: HTTPFields = [.cookie: cookie]
        if method != .get, let origin { headers[.origin] = origin }
        if json != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(buffer: body)) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var text: String { String(buffer: body) }
}

/// The JSON of `value` as a string, for request bodies.
func jsonText(_ value: [String: Any]) -> String {
    String(decoding: try! JSONSerialization.data(withJSONObject: value), as: UTF8.self)
}

extension Store {
    /// What `other` holds that this store lacks, received as a sync would (one page: these
    /// stores are small).
    func receiveAll(from other: Store) throws {
        _ = try receive(try other.page(for: PullRequest(have: try heads(), maxBytes: 64 << 20)).events)
    }
}

import DaftarSync
import Logging
import ServiceLifecycle

extension ReaderFixture {
    /// Serves `remote` over the sync API on loopback while `body` runs, remembered in this
    /// fixture's store as the peer `name` (with a token file).
    func withPeer(_ remote: Store, named name: String, _ body: () async throws -> Void) async throws {
        let token = "reader-test-token-0123456789"
        let tokenFile = directory + "/\(name).token"
        if !FileManager.default.fileExists(atPath: tokenFile) { try SyncToken.write(token, to: tokenFile) }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = buildApplication(service: SyncService(log: remote), token: token, host: "127.0.0.1", port: 0, onRunning: { continuation.yield($0) })
        let group = ServiceGroup(configuration: .init(services: [server], gracefulShutdownSignals: [], logger: Logger(label: "reader-tests")))
        let running = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw DaftarTestError("the peer did not start") }
        try store.addPeer(Peer(name: name, url: "http://127.0.0.1:\(port)", tokenFile: tokenFile))
        do {
            try await body()
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }
}

import AsyncHTTPClient
import DaftarApp
import DaftarCore
import DaftarStore
import DaftarWebDriver
import Foundation
import Hummingbird
import NIOCore

/// The reader: time to first render of a 10,000-word article with 500 annotations in headless
/// Chromium (against the same article without annotations, in the same run), and the JSON
/// API's latency (against a static file from the same server: the HTTP floor).
extension Phase {
    static let readerWords = 10_000
    static let readerAnnotations = 500

    func reader() async throws -> [Figure] {
        let store = try Store.open(at: dir + "/reader.sqlite")
        let (annotated, plain) = try readerArticles(store)
        let access = ReaderAccess(host: "127.0.0.1")
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = try buildReaderApplication(store: store, access: access, port: 0, onRunning: { continuation.yield($0) })
        let server = Task { try await app.runService(gracefulShutdownSignals: []) }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw DaftarError(.badInput, "the reader did not start") }
        let base = "http://127.0.0.1:\(port)"
        var figures: [Figure] = []

        let driver = try await WebDriver.start()
        do {
            try await driver.navigate("\(base)/open?key=\(access.secret)")
            func firstRender(_ id: String) async throws -> Double {
                try await driver.navigate("about:blank")
                try await driver.navigate("\(base)/#/article/\(id)")
                try await driver.wait("return document.body.dataset.view === 'article' && document.body.dataset.painted !== undefined", seconds: 30, "the article")
                return Double(try await driver.execute("return document.body.dataset.painted") as? String ?? "") ?? .nan
            }
            for id in [annotated, plain] { _ = try await firstRender(id) }  // warm-up
            var withNotes: [Double] = [], without: [Double] = []
            for _ in 0..<15 {
                without.append(try await firstRender(plain))
                withNotes.append(try await firstRender(annotated))
            }
            let marks = try await driver.execute("return document.querySelectorAll('#body mark').length") as? Int ?? 0
            let size = Self.readerAnnotations
            figures += [
                Figure("reader", size, "first_render_p50", Self.percentile(withNotes, 0.5), "ms"),
                Figure("reader", size, "first_render_p95", Self.percentile(withNotes, 0.95), "ms"),
                Figure("reader", size, "baseline_no_annotations_p50", Self.percentile(without, 0.5), "ms"),
                Figure("reader", size, "ratio_to_no_annotations", Self.percentile(withNotes, 0.5) / Self.percentile(without, 0.5), "×"),
                Figure("reader", size, "marks_shown", Double(marks), "count"),
            ]
            try await driver.close()
        } catch {
            try? await driver.close()
            throw error
        }
        figures += try await apiLatency(base: base, access: access, article: annotated, annotation: try store.annotationSummaries(article: annotated)[0].id)
        figures.append(Figure("reader", Self.readerAnnotations, "peak_rss", Self.peakRSS(), "MiB"))
        return figures
    }

    /// A 10,000-word article with 500 three-word annotations spread through it, and the same
    /// text (one word added) with none.
    func readerArticles(_ store: Store) throws -> (annotated: String, plain: String) {
        let corpus = try corpus()
        var rng = SplitMix64(seed: seed)
        let words = (0..<Self.readerWords).map { _ in corpus.word(&rng) }
        let paragraphs = stride(from: 0, to: words.count, by: 120).map { words[$0..<min($0 + 120, words.count)].joined(separator: " ") + "." }
        let text = "گزارش بلند برای سنجش خواننده\n\n" + paragraphs.joined(separator: "\n\n")
        let annotated = try store.ingest([SourceFile(path: "long.txt", name: "long.txt", text: text)])[0].articleID
        let plain = try store.ingest([SourceFile(path: "plain.txt", name: "plain.txt", text: text + " پایان")])[0].articleID
        let body = Array(try store.article(annotated).body.unicodeScalars)
        let starts = body.indices.filter { $0 > 0 && body[$0 - 1] == " " && body[$0] != " " }
        let step = starts.count / Self.readerAnnotations
        for n in 0..<Self.readerAnnotations {
            let start = starts[n * step]
            let end = starts[min(n * step + 3, starts.count - 1)] - 1
            _ = try store.annotate(article: annotated, target: .positions(start: start, end: end), note: "یادداشت \(n)", tags: n % 10 == 0 ? ["سنجش"] : [])
        }
        return (annotated, plain)
    }

    /// p50/p95 of the API's answers over loopback, each against a static file's; `annotation`
    /// is the one edited.
    func apiLatency(base: String, access: ReaderAccess, article: String, annotation: String) async throws -> [Figure] {
        let client = HTTPClient.shared
        let cookie = "daftar_reader_\(access.port)=\(access.secret)"
        /// Each answer's time; a body makes it a POST from the app's own page.
        func time(_ path: String, body: String? = nil, runs: Int) async throws -> [Double] {
            var times: [Double] = []
            for _ in 0..<runs {
                var request = HTTPClientRequest(url: base + path)
                request.headers.add(name: "Cookie", value: cookie)
                if let body {
                    request.method = .POST
                    request.headers.add(name: "Origin", value: base)
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(string: body))
                }
                let start = DispatchTime.now().uptimeNanoseconds
                let response = try await client.execute(request, timeout: .seconds(30))
                _ = try await response.body.collect(upTo: 64 << 20)
                guard response.status == .ok else { throw DaftarError(.badInput, "\(path) answered \(response.status)") }
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            return times
        }
        let size = Self.readerAnnotations
        let floor = try await time("/reader.css", runs: 200)
        let read = try await time("/api/articles/\(article)", runs: 100)
        let search = try await time("/api/search?q=%D8%B3%D9%86%D8%AC%D8%B4", runs: 100)
        let list = try await time("/api/articles?limit=50", runs: 100)
        let write = try await time("/api/annotations/\(annotation)/edit", body: #"{"note":"ویرایش"}"#, runs: 50)
        let floorP95 = Self.percentile(floor, 0.95)
        var figures = [Figure("reader", size, "api_static_file_p95", floorP95, "ms")]
        for (name, times) in [("api_article_500_notes", read), ("api_search", search), ("api_list", list), ("api_edit", write)] {
            figures.append(Figure("reader", size, name + "_p50", Self.percentile(times, 0.5), "ms"))
            figures.append(Figure("reader", size, name + "_p95", Self.percentile(times, 0.95), "ms"))
            figures.append(Figure("reader", size, name + "_p95_ratio_to_static", Self.percentile(times, 0.95) / floorP95, "×"))
        }
        return figures
    }

}

import DaftarApp
@testable import DaftarCore
@testable import DaftarStore
import DaftarTestSupport
import DaftarWebDriver
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The reader driven in headless Chromium through chromedriver (W3C WebDriver). Under CI
/// (`CI=true`) these run, never skip: a machine without the browser fails them.
enum Browser {
    static let underCI = ProcessInfo.processInfo.environment["CI"] == "true"
    static let shouldRun = underCI || WebDriver.installed != nil

    /// Where screenshots go: $DAFTAR_TEST_OUTPUT, else .build/test-output/reader.
    static let output: String = {
        let folder = ProcessInfo.processInfo.environment["DAFTAR_TEST_OUTPUT"].map { $0 + "/reader" } ?? Repository.root + "/.build/test-output/reader"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }()

    /// Runs the reader on `fixture`'s store, signs a fresh headless browser in, and gives `body`
    /// the driver and the app's base URL.
    static func withReader(_ fixture: ReaderFixture, _ body: @escaping @Sendable (WebDriver, String) async throws -> Void) async throws {
        let access = ReaderAccess(host: "127.0.0.1")
        try await fixture.application(access: access).test(.live) { client in
            let port = try #require(client.port)
            let driver = try await WebDriver.start()
            do {
                try await driver.navigate("http://127.0.0.1:\(port)/open?key=\(access.secret)")
                try await driver.wait("return document.body && document.body.dataset.ready !== undefined", "the library")
                try await body(driver, "http://127.0.0.1:\(port)")
                try await driver.close()
            } catch {
                try? await driver.close()
                throw error
            }
        }
    }

    /// Opens `#/article/ID` and waits until it is shown.
    static func open(_ driver: WebDriver, _ base: String, article: String, asOf: String? = nil) async throws {
        try await driver.execute("document.body.dataset.ready = ''")
        if let asOf { try await driver.execute("document.getElementById('as-of').value = arguments[0]", [asOf]) }
        try await driver.navigate("\(base)/#/article/\(article)")
        try await driver.execute("if (location.hash.startsWith('#/article/')) window.dispatchEvent(new HashChangeEvent('hashchange'))")
        try await driver.wait("return document.body.dataset.view === 'article' && document.body.dataset.ready !== '' && !!document.getElementById('body')", "the article")
    }

    /// Selects the first occurrence of `needle` in the article text, as a mouse would, and lets
    /// the page see the mouse go up.
    static let selectScript = """
        const needle = arguments[0];
        const body = document.getElementById('body');
        const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
        const nodes = []; let text = ''; let node;
        while ((node = walker.nextNode())) { nodes.push([node, text.length]); text += node.data; }
        const at = text.indexOf(needle);
        if (at < 0) return false;
        const range = document.createRange();
        const place = (offset, setter) => {
          for (let i = nodes.length - 1; i >= 0; i--) {
            if (nodes[i][1] <= offset) { range[setter](nodes[i][0], offset - nodes[i][1]); return; }
          }
        };
        place(at, 'setStart'); place(at + needle.length, 'setEnd');
        const selection = window.getSelection();
        selection.removeAllRanges(); selection.addRange(range);
        body.dispatchEvent(new MouseEvent('mouseup', { bubbles: true }));
        return true;
        """

    static func screenshot(_ driver: WebDriver, _ name: String) async throws {
        try await driver.screenshot().write(to: URL(fileURLWithPath: output + "/\(name).png"))
    }
}

@Suite("Reader in headless Chromium", .serialized, .enabled(if: Browser.shouldRun, "chromium and chromium-driver are not installed (CI installs them)"))
struct ReaderBrowserTests {
    @Test("Select a passage, annotate it with a note, reload: the highlight is there and the store holds the exact quote")
    func annotateBySelecting() async throws {
        let fixture = try ReaderFixture()
        let body = try fixture.store.article(fixture.mixedID).body
        // A ZWNJ word, Latin digits inside Persian, an emoji, Arabic diacritics, an English word.
        let passages = ["همکاری‌های نظامی", "سال 2024 و ۱۴۰۳", "ادامه یافت 🙂 و افزود", "اَلسَّلامُ عَلَیکُم", "پهپاد Shahed-136 و"]
        try await Browser.withReader(fixture) { driver, base in
            try await Browser.open(driver, base, article: fixture.mixedID)
            for (n, passage) in passages.enumerated() {
                #expect(try await driver.execute(Browser.selectScript, [passage]) as? Bool == true, "\(passage) not in the page")
                try await driver.wait("return !document.getElementById('popup').hidden", "the popup")
                try await driver.execute("document.querySelector('#popup [data-act=note]').click()")
                try await driver.sendKeys("#popup-note", "یادداشت \(n + 1)")
                try await driver.execute("document.getElementById('popup-form').requestSubmit()")
                try await driver.wait("return document.querySelectorAll('.note-item').length === \(n + 1)", "annotation \(n + 1) in the sidebar")
            }
            try await driver.execute("window.scrollTo(0, 0); document.activeElement.blur()")
            try await Browser.screenshot(driver, "reading-view")
            // Reload: what is shown comes from the store.
            try await Browser.open(driver, base, article: fixture.mixedID)
            let marked = try await driver.execute("return [...document.querySelectorAll('#body mark')].map(m => m.textContent)") as? [String] ?? []
            #expect(marked == passages, "\(marked)")
            #expect(try await driver.execute("return document.getElementById('sidebar').textContent.includes('null')") as? Bool == false)
        }
        let stored = try fixture.store.annotations(article: fixture.mixedID)
        #expect(stored.map(\.anchor.exact) == passages)
        for view in stored {
            let cli = try Store.anchor(.quote(view.anchor.exact, prefix: nil, suffix: nil, occurrence: nil), in: body, articleID: fixture.mixedID)
            #expect(view.anchor == cli, "\(view.anchor.exact): the page's selector differs from the CLI's")
        }
        #expect(Set(stored.map { $0.note.displayed?.value ?? "" }) == Set((1...passages.count).map { "یادداشت \($0)" }))
    }

    @Test("Keyboard only: find a passage, annotate it, move between annotations, help; single keys can be switched off")
    func keyboardOnly() async throws {
        let fixture = try ReaderFixture()
        try await Browser.withReader(fixture) { driver, base in
            try await Browser.open(driver, base, article: fixture.mixedID)
            try await driver.execute("document.activeElement.blur()")
            try await driver.press(["f"])
            try await driver.wait("return document.activeElement && document.activeElement.id === 'find-q'", "the find box")
            // Typed with Arabic letters and no ZWNJ: found with the search folding.
            try await driver.press("همكاريهاي نظامي".unicodeScalars.map(String.init) + [WebDriver.Key.enter])
            try await driver.wait("return window.getSelection().toString() === 'همکاری‌های نظامی'", "the passage selected")
            try await driver.press([WebDriver.Key.escape, "n"])
            try await driver.wait("return document.activeElement && document.activeElement.id === 'popup-note'", "the note box")
            try await driver.press("با صفحه‌کلید".unicodeScalars.map(String.init))
            try await driver.press([WebDriver.Key.enter], modifiers: [WebDriver.Key.control])
            try await driver.wait("return document.querySelectorAll('.note-item').length === 1", "the annotation")
            try await driver.execute("document.activeElement.blur()")
            try await driver.press(["j"])
            try await driver.wait("return document.activeElement && document.activeElement.classList.contains('note-item')", "the annotation focused")
            #expect(try await driver.execute("return document.querySelectorAll('#body mark.focused').length") as? Int == 1)
            try await driver.press(["?"])
            try await driver.wait("return !document.getElementById('help').hidden", "the help")
            // Switch single keys off (space on the focused checkbox), close help: `n` does nothing now.
            try await driver.press([" ", WebDriver.Key.escape])
            try await driver.wait("return document.getElementById('help').hidden", "the help closed")
            #expect(try await driver.execute("return localStorage.getItem('daftar.singleKeys')") as? String == "off")
            try await driver.execute("document.activeElement.blur()")
            try await driver.press(["f"])
            #expect(try await driver.execute("return document.getElementById('find').hidden") as? Bool == true)
            try await driver.press(["f"], modifiers: [WebDriver.Key.alt])
            try await driver.wait("return !document.getElementById('find').hidden", "Alt+f")
        }
        let stored = try fixture.store.annotations(article: fixture.mixedID)
        #expect(stored.map(\.anchor.exact) == ["همکاری‌های نظامی"])
        #expect(stored.first?.note.displayed?.value == "با صفحه‌کلید")
    }

    @Test("A story's new version shows the notes of the old one where they are now, marked apart, and lists the orphan")
    func versionsInThePage() async throws {
        let fixture = try ReaderFixture()
        let second = try fixture.storyWithTwoVersions().second
        try await Browser.withReader(fixture) { driver, base in
            try await Browser.open(driver, base, article: second)
            #expect(try await driver.execute("return document.querySelector('nav.versions').textContent") as? String == "Version 2 of 2:  1  2 ")
            #expect(try await driver.execute("return document.querySelector('#body mark.carried').textContent") as? String == "همکاری دو کشور در حوزه نظامی")
            let carried = try await driver.execute("return [...document.querySelectorAll('.note-item.carried .meta')].map(e => e.textContent)") as? [String] ?? []
            #expect(carried.count == 2)
            #expect(carried.contains { $0.hasPrefix("from version 1 · fuzzy 0.") }, "\(carried)")
            #expect(carried.contains { $0.hasPrefix("from version 1 · not placed: its words are not in this version") }, "\(carried)")
            try await Browser.screenshot(driver, "versions")
        }
    }

    @Test("A note holding HTML is shown as text; the page loads nothing from anywhere else")
    func notesAreText() async throws {
        let fixture = try ReaderFixture()
        let attack = #"<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>"#
        _ = try fixture.store.annotate(article: fixture.mixedID, target: .quote("Shahed-136", prefix: nil, suffix: nil, occurrence: nil), note: attack, tags: ["<b>tag</b>"])
        try await Browser.withReader(fixture) { driver, base in
            try await Browser.open(driver, base, article: fixture.mixedID)
            #expect(try await driver.execute("return document.querySelector('.note-item .note').textContent") as? String == attack)
            #expect(try await driver.execute("return document.querySelectorAll('#main img, #main script, #main b').length") as? Int == 0)
            #expect(try await driver.execute("return window.__xss === undefined") as? Bool == true)
            // Search and the library too, then: every resource came from the app itself.
            try await driver.navigate("\(base)/#/search?q=\(percent("لاوروف"))")
            try await driver.wait("return document.querySelectorAll('#results li').length > 0", "search results")
            let resources = try await driver.execute("return performance.getEntriesByType('resource').map(e => e.name).concat([location.href])") as? [String] ?? []
            #expect(!resources.isEmpty)
            #expect(resources.allSatisfy { $0.hasPrefix(base + "/") }, "\(resources.filter { !$0.hasPrefix(base + "/") })")
        }
    }

    @Test("Right to left: the article's direction is rtl and its text aligned right; search shows marked snippets")
    func layoutAndSearch() async throws {
        let fixture = try ReaderFixture()
        try await Browser.withReader(fixture) { driver, base in
            try await Browser.open(driver, base, article: fixture.mixedID)
            let style = try await driver.execute("""
                const b = document.getElementById('body'); const s = getComputedStyle(b);
                return [s.direction, s.textAlign, b.closest('article').lang, getComputedStyle(document.querySelector('article h1')).direction];
                """) as? [String]
            #expect(style == ["rtl", "right", "fa", "rtl"], "\(style ?? [])")
            try await driver.execute("document.activeElement.blur()")
            try await driver.press(["/"])
            try await driver.wait("return document.activeElement.id === 'q'", "the search box")
            try await driver.press("لاوروف".unicodeScalars.map(String.init) + [WebDriver.Key.enter])
            try await driver.wait("return document.querySelectorAll('#results li').length > 0", "results")
            let marks = try await driver.execute("return [...document.querySelectorAll('#results mark')].map(m => m.textContent)") as? [String] ?? []
            #expect(!marks.isEmpty && marks.allSatisfy { $0.contains("لاوروف") }, "\(marks)")
            try await Browser.screenshot(driver, "search")
        }
    }

    @Test("A conflict from a sync is shown with both values and resolved from the page; a note is edited; a past view is marked")
    func conflictsHistoryAndPast() async throws {
        let fixture = try ReaderFixture()
        let view = try fixture.store.annotate(article: fixture.mixedID, target: .quote("S-400", prefix: nil, suffix: nil, occurrence: nil), note: "اول")
        let other = try fixture.replica("other")
        try other.setAuthor("سارا")
        let beforeEdits = try fixture.store.status().events
        _ = try fixture.store.edit(annotation: view.id, note: "از اینجا", motivation: nil)
        _ = try other.edit(annotation: view.id, note: "از سارا", motivation: nil)
        try fixture.store.receiveAll(from: other)
        let second = try fixture.store.annotate(article: fixture.mixedID, target: .quote("Shahed-136", prefix: nil, suffix: nil, occurrence: nil), note: "پیش‌نویس")
        try await Browser.withReader(fixture) { driver, base in
            try await driver.wait("return !document.getElementById('banner').hidden && document.getElementById('banner').textContent.includes('1 annotation in conflict')", "the conflict banner")
            try await Browser.open(driver, base, article: fixture.mixedID)
            let values = try await driver.execute("return [...document.querySelectorAll('.conflict-box .value')].map(v => v.textContent)") as? [String] ?? []
            #expect(values.count == 2 && values.contains { $0.contains("سارا") && $0.contains("از سارا") }, "\(values)")
            try await Browser.screenshot(driver, "conflict")
            try await driver.execute("[...document.querySelectorAll('.conflict-box .value')].find(v => v.textContent.includes('از سارا')).querySelector('button.keep').click()")
            try await driver.wait("return document.querySelectorAll('.conflict-box').length === 0 && document.getElementById('banner').hidden", "the conflict resolved")
            // Edit the other note from the sidebar.
            try await driver.execute("document.querySelector('#note-\(second.id) .actions button').click()")
            try await driver.execute("const t = document.querySelector('#note-\(second.id) textarea'); t.value = 'نهایی'; t.form.requestSubmit()")
            try await driver.wait("return document.querySelector('#note-\(second.id) .note').textContent === 'نهایی'", "the edited note")
            // History, one click away.
            try await driver.execute("[...document.querySelectorAll('#note-\(view.id) .actions button')].find(b => b.textContent === 'History').click()")
            try await driver.wait("return document.querySelectorAll('#note-\(view.id) .history li').length >= 4", "the history")
            // As of before the edits: the first note, marked as a past view, with no way to change it.
            try await Browser.open(driver, base, article: fixture.mixedID, asOf: String(beforeEdits))
            #expect(try await driver.execute("return document.getElementById('past-banner').hidden") as? Bool == false)
            #expect(try await driver.execute("return document.querySelector('#note-\(view.id) .note').textContent") as? String == "اول")
            #expect(try await driver.execute("return document.querySelectorAll('.note-item .actions button').length === document.querySelectorAll('.note-item').length") as? Bool == true)
        }
        #expect(try fixture.store.annotation(view.id).note.displayed?.value == "از سارا")
        #expect(try !fixture.store.annotation(view.id).inConflict)
        #expect(try fixture.store.annotation(second.id).note.displayed?.value == "نهایی")
    }

    /// The "done when" of the reader's issue, in the browser: a sync brings a conflicting edit;
    /// it is resolved on the page; the note is looked at as of before that sync.
    @Test("Sync now from the page; its conflict resolved; since the last sync; the note as of before it; Solar Hijri dates")
    func syncConflictAndBefore() async throws {
        let fixture = try ReaderFixture()
        let view = try fixture.store.annotate(article: fixture.mixedID, target: .quote("همکاری‌های نظامی", prefix: nil, suffix: nil, occurrence: nil), note: "پیش از همگام‌سازی")
        let remote = try fixture.replica("remote")
        try remote.setAuthor("علی")
        _ = try remote.edit(annotation: view.id, note: "نسخهٔ علی", motivation: nil)
        _ = try fixture.store.edit(annotation: view.id, note: "نسخهٔ من", motivation: nil)
        try await fixture.withPeer(remote, named: "ali") {
            try await Browser.withReader(fixture) { driver, base in
                try await driver.navigate("\(base)/#/sync")
                try await driver.wait("return [...document.querySelectorAll('#main button')].some(b => b.textContent === 'Sync now')", "the peers")
                try await driver.execute("[...document.querySelectorAll('#main button')].find(b => b.textContent === 'Sync now').click()")
                try await driver.wait("return document.querySelector('.sync-result').textContent.includes('In sync')", seconds: 30, "the sync's report")
                let report = try await driver.execute("return document.querySelector('.sync-result').textContent") as? String ?? ""
                #expect(report.contains("In sync: pulled 1 events, pushed 1.") && report.contains("0 new annotations, 1 new conflicts"), "\(report)")
                try await driver.wait("return document.getElementById('banner').textContent.includes('1 annotation in conflict')", "the conflict banner")

                // What the last sync brought, and the article as it was before it.
                try await driver.navigate("\(base)/#/changes")
                try await driver.wait("return document.body.dataset.view === 'changes' && document.querySelectorAll('#main .list > li').length === 1", "since the last sync")
                let changes = try await driver.execute("return document.querySelector('#main .list').textContent") as? String ?? ""
                #expect(changes.contains("نسخهٔ علی") && changes.contains("conflict appeared"), "\(changes)")
                try await driver.execute("document.body.dataset.ready = ''; [...document.querySelectorAll('#main a')].find(a => a.textContent === 'as it was before').click()")
                try await driver.wait("return document.body.dataset.view === 'article' && document.body.dataset.ready !== '' && !!document.getElementById('body')", "the past article")
                #expect(try await driver.execute("return document.getElementById('past-banner').textContent") as? String ?? "" == "A past view: as of sync:ali (log position 8). The archive now may hold more; changes are off. Back to now")
                #expect(try await driver.execute("return document.querySelector('#note-\(view.id) .note').textContent") as? String == "نسخهٔ من")

                // Back to now: resolve by keeping Ali's value.
                try await driver.execute("document.body.dataset.ready = ''; [...document.querySelectorAll('#past-banner button')][0].click()")
                try await driver.wait("return document.body.dataset.ready !== '' && document.getElementById('past-banner').hidden && document.querySelectorAll('.conflict-box').length === 1", "the conflict, now")
                try await driver.execute("[...document.querySelectorAll('.conflict-box .value')].find(v => v.textContent.includes('نسخهٔ علی')).querySelector('button.keep').click()")
                try await driver.wait("return document.querySelectorAll('.conflict-box').length === 0", "the conflict resolved")

                // Dates in the Solar Hijri calendar when chosen.
                try await driver.execute("const c = document.getElementById('calendar'); c.value = 'persian'; document.body.dataset.ready = ''; c.dispatchEvent(new Event('change'))")
                try await driver.wait("return document.body.dataset.ready !== '' && !!document.querySelector('.note-item .meta')", "the article in Solar Hijri")
                let meta = try await driver.execute("return document.querySelector('.note-item .meta').textContent") as? String ?? ""
                #expect(meta.contains("۱۴۰"), "\(meta)")
            }
        }
        let resolved = try fixture.store.annotation(view.id)
        #expect(!resolved.inConflict && resolved.note.displayed?.value == "نسخهٔ علی")
        #expect(try fixture.store.lastSync()?.peer == "ali")
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore

/// A small W3C WebDriver client — plain HTTP and JSON to chromedriver — for the reader's
/// browser tests and its benchmark. It starts Debian's `chromedriver` on a loopback port and
/// one headless Chromium session; `close()` ends both.
public final class WebDriver: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Where chromedriver and Chromium are, when both are installed.
    public static var installed: (driver: String, browser: String)? {
        let fm = FileManager.default
        let driver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first { fm.isExecutableFile(atPath: $0) }
        let browser = ["/usr/bin/chromium", "/usr/lib/chromium/chromium"].first { fm.isExecutableFile(atPath: $0) }
        guard let driver, let browser else { return nil }
        return (driver, browser)
    }

    let process: Process
    let base: String
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    public private(set) var session = ""

    private init(process: Process, base: String) {
        self.process = process
        self.base = base
    }

    /// Starts chromedriver and a headless browser window of `width`×`height`.
    public static func start(width: Int = 1280, height: Int = 900) async throws -> WebDriver {
        guard let (driverPath, browserPath) = installed else { throw Failure(description: "chromium and chromium-driver are not installed") }
        let port = Int.random(in: 20000...60000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: driverPath)
        process.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let driver = WebDriver(process: process, base: "http://127.0.0.1:\(port)")
        do {
            // Ready when /status answers.
            var ready = false
            for _ in 0..<100 where !ready {
                if let status = try? await driver.call("GET", "/status", nil), (status["value"] as? [String: Any])?["ready"] as? Bool == true { ready = true } else {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            guard ready else { throw Failure(description: "chromedriver did not start") }
            var args = ["--headless=new", "--disable-gpu", "--window-size=\(width),\(height)", "--disable-dev-shm-usage", "--no-first-run", "--lang=en-US"]
            if getuid() == 0 { args.append("--no-sandbox") }
            let reply = try await driver.call("POST", "/session", [
                "capabilities": ["alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": ["binary": browserPath, "args": args],
                ] as [String: Any]],
            ])
            guard let value = reply["value"] as? [String: Any], let id = value["sessionId"] as? String else {
                throw Failure(description: "chromedriver made no session: \(reply)")
            }
            driver.session = id
            return driver
        } catch {
            try? await driver.close()
            throw error
        }
    }

    /// Ends the session, chromedriver and the HTTP client.
    public func close() async throws {
        if !session.isEmpty { _ = try? await call("DELETE", "/session/\(session)", nil) }
        session = ""
        // chromedriver does not stop on SIGTERM: ask it, then make sure.
        _ = try? await call("GET", "/shutdown", nil)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try await client.shutdown()
    }

    // MARK: - Commands

    public func navigate(_ url: String) async throws {
        _ = try await command("POST", "url", ["url": url])
    }

    /// Runs `script` in the page (its `arguments` are the values after it) and returns what it returns.
    @discardableResult
    public func execute(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await command("POST", "execute/sync", ["script": script, "args": arguments])
    }

    /// Runs an async script: it calls `arguments[arguments.length - 1]` with its result.
    @discardableResult
    public func executeAsync(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        try await command("POST", "execute/async", ["script": script, "args": arguments])
    }

    /// The element matching a CSS selector (its WebDriver reference).
    public func element(_ css: String) async throws -> [String: Any] {
        guard let value = try await command("POST", "element", ["using": "css selector", "value": css]) as? [String: Any] else {
            throw Failure(description: "no element \(css)")
        }
        return value
    }

    /// Types `text` into the element (a character of the WebDriver key table for special keys).
    public func sendKeys(_ css: String, _ text: String) async throws {
        let element = try await element(css)
        let id = element.values.first as! String
        _ = try await command("POST", "element/\(id)/value", ["text": text])
    }

    /// Presses keys on whatever has focus: each string is one key (`"h"`, `WebDriver.Key.escape`),
    /// with `modifiers` held down around them.
    public func press(_ keys: [String], modifiers: [String] = []) async throws {
        var actions: [[String: Any]] = []
        for m in modifiers { actions.append(["type": "keyDown", "value": m]) }
        for k in keys { actions += [["type": "keyDown", "value": k], ["type": "keyUp", "value": k]] }
        for m in modifiers.reversed() { actions.append(["type": "keyUp", "value": m]) }
        _ = try await command("POST", "actions", ["actions": [["type": "key", "id": "keyboard", "actions": actions]]])
        _ = try await command("DELETE", "actions", nil)
    }

    /// A PNG of the window.
    public func screenshot() async throws -> Data {
        guard let text = try await command("GET", "screenshot", nil) as? String, let data = Data(base64Encoded: text) else {
            throw Failure(description: "no screenshot")
        }
        return data
    }

    /// Waits (polling) until `script` returns true, up to `seconds` (generous: a loaded CI
    /// machine has taken over 10 s to answer a reader's request).
    public func wait(_ script: String, seconds: Double = 30, _ what: String) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await execute(script) as? Bool == true { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "timed out after \(seconds) s waiting for \(what)")
    }

    /// WebDriver's codes for keys that are not characters.
    public enum Key {
        public static let escape = "\u{E00C}"
        public static let enter = "\u{E007}"
        public static let tab = "\u{E004}"
        public static let control = "\u{E009}"
        public static let alt = "\u{E00A}"
        public static let shift = "\u{E008}"
    }

    // MARK: - Wire

    func command(_ method: String, _ path: String, _ body: [String: Any]?) async throws -> Any? {
        let reply = try await call(method, "/session/\(session)/\(path)", body)
        if let value = reply["value"] as? [String: Any], let error = value["error"] as? String {
            throw Failure(description: "WebDriver \(path): \(error): \(value["message"] ?? "")")
        }
        return reply["value"]
    }

    func call(_ method: String, _ path: String, _ body: [String: Any]?) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: base + path)
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: Array(try JSONSerialization.data(withJSONObject: body))))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        guard let json = try JSONSerialization.jsonObject(with: Data(bytes.readableBytesView)) as? [String: Any] else {
            throw Failure(description: "chromedriver answered \(response.status) without JSON")
        }
        return json
    }
}

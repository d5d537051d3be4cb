import ArgumentParser
import DaftarApp
import DaftarCore
import DaftarStore
import Foundation

struct Reader: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read, search and annotate in a browser: a web app on this machine, no network needed.",
        discussion: """
            Listens on 127.0.0.1:8766 unless told otherwise (--listen HOST:PORT on a loopback \
            address; port 0 picks a free one), prints the app's URL and opens it in the default \
            browser when there is one (--no-open: only print it). The URL carries a secret made \
            at start: opening it signs that browser in (an HttpOnly cookie), so other users and \
            other web pages cannot use the app. It runs beside `daftar serve` and other commands \
            on the same store. Stops cleanly on SIGINT/SIGTERM (Ctrl-C).

            In the page: select text, then h highlights it, n adds a note, t tags it; j/k move \
            between annotations, / searches, f finds a passage to select by typing, ? lists every \
            shortcut (single-key ones can be switched off there).
            """)

    @ParentCommand var daftar: Daftar

    @Option(help: ArgumentHelp("Loopback address to listen on.", valueName: "host:port"))
    var listen: String = "127.0.0.1:8766"

    @Flag(help: "Do not open a browser; only print the URL.")
    var noOpen = false

    func validate() throws {
        let (host, _) = try parseListen(listen)
        guard ReaderAccess.isLoopback(host) else {
            throw ValidationError("the reader serves only this machine: listen on a loopback address, e.g. --listen 127.0.0.1:8766 or [::1]:8766 (to share the archive, use `daftar serve`)")
        }
    }

    func run() async throws {
        let (host, port) = try parseListen(listen)
        let store = try daftar.openStore(forWriting: true)
        let access = ReaderAccess(host: host)
        let app = try buildReaderApplication(store: store, access: access, port: port, onRunning: { [noOpen] _ in
            let url = access.openURL
            FileHandle.standardOutput.write(Data("reader at \(url)\n".utf8))
            if !noOpen { Self.openBrowser(url) }
        })
        try await runListening(app, host: host, port: port)
    }

    /// Opens `url` with xdg-open (or macOS's open) when a desktop is there to show it; says so otherwise.
    static func openBrowser(_ url: String) {
        let env = ProcessInfo.processInfo.environment
        let opener = ["/usr/bin/xdg-open", "/usr/local/bin/xdg-open", "/usr/bin/open"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let opener, env["DISPLAY"] != nil || env["WAYLAND_DISPLAY"] != nil || opener == "/usr/bin/open" else {
            Terminal.note("no desktop to open a browser on; open the URL above in one on this machine")
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: opener)
        process.arguments = [url]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { Terminal.note("could not open a browser; open the URL above in one") }
    }
}

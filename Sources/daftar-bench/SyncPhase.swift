import DaftarCore
import DaftarStore
import DaftarSync
import Foundation
import Hummingbird

/// Sync over real HTTP on loopback: a server child serving the ingested store, and this
/// process as the client, so that each side's peak RSS is its own.
extension Phase {
    /// The server side: serves the ingested store on an ephemeral loopback port, prints the
    /// port, runs until SIGTERM, then prints its peak RSS.
    func syncServer() async throws -> [Figure] {
        let store = try Store.open(at: storePath, forWriting: false)
        let token = ProcessInfo.processInfo.environment["DAFTAR_TOKEN"] ?? ""
        let app = buildApplication(service: SyncService(log: store), token: token, host: "127.0.0.1", port: 0) { port in
            FileHandle.standardOutput.write(Data("port \(port)\n".utf8))
        }
        try await app.runService()
        return [Figure("sync", size, "server_peak_rss", Self.peakRSS(), "MiB")]
    }

    /// The client side: an initial sync of the whole corpus into an empty store, then a
    /// sync with nothing new. Bytes are HTTP bodies in both directions.
    func sync() async throws -> [Figure] {
        let token = UUID().uuidString
        let (server, output, port) = try startServerChild("sync-server", environment: ["DAFTAR_TOKEN": token])
        defer { if server.isRunning { server.terminate() } }

        let client = try Store.open(at: dir + "/sync-client.sqlite")
        let transport = HTTPTransport(baseURL: "http://127.0.0.1:\(port)", token: token)
        var initial = SyncReport()
        let initialTime = try await Self.seconds { initial = try await SyncDriver.run(log: client, transport: transport) }
        var again = SyncReport()
        let againTime = try await Self.seconds { again = try await SyncDriver.run(log: client, transport: transport) }
        guard try client.digest() == Store.open(at: storePath, forWriting: false).digest() else {
            throw DaftarError(.badInput, "after the initial sync the client's digest differs from the server's")
        }
        let clientRSS = Self.peakRSS()

        // The same content by bundle file: written from the server's store, applied to an empty one.
        let served = try Store.open(at: storePath, forWriting: false)
        let bundlePath = dir + "/sync.daftar-bundle"
        var written: BundleWriter.Summary? = nil
        let bundleWriteTime = try await Self.seconds {
            written = try await BundleWriter.create(from: served, since: VersionVector(), to: bundlePath, now: 0)
        }
        let receiver = try Store.open(at: dir + "/bundle-client.sqlite")
        var applied = 0
        let bundleApplyTime = try await Self.seconds { applied = try await BundleFile.read(bundlePath).apply(to: receiver).stored }
        guard try receiver.digest() == served.digest() else {
            throw DaftarError(.badInput, "after applying the bundle the receiver's digest differs from the server's")
        }
        let bundleBytes = Double(written?.bytes ?? 0)

        server.terminate()
        let rest = String(decoding: output.readDataToEndOfFile(), as: UTF8.self)
        server.waitUntilExit()
        let events = Double(initial.pulledEvents)
        return [
            Figure("sync", size, "initial_events_per_s", events / initialTime, "events/s"),
            Figure("sync", size, "initial_bytes_per_event", Double(initial.totalBytes) / events, "bytes"),
            Figure("sync", size, "initial_pages", Double(initial.pages), "pages"),
            Figure("sync", size, "no_change_bytes", Double(again.totalBytes), "bytes"),
            Figure("sync", size, "no_change_ms", againTime * 1000, "ms"),
            Figure("sync", size, "client_peak_rss", clientRSS, "MiB"),
            Figure("sync", size, "bundle_bytes_per_event", bundleBytes / events, "bytes"),
            Figure("sync", size, "bundle_bytes_ratio_to_http", bundleBytes / Double(initial.totalBytes), "x"),
            Figure("sync", size, "bundle_write_events_per_s", events / bundleWriteTime, "events/s"),
            Figure("sync", size, "bundle_apply_events_per_s", Double(applied) / bundleApplyTime, "events/s"),
        ] + rest.split(separator: "\n").compactMap { Figure(jsonLine: String($0)) }
    }

    /// One line from a pipe, read byte by byte (the rest stays in the pipe).
    /// Starts this program as the server child `phase` (`--child PHASE`) with `environment`
    /// added to its own, and returns it once it has printed the port it listens on.
    func startServerChild(_ phase: String, environment: [String: String]) throws -> (process: Process, output: FileHandle, port: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["--child", phase, "--dir", dir, "--size", "\(size)", "--seed", "\(seed)"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading
        guard let line = Self.readLine(output), line.hasPrefix("port "), let port = Int(line.dropFirst(5)) else {
            if process.isRunning { process.terminate() }
            throw DaftarError(.badInput, "the \(phase) child did not start")
        }
        return (process, output, port)
    }

    static func readLine(_ handle: FileHandle) -> String? {
        var bytes: [UInt8] = []
        while true {
            let byte = handle.readData(ofLength: 1)
            guard let b = byte.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if b == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(b)
        }
    }

    static func seconds(_ body: () async throws -> Void) async rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try await body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

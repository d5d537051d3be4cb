import Foundation

/// Where the tests find the repository's files and the built `daftar` binary — one place for
/// every test target.
public enum Repository {
    /// The folder holding Package.swift, found upward from this file.
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// The five sample articles.
    public static var seedsDirectory: String { root + "/seeds" }

    /// The built `daftar` executable: next to the running test bundle (so `swift test -c
    /// release` tests the release binary), else in `.build/debug` or `.build/release`;
    /// `$DAFTAR_BINARY` overrides both. Nil when it is not built.
    public static let daftarBinary: String? = {
        let fm = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["DAFTAR_BINARY"], !explicit.isEmpty {
            return explicit
        }
        var directories: [URL] = []
        // The products directory is the one holding the `.xctest` bundle.
        let starts = [URL(fileURLWithPath: CommandLine.arguments.first ?? "/"), Bundle.main.bundleURL, Bundle.main.executableURL]
            + Bundle.allBundles.map(\.bundleURL)
        for start in starts.compactMap({ $0?.standardizedFileURL.resolvingSymlinksInPath() }) {
            var url = start
            while url.path != "/" && !url.path.isEmpty {
                if url.pathExtension == "xctest" {
                    directories.append(url.deletingLastPathComponent())
                    break
                }
                url.deleteLastPathComponent()
            }
        }
        // On Linux the test bundle is an executable; Bundle.main is its directory.
        directories.append(Bundle.main.bundleURL)
        directories.append(URL(fileURLWithPath: root + "/.build/debug"))
        directories.append(URL(fileURLWithPath: root + "/.build/release"))
        for directory in directories {
            let candidate = directory.appendingPathComponent("daftar").path
            if fm.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()
}

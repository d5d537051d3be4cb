import DaftarTestSupport
import Foundation
import Testing

/// Every input the fuzzer ever crashed on (Tests/DaftarFuzz/Regressions) and the seed corpus,
/// replayed through the same targets by the plainly built `daftar-fuzz` (issue: fuzzing).
@Suite("Fuzz finds stay fixed")
struct FuzzRegressionTests {
    static let targets = ["event", "page", "bundle", "pull", "w3c", "query", "article"]
    static var binary: String? {
        DaftarExecutable.path.map { ($0 as NSString).deletingLastPathComponent + "/daftar-fuzz" }
            .flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil }
    }

    @Test("Each target takes its seeds and every past crash without crashing",
          .enabled(if: binary != nil, "daftar-fuzz is not built; run `swift build --build-tests` first"), arguments: targets)
    func replay(target: String) async throws {
        guard let root = DaftarExecutable.packageRoot, let binary = Self.binary else { return }
        let folders = ["Seeds", "Regressions"].map { root.appendingPathComponent("Tests/DaftarFuzz/\($0)/\(target)").path }
        let child = try DaftarChild([target] + folders, in: FileManager.default.temporaryDirectory.path,
                                    environment: ProcessInfo.processInfo.environment, executable: binary)
        let run = try await child.finished(timeout: 120)
        #expect(run.succeeded, "\(run)")
        #expect(run.stdout.hasPrefix("replayed "), "\(run)")
    }
}

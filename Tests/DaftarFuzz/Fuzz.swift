import DaftarCore
import Foundation

/// What the fuzzer feeds (issue: fuzzing): each reader of bytes from outside — a peer's event,
/// a pushed or pulled page, a bundle file, a pull request, a W3C import, a search query, an article file —
/// given arbitrary bytes. Refusing them is the point; only a crash, a hang or a leak is a find.
///
/// Built with `-sanitize=fuzzer -DFUZZING` (`.ci/fuzz`) this is a libFuzzer target, the one
/// named by `$DAFTAR_FUZZ_TARGET`; built plainly (as `swift build` does) it replays files:
/// `daftar-fuzz TARGET FILE_OR_FOLDER…` — the regression test replays every crash ever found.
enum FuzzTarget: String, CaseIterable {
    case event, page, bundle, pull, w3c, query, article

    /// Where the bundle target writes its input: the bundle reader reads files.
    static let bundleFile = NSTemporaryDirectory() + "daftar-fuzz-\(getpid()).bundle"

    func run(_ bytes: [UInt8]) {
        switch self {
        case .event:
            guard let event = try? Event(bytes: bytes) else { return }
            _ = try? event.verify()
            var chain = ChainVerifier(heads: VersionVector())
            _ = try? chain.accept(event)
        case .page:
            guard let json = try? JSONValue.parse(bytes) else { return }
            if let events = try? SyncWire.events(json["events"]) { _ = try? ReceivePlanner.verify(events) }
            _ = try? Page(json: json)
            for case .proof(let proof) in SyncWire.forkClaims(json["forks"]) { _ = try? proof.verify() }
        case .bundle:
            guard FileManager.default.createFile(atPath: Self.bundleFile, contents: Data(bytes)),
                let bundle = try? BundleFile.read(Self.bundleFile), var pages = try? bundle.pages()
            else { return }
            _ = bundle.header.missing(from: VersionVector())
            while (try? pages.next()) != nil {}
        case .pull:
            guard let json = try? JSONValue.parse(bytes) else { return }
            _ = try? PullRequest(json: json)
        case .w3c:
            guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else { return }
            _ = try? W3CAnnotations.parse(object)
        case .query:
            _ = try? SearchQuery(parsing: String(decoding: bytes, as: UTF8.self))
        case .article:
            let text = String(decoding: bytes, as: UTF8.self)
            let parsed = ArticleText(parsing: text)
            _ = (parsed.story, parsed.body.count, PersianFolding.words(in: text).count)
        }
    }
}

#if FUZZING
/// The target this fuzzing run drives.
let fuzzed: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["DAFTAR_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        fatalError("set DAFTAR_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzed.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM makes an executable's `main` this module's entry point; libFuzzer's driver takes
/// over from there.
@_cdecl("daftar_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var values = argv
    return runDriver(&count, &values) { data, size in fuzzOne(data, size) }
}
#else
@main
enum Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            FileHandle.standardError.write(Data("usage: daftar-fuzz \(names) FILE_OR_FOLDER…\n".utf8))
            exit(2)
        }
        var replayed = 0
        for path in arguments.dropFirst() {
            var isFolder: ObjCBool = false
            FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
            let files = isFolder.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { path + "/" + $0 } : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                target.run(Array(data))
                replayed += 1
            }
        }
        print("replayed \(replayed) input\(replayed == 1 ? "" : "s") through \(target.rawValue)")
    }
}
#endif

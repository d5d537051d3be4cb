import ArgumentParser
import DaftarCore
import DaftarStore
import Foundation

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export annotations as W3C Web Annotations (JSON-LD), or the raw log as JSON Lines.",
        discussion: """
            --format w3c writes an AnnotationCollection: each annotation with its motivation, its \
            note as a TextualBody (language fa, textDirection rtl when Persian), each tag as a \
            TextualBody with purpose tagging, and a target whose source is \
            urn:daftar:article:<id> with a TextQuoteSelector and a TextPositionSelector. \
            --format events writes every stored event, oldest first, one canonical JSON per line.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case w3c, events
    }

    @ParentCommand var daftar: Daftar

    @Option(help: "w3c or events.")
    var format: Format = .w3c

    @Option(help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file"))
    var output: String?

    func run() throws {
        let store = try daftar.openStore(forWriting: false)
        var bytes: [UInt8] = []
        var count = 0
        switch format {
        case .w3c:
            let views = try store.annotations()
            let id = "urn:daftar:export:\(store.replicaID ?? "store"):\(Int64(Date().timeIntervalSince1970 * 1000))"
            bytes = Array(W3CAnnotations.collection(views, id: id, label: "Daftar annotations").prettyString.utf8)
            count = views.count
        case .events:
            try store.forEachEvent { event in
                bytes += event
                bytes.append(0x0A)
                count += 1
            }
        }
        if let output {
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw DaftarError(.badInput, "cannot write \(output): \(error.localizedDescription)")
            }
            Terminal.note("wrote \(count) \(format == .w3c ? "annotations" : "events") to \(output)")
        } else {
            FileHandle.standardOutput.write(Data(bytes))
        }
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import W3C Web Annotations (ours or another tool's).",
        discussion: """
            Each annotation is anchored in its article — at its position when the text there is \
            its quote, else by its quote — or, when its source is not an article of this archive, \
            by its quote across the archive. The original creator and created time are kept. \
            Annotations that cannot be anchored are reported as orphans (exit status 1), never \
            dropped silently. Importing the same file again changes nothing.
            """)

    @ParentCommand var daftar: Daftar

    @Argument(help: "A JSON-LD file: an AnnotationCollection, AnnotationPage, Annotation or array of them.")
    var file: String

    @Flag(help: "Print the outcome as JSON.")
    var json = false

    struct Output: Encodable {
        struct Orphan: Encodable {
            var id: String
            var reason: String
        }
        var imported: [String]
        var alreadyPresent: [String]
        var orphans: [Orphan]
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw DaftarError(.badInput, "\(file): no such file, or it cannot be read")
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw DaftarError(.badInput, "\(file) is not JSON; expected a W3C annotation file (JSON-LD)")
        }
        let items = try W3CAnnotations.parse(parsed)
        let store = try daftar.openStore(forWriting: true)
        let report = try store.importAnnotations(items)
        if json {
            try Terminal.printJSON(Output(
                imported: report.imported, alreadyPresent: report.alreadyPresent,
                orphans: report.orphans.map { .init(id: $0.annotation.originalID, reason: $0.reason) }))
        } else {
            for orphan in report.orphans {
                Terminal.error("orphan \(orphan.annotation.originalID): \(orphan.reason)")
            }
            print("\(items.count) annotations: \(report.imported.count) imported, \(report.alreadyPresent.count) already present, \(report.orphans.count) orphan\(report.orphans.count == 1 ? "" : "s")")
        }
        if !report.orphans.isEmpty { throw ExitCode(1) }
    }
}

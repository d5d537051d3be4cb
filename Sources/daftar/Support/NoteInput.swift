import DaftarCore
import Foundation

/// Where a note comes from: `--note TEXT`, `--note -` (standard input), `--note-file F`, or
/// an editor (`$VISUAL`, else `$EDITOR`) opened on the current note.
enum NoteInput {
    /// The note given by `--note`/`--note-file`, nil when neither was given. Text read from a
    /// file or standard input loses its final line break (editors add one).
    static func read(note: String?, file: String?) throws -> String? {
        switch (note, file) {
        case (.some, .some):
            throw DaftarError(.badInput, "give the note once: --note TEXT, --note - (standard input) or --note-file F")
        case (let note?, nil) where note == "-":
            let data = FileHandle.standardInput.readDataToEndOfFile()
            return try text(data, from: "standard input")
        case (let note?, nil):
            return note
        case (nil, let file?):
            guard let data = FileManager.default.contents(atPath: file) else {
                throw DaftarError(.badInput, "cannot read the note file \(file): no such file, or not readable")
            }
            return try text(data, from: file)
        case (nil, nil):
            return nil
        }
    }

    private static func text(_ data: Data, from source: String) throws -> String {
        guard var text = String(data: data, encoding: .utf8) else {
            throw DaftarError(.badInput, "the note in \(source) is not UTF-8 text")
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        while text.hasSuffix("\n") || text.hasSuffix("\r") || text.hasSuffix("\r\n") { text.removeLast() }
        return text
    }

    /// Saves a note that could not be written, so that nothing typed is lost; returns its path.
    static func keep(_ note: String, for annotation: String) throws -> String {
        guard let file = temporaryFile("daftar-note-\(annotation.prefix(8))-\(UUID().uuidString.prefix(8)).txt", holding: note) else {
            throw DaftarError(.badInput, "the annotation changed while you were editing and your text could not be saved; nothing was written")
        }
        return file
    }

    /// A new owner-only file in the temporary folder holding `note` and a line break; nil
    /// when it cannot be created.
    private static func temporaryFile(_ name: String, holding note: String) -> String? {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        let created = FileManager.default.createFile(atPath: file, contents: Data((note + "\n").utf8), attributes: [.posixPermissions: 0o600])
        return created ? file : nil
    }

    /// Opens `$VISUAL` (else `$EDITOR`) on `current` and returns what was saved; nil when the
    /// note was left unchanged.
    static func edit(_ current: String) throws -> String? {
        let env = ProcessInfo.processInfo.environment
        guard let editor = [env["VISUAL"], env["EDITOR"]].compactMap({ $0 }).first(where: { !$0.trimmingWhitespace.isEmpty }) else {
            throw DaftarError(.badInput, "no --note given and neither $VISUAL nor $EDITOR is set: give --note TEXT, --note - (standard input) or --note-file F, or set $EDITOR")
        }
        guard let file = temporaryFile("daftar-note-\(UUID().uuidString).txt", holding: current) else {
            throw DaftarError(.badInput, "cannot write a temporary file for the editor in \(FileManager.default.temporaryDirectory.path)")
        }
        defer { try? FileManager.default.removeItem(atPath: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The editor may carry arguments (`code --wait`): the shell splits it; the file is "$1".
        process.arguments = ["-c", "\(editor) \"$1\"", "daftar-editor", file]
        do {
            try process.run()
        } catch {
            throw DaftarError(.badInput, "cannot start the editor \(editor): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DaftarError(.badInput, "the editor \(editor) exited with status \(process.terminationStatus); nothing was written")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw DaftarError(.badInput, "the editor removed the note file; nothing was written")
        }
        let edited = try text(data, from: "the editor's file")
        return edited == current ? nil : edited
    }
}

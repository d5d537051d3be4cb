import DaftarTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Files that are not articles, or that try to be more (issue: hostile input, files): each is
/// refused by name with its reason, without reading what cannot be an article and without
/// blocking; the good files beside them are archived; names are shown escaped.
@Suite("Hostile files")
struct HostileFilesTests {
    @Test("A folder of hostile files: each refused with its reason, the good ones archived, names escaped, exit 1")
    func hostileFolder() throws {
        let box = try Sandbox()
        let seeds = try FileManager.default.contentsOfDirectory(atPath: DaftarBinary.seedsDirectory).sorted()
        let good = try String(contentsOfFile: DaftarBinary.seedsDirectory + "/" + seeds[0], encoding: .utf8)
        let other = try String(contentsOfFile: DaftarBinary.seedsDirectory + "/" + seeds[1], encoding: .utf8)
        try box.write("in/good.txt", good)
        try box.write("in/invalid-utf8.txt", bytes: Array("خبر ".utf8) + [0xC3, 0x28, 0x41])
        var utf16: [UInt8] = []
        for unit in "خبر امروز 1405".utf16 { utf16 += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        try box.write("in/utf16-no-mark.txt", bytes: utf16)
        try box.write("in/binary.bin", bytes: [0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00])
        try box.write("in/empty.txt", "")
        #expect(mkfifo(box.path("in/pipe.txt"), 0o600) == 0)
        #expect(symlink("/dev/zero", box.path("in/zero.txt")) == 0)
        // 2 GiB, sparse: nothing is written, and nothing may be read.
        let huge = box.path("huge.txt")
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        #expect(truncate(huge, 2 << 30) == 0)
        #expect(symlink(huge, box.path("in/huge-link.txt")) == 0)
        #expect(symlink(box.path("in"), box.path("in/loop")) == 0)
        var deep = "in"
        for level in 0..<60 { deep += "/d\(level)" }
        try box.write(deep + "/deep.txt", other)
        // Names that would forge a line, restyle the terminal or reorder what follows.
        let forged = "x.txt\ndaftar: 5 files: 5 new articles"
        try box.write("in/" + forged, "")
        try box.write("in/\u{1B}[31mred.txt", "")
        try box.write("in/\u{202E}txt.exe", "")

        let run = try box.bash(#"ulimit -v 3000000; daftar --store archive.sqlite ingest in huge.txt"#, timeout: 120)
        #expect(run.status == 1, "\(run)")
        let errors = run.stderrLines
        func refused(_ name: String, _ reason: String) {
            #expect(errors.contains { $0.contains(name) && $0.contains(reason) }, "\(name): \(reason)\n\(run.stderr)")
        }
        refused("invalid-utf8.txt", "is not UTF-8 text")
        refused("utf16-no-mark.txt", "UTF-16 without a byte-order mark")
        refused("binary.bin", "binary file")
        refused("empty.txt", "empty file")
        refused("pipe.txt", "named pipe (FIFO)")
        refused("zero.txt", "is a device")
        refused("huge-link.txt", "2.0 GiB is over")
        refused("huge.txt", "2.0 GiB is over")
        refused("in/loop", "symbolic link loop")
        refused(#"x.txt\u{A}daftar: 5 files"#, "empty file")
        refused(#"\u{1B}[31mred.txt"#, "empty file")
        refused(#"\u{202E}txt.exe"#, "empty file")
        #expect(!errors.contains { $0.hasPrefix("daftar: 5 files") }, "a file name forged a line:\n\(run.stderr)")
        #expect(!run.stderr.contains("\u{1B}") && !run.stderr.contains("\u{202E}"), "raw escapes reached the terminal")
        #expect(errors.allSatisfy { $0.hasPrefix("daftar: ") }, "\(run.stderr)")
        #expect(run.stdout.contains("2 new articles"), "\(run)")

        let verify = try box.run("verify")
        #expect(verify.status == 0, "\(verify)")
        let list = try box.run("list", "--json")
        #expect(try list.jsonArray().count == 2)
    }

    @Test("An enormous W3C file is refused by size before it is read, a FIFO without blocking; the store unchanged")
    func hostileImports() throws {
        let box = try Sandbox()
        let ingest = try box.run("ingest", DaftarBinary.seedsDirectory)
        #expect(ingest.status == 0, "\(ingest)")
        let before = try box.run("digest").stdout
        let huge = box.path("huge.json")
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        #expect(truncate(huge, 65 << 20) == 0)
        #expect(symlink(huge, box.path("link.json")) == 0)
        #expect(mkfifo(box.path("pipe.json"), 0o600) == 0)
        for (name, reason) in [("huge.json", "65 MiB is over the 64 MiB an import reads"), ("link.json", "65 MiB is over"),
                               ("pipe.json", "not a regular file")] {
            let run = try box.run("import", box.path(name), timeout: 60)
            #expect(run.status == 1 && run.stderrLines.count == 1 && run.stderr.contains(reason), "\(run)")
        }
        #expect(try box.run("digest").stdout == before)
    }
}

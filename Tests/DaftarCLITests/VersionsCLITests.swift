import DaftarTestSupport
import Foundation
import Testing

/// Article versions through the binary, as a new user meets them: a story archived, annotated,
/// archived again updated; the annotations shown on the new version with how each was placed,
/// the one whose passage was deleted listed as an orphan.
@Suite("daftar versions")
struct VersionsCLITests {
    @Test func anUpdatedStoryShowsItsAnnotationsAndOrphans() throws {
        let box = try Sandbox()
        try box.write("in/story.txt", StoryVersions.typoed)
        expectSuccess(try box.run("ingest", box.path("in/story.txt")))
        let first = try #require(CLITests.list(box).first?["id"] as? String)
        expectSuccess(try box.run("annotate", first, "--quote", "همکاری‌های نظامی دوجانبه", "--note", "مهم"))
        expectSuccess(try box.run("annotate", first, "--quote", "همکاری دو کشور در حوزه نضامی"))
        expectSuccess(try box.run("annotate", first, "--quote", "نشست بعدی در تهران"))

        try box.write("in/story-updated.txt", StoryVersions.updated)
        let ingest = try box.run("ingest", box.path("in/story-updated.txt"))
        expectSuccess(ingest)
        #expect(ingest.stdout.contains("1 new version of archived articles"), "\(ingest)")
        #expect(ingest.stderr.contains("is version 2 of article \(first.prefix(12))"), "\(ingest)")

        // Listed once, as the latest version.
        let listed = try CLITests.list(box)
        #expect(listed.count == 1 && listed[0]["versions"] as? Int == 2)
        let second = try #require(listed[0]["id"] as? String)
        #expect(second != first)

        let show = try box.run("show", String(second.prefix(10)))
        expectSuccess(show)
        #expect(show.stdout.contains("version:   2 of 2"), "\(show)")
        #expect(show.stdout.contains("⟦همکاری‌های نظامی دوجانبه⟧"), "\(show)")
        #expect(show.stdout.contains("[from version 1, exact]"), "\(show)")
        #expect(show.stdout.contains("⟦همکاری دو کشور در حوزه نظامی⟧"), "\(show)")
        #expect(show.stdout.contains("[from version 1, fuzzy 0.9"), "\(show)")
        #expect(show.stdout.contains("not placed on this version (orphans):"), "\(show)")
        #expect(show.stdout.contains("«نشست بعدی در تهران»: its words are not in this version"), "\(show)")
        let json = try box.run("show", second, "--json")
        let carried = try #require(try json.jsonObject()["carried"] as? [[String: Any]])
        #expect(Set(carried.compactMap { ($0["placement"] as? [String: Any])?["method"] as? String }) == ["exact", "fuzzy", "orphan"])

        // The first version, and what changed.
        let old = try box.run("show", second, "--version", "1")
        expectSuccess(old)
        #expect(old.stdout.contains("version:   1 of 2") && old.stdout.contains("⟦نشست بعدی در تهران⟧"), "\(old)")
        let versions = try box.run("versions", first)
        expectSuccess(versions)
        #expect(versions.stdout.contains("2 versions"), "\(versions)")
        #expect(versions.stdout.contains("− «نضامی»") && versions.stdout.contains("+ «نظامی»"), "\(versions)")
        #expect(versions.stdout.contains("+ «وزارت خارجه ایران نیز این دیدار را سازنده خواند"), "\(versions)")

        // Bad input: one line, nothing written.
        let before = try box.snapshot()
        expectCleanFailure(try box.run("show", second, "--version", "3"), status: 1, mentioning: ["has 2 versions", "1…2"])
        #expect(try box.snapshot() == before)

        // Split: two articles again, as an event.
        let split = try box.run("versions", "split", second)
        expectSuccess(split)
        #expect(split.stdout.contains("no longer a version of \(first.prefix(12))"), "\(split)")
        #expect(try CLITests.list(box).count == 2)
        expectCleanFailure(try box.run("versions", "split", second), status: 1, mentioning: ["has no other version"])
        #expect(try box.run("log").stdout.contains("split «"))
    }
}

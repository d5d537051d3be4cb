import Foundation
import Testing

/// `daftar alias` and search's word forms as a new user meets them: groups made, listed,
/// searched through and taken apart; bad input refused in one line with the store unchanged.
@Suite("daftar alias and word forms on the command line")
struct AliasCLITests {
    @Test func aliasesAndFormsThroughTheBinary() throws {
        let box = try Sandbox()
        expectSuccess(try box.run("ingest", DaftarBinary.seedsDirectory))
        let text = try box.write("in/shoigu.txt", "سرگئی شایگو\nسرگئی شایگو وزیر پیشین دفاع روسیه است و موشکها را بازدید کرد.\n")
        expectSuccess(try box.run("ingest", text))

        // Forms: موشک finds موشکها; --exact does not.
        #expect(try box.run("search", "موشک", "--file", "shoigu.txt").stdout.contains("[موشکها]"))
        #expect(!(try box.run("search", "موشک", "--file", "shoigu.txt", "--exact").stdout.contains("shoigu.txt")))

        // Before the alias, شویگو does not find شایگو.
        #expect(!(try box.run("search", "شویگو").stdout.contains("shoigu.txt")))
        let added = try box.run("alias", "add", "شویگو", "شایگو", "شوئیگو")
        expectSuccess(added)
        #expect(added.stdout.contains("one word for search: شایگو = شویگو = شوئیگو"))
        let found = try box.run("search", "شویگو")
        #expect(found.stdout.contains("shoigu.txt") && found.stdout.contains("by alias: شایگو"), "\(found)")
        let json = try JSONSerialization.jsonObject(with: Data(try box.run("search", "شویگو", "--json").stdout.utf8)) as? [[String: Any]]
        #expect(json?.contains { ($0["aliases"] as? [String]) == ["شایگو"] } == true)
        let listed = try box.run("alias", "list", "--json")
        #expect(listed.stdout.contains("شوئیگو"))

        // Bad input: one line, non-zero, nothing written.
        let before = try box.snapshot()
        expectCleanFailure(try box.run("alias", "add", "شویگو"), mentioning: ["at least two"])
        expectCleanFailure(try box.run("alias", "add", "شویگو", "سرگئی شایگو"), mentioning: ["not one word"])
        expectCleanFailure(try box.run("alias", "remove", "پوتین"), mentioning: ["in no alias group"])
        #expect(try box.snapshot() == before)

        expectSuccess(try box.run("alias", "remove", "شایگو"))
        #expect(!(try box.run("search", "شویگو").stdout.contains("shoigu.txt")))
        let history = try box.run("alias", "history")
        #expect(history.stdout.contains("made one word for search") && history.stdout.contains("took out of their alias groups: شایگو"))
    }
}

import ArgumentParser
import DaftarCore
import DaftarStore

struct AliasCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alias", abstract: "Spellings search treats as one word (names transliterated several ways).",
        discussion: """
            daftar alias add شویگو شایگو شوئیگو makes a group: searching any of them finds them \
            all (with their word forms), highlighted, and each result says which alias matched. \
            Groups are events: they sync and travel in bundles, and merge like tags — removing a \
            spelling removes it from the adds you had seen; an add made concurrently elsewhere \
            stays. Two groups sharing a spelling are one. At most 16 spellings in a group.
            """,
        subcommands: [Add.self, ListAliases.self, Remove.self, AliasHistory.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make these spellings one word for search.")
        @ParentCommand var alias: AliasCommand
        @Argument(help: "Two or more spellings, each one word.") var spellings: [String]
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let group = try alias.daftar.openStore(forWriting: true).addAlias(spellings)
            if json { return try Terminal.printJSON(group) }
            print("one word for search: " + group.spellings.map(Terminal.safe).joined(separator: " = "))
        }
    }

    struct ListAliases: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the alias groups.")
        @ParentCommand var alias: AliasCommand
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let groups = try alias.daftar.openStoreForReading().aliasGroups()
            if json { return try Terminal.printJSON(groups) }
            for group in groups { print(group.spellings.map(Terminal.safe).joined(separator: " = ")) }
            if groups.isEmpty { Terminal.note("no aliases; add one with `daftar alias add SPELLING SPELLING…`") }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take spellings out of their alias groups.")
        @ParentCommand var alias: AliasCommand
        @Argument(help: "Spellings to take out.") var spellings: [String]

        func run() throws {
            let groups = try alias.daftar.openStore(forWriting: true).removeAlias(spellings)
            print("took out \(spellings.map(Terminal.safe).joined(separator: ", ")); \(groups.count) alias group\(groups.count == 1 ? "" : "s") left")
        }
    }

    struct AliasHistory: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "history", abstract: "Every alias event, oldest first, in words.")
        @ParentCommand var alias: AliasCommand
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let entries = try alias.daftar.openStoreForReading().aliasHistory()
            if json { return try Terminal.printJSON(entries) }
            for e in entries { print(Log.line(e)) }
            if entries.isEmpty { Terminal.note("no alias events") }
        }
    }

    @ParentCommand var daftar: Daftar
}

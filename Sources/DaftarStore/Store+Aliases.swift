import DaftarCore
import Foundation
import GRDB

/// Spellings search treats as one word (``AliasGroups``).
public struct AliasGroup: Sendable, Hashable, Codable {
    public var members: [AliasGroups.Member]
    /// The spellings as first written, in folded order.
    public var spellings: [String] { members.map(\.spelling) }
}

extension Store {
    /// Makes `spellings` one word for search: one `alias.added` event. Each must be one word;
    /// at least two different ones (compared folded); the group they join stays within
    /// ``AliasGroups/maxSpellings``. Returns the group they are now in.
    @discardableResult
    public func addAlias(_ spellings: [String]) throws -> AliasGroup {
        var words: [(folded: String, spelling: String)] = []
        for raw in spellings {
            let spelling = raw.trimmingWhitespace.precomposedStringWithCanonicalMapping
            guard let folded = AliasGroups.key(spelling) else {
                throw DaftarError(.badInput, "«\(raw)» is not one word: an alias is a set of spellings of one word, e.g. شویگو شایگو")
            }
            if !words.contains(where: { $0.folded == folded }) { words.append((folded, spelling)) }
        }
        guard words.count >= 2 else {
            throw DaftarError(.badInput, spellings.count < 2
                ? "give at least two spellings of one word, e.g. daftar alias add شویگو شایگو"
                : "give at least two different spellings: search already reads \(spellings.joined(separator: " and ")) as one word")
        }
        return try writer.write { db in
            let groups = try Self.aliasGroups(db)
            let joined = Set(words.map(\.folded)).union(groups.filter { group in group.members.contains { m in words.contains { $0.folded == m.folded } } }
                .flatMap { $0.members.map(\.folded) })
            guard joined.count <= AliasGroups.maxSpellings else {
                throw DaftarError(.badInput, "an alias group holds at most \(AliasGroups.maxSpellings) spellings; this would make \(joined.count)")
            }
            guard !groups.contains(where: { Set($0.members.map(\.folded)).isSuperset(of: words.map(\.folded)) }) else {
                throw DaftarError(.badInput, "already one word: \(words.map(\.spelling).joined(separator: " = "))")
            }
            _ = try commit([EventDraft(.aliasAdded, ["words": .array(words.map { .string($0.spelling) })])], db)
            return try Self.aliasGroups(db).first { $0.members.contains { $0.folded == words[0].folded } }!
        }
    }

    /// Takes `spellings` out of their groups: one `alias.removed` event. Each must be in a group.
    /// Returns the groups as they are after.
    @discardableResult
    public func removeAlias(_ spellings: [String]) throws -> [AliasGroup] {
        try writer.write { db in
            let held = Set(try Self.aliasGroups(db).flatMap { $0.members.map(\.folded) })
            var words: [String] = []
            for raw in spellings {
                let spelling = raw.trimmingWhitespace.precomposedStringWithCanonicalMapping
                guard let folded = AliasGroups.key(spelling), held.contains(folded) else {
                    throw DaftarError(.notFound, "«\(raw)» is in no alias group; see `daftar alias list`")
                }
                if !words.contains(spelling) { words.append(spelling) }
            }
            guard !words.isEmpty else { throw DaftarError(.badInput, "give the spellings to take out of their groups") }
            _ = try commit([EventDraft(.aliasRemoved, ["words": .array(words.map(JSONValue.string))])], db)
            return try Self.aliasGroups(db)
        }
    }

    /// Every alias group, by its first folded spelling.
    public func aliasGroups() throws -> [AliasGroup] {
        try writer.read { db in try Self.aliasGroups(db) }
    }

    static func aliasGroups(_ db: Database) throws -> [AliasGroup] {
        var groups: [AliasGroup] = []
        var current: String? = nil
        for row in try Row.fetchAll(db, sql: "SELECT grp, word, spelling FROM aliases ORDER BY grp, word") {
            let member = AliasGroups.Member(folded: row[1], spelling: row[2])
            if row[0] as String == current {
                groups[groups.count - 1].members.append(member)
            } else {
                groups.append(AliasGroup(members: [member]))
                current = row[0]
            }
        }
        return groups
    }

    /// The alias events in log order, in words (for `alias history`).
    public func aliasHistory() throws -> [LogEntry] {
        try log(types: [.aliasAdded, .aliasRemoved])
    }

    /// `query` with each plain word's alias spellings (folded word → the others of its group).
    func withAliases(_ query: SearchQuery, _ db: Database) throws -> SearchQuery {
        guard query.raw == nil, try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM aliases)") == true else { return query }
        var aliases: [String: [String]] = [:]
        let others = try db.cachedStatement(sql: "SELECT b.word FROM aliases a JOIN aliases b ON b.grp = a.grp AND b.word != a.word WHERE a.word = ? ORDER BY b.word")
        for word in query.plainWords {
            let found = try String.fetchAll(others, arguments: [word])
            if !found.isEmpty { aliases[word] = found }
        }
        return query.with(aliases: aliases)
    }
}

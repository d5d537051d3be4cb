import DaftarCore
import GRDB

/// A named peer.
public struct Peer: Sendable, Hashable, Codable {
    public var name: String
    public var url: String
    public var tokenFile: String?

    public init(name: String, url: String, tokenFile: String?) {
        (self.name, self.url, self.tokenFile) = (name, url, tokenFile)
    }
}

extension Store {
    public func peers() throws -> [Peer] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT name, url, token_file FROM peers ORDER BY name").map { Peer(name: $0[0], url: $0[1], tokenFile: $0[2]) }
        }
    }

    public func addPeer(_ peer: Peer) throws {
        try writer.write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM peers WHERE name = ?)", arguments: [peer.name]) == true {
                throw DaftarError(.badInput, "a peer named \(peer.name) exists already; remove it first")
            }
            try db.execute(sql: "INSERT INTO peers(name, url, token_file) VALUES (?, ?, ?)", arguments: [peer.name, peer.url, peer.tokenFile])
        }
    }

    public func removePeer(_ name: String) throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM peers WHERE name = ?", arguments: [name])
            if db.changesCount == 0 { throw DaftarError(.notFound, "no peer named \(name)") }
        }
    }
}

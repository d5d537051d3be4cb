import DaftarCore
import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

/// One replica's archive: a single SQLite file (WAL) holding the event log, the version vector
/// and every projection, plus the replica's private key in an owner-only file beside it.
///
/// ```swift
/// let store = try Store.open(at: path, forWriting: true)
/// let report = try store.ingest([file])
/// let hits = try store.search("روسیه")
/// ```
///
/// The same store runs over any GRDB `DatabaseWriter`: ``inMemory(identity:now:)`` makes one
/// for tests and for scratch views that must not touch a file.
public struct Store: Sendable {
    /// The SQLite file (`:memory:` for a store in memory).
    public let path: String
    /// The private key file: the store's path with `.key` appended.
    public var keyPath: String { path + ".key" }
    /// This replica's identity, when opened for writing.
    public let identity: Identity?
    /// Set when opening for writing had to create a new identity for a store that already
    /// holds events (its key file was missing): say so to the analyst.
    public let identityNotice: String?

    let writer: any DatabaseWriter
    let now: @Sendable () -> Int64

    /// The name ``path`` holds for a store in memory.
    public static let inMemoryPath = ":memory:"

    /// A new, empty store in memory, with the same schema, projections and search as a file:
    /// for tests and scratch views. Its identity is `identity`, else a new one (no key file).
    public static func inMemory(identity: Identity? = nil, now: @escaping @Sendable () -> Int64 = Store.systemClock) throws -> Store {
        try over(DatabaseQueue(configuration: configuration(readOnly: false)), identity: identity ?? Identity.generate(), now: now)
    }

    /// A store over `writer`, whose database was set up with ``configuration(readOnly:)``:
    /// migrated, its projections rebuilt when built by another version. `path` is for messages.
    public static func over(
        _ writer: any DatabaseWriter, identity: Identity?, path: String = Store.inMemoryPath,
        now: @escaping @Sendable () -> Int64 = Store.systemClock
    ) throws -> Store {
        try migrate(writer, path: path)
        let store = Store(path: path, identity: identity, identityNotice: nil, writer: writer, now: now)
        try store.rebuildIfProjectionVersionChanged()
        return store
    }

    /// Refuses what is not a Daftar store or is newer, then runs the migrations not yet run.
    private static func migrate(_ writer: any DatabaseWriter, path: String) throws {
        do {
            try writer.write { db in _ = try checkSchema(db, path: path) }
            try Schema.migrator.migrate(writer)
        } catch let error as DatabaseError {
            throw storeError(error, path: path)
        }
    }

    /// The connection set-up every store needs: Daftar's search tokenizer and ranking function.
    public static func configuration(readOnly: Bool) -> Configuration {
        var config = Configuration()
        config.readonly = readOnly
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            db.add(tokenizer: FoldingFTS5Tokenizer.self)
            RankFunction.register(db)
        }
        return config
    }

    /// Milliseconds since 1970 from the system clock.
    public static let systemClock: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// Opens (and, when `create` is true, creates) the store at `path`, for writing.
    ///
    /// - Parameters:
    ///   - forWriting: load this replica's key, creating one when the key file is missing.
    ///   - create: create the store when there is no file at `path`; otherwise that is an error.
    ///   - now: the wall clock, injected so tests are deterministic.
    public static func open(
        at path: String,
        forWriting: Bool = true,
        create: Bool = true,
        now: @escaping @Sendable () -> Int64 = Store.systemClock
    ) throws -> Store {
        // Creating, migrating and making the key take turns between processes (two commands
        // started at once on a new store); the rebuild after does not need to.
        let turn = FolderLock(for: path)
        let exists = try checkPath(path, create: create)
        if !exists, case let failure = createOwnerOnly(path), failure != 0, failure != EEXIST {
            throw DaftarError(.badStore, "cannot create a store at \(path): \(String(cString: strerror(failure)))")
        }
        if exists, !FileManager.default.isWritableFile(atPath: path) {
            throw DaftarError(.readOnly, "the store at \(path) is read-only for you (no write permission): it can be read, not changed; copy it to a folder you can write to change it")
        }
        let writer = try connect(path, readOnly: false)
        try migrate(writer, path: path)

        var identity: Identity? = nil
        var notice: String? = nil
        if forWriting {
            (identity, notice) = try loadIdentity(keyPath: path + ".key", writer: writer)
        }
        let store = Store(path: path, identity: identity, identityNotice: notice, writer: writer, now: now)
        turn.release()
        try store.rebuildIfProjectionVersionChanged()
        return store
    }

    /// An exclusive `flock(2)` on the folder of a store while it is created or migrated, so
    /// that processes opening a new store at once take turns instead of both creating its
    /// tables and keys. Best effort: a folder that cannot be opened is not locked (opening the
    /// store then says what is wrong). Released by ``release()`` or when dropped.
    final class FolderLock {
        private var descriptor: Int32

        init(for path: String) {
            let folder = (path as NSString).deletingLastPathComponent
            descriptor = Glibc.open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if descriptor >= 0 {
                while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
            }
        }

        func release() {
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
        }

        deinit { release() }
    }

    /// Opens an existing store without writing to it: no transaction is taken, so it answers
    /// while another process writes (a long ingest, a rebuild), and a store the user cannot
    /// write (a colleague's copy, read-only media) is readable. A store last written by an
    /// older version is upgraded first when it can be written, else refused with a message.
    public static func openForReading(at path: String, now: @escaping @Sendable () -> Int64 = Store.systemClock) throws -> Store {
        _ = try checkPath(path, create: false)
        func isCurrent(_ reader: DatabasePool) throws -> Bool {
            try reader.read { db in
                try checkSchema(db, path: path) && Projector.stale(db).isEmpty
            }
        }
        var reader: DatabasePool
        let current: Bool
        do {
            do {
                reader = try connect(path, readOnly: true)
                current = try isCurrent(reader)
            } catch let error as DaftarError where error.code == .readOnly && !FileManager.default.fileExists(atPath: path + "-wal") {
                // Read-only media or a folder this user cannot write: SQLite cannot make the
                // shared-memory file a WAL reader needs. With no -wal file nobody is writing,
                // so the file is read as immutable.
                reader = try connect(immutableURI(path), readOnly: true)
                current = try isCurrent(reader)
            }
        } catch let error as DaftarError {
            throw error
        } catch let error as DatabaseError {
            throw storeError(error, path: path)
        }
        if !current {
            guard FileManager.default.isWritableFile(atPath: path) else {
                throw DaftarError(.readOnly, "the store at \(path) was written by an older version of Daftar and is read-only for you, so it cannot be upgraded here; open it once where it can be written")
            }
            _ = try open(at: path, forWriting: false, create: false, now: now)
        }
        return Store(path: path, identity: nil, identityNotice: nil, writer: reader, now: now)
    }

    /// Whether a store has been begun at `path`: a file holding at least one byte. An empty
    /// file is what a command killed while creating the store leaves (it is made owner-only
    /// before SQLite writes to it): no archive yet, and one may be created there.
    public static func isBegun(at path: String) -> Bool { fileSize(path) > 0 }

    /// The size of the file at `path` in bytes (0 when there is none).
    static func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    }

    /// Checks what is at `path`: not a folder, not an empty file, in an existing folder.
    /// Returns whether a file is there.
    private static func checkPath(_ path: String, create: Bool) throws -> Bool {
        guard !path.isEmpty else {
            throw DaftarError(.badStore, "the store path is empty; give the path of a store file")
        }
        if let interrupted = interruptedRekey(at: path) { throw DaftarError(.badStore, interrupted) }
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let exists = fm.fileExists(atPath: path, isDirectory: &isDirectory)
        if isDirectory.boolValue {
            throw DaftarError(.badStore, "\(path) is a directory; give the path of a store file, e.g. \(path)/archive.sqlite")
        }
        if exists, !create, !isBegun(at: path) {
            throw DaftarError(.noStore, "no archive at \(path) yet: the file is empty (was its creation interrupted?); ingesting files creates one there")
        }
        if !exists {
            guard create else {
                throw DaftarError(.noStore, "no archive at \(path); ingesting files creates one")
            }
            let parent = (path as NSString).deletingLastPathComponent
            if !parent.isEmpty, !fm.fileExists(atPath: parent) {
                throw DaftarError(.badStore, "cannot create a store at \(path): directory \(parent) does not exist")
            }
        }
        return exists
    }

    /// An SQLite URI opening `path` as a file nothing writes.
    private static func immutableURI(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return "file:" + (absolute.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? absolute) + "?immutable=1"
    }

    private static func connect(_ path: String, readOnly: Bool) throws -> DatabasePool {
        do {
            return try DatabasePool(path: path, configuration: configuration(readOnly: readOnly))
        } catch let error as DatabaseError {
            throw storeError(error, path: path)
        }
    }

    /// Refuses what is not a Daftar store or was written by a newer version; returns whether
    /// every migration has run.
    private static func checkSchema(_ db: Database, path: String) throws -> Bool {
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        if !tables.isEmpty, !tables.contains("grdb_migrations") {
            throw DaftarError(.badStore, "\(path) is an SQLite database but not a Daftar store; choose another store path")
        }
        if tables.isEmpty { return false }
        if try Schema.migrator.hasBeenSuperseded(db) {
            throw DaftarError(.newerSchema, "\(path) was written by a newer version of Daftar; upgrade daftar to open it")
        }
        return try Schema.migrator.hasCompletedMigrations(db)
    }

    private static func storeError(_ error: DatabaseError, path: String) -> DaftarError {
        switch error.resultCode {
        case .SQLITE_NOTADB:
            DaftarError(.badStore, "\(path) is not a Daftar store (not an SQLite database); choose another store path", cause: error)
        case .SQLITE_READONLY:
            DaftarError(.readOnly, "the store at \(path) is read-only for you (its folder or files cannot be written): it can be read, not changed", cause: error)
        case .SQLITE_BUSY:
            DaftarError(.busy, "the store at \(path) is busy: another daftar is writing to it; try again when it has finished", cause: error)
        default:
            DaftarError(.badStore, "cannot open the store at \(path): \(error.message ?? "\(error.resultCode)")", cause: error)
        }
    }

    /// Reads the key file; creates one when it is missing. A key file that exists but cannot be
    /// read is an error, never silently replaced: it is this replica's identity.
    private static func loadIdentity(keyPath: String, writer: DatabasePool) throws -> (Identity, String?) {
        let fm = FileManager.default
        if fm.fileExists(atPath: keyPath) {
            let text: String
            do {
                text = try String(contentsOfFile: keyPath, encoding: .utf8)
            } catch {
                throw DaftarError(.badKeyFile, "cannot read key file \(keyPath) (check its owner and permissions); it holds this replica's identity")
            }
            guard let identity = Identity(keyFileText: text) else {
                throw DaftarError(.badKeyFile, "key file \(keyPath) is not a Daftar key; restore it from a backup, or move it away to write as a new identity")
            }
            if let attributes = try? fm.attributesOfItem(atPath: keyPath),
                let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0
            {
                throw DaftarError(.badKeyFile, "key file \(keyPath) is readable by others; run `chmod 600 \(keyPath)`")
            }
            return (identity, nil)
        }
        let identity = Identity.generate()
        guard try writeKeyFile(keyPath, identity.keyFileText) else {
            // Another process made the store's key first (two commands started at once on a
            // new store): that is this replica's identity.
            return try loadIdentity(keyPath: keyPath, writer: writer)
        }
        let eventCount = try writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0 }
        let notice = eventCount == 0 ? nil :
            "no key file was found beside this store: new writes come from a new replica \(identity.origin) (key in \(keyPath)); earlier events stay valid"
        return (identity, notice)
    }

    /// Creates `path` owner-only (0600) from its first moment, holding `contents`, synced.
    /// Returns 0, or the errno that stopped it (EEXIST: something is already there). SQLite
    /// gives a store's -wal and -shm files the store file's mode.
    private static func createOwnerOnly(_ path: String, contents: [UInt8] = []) -> Int32 {
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return errno }
        defer { close(descriptor) }
        guard !contents.isEmpty else { return 0 }
        let written = contents.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == contents.count, fsync(descriptor) == 0 else { return errno == 0 ? EIO : errno }
        return 0
    }

    /// Writes a new key file: owner-only from its first byte, whole before it is visible
    /// (written beside it, then linked into place). Returns false, writing nothing, when a key
    /// file is already there.
    private static func writeKeyFile(_ keyPath: String, _ text: String) throws -> Bool {
        func failed(_ code: Int32) -> DaftarError {
            DaftarError(.badKeyFile, "cannot create key file \(keyPath): \(String(cString: strerror(code))); check that its folder is writable and has space")
        }
        let bytes = Array(text.utf8)
        let temporary = "\(keyPath).new-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(temporary) }
        let written = createOwnerOnly(temporary, contents: bytes)
        guard written == 0 else { throw failed(written) }
        if link(temporary, keyPath) == 0 { return true }
        let linking = errno
        if linking == EEXIST { return false }
        guard linking == EPERM || linking == EOPNOTSUPP else { throw failed(linking) }
        // No hard links here (some USB and network file systems): create it in place.
        switch createOwnerOnly(keyPath, contents: bytes) {
        case 0: return true
        case EEXIST: return false
        case let code: throw failed(code)
        }
    }

    /// The analyst name written into new events: set by `daftar init --author`, else
    /// `$DAFTAR_AUTHOR`, else the login name.
    public func author() throws -> String {
        try writer.read { db in try authorName(db) }
    }

    /// A setting of this store (`calendar`, …); nil when unset. A local fact, not an event.
    public func setting(_ key: String) throws -> String? {
        try writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: ["setting." + key]) }
    }

    /// Sets a setting of this store.
    public func setSetting(_ key: String, _ value: String) throws {
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: ["setting." + key, value])
        }
    }

    /// Sets the analyst name for new events.
    public func setAuthor(_ name: String) throws {
        try writer.write { db in
            try db.execute(
                sql: "INSERT INTO meta(key, value) VALUES ('author', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [name.nfc])
        }
    }

    /// The version vector: each origin's `(seq, hash)` head.
    public func versionVector() throws -> VersionVector {
        try writer.read { db in try Self.versionVector(db) }
    }

    static func versionVector(_ db: Database) throws -> VersionVector {
        var vv = VersionVector()
        for row in try Row.fetchAll(db, sql: "SELECT origin, seq, hash FROM version_vector") {
            vv[ReplicaID(rawValue: row[0])] = ChainHead(seq: row[1], hash: row[2])
        }
        return vv
    }
}

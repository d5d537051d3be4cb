import ArgumentParser
import DaftarCore
import DaftarStore
import Foundation

@main
struct Daftar: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daftar",
        abstract: "A local-first, event-sourced archive of articles and annotations.",
        discussion: """
            Every change is an event in an append-only, hash-chained, signed log; what you see is \
            rebuilt from it. The store is one SQLite file: --store PATH, else $DAFTAR_STORE, else \
            $XDG_DATA_HOME/daftar/archive.sqlite (~/.local/share/daftar/archive.sqlite), created on \
            first use. Its private key lives beside it in PATH.key.
            """,
        version: "0.1.0",
        subcommands: [
            Init.self, Ingest.self, List.self, Show.self, VersionsCommand.self, Search.self,
            Annotate.self, Annotations.self, Edit.self, Delete.self, Restore.self, TagCommand.self, Untag.self, Tags.self, AliasCommand.self,
            Export.self, Import.self,
            Reader.self, Serve.self, Hub.self, SyncCommand.self, Clone.self, PeerCommand.self, Bundle.self, Forks.self, Rekey.self, Conflicts.self, Resolve.self,
            Log.self, History.self, Changes.self, Rebuild.self, Digest.self, Verify.self, Status.self,
        ]
    )

    @Option(help: ArgumentHelp("Show dates in this calendar: gregorian or persian (Solar Hijri); default: the store's setting (`daftar init --calendar`), else gregorian.", valueName: "calendar"))
    var calendar: CalendarChoice?

    @Option(name: .long, help: ArgumentHelp("The store file (default: $DAFTAR_STORE, else ~/.local/share/daftar/archive.sqlite).", valueName: "path"))
    var store: String?

    /// Runs the command; a `DaftarError` becomes one line on stderr and exit status 1.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as DaftarError {
            Terminal.error(commandLineMessage(error))
            Foundation.exit(1)
        } catch {
            let message = fullMessage(for: error)
            if exitCode(for: error) == .success, message.contains("\nOPTIONS:"), !message.contains("--store <path>") {
                // A subcommand's help: say that the global options work with it too.
                print(message.trimmingCharacters(in: .newlines) + "\n\n" + globalOptionsHelp)
                Foundation.exit(0)
            }
            exit(withError: error)
        }
    }

    /// The options every command takes, for the help of subcommands (ArgumentParser shows a
    /// parent's options only in its own help).
    static let globalOptionsHelp = """
        GLOBAL OPTIONS (before or after the command):
          --store <path>          The store file (default: $DAFTAR_STORE, else
                                  ~/.local/share/daftar/archive.sqlite).
          --calendar <calendar>   Show dates as gregorian or persian (Solar Hijri).
        """

    /// The library's message, with what to type about it: the library names no flags (STYLE 8).
    static func commandLineMessage(_ error: DaftarError) -> String {
        switch error.code {
        case .ambiguousQuote: return error.message + " (pick one with --prefix/--suffix or --occurrence N)"
        case .unauthorized: return error.message + "; check --token-file, the peer's token file, or $DAFTAR_TOKEN"
        case .unreachable: return error.message + "; is `daftar serve` running there?"
        case .interrupted: return error.message + "; run the same command again to resume"
        case .equivocation: return error.message + "; see `daftar forks`"
        case .noStore: return error.message + " (`daftar ingest FILES`), or pass --store PATH"
        case .badStore: return error.message + " (--store PATH)"
        case .readOnly: return error.message + " (--store PATH names another store)"
        default: return error.message
        }
    }

    /// Where the store is: --store, $DAFTAR_STORE, or the XDG default (its folder created).
    func storePath() throws -> (path: String, isDefault: Bool) {
        let env = ProcessInfo.processInfo.environment
        if let store { return (store, false) }
        if let fromEnv = env["DAFTAR_STORE"], !fromEnv.isEmpty { return (fromEnv, false) }
        // $HOME first: on Linux NSHomeDirectory() reads the account record, not the environment.
        let home = env["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        let dataHome = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (home as NSString).appendingPathComponent(".local/share")
        let folder = (dataHome as NSString).appendingPathComponent("daftar")
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw DaftarError(.badStore, "cannot create \(folder) for the default store; pass --store PATH")
        }
        return ((folder as NSString).appendingPathComponent("archive.sqlite"), true)
    }

    /// The calendar dates are shown in: --calendar, else the store's setting, else Gregorian.
    func calendar(_ store: Store) throws -> CalendarChoice {
        if let calendar { return calendar }
        return try store.setting("calendar").flatMap(CalendarChoice.init(rawValue:)) ?? .gregorian
    }

    /// Opens the store for a command that only reads: without writing, so it answers while
    /// another command writes, and works on a store this user cannot write. The default
    /// store is created empty on first use.
    func openStoreForReading() throws -> Store {
        let (path, isDefault) = try storePath()
        if isDefault, !FileManager.default.fileExists(atPath: path) { return try openStore(forWriting: false) }
        return try Store.openForReading(at: path)
    }

    /// Opens the store for a command that writes. Commands that only read refuse to create
    /// one at an explicit path.
    func openStore(forWriting: Bool) throws -> Store {
        let (path, isDefault) = try storePath()
        let store = try Store.open(at: path, forWriting: forWriting, create: forWriting || isDefault)
        if let notice = store.identityNotice { Terminal.note(notice) }
        return store
    }
}

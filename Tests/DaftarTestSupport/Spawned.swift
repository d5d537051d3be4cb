import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn` — not Foundation's `Process`, whose `run()` on
/// Linux (Swift 6.3.1) reads past a buffer while listing `/proc/self/fd` and now and then
/// crashes the whole test process (swift-corelibs-foundation PR #5472; it crashed a CI run of
/// this suite, whose tests hold many descriptors while they start children).
///
/// Its standard input, output and error are files (or /dev/null); every other descriptor of
/// the test process is closed in the child; it starts in `directory`, in a process group of
/// its own (so a terminal's signals reach the tests, not their children).
public final class Spawned: Sendable {
    public let pid: pid_t
    /// How it ended, once `waitpid` has said so.
    private let ending = Mutex<(status: Int32, signaled: Bool)?>(nil)

    public init(
        executable: String, arguments: [String], directory: String, environment: [String: String],
        input: String? = nil, output: String? = nil, errors: String? = nil
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (descriptor, path, flags) in [(Int32(0), input, O_RDONLY), (1, output, O_WRONLY | O_APPEND), (2, errors, O_WRONLY | O_APPEND)] {
            let opened = posix_spawn_file_actions_addopen(&actions, descriptor, path ?? "/dev/null", flags, 0)
            guard opened == 0 else { throw DaftarTestError("posix_spawn: cannot redirect descriptor \(descriptor): errno \(opened)") }
        }
        guard Self.addChdir(&actions, directory) == 0, Self.addClosefrom(&actions, 3) == 0 else {
            throw DaftarTestError("posix_spawn: cannot set the child's folder or close its inherited descriptors")
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            throw DaftarTestError("cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        pid = child
    }

    /// Whether it still runs (reaps it when it has ended).
    public var isRunning: Bool { ended == nil }

    /// Its exit status (or signal), nil while it runs.
    public var ended: (status: Int32, signaled: Bool)? {
        ending.withLock { ending in
            if ending == nil {
                var status: Int32 = 0
                var reaped: pid_t
                repeat { reaped = waitpid(pid, &status, WNOHANG) } while reaped == -1 && errno == EINTR
                if reaped == pid {
                    let signal = status & 0x7f
                    ending = signal == 0 ? ((status >> 8) & 0xff, false) : (signal, true)
                }
            }
            return ending
        }
    }

    /// Sends `signal` unless it has ended and been reaped (its pid may then be another's).
    public func send(_ signal: Int32) {
        ending.withLock { ending in
            if ending == nil { _ = kill(pid, signal) }
        }
    }

    /// Sends `signal` after `seconds`, timed by a thread of its own: a task's sleep can
    /// overrun by seconds when the suite keeps every cooperative thread busy.
    public func send(_ signal: Int32, after seconds: Double) {
        Thread { [self] in
            usleep(UInt32(max(0, seconds) * 1_000_000))
            send(signal)
        }.start()
    }

    /// Waits for it to end, sleeping the task between looks (no thread held).
    public func finished() async throws -> (status: Int32, signaled: Bool) {
        while true {
            if let ended { return ended }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Waits for it to end, holding this thread.
    public func waitUntilExit() -> (status: Int32, signaled: Bool) {
        while true {
            if let ended { return ended }
            usleep(5_000)
        }
    }

    // glibc's posix_spawn_file_actions_addchdir_np and _addclosefrom_np (2.29 and 2.34) are
    // not in Swift's Glibc module: found by name.
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addChdir: AddChdir = unsafeBitCast(libc("posix_spawn_file_actions_addchdir_np"), to: AddChdir.self)
    private static let addClosefrom: AddClosefrom = unsafeBitCast(libc("posix_spawn_file_actions_addclosefrom_np"), to: AddClosefrom.self)

    private static func libc(_ name: String) -> UnsafeMutableRawPointer {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), name) else { fatalError("\(name) is not in this C library (glibc 2.34 or later is needed)") }
        return symbol
    }
}

import DaftarCore
import PostgresNIO
import Synchronization

/// How long a hub request waits for its database: past it, the client is told to try again
/// (503) rather than held while the pool retries a database that is down.
public enum HubDeadline {
    public static let standard: Duration = .seconds(30)
}

/// `work`, or `busy` once `deadline` has passed. The work is cancelled then, but not
/// waited for: a wait for a connection to a database that is down does not heed
/// cancellation, and ends only when the pool gives up (the transaction rolls back).
func withDeadline<T: Sendable>(_ deadline: Duration, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
    let race = Race<T>()
    return try await withCheckedThrowingContinuation { continuation in
        race.start(continuation)
        let worker = Task {
            let result: Result<T, any Error>
            do { result = .success(try await work()) } catch { result = .failure(error) }
            race.finish(result)
        }
        race.timer = Task {
            guard (try? await Task.sleep(for: deadline)) != nil else { return }
            worker.cancel()
            race.finish(.failure(DaftarError(.busy, "the hub's database did not answer within \(deadline.components.seconds) s; try again shortly")))
        }
    }
}

/// The first of the work and its deadline to finish resumes the caller; the other is ignored.
private final class Race<T: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<T, any Error>?, timer: Task<Void, Never>?)>((nil, nil))

    func start(_ continuation: CheckedContinuation<T, any Error>) { state.withLock { $0.continuation = continuation } }

    /// The deadline's task: cancelled at once when the work has finished already.
    var timer: Task<Void, Never>? {
        get { state.withLock { $0.timer } }
        set {
            let finished = state.withLock { state in
                state.timer = newValue
                return state.continuation == nil
            }
            if finished { newValue?.cancel() }
        }
    }

    func finish(_ result: Result<T, any Error>) {
        let (continuation, timer) = state.withLock { state in
            defer { state.continuation = nil }
            return (state.continuation, state.timer)
        }
        timer?.cancel()
        continuation?.resume(with: result)
    }
}

extension PostgresClient {
    /// Runs `body` with a connection of the pool; the database's failures, and its silence past
    /// `deadline`, come out in the operator's terms (`busy`: 503 to a client).
    func withConnection<T: Sendable>(
        within deadline: Duration, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withDeadline(deadline) { [self] in
            do {
                return try await withConnection { try await body($0) }
            } catch let error as PSQLError {
                throw HubDatabase.explain(error, "the hub's database")
            }
        }
    }
}

import Foundation

/// How hard the fault and load tests push (issue: faults and hostile input, proven):
/// `$DAFTAR_STRESS` unset runs each at its light bounds (a developer's `swift test`); `ci` — set
/// by `.ci/run` — at bounds sized to stay well inside CI's time; `full` at the bounds.
public enum Stress: String, Sendable {
    case light, ci, full

    public static let level = Stress(rawValue: ProcessInfo.processInfo.environment["DAFTAR_STRESS"] ?? "") ?? .light

    /// The bound for this run's level.
    public static func pick<T>(light: T, ci: T, full: T) -> T {
        switch level {
        case .light: light
        case .ci: ci
        case .full: full
        }
    }
}

import ArgumentParser
import DaftarApp
import DaftarCore
import DaftarStore
import Foundation

extension When: ExpressibleByArgument {}

/// `--as-of WHEN`, on every command that shows something.
struct PastOption: ParsableArguments {
    @Option(name: .customLong("as-of"), help: ArgumentHelp("Show it as it was then: a time (2026-11-20, 2026-11-20T14:00, local; Solar Hijri dates too), a log position, ORIGIN:SEQ,…, or sync:PEER[~N].", valueName: "when"))
    var asOf: When?
}

extension Daftar {
    /// The store a whole-archive view (`digest`, `export`) reads: the live one, or — with
    /// `--as-of` — a scratch store derived from the events held then, announced on stderr.
    func shownStore(_ live: Store, asOf: When?) throws -> Store {
        guard let moment = try pastMoment(live, asOf: asOf) else { return live }
        return try live.past(moment)
    }

    /// The moment `--as-of` names, announced on stderr as a past view; nil without it. For
    /// views that read the live projections filtered by what was held then.
    func pastMoment(_ live: Store, asOf: When?) throws -> PastMoment? {
        guard let asOf else { return nil }
        let moment = try asOf.moment(in: live)
        Terminal.note("a past view: as of \(asOf) (\(moment)); the archive now may hold more")
        return moment
    }
}

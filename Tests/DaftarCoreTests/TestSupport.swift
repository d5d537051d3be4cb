import DaftarCore
import DaftarTestSupport
import Foundation

enum Fixtures {
    /// The repository's seeds/ folder.
    static var seedsDirectory: String { Repository.seedsDirectory }

    static func seed(_ name: String) throws -> String {
        try String(contentsOfFile: seedsDirectory + "/" + name, encoding: .utf8)
    }
}

import DaftarCore
import Foundation

enum Fixtures {
    /// The repository's seeds/ folder.
    static var seedsDirectory: String {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("seeds")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("000_1ecfb78ca4866ac4.txt").path) {
                return candidate.path
            }
        }
        fatalError("seeds/ not found above \(#filePath)")
    }

    static func seed(_ name: String) throws -> String {
        try String(contentsOfFile: seedsDirectory + "/" + name, encoding: .utf8)
    }
}

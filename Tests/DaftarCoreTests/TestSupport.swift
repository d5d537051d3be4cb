import DaftarCore

/// A seeded generator (SplitMix64), so property tests can print and replay their seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

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

import Foundation

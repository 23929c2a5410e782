// Shared helpers: where the golden fixtures are (found from this source file, never via ../shared) and a fresh
// temporary folder per test.

import Foundation

enum TestFiles {
    /// Tests/Fixtures/reference, found relative to this file.
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/reference")

    /// Path of a golden fixture by file name.
    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// Case A: one minimal DSNAS cell, three architectures in /arch0, /arch1, /arch2.
    static let caseA = fixture("case_A_dsnas_minimal_1cell.h5")

    /// A new empty folder under the system temporary folder.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wiringresults-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

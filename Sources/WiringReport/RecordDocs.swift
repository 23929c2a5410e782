// WiringLab: presentation only (not part of the code version)
// docs/results-format.md's tables of recorded quantities, rendered from the column tables of
// `StepLog` and `SearchLog` (between `<!-- schema: NAME -->` markers, like the manifest docs), so
// the file layout and its documentation cannot drift.
import WiringSpec
import WiringRun

/// The recorded-quantity tables of the results docs.
public enum RecordDocs {
    /// Table name -> markdown.
    public static var tables: [(name: String, markdown: String)] {
        [
            ("steps", table(StepLog.columns.filter { $0.path.hasPrefix("steps/") })),
            ("checks", table(StepLog.columns.filter { $0.path.hasPrefix("checks/") })),
            ("samples", table(StepLog.columns.filter { $0.path.hasPrefix("samples/") })),
            ("search-epoch", table(SearchLog.columns.filter { $0.dimensions.first == "search_epoch" })),
            ("search-batch", table(SearchLog.columns.filter { $0.dimensions.first == "search_batch" })),
            ("eval", table(EvalLog.columns)),
            ("probe", table(ProbeLog.columns)),
        ]
    }

    static func table<Log>(_ columns: [RecordColumn<Log>]) -> String {
        (["| path | dtype | shape | meaning | units |", "|---|---|---|---|---|"] + columns.map { c in
            "| `\(c.path)` | \(c.element.docName) | (\(c.dimensions.joined(separator: ", "))) | \(c.doc) | "
                + (c.units.isEmpty ? "—" : c.units) + " |"
        }).joined(separator: "\n")
    }

    /// `text` with every marked table replaced by the column tables' rendering.
    public static func updated(_ text: String, file: String) throws -> String {
        try replacingMarkedTables(in: text, file: file, tables: tables)
    }
}

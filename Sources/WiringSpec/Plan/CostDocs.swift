// WiringLab: presentation only (not part of the code version)
// docs/cli.md's copy of the cost table `plan` estimates from (StepCostTable.measured), between
// `<!-- schema: cost-table -->` and `<!-- /schema -->`; `wiringlab schema --update` rewrites it and a
// test fails when the docs and the table differ.
import Foundation

/// The cost table as the docs show it.
public enum CostDocs {
    public static var tables: [(name: String, markdown: String)] {
        let table = StepCostTable.measured
        var lines = ["| block | threads | forward ms/image | forward + backward ms/image |", "|---|---|---|---|"]
        for row in table.rows {
            lines.append("| `\(row.block)` | \(row.threads) | \(String(format: "%.4f", row.forward)) | "
                         + "\(String(format: "%.4f", row.forwardBackward)) |")
        }
        lines.append("")
        lines.append("Measured by \(table.source) (16 channels, 32x32, Float; `step:dsnas_minimal` is the whole DSNAS step "
                     + "of one minimal cell at batch 96, per image).")
        return [("cost-table", lines.joined(separator: "\n"))]
    }

    /// `text` with the marked cost table replaced by the current one.
    /// - Throws: `ManifestError.invalid` naming a marker that has no end or no table of that name.
    public static func updated(_ text: String, file: String) throws -> String {
        try replacingMarkedTables(in: text, file: file, tables: tables)
    }
}

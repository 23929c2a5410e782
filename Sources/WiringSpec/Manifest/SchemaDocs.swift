// WiringLab: presentation only (not part of the code version)
// docs/manifest.md's key tables, rendered from the schema. Each table sits between
// `<!-- schema: NAME -->` and `<!-- /schema -->`; `wiringlab schema --update docs/manifest.md` rewrites
// them and a test fails when the file and the schema differ, so the docs cannot drift.

import Foundation

/// The key tables of the manifest docs.
public enum SchemaDocs {
    /// Table name -> markdown, in the order the docs show them.
    public static var tables: [(name: String, markdown: String)] {
        [
            ("top", table(RunSchema.top.docRows())),
            ("data", table(RunSchema.data.docRows())),
            ("network", table(RunSchema.network.docRows())),
            ("edges", table(EdgeSchema.entry.docRows(), withDefaults: false)),
            ("sampling-record", table(RunSchema.sampling.docRows(prefix: "sampling.")
                                       + RunSchema.record.docRows(prefix: "record."))),
            ("phase", table(PhaseSchema.common.docRows())),
            ("probe", table(PhaseSchema.probe.docRows())),
            ("train", table(PhaseSchema.train.docRows())),
            ("search", table(PhaseSchema.search.docRows())),
            ("eval", table(PhaseSchema.eval.docRows())),
            ("optimizer", table(PhaseSchema.sgd.docRows())),
            ("alpha-optimizer", table(PhaseSchema.adam.docRows())),
        ]
    }

    static func table(_ rows: [DocRow], withDefaults: Bool = true) -> String {
        var lines = withDefaults ? ["| key | type | default | meaning |", "|---|---|---|---|"]
            : ["| key | type | meaning |", "|---|---|---|"]
        for row in rows {
            lines.append(withDefaults ? "| `\(row.key)` | \(row.type) | \(row.defaultText) | \(row.doc) |"
                         : "| `\(row.key)` | \(row.type) | \(row.doc) |")
        }
        return lines.joined(separator: "\n")
    }

    /// `text` with every marked table replaced by the schema's rendering.
    /// - Throws: `ManifestError.invalid` naming a marker that has no end or no table of that name.
    public static func updated(_ text: String, file: String) throws -> String {
        try replacingMarkedTables(in: text, file: file, tables: tables)
    }
}

/// `text` with the markdown between each `<!-- schema: NAME -->` and the next `<!-- /schema -->`
/// replaced by the table of that name.
/// - Throws: `ManifestError.invalid` for a marker without an end or a name without a table.
package func replacingMarkedTables(in text: String, file: String, tables: [(name: String, markdown: String)]) throws -> String {
    var out = ""
    var rest = Substring(text)
    let tablesByName = Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0.markdown) })
    while let start = rest.range(of: "<!-- schema: ") {
        out += rest[..<start.upperBound]
        rest = rest[start.upperBound...]
        guard let close = rest.range(of: " -->"), let end = rest.range(of: "<!-- /schema -->") else {
            throw ManifestError.invalid(SourceLocation(file: file), keyPath: "",
                                        expected: "expected <!-- /schema --> after each <!-- schema: NAME -->",
                                        got: "an unterminated table marker")
        }
        let name = String(rest[..<close.lowerBound])
        guard let markdown = tablesByName[name] else {
            throw ManifestError.invalid(SourceLocation(file: file), keyPath: "",
                                        expected: "expected a table name of " + tables.map(\.name).joined(separator: ", "),
                                        got: "'\(name)'")
        }
        out += name + " -->\n" + markdown + "\n"
        rest = rest[end.lowerBound...]
    }
    return out + rest
}

extension ManifestNode {
    /// A number as the docs write it: integers plain, small numbers as `1.0e-5`.
    static func formatDoc(_ d: Double) -> String {
        if d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
        if d != 0, abs(d) < 1e-3 {
            let exponent = Int(log10(abs(d)).rounded(.down))
            let mantissa = (d / pow(10, Double(exponent)) * 1e6).rounded() / 1e6
            return "\(mantissa)e\(exponent)"
        }
        return "\(d)"
    }
}

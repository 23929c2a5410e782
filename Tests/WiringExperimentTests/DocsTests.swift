// The docs' key and column tables are rendered from the schema and the record column tables; these
// tests fail when someone edits one side only (fix: `wiringlab schema --update`).
import Foundation
import Testing
import WiringResults
@testable import WiringCluster
@testable import WiringExperiment
@testable import WiringReport
@testable import WiringRun
@testable import WiringSpec

let docsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("docs")

@Test func manifestDocsTablesAreTheSchemas() throws {
    let path = docsFolder.appendingPathComponent("manifest.md").path
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(try SchemaDocs.updated(text, file: path) == text, "docs/manifest.md differs: run `wiringlab schema --update`")
    // Every table the schema renders is in the file.
    for (name, _) in SchemaDocs.tables { #expect(text.contains("<!-- schema: \(name) -->"), "\(name)") }
}

@Test func resultsDocsTablesAreTheColumnTables() throws {
    let path = docsFolder.appendingPathComponent("results-format.md").path
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(try RecordDocs.updated(text, file: path) == text, "docs/results-format.md differs: run `wiringlab schema --update`")
    for (name, _) in RecordDocs.tables { #expect(text.contains("<!-- schema: \(name) -->"), "\(name)") }
}

@Test func cliDocsCostTableIsThePlannersTable() throws {
    let path = docsFolder.appendingPathComponent("cli.md").path
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(try CostDocs.updated(text, file: path) == text, "docs/cli.md differs: run `wiringlab schema --update`")
    #expect(text.contains("<!-- schema: cost-table -->"))
}

@Test func schemaRendersADefaultForEveryKeyAndAcceptsWhatItDocuments() throws {
    // The docs' defaults are read back through the schema: a manifest that writes every documented
    // numeric and boolean default of the norm and optimizer tables resolves to the default configs.
    let m = try Manifest(yaml: """
        name: d
        network: {norm: {kind: batch, affine: false, eps: 1.0e-5, momentum: 0.1}}
        phases:
          - {kind: train, optimizer: {lr: 0.025, momentum: 0.9, weight_decay: 3.0e-4, lr_min: 0.001, grad_clip: 5, schedule: cosine}}
          - {kind: search, alpha_optimizer: {lr: 3.0e-4, beta1: 0.5, beta2: 0.999, eps: 1.0e-8, weight_decay: 1.0e-3}}
        """, file: "d.yaml").plan(codeVersion: "x")
    let plain = try Manifest(yaml: "name: d\nphases: [{kind: train}, {kind: search}]", file: "p.yaml").plan(codeVersion: "x")
    #expect(m.runs[0].id == plain.runs[0].id)
    for row in RunSchema.top.docRows() + RunSchema.network.docRows() + PhaseSchema.search.docRows() {
        #expect(!row.defaultText.isEmpty && !row.doc.isEmpty, "\(row.key)")
    }
}

@Test func resultFileHoldsEveryStoredColumnWithItsDimensions() throws {
    // Diagnostics store the `hessian*` and `strength*` columns; three cheap ops keep their passes few.
    let plan = try tinyPlan(["phases.2={name: search, kind: search, algorithm: darts, level: bi, batches: 2, diagnostics: {batches: 1}}",
                             "data.synthetic.count=64", "network.ops=[none, skip_connect, avg_pool_3x3]"])
    let folder = temporaryFolder("columns")
    defer { try? FileManager.default.removeItem(at: folder) }
    guard case let .finished(path) = try executeRun(plan.runs[0], plan: plan, options: RunOptions(outFolder: folder)) else {
        Issue.record("run did not finish")
        return
    }
    let file = try HDF5File(reading: path)
    defer { file.close() }
    // This run has mixtures (DARTS), per-sample records, search epochs and batches and diagnostics: every column is stored.
    func check<Log>(_ columns: [RecordColumn<Log>]) throws {
        for column in columns {
            let dataset = try file.dataset(column.path)
            #expect(try dataset.dimensionLabels() == column.dimensions, "\(column.path)")
            #expect(try dataset.storedType.description == column.element.docName, "\(column.path)")
        }
    }
    try check(StepLog.columns)
    try check(SearchLog.columns)
}

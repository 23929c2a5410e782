import ArgumentParser
import Foundation
import WiringExperiment

extension WiringLab {
    /// `wiringlab schema`: the manifest keys and the recorded quantities as markdown tables, rendered
    /// from the schema and the record column tables (the source of docs/manifest.md and
    /// docs/results-format.md's tables).
    struct Schema: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every manifest key and recorded quantity as markdown tables, or update the docs' copies.",
            discussion: """
                The docs mark each generated table with <!-- schema: NAME --> ... <!-- /schema -->. With --update \
                the tables in <docs>/manifest.md and <docs>/results-format.md are rewritten from the code.
                """)

        @Flag(help: "Rewrite the marked tables of <docs>/manifest.md, <docs>/results-format.md and <docs>/cli.md.")
        var update = false

        @Option(help: ArgumentHelp("The docs folder.", valueName: "dir"))
        var docs = "docs"

        func run() throws {
            guard update else {
                for (name, markdown) in SchemaDocs.tables + RecordDocs.tables + CostDocs.tables { print("## \(name)\n\n\(markdown)\n") }
                return
            }
            let files: [(String, (String, String) throws -> String)] = [
                ("manifest.md", SchemaDocs.updated), ("results-format.md", RecordDocs.updated),
                ("cli.md", CostDocs.updated),
            ]
            for (name, render) in files {
                let path = URL(fileURLWithPath: docs).appendingPathComponent(name).path
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    printError("\(path): cannot read; give the docs folder with --docs")
                    throw ExitCode(ExitCodes.invalidInput)
                }
                let new = try render(text, path)
                if new != text {
                    try new.write(toFile: path, atomically: true, encoding: .utf8)
                    print("updated \(path)")
                }
            }
        }
    }
}

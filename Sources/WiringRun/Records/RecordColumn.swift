// What a run records, as one table per log: each column's name in the result file, its dimensions,
// its stored element type, its unit and meaning, and where it lives in memory. The checkpoint, the
// result file, `wiringlab show` and docs/results-format.md all read these tables, so a quantity has
// one name everywhere and adding one is a row here plus the code that fills it.

import WiringResults

/// How a column is stored in the result file (checkpoints store every column exactly, as
/// 64-bit integers or doubles).
package enum StoredElement: String, Equatable {
    case int8, int32, float64

    /// The HDF5 type name used in docs/results-format.md.
    package var docName: String { self == .float64 ? "float64" : rawValue }
}

/// One recorded quantity of a log type.
package struct RecordColumn<Log> {
    /// The values in memory, flattened row-major over `dimensions`.
    package enum Values {
        case ints(WritableKeyPath<Log, [Int]>)
        case doubles(WritableKeyPath<Log, [Double]>)
    }

    /// Path in the result file (and in the checkpoint's log group), e.g. `steps/edge_cost`.
    package let path: String
    /// Dimension names, outermost first; each is a label dataset of the file or a row dimension.
    package let dimensions: [String]
    package let element: StoredElement
    /// Unit of the values ("" for counts and indices, "1" for dimensionless quantities).
    package let units: String
    /// One line: what the values mean.
    package let doc: String
    package let values: Values
    /// Whether a run with this log stores the column (e.g. only with `record.per_sample`).
    package var isStored: (Log) -> Bool = { _ in true }

    /// The dataset's name inside its group.
    var name: String { String(path.split(separator: "/").last ?? "") }
}

extension RecordColumn {
    /// The group the column lives in (`steps` for `steps/edge_cost`).
    package var group: String { String(path.split(separator: "/").first ?? "") }

    /// Writes the column to a result file with its dimension scales, `units` and `long_name` (the doc line).
    @discardableResult
    package func writeResult(_ log: Log, to root: HDF5Group, sizes: [String: Int]) throws -> HDF5Dataset {
        let shape = dimensions.map { sizes[$0] ?? 0 }
        let dataset: HDF5Dataset
        switch values {
        case let .ints(keyPath):
            let v = log[keyPath: keyPath]
            switch element {
            case .int8: dataset = try root.write(path, v.map(Int8.init), shape: shape, dimensions: dimensions)
            default: dataset = try root.write(path, v.map(Int32.init), shape: shape, dimensions: dimensions)
            }
        case let .doubles(keyPath):
            dataset = try root.write(path, log[keyPath: keyPath], shape: shape, dimensions: dimensions)
        }
        try describe(dataset, units: units, longName: plainText(doc))
        return dataset
    }

    /// Writes the column exactly (64-bit) to a checkpoint group.
    func writeCheckpoint(_ log: Log, to group: HDF5Group) throws {
        switch values {
        case let .ints(keyPath): try group.write(path, log[keyPath: keyPath])
        case let .doubles(keyPath): try group.write(path, log[keyPath: keyPath])
        }
    }

    /// Reads the column back from a checkpoint group.
    func readCheckpoint(_ log: inout Log, from group: HDF5Group) throws {
        switch values {
        case let .ints(keyPath): log[keyPath: keyPath] = try group.dataset(path).read(Int.self).values
        case let .doubles(keyPath): log[keyPath: keyPath] = try group.dataset(path).read(Double.self).values
        }
    }
}

extension Array {
    /// The path of the column that stores `keyPath` (tables are small; this is for readers like `show`).
    package func path<Log>(of keyPath: PartialKeyPath<Log>) -> String where Element == RecordColumn<Log> {
        for column in self {
            let stored: PartialKeyPath<Log>
            switch column.values {
            case let .ints(k): stored = k
            case let .doubles(k): stored = k
            }
            if stored == keyPath { return column.path }
        }
        preconditionFailure("no column stores \(keyPath)")
    }
}

/// Sets `units` and `long_name` (netCDF's CF attributes, which xarray shows and plots use for axis labels).
/// Counts and indices, which have no unit, get "1" like dimensionless values.
package func describe(_ dataset: HDF5Dataset, units: String, longName: String) throws {
    try dataset.setAttribute("units", units.isEmpty ? "1" : units)
    try dataset.setAttribute("long_name", longName)
}

/// A column's doc line as plain text for `long_name`: no Markdown emphasis, code marks or table escapes.
package func plainText(_ doc: String) -> String {
    doc.replacingOccurrences(of: "**", with: "").replacingOccurrences(of: "`", with: "")
        .replacingOccurrences(of: "\\|", with: "|")
}

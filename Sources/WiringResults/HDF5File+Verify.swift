// Reads a whole file back: every dataset of every group, so a damaged chunk (its Fletcher-32 checksum fails) or a
// truncated file is found before anyone trusts a number from it.

extension HDF5File {
    /// Reads every dataset of the file.
    /// - Returns: the number of datasets read.
    /// - Throws: the `ResultsError` of the first dataset that cannot be read (`.hdf5` for a failed checksum).
    @discardableResult
    public func verifyEveryDataset() throws -> Int {
        var count = 0
        func walk(_ group: HDF5Group) throws {
            for member in try group.members() {
                let child = HDF5Path.join(group.path, member.name)
                switch member.kind {
                case .group:
                    try walk(try self.group(child))
                case .dataset:
                    let dataset = try self.dataset(child)
                    if case .string = try dataset.storedType {
                        _ = try dataset.readStrings()
                    } else {
                        _ = try dataset.read(Double.self)
                    }
                    count += 1
                default:
                    continue
                }
            }
        }
        try walk(root)
        return count
    }
}

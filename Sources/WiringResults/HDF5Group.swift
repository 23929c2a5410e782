// Groups: walking a file (members, subgroups, datasets) and creating subgroups. Writing datasets into a group is in
// HDF5Group+Writing.swift, dimension scales in HDF5DimensionScale.swift.

import CHDF5

/// A member of a group, as listed by `HDF5Group.members()`.
public struct HDF5Member: Hashable, Sendable {
    /// What a link leads to.
    public enum Kind: Hashable, Sendable, CustomStringConvertible {
        /// A group (possibly reached through a hard link).
        case group
        /// A dataset (possibly reached through a hard link).
        case dataset
        /// A named datatype, a dangling soft link or an external link that cannot be followed.
        case other

        /// "group", "dataset" or "other object".
        public var description: String {
            switch self {
            case .group: return "group"
            case .dataset: return "dataset"
            case .other: return "named datatype or broken link"
            }
        }
    }

    /// The link name inside the group.
    public let name: String
    /// What the link leads to.
    public let kind: Kind
}

/// A group in an HDF5 file (the root group is `/`).
///
/// Names passed to its methods are relative to the group ("outputs/logits") or absolute ("/labels").
public struct HDF5Group: HDF5Object {
    /// The file that holds the group.
    public let file: HDF5File
    /// The group's absolute path.
    public let path: String

    init(file: HDF5File, path: String) {
        self.file = file
        self.path = HDF5Path.normalize(path)
    }

    /// Every link in the group, sorted by name. Hard-linked members (as in fixture case A, where `/arch0/input` is
    /// the same dataset as `/input`) are listed like any other member.
    /// - Throws: `ResultsError` if the group cannot be read.
    public func members() throws -> [HDF5Member] {
        try HDF5Library.run {
            let fileID = try file.openID("list members")
            try Self.requireKind(.group, file: file, path: path)
            let group = try site.check(H5Gopen2(fileID, path, wl_h5p_default()), "H5Gopen2")
            defer { H5Gclose(group) }
            var info = H5G_info_t()
            try site.check(H5Gget_info(group, &info), "H5Gget_info")
            return try (0..<info.nlinks).map { index in
                let name = try HDF5Library.readName(site, "H5Lget_name_by_idx") { buffer, size in
                    H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, index, buffer, size, wl_h5p_default())
                }
                let object = H5Oopen(group, name, wl_h5p_default())
                guard object >= 0 else { return HDF5Member(name: name, kind: .other) }
                defer { H5Oclose(object) }
                return HDF5Member(name: name, kind: HDF5Library.memberKind(H5Iget_type(object)))
            }
        }
    }

    /// Names of the subgroups, sorted.
    /// - Throws: `ResultsError` if the group cannot be read.
    public func groupNames() throws -> [String] { try members().filter { $0.kind == .group }.map(\.name) }

    /// Names of the datasets, sorted.
    /// - Throws: `ResultsError` if the group cannot be read.
    public func datasetNames() throws -> [String] { try members().filter { $0.kind == .dataset }.map(\.name) }

    /// Whether a link `name` (a relative or absolute path) exists.
    /// - Throws: `ResultsError.notWritable` if the file is closed.
    public func contains(_ name: String) throws -> Bool {
        try HDF5Library.run {
            HDF5Library.kind(of: HDF5Path.join(path, name), in: try file.openID("contains")) != nil
        }
    }

    /// The subgroup `name` (a relative or absolute path).
    /// - Throws: `ResultsError.notFound` or `.wrongKind`.
    public func group(_ name: String) throws -> HDF5Group {
        let child = HDF5Path.join(path, name)
        try Self.requireKind(.group, file: file, path: child)
        return HDF5Group(file: file, path: child)
    }

    /// The dataset `name` (a relative or absolute path).
    /// - Throws: `ResultsError.notFound` or `.wrongKind`.
    public func dataset(_ name: String) throws -> HDF5Dataset {
        let child = HDF5Path.join(path, name)
        try Self.requireKind(.dataset, file: file, path: child)
        return HDF5Dataset(file: file, path: child)
    }

    /// Creates the subgroup `name`, and any missing groups on the way ("a/b/c").
    /// - Throws: `ResultsError.alreadyExists` if something already has that name, `.notWritable` for a read-only file.
    @discardableResult
    public func createGroup(_ name: String) throws -> HDF5Group {
        let child = HDF5Path.join(path, name)
        let site = HDF5Site(file: file.path, path: child)
        try HDF5Library.run {
            let fileID = try file.writableID("create group")
            guard HDF5Library.kind(of: child, in: fileID) == nil else {
                throw ResultsError.alreadyExists(file: file.path, path: child)
            }
            let links = try HDF5Library.intermediateGroupLinkList(site)
            defer { H5Pclose(links) }
            let group = try site.check(
                H5Gcreate2(fileID, child, links, wl_h5p_default(), wl_h5p_default()), "H5Gcreate2")
            H5Gclose(group)
        }
        return HDF5Group(file: file, path: child)
    }
}

extension HDF5Library {
    /// A link-creation property list that creates missing parent groups. The caller closes it.
    static func intermediateGroupLinkList(_ site: HDF5Site) throws -> hid_t {
        let links = try site.check(H5Pcreate(wl_h5p_link_create()), "H5Pcreate")
        do {
            try site.check(H5Pset_create_intermediate_group(links, 1), "H5Pset_create_intermediate_group")
        } catch {
            H5Pclose(links)
            throw error
        }
        return links
    }
}

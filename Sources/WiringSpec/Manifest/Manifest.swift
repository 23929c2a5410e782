// Loading a manifest: read the file, merge its includes depth-first (the including file wins), apply
// its own `set:` key paths, then the command-line `key.path=value` overrides. The result is still an
// untyped tree; `Manifest+Validation.swift` turns it into typed run configurations.
//
// Order of precedence, lowest first:
//   included files (in list order, each resolved the same way) < this file's keys < this file's `set:`
//   < command-line overrides.

import Foundation

/// A manifest after includes, `set:` and overrides, before validation. Keys `include` and `set`
/// are consumed here and do not appear in `root`.
public struct Manifest: Codable, Hashable, Sendable {
    /// The top-level file as the user named it (used in messages and for the default results folder).
    public let file: String
    /// The merged tree.
    public let root: ManifestNode
    /// Overrides written `key=a,b` (key path -> value): a Hydra-style sweep that is a plain string here; an
    /// error at such a key gets the grid form as its fix.
    var commaOverrides: [String: String] = [:]

    /// A manifest from an already merged tree.
    init(file: String, root: ManifestNode, commaOverrides: [String: String] = [:]) {
        self.file = file
        self.root = root
        self.commaOverrides = commaOverrides
    }

    /// Reads and merges a manifest file and applies overrides.
    /// - Parameters:
    ///   - path: the manifest file; includes are resolved relative to its folder.
    ///   - overrides: `key.path=value` strings; the value is parsed as a YAML scalar or flow value.
    /// - Throws: `ManifestError` for a missing file, a YAML error, an include cycle or a bad override.
    public static func load(contentsOf path: String, overrides: [String] = []) throws -> Manifest {
        var loader = Loader(read: Manifest.readFile)
        let root = try loader.load(path, from: nil)
        return try Manifest(file: path, root: root).applying(overrides: overrides)
    }

    /// Parses manifest text that did not come from a file (tests, tools).
    /// - Parameters:
    ///   - yaml: the manifest text.
    ///   - file: the name used in messages.
    ///   - read: how includes are read, given their resolved path (default: from disk).
    /// - Throws: `ManifestError`.
    public init(yaml: String, file: String = "<string>", overrides: [String] = [],
                read: @escaping (String) throws -> String = Manifest.readFile) throws {
        var loader = Loader(read: read)
        let root = try loader.resolve(yaml: yaml, file: file)
        self = try Manifest(file: file, root: root).applying(overrides: overrides)
    }

    /// Reads a UTF-8 text file.
    /// - Throws: the Foundation error of a missing or unreadable file.
    public static func readFile(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    /// This manifest with `key.path=value` overrides applied in order.
    /// - Throws: `ManifestError.invalid` for a string without `=`, an empty path, a YAML error in the
    ///   value, or a path that cannot be set (see `ManifestNode.set(path:to:at:)`).
    public func applying(overrides: [String]) throws -> Manifest {
        var root = self.root
        var commas = commaOverrides
        for text in overrides {
            let (path, node) = try Manifest.parseOverride(text)
            try root.set(path: path, to: node, at: .commandLine)
            if case let .string(value) = node.value, value.contains(",") { commas[path.joined(separator: ".")] = value }
        }
        return Manifest(file: file, root: root, commaOverrides: commas)
    }

    /// `error` with the grid form as its fix when it is about a `key=a,b` override.
    func explainingCommaOverride(_ error: ManifestError) -> ManifestError {
        guard case let .invalid(location, keyPath, expected, got, suggestion) = error, location == .commandLine,
              let value = commaOverrides[keyPath] ?? commaOverrides.first(where: { keyPath.hasPrefix($0.key) })?.value,
              let key = commaOverrides.first(where: { $0.value == value })?.key else { return error }
        let list = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ",")
        return .invalid(location, keyPath: keyPath, expected: expected,
                        got: got + " (a sweep over several values is grid.\(key)=[\(list)])", suggestion: suggestion)
    }

    /// Splits `key.path=value` into path segments and a parsed value located on the command line.
    static func parseOverride(_ text: String) throws -> ([String], ManifestNode) {
        guard let eq = text.firstIndex(of: "=") else {
            throw ManifestError.invalid(.commandLine, keyPath: text, expected: "expected key.path=value", got: "'\(text)'")
        }
        let key = String(text[..<eq])
        let segments = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !key.isEmpty, segments.allSatisfy({ !$0.isEmpty }) else {
            throw ManifestError.invalid(.commandLine, keyPath: key, expected: "expected a dotted key path like network.cells",
                                        got: "'\(key)'")
        }
        if RunSchema.loaderKeys.contains(segments[0]) {
            throw ManifestError.invalid(.commandLine, keyPath: key,
                                        expected: "expected a key other than include and set (they are resolved first)",
                                        got: "'\(key)'")
        }
        let valueText = String(text[text.index(after: eq)...])
        // An empty document parses as an empty mapping; `key=` means null.
        if valueText.allSatisfy(\.isWhitespace) { return (segments, ManifestNode(.null, at: .commandLine)) }
        return (segments, try ManifestNode.parse(yaml: valueText, file: "<command line>", overrideLocation: .commandLine))
    }
}

// MARK: - Includes

/// Resolves includes depth-first, detecting cycles by standardized path.
private struct Loader {
    let read: (String) throws -> String
    var stack: [String] = []

    /// Reads `path` (reporting a failure at `from`, the include entry that named it) and resolves it.
    mutating func load(_ path: String, from: SourceLocation?) throws -> ManifestNode {
        let text: String
        do {
            text = try read(path)
        } catch {
            let location = from ?? SourceLocation(file: path)
            throw ManifestError.unreadable(location, path: path, reason: Loader.reason(error))
        }
        return try resolve(yaml: text, file: path, from: from)
    }

    /// Parses `yaml`, merges its includes under it and applies its `set:` block.
    mutating func resolve(yaml: String, file: String, from: SourceLocation? = nil) throws -> ManifestNode {
        let key = URL(fileURLWithPath: file).standardizedFileURL.path
        if stack.contains(key) {
            throw ManifestError.invalid(from ?? SourceLocation(file: file), keyPath: "include",
                                        expected: "expected no include cycle",
                                        got: "'\(file)' included again by itself")
        }
        stack.append(key)
        defer { stack.removeLast() }

        var node = try ManifestNode.parse(yaml: yaml, file: file)
        guard node.entries != nil else {
            throw ManifestError.invalid(node.location, keyPath: "", expected: "expected a mapping at the top level",
                                        got: node.rendered)
        }
        // 1. Includes, in list order, each fully resolved; later ones win over earlier ones.
        var base = ManifestNode(.map([]), at: node.location)
        if let include = node.remove("include") {
            let items: [ManifestNode]
            switch include.value {
            case .string: items = [include]
            case let .list(list): items = list
            case .null: items = []
            default:
                throw ManifestError.invalid(include.location, keyPath: "include",
                                            expected: "expected a file name or a list of file names", got: include.rendered)
            }
            for (i, item) in items.enumerated() {
                guard case let .string(name) = item.value else {
                    throw ManifestError.invalid(item.location, keyPath: "include.\(i)", expected: "expected a file name",
                                                got: item.rendered)
                }
                base = base.merged(with: try load(Loader.relative(name, to: file), from: item.location))
            }
        }
        // 2. This file's keys over the includes.
        let setBlock = node.remove("set")
        node = base.merged(with: node)
        // 3. This file's `set:` key paths.
        if let setBlock {
            guard let entries = setBlock.entries else {
                throw ManifestError.invalid(setBlock.location, keyPath: "set",
                                            expected: "expected a mapping of key paths to values", got: setBlock.rendered)
            }
            for entry in entries {
                let segments = entry.key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                if segments.contains(where: \.isEmpty) || RunSchema.loaderKeys.contains(segments[0]) {
                    throw ManifestError.invalid(entry.keyLocation, keyPath: "set.\(entry.key)",
                                                expected: "expected a dotted key path like network.cells",
                                                got: "'\(entry.key)'")
                }
                try node.set(path: segments, to: entry.value, at: entry.keyLocation)
            }
        }
        return node
    }

    /// `name` relative to the folder of `file`, unless absolute.
    static func relative(_ name: String, to file: String) -> String {
        if name.hasPrefix("/") { return name }
        let folder = (file as NSString).deletingLastPathComponent
        return folder.isEmpty ? name : (folder as NSString).appendingPathComponent(name)
    }

    /// A short reason for a failed read.
    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if ns.domain == NSCocoaErrorDomain, ns.code == NSFileReadNoSuchFileError { return "no such file" }
        if ns.domain == NSCocoaErrorDomain, ns.code == NSFileReadInapplicableStringEncodingError { return "not UTF-8 text" }
        return ns.localizedDescription
    }
}

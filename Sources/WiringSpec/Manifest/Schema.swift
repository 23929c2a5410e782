// The manifest schema's machinery. Each manifest mapping (the top level, `data`, `network`, a norm, a
// phase of each kind, an optimiser, ...) is one `Schema`: a table of fields, each with its key, what it
// accepts, its documentation and where its value goes in the typed configuration. Decoding is one loop
// over a table; defaults are whatever the configuration type's own initialiser put there; rules that
// involve several keys run after the loop as named checks (`RunChecks.swift`). The key tables of
// docs/manifest.md are rendered from the same tables (`SchemaDocs.swift`), and so is the configuration
// a result file stores (`rendered`: the manifest's keys, so the user meets one spelling per setting).
//
// Adding a manifest key = one field in its table + the code that reads the new config value.

/// One key of a manifest mapping.
struct SchemaField<Config> {
    /// The key as written in YAML.
    let key: String
    /// What the key accepts, for the docs (`integer >= 1`, `` `batch` \| `layer` ``).
    let type: String
    /// The default for the docs: rendered from the schema's default configuration unless the field
    /// gives a text (defaults that depend on other keys, like `steps` from `cell`).
    let defaultText: (Config) -> String
    /// One line (or a few sentences) for the docs.
    let doc: String
    /// True when an explicit null is a value (`grad_clip: null` = no clipping), not "use the default".
    let acceptsNull: Bool
    /// Nested rows shown under this one in the docs (`norm.kind`, ...).
    let docRows: (Config) -> [DocRow]
    /// Whether the runner reads the value, or the planner or the loader does.
    var role: FieldRole = .run
    /// Checks the value written under the key and stores it in the configuration.
    let apply: (_ node: ManifestNode, _ path: String, _ config: inout Config) throws -> Void
    /// The value as a manifest would write it, for the configuration a result file stores; nil when the
    /// configuration does not hold it (a key read elsewhere; `cell`, which sets `steps` and `multiplier`; an
    /// optional block that is off). Reading the rendering as a manifest gives the same configuration.
    let render: (Config) -> JSONValue?
    /// The key paths below `key` that `render` may write ("" for the value itself, `N` for a list position);
    /// empty when it writes nothing.
    let renderedPaths: [String]
}

/// Who reads a top-level key.
enum FieldRole: Equatable {
    /// It goes into the run's configuration.
    case run
    /// It describes the sweep (`grid`, `name`, ...); the planner reads it, grid axes may not point at it.
    case sweep
    /// It is resolved while loading (`include`, `set`) and gone before validation.
    case loader
}

/// One row of a docs table.
struct DocRow: Equatable {
    var key: String
    var type: String
    var defaultText: String
    var doc: String
}

/// The fields of one manifest mapping, in decoding order (a field may read what earlier ones set).
struct Schema<Config> {
    /// The mapping's role in messages: "expected a key of <what>".
    let what: String
    /// The configuration the docs render defaults from (the type's own initialiser).
    var defaults: Config
    let fields: [SchemaField<Config>]
    /// Rules over several keys, run after the fields (named functions in RunChecks.swift).
    var checks: [(inout Config, MapReader) throws -> Void] = []

    var keys: [String] { fields.map(\.key) }

    /// Reads the mapping `node` into `config`: an unknown key is an error (with the closest known key),
    /// then each written field is applied in table order; an absent key keeps the value in `config`.
    /// - Parameters:
    ///   - node: the mapping, or nil / null for an empty one.
    ///   - fallback: where to report problems of an absent mapping.
    ///   - alsoAllowed: keys of the same mapping that another schema reads (a phase's common keys).
    /// - Returns: the reader, for checks that need the locations of the keys.
    @discardableResult
    func decode(_ node: ManifestNode?, at path: String, into config: inout Config, fallback: SourceLocation,
                alsoAllowed: [String] = []) throws -> MapReader {
        let reader = try MapReader(node ?? ManifestNode(.null, at: fallback), path: path, keys: alsoAllowed + keys,
                                   what: what)
        for field in fields where field.acceptsNull ? reader.has(field.key) : reader.given(field.key) {
            try field.apply(reader.node(field.key)!, reader.path(field.key), &config)
        }
        for check in checks { try check(&config, reader) }
        return reader
    }

    /// The docs rows of this table (nested rows after their parent).
    func docRows(prefix: String = "") -> [DocRow] {
        fields.flatMap { field -> [DocRow] in
            let row = DocRow(key: prefix + field.key, type: field.type, defaultText: field.defaultText(defaults),
                             doc: field.doc)
            return [row] + field.docRows(defaults).map { var r = $0; r.key = prefix + field.key + "." + r.key; return r }
        }
    }

    /// `config` as a manifest mapping of this table's keys (in table order), leaving out what it does not hold.
    func rendered(_ config: Config) -> JSONValue {
        .object(fields.compactMap { field in field.render(config).map { (field.key, $0) } })
    }

    /// Every key path (`norm.kind`; `N` for a list position) that `rendered` may write.
    var renderedKeyPaths: [String] {
        fields.flatMap { field in field.renderedPaths.map { $0.isEmpty ? field.key : field.key + "." + $0 } }
    }

    /// The defaults as a flow mapping, for a parent's docs row (`{kind: batch, affine: false}`).
    func renderedDefaults(_ value: Config) -> String {
        let renderedFields = fields.map { "\($0.key): \($0.defaultText(value).trimmingCharacters(in: ["`"]))" }
        return "`{" + renderedFields.joined(separator: ", ") + "}`"
    }
}

// MARK: - Field builders

/// How a number is bounded.
enum NumberBound {
    case any
    case positive
    case atLeast(Double)
    case within(ClosedRange<Double>)

    var text: String {
        switch self {
        case .any: return "number"
        case .positive: return "number > 0"
        case let .atLeast(m): return "number >= \(ManifestNode.format(m))"
        case let .within(r): return "number \(ManifestNode.format(r.lowerBound))...\(ManifestNode.format(r.upperBound))"
        }
    }

    /// The arguments of `ManifestNode.double`.
    var arguments: (min: Double, positive: Bool, max: Double) {
        switch self {
        case .any: return (-.infinity, false, .infinity)
        case .positive: return (-.infinity, true, .infinity)
        case let .atLeast(m): return (m, false, .infinity)
        case let .within(r): return (r.lowerBound, false, r.upperBound)
        }
    }
}

/// A default as the docs show it.
func docValue(_ value: some Any) -> String {
    switch value {
    case let d as Double: return "`\(ManifestNode.formatDoc(d))`"
    case let e as any RawRepresentable: return "`\(e.rawValue)`"
    case let o as Double?: return o.map { "`\(ManifestNode.formatDoc($0))`" } ?? "`null`"
    case let s as String?: return s.map { "`\"\($0)\"`" } ?? "`null`"
    default: return "`\(value)`"
    }
}

extension SchemaField {
    /// A field with every part given. `render` is required: a new key's value reaches the result files.
    static func custom(_ key: String, type: String, default defaultText: @escaping (Config) -> String, doc: String,
                       acceptsNull: Bool = false, docRows: @escaping (Config) -> [DocRow] = { _ in [] },
                       render: @escaping (Config) -> JSONValue?, renderedPaths: [String] = [""],
                       apply: @escaping (ManifestNode, String, inout Config) throws -> Void) -> SchemaField {
        SchemaField(key: key, type: type, defaultText: defaultText, doc: doc, acceptsNull: acceptsNull,
                    docRows: docRows, apply: apply, render: render, renderedPaths: renderedPaths)
    }

    /// A field read and stored elsewhere (sweep keys read by the planner, loader keys), listed so the
    /// mapping accepts it and the docs show it.
    static func readElsewhere(_ key: String, role: FieldRole, type: String, default defaultText: String,
                              doc: String) -> SchemaField {
        var field = SchemaField.custom(key, type: type, default: { _ in defaultText }, doc: doc, render: { _ in nil },
                                       renderedPaths: [], apply: { _, _, _ in })
        field.role = role
        return field
    }

    /// An integer in `min...max`.
    static func integer<I: FixedWidthInteger>(_ key: String, _ keyPath: WritableKeyPath<Config, I>, min: Int = .min,
                                               max: Int = .max, default text: String? = nil,
                                               doc: String) -> SchemaField {
        .custom(key, type: intExpectation(min, max).replacingOccurrences(of: "expected an ", with: ""),
                default: { text ?? "`\($0[keyPath: keyPath])`" }, doc: doc,
                render: { .int(Int(truncatingIfNeeded: $0[keyPath: keyPath])) }) { node, path, config in
            config[keyPath: keyPath] = I(try node.int(path, min: min, max: max))
        }
    }

    /// A finite number within `bound`; integers are accepted.
    static func number(_ key: String, _ keyPath: WritableKeyPath<Config, Double>, _ bound: NumberBound = .any,
                       default text: String? = nil, doc: String) -> SchemaField {
        let (min, positive, max) = bound.arguments
        return .custom(key, type: bound.text, default: { text ?? docValue($0[keyPath: keyPath]) }, doc: doc,
                       render: { .double($0[keyPath: keyPath]) }) { node, path, config in
            config[keyPath: keyPath] = try node.double(path, min: min, positive: positive, max: max)
        }
    }

    /// A number or null (null = off, e.g. no clipping).
    static func optionalNumber(_ key: String, _ keyPath: WritableKeyPath<Config, Double?>, _ bound: NumberBound,
                               default text: String? = nil, doc: String) -> SchemaField {
        let (min, positive, max) = bound.arguments
        return .custom(key, type: bound.text + " or null", default: { text ?? docValue($0[keyPath: keyPath]) },
                       doc: doc, acceptsNull: true, render: { $0[keyPath: keyPath].map(JSONValue.double) ?? .null }) {
            node, path, config in
            if case .null = node.value {
                config[keyPath: keyPath] = nil
            } else {
                config[keyPath: keyPath] = try node.double(path, min: min, positive: positive, max: max)
            }
        }
    }

    static func boolean(_ key: String, _ keyPath: WritableKeyPath<Config, Bool>, doc: String) -> SchemaField {
        .custom(key, type: "boolean", default: { "`\($0[keyPath: keyPath])`" }, doc: doc,
                render: { .bool($0[keyPath: keyPath]) }) { node, path, config in
            config[keyPath: keyPath] = try node.bool(path)
        }
    }

    /// A string or null (null = the default place).
    static func optionalString(_ key: String, _ keyPath: WritableKeyPath<Config, String?>, doc: String) -> SchemaField {
        .custom(key, type: "string or null", default: { docValue($0[keyPath: keyPath]) }, doc: doc,
                acceptsNull: true, render: { $0[keyPath: keyPath].map(JSONValue.string) ?? .null }) { node, path, config in
            if case .null = node.value { config[keyPath: keyPath] = nil } else { config[keyPath: keyPath] = try node.string(path) }
        }
    }

    /// One of a string enum's raw values, with a suggestion for a near miss.
    /// - Parameter held: whether the configuration holds the value (it is left out of the rendering when not).
    static func choice<E>(_ key: String, _ keyPath: WritableKeyPath<Config, E>, default text: String? = nil,
                          held: ((Config) -> Bool)? = nil,
                          doc: String) -> SchemaField where E: RawRepresentable & CaseIterable, E.RawValue == String {
        .custom(key, type: choiceType(E.self), default: { text ?? "`\($0[keyPath: keyPath].rawValue)`" }, doc: doc,
                render: { config in held?(config) == false ? nil : .string(config[keyPath: keyPath].rawValue) }) {
            node, path, config in
            config[keyPath: keyPath] = try node.choice(path)
        }
    }

    /// A nested mapping read by `schema` into the value at `keyPath`, starting from what is there
    /// (or from `start`, e.g. `preprocess_norm` starts from `norm`).
    /// - Parameters:
    ///   - expanded: the docs list the nested keys under this row.
    ///   - held: whether the configuration holds the block (an optional one that is off is left out of the rendering).
    static func mapping<Sub>(_ key: String, _ keyPath: WritableKeyPath<Config, Sub>, _ schema: Schema<Sub>,
                             type: String = "mapping", default text: String? = nil, expanded: Bool = true,
                             start: ((Config) -> Sub)? = nil, held: ((Config) -> Bool)? = nil,
                             doc: String) -> SchemaField {
        .custom(key, type: type, default: { text ?? schema.renderedDefaults($0[keyPath: keyPath]) }, doc: doc,
                docRows: { config in
                    guard expanded else { return [] }
                    var nested = schema
                    nested.defaults = config[keyPath: keyPath]
                    return nested.docRows()
                }, render: { config in held?(config) == false ? nil : schema.rendered(config[keyPath: keyPath]) },
                renderedPaths: schema.renderedKeyPaths) { node, path, config in
            var value = start?(config) ?? config[keyPath: keyPath]
            try schema.decode(node, at: path, into: &value, fallback: node.location)
            config[keyPath: keyPath] = value
        }
    }
}

/// `` `a` \| `b` \| `c` `` for a string enum.
func choiceType<E>(_ type: E.Type) -> String where E: RawRepresentable & CaseIterable, E.RawValue == String {
    E.allCases.map { "`\($0.rawValue)`" }.joined(separator: " \\| ")
}

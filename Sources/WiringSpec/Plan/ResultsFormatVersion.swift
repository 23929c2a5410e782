// The result-file layout's version: written into every result file and mixed into run ids, so it sits with
// the planner that makes the ids (the writer above reads it from here).

/// The result-file format version, bumped when the layout changes.
/// 2: variable-length UTF-8 strings, label scales in every group, `units` / `long_name` attributes,
/// root attributes `run_index` and `varying`.
/// 3: the `config` attribute in the manifest's key paths (`network.norm`, `edges`, `phases.N.epochs`), not the Swift
/// names (`opNorm`, `network.constraints`, `phases.N.length`); StoredConfig.swift reads both.
public let resultsFormatVersion = 3

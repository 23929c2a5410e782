// The one rule for what counts as the user's mistake rather than a failure of the run: every error a
// manifest, a data set, a result or checkpoint file can cause. The CLI prints such an error as its
// one line and exits with 2; anything else that stops a run is a failure (exit 1).
import WiringData
import WiringResults
import WiringSearch

/// An error caused by what the user gave (a manifest, a data set, a file), described in one line.
public protocol InvalidInput: Error, CustomStringConvertible {}

extension ManifestError: InvalidInput {}
extension DataError: InvalidInput {}
extension ResultsError: InvalidInput {}
extension SearchError: InvalidInput {}

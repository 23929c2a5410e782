// "Did you mean" suggestions, chosen by edit distance as argument-parser does for unknown options.
// Distance is the optimal string alignment distance (Levenshtein plus adjacent transpositions), so
// 'chanels' -> 'channels' and 'sep_conv_3x5' -> 'sep_conv_3x3' cost 1 and 'kidn' -> 'kind' costs 1.

/// The number of single-character insertions, deletions, substitutions and adjacent transpositions
/// that turn `a` into `b` (optimal string alignment distance), compared by Unicode scalar.
func editDistance(_ a: String, _ b: String) -> Int {
    let s = Array(a.unicodeScalars), t = Array(b.unicodeScalars)
    if s.isEmpty { return t.count }
    if t.isEmpty { return s.count }
    // d[i][j] = distance between the first i scalars of s and the first j of t.
    var d = Array(repeating: Array(repeating: 0, count: t.count + 1), count: s.count + 1)
    for i in 0...s.count { d[i][0] = i }
    for j in 0...t.count { d[0][j] = j }
    for i in 1...s.count {
        for j in 1...t.count {
            let cost = s[i - 1] == t[j - 1] ? 0 : 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 && j > 1 && s[i - 1] == t[j - 2] && s[i - 2] == t[j - 1] {
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
            }
        }
    }
    return d[s.count][t.count]
}

/// The candidate closest to `word`, or nil when none is close enough to be a plausible typo
/// (distance at most max(2, a third of the candidate's length)). Ties go to the earlier candidate.
func closestMatch(to word: String, among candidates: [String]) -> String? {
    var best: (name: String, distance: Int)?
    for candidate in candidates where candidate != word {
        let d = editDistance(word.lowercased(), candidate.lowercased())
        // Lowercasing makes 'Batch' -> 'batch' free; count it as one edit so it still ranks below exact.
        let distance = d == 0 ? 1 : d
        guard distance <= max(2, candidate.count / 3) else { continue }
        if best == nil || distance < best!.distance { best = (candidate, distance) }
    }
    return best?.name
}

// Sums of L_b, H_b, C_b and counts over the samples of each (phase, epoch), split by whether the
// sample was classified correctly (reference-spec 6.3, the paper's Fig 10b and Figs 21-26).
import WiringEngine
import WiringModel

package struct SplitSums: Equatable {
    /// (phase, epoch) of each row, in the order first seen.
    package var keys: [[Int]] = []
    /// Per row: correct L, H, C, count, then wrong L, H, C, count.
    var rows: [[Double]] = []

    mutating func add(phase: Int, epoch: Int, samples: SampleStatistics) {
        if keys.last != [phase, epoch] {
            keys.append([phase, epoch])
            rows.append(Array(repeating: 0, count: 8))
        }
        let r = rows.count - 1
        for b in samples.loss.indices {
            let base = samples.correct[b] ? 0 : 4
            rows[r][base] += samples.loss[b]
            rows[r][base + 1] += samples.entropy[b]
            rows[r][base + 2] += samples.cost[b]
            rows[r][base + 3] += 1
        }
    }

    /// Means (row, subset correct/wrong/all, quantity L/H/C/count); NaN where a subset is empty.
    package var means: [[[Double]]] {
        rows.map { row in
            let all = (0..<4).map { row[$0] + row[$0 + 4] }
            return [Array(row[0..<4]), Array(row[4..<8]), all].map { s in
                [s[0], s[1], s[2]].map { s[3] > 0 ? $0 / s[3] : .nan } + [s[3]]
            }
        }
    }
}

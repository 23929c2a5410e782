// Softmax cross-entropy, fused: the training loss (mean over the batch, as PyTorch's
// `nn.CrossEntropyLoss()`), and the per-sample loss / entropy / cost statistics of reference-spec §6.3.
//
// Dimensions: B batch, K classes. Buffers: logits [B, K], labels [B], probabilities [B, K].
// Everything is computed in Double from a stable log-softmax,
//     log p_n = Y_n - lse,   lse = m + log sum_n exp(Y_n - m),   m = max_n Y_n,
// so logits of size 1e4 neither overflow nor give log(0): the entropy uses log p from this formula,
// never the log of a probability that may have underflowed to 0 (reference-spec §6.3).
// Rows are summed in batch order on one thread (B <= 96, K = 10): deterministic by construction.
import RealModule

// MARK: - Kernels

/// Writes softmax(Y_b) of every row into `probs` and returns the mean over the batch of
/// L_b = lse_b - Y_{b, label_b}.
/// - Precondition: every label is in 0..<classes.
@inlinable
public func crossEntropyForward<T: TensorElement>(
    _ probs: UnsafeMutableBufferPointer<Double>, _ logits: UnsafeBufferPointer<T>, _ labels: [Int],
    batch: Int, classes: Int
) -> Double {
    precondition(logits.count == batch * classes && probs.count == logits.count && labels.count == batch,
                 "crossEntropyForward: \(logits.count) logits, \(labels.count) labels for [\(batch), \(classes)]")
    var total = 0.0
    for b in 0..<batch {
        let label = labels[b]
        precondition(label >= 0 && label < classes, "crossEntropy: label \(label) not in 0..<\(classes)")
        let row = logits.baseAddress! + b * classes, p = probs.baseAddress! + b * classes
        let lse = logSumExp(row, classes)
        for n in 0..<classes { p[n] = Double.exp(Double(row[n]) - lse) }
        total += lse - Double(row[label])
    }
    return total / Double(batch)
}

/// dLogits[b, n] += dLoss * (p[b, n] - [n == label_b]) / B: the gradient of the batch-mean loss.
@inlinable
public func crossEntropyBackward<T: TensorElement>(
    _ dLogits: UnsafeMutableBufferPointer<T>, _ dLoss: T, _ probs: UnsafeBufferPointer<Double>,
    _ labels: [Int], batch: Int, classes: Int
) {
    let g = Double(dLoss) / Double(batch)
    for b in 0..<batch {
        for n in 0..<classes {
            let i = b * classes + n
            dLogits[i] += T(g * (probs[i] - (n == labels[b] ? 1 : 0)))
        }
    }
}

/// log sum_n exp(row[n]) in Double, shifted by the maximum so that it cannot overflow.
@inlinable
func logSumExp<T: TensorElement>(_ row: UnsafePointer<T>, _ count: Int) -> Double {
    var m = -Double.infinity
    for n in 0..<count { m = Swift.max(m, Double(row[n])) }
    var s = 0.0
    for n in 0..<count { s += Double.exp(Double(row[n]) - m) }
    return m + Double.log(s)
}

// MARK: - Differentiable op

extension Tape {
    /// The mean softmax cross-entropy over the batch, (1/B) sum_b -log softmax(Y_b)_{label_b}, as a
    /// scalar (rank-0 tensor). Computed in Double with a stable log-softmax.
    ///
    /// - Parameters:
    ///   - logits: [B, K].
    ///   - labels: B class indices in 0..<K.
    /// - Precondition: `logits` is rank 2 with B rows, and every label is in range.
    @inlinable
    public func crossEntropy(_ logits: Var, labels: [Int]) -> Var {
        let s = shape(logits)
        precondition(s.count == 2 && s[0] == labels.count,
                     "crossEntropy: logits \(s) for \(labels.count) labels ([B, K] expected)")
        let (batch, classes) = (s[0], s[1])
        var probs = [Double](repeating: 0, count: batch * classes)
        let loss = value(logits).withUnsafeBufferPointer { yb in
            probs.withUnsafeMutableBufferPointer {
                crossEntropyForward($0, yb, labels, batch: batch, classes: classes)
            }
        }
        var out = makeOutput(shape: [])
        out.withUnsafeMutableBufferPointer { $0[0] = T(loss) }
        return record("crossEntropy", inputs: [logits], output: out) { ctx in
            guard let dy = ctx.dInput(0) else { return }
            probs.withUnsafeBufferPointer {
                crossEntropyBackward(dy, ctx.dOutput[0], $0, labels, batch: batch, classes: classes)
            }
        }
    }
}

// MARK: - Per-sample statistics (reference-spec §6.3)

/// Per-sample loss, entropy and cost of a batch of logits, split later by correctness
/// (reference-spec §6.3, Fig 10b, Figs 21-26). All in Double, with no gradient involved.
///
/// For sample b with logits Y_b, label n_b and p = softmax(Y_b):
/// ```
/// L_b = -log p_{n_b}
/// H_b = -sum_n p_n log p_n
/// C_b = -Y_{b, n_b} + sum_n p_n Y_{b, n}     (= L_b - H_b)
/// ```
public struct SampleStatistics: Hashable, Sendable {
    /// L_b, the cross-entropy of each sample.
    public var loss: [Double]
    /// H_b, the entropy of each sample's predicted distribution.
    public var entropy: [Double]
    /// C_b, each sample's cost; the batch mean equals the last cell's edge-cost sum (Thm 2).
    public var cost: [Double]
    /// Whether the top-1 prediction (first maximum on ties) equals the label.
    public var correct: [Bool]

    /// Statistics from per-sample arrays of equal length.
    public init(loss: [Double], entropy: [Double], cost: [Double], correct: [Bool]) {
        self.loss = loss
        self.entropy = entropy
        self.cost = cost
        self.correct = correct
    }
}

/// The per-sample loss, entropy, cost and correctness of `logits` (reference-spec §6.3).
///
/// H_b uses log p = Y - lse (log-softmax), never the log of p, so it stays finite when a
/// probability underflows to 0.
/// - Parameters:
///   - logits: [B, K].
///   - labels: B class indices in 0..<K.
/// - Precondition: `logits` is rank 2 with B rows, and every label is in range.
public func sampleStatistics<T: TensorElement>(logits: Tensor<T>, labels: [Int]) -> SampleStatistics {
    let s = logits.shape
    precondition(s.count == 2 && s[0] == labels.count,
                 "sampleStatistics: logits \(s) for \(labels.count) labels ([B, K] expected)")
    let (batch, classes) = (s[0], s[1])
    var stats = SampleStatistics(loss: [], entropy: [], cost: [], correct: [])
    logits.withUnsafeBufferPointer { y in
        for b in 0..<batch {
            let label = labels[b]
            precondition(label >= 0 && label < classes, "sampleStatistics: label \(label) not in 0..<\(classes)")
            let row = y.baseAddress! + b * classes
            let lse = logSumExp(row, classes)
            let target = Double(row[label])
            var entropy = 0.0, cost = 0.0, top = 0
            for n in 0..<classes {
                let yn = Double(row[n]), logp = yn - lse, p = Double.exp(logp)
                entropy -= p * logp
                // sum_n p_n (Y_n - Y_label) = C_b, as sum p = 1. Subtracting Y_label first avoids
                // cancelling two sums of size |Y| (1e4 logits would lose 8 digits).
                cost += p * (yn - target)
                if row[n] > row[top] { top = n }
            }
            stats.loss.append(lse - target)
            stats.entropy.append(entropy)
            stats.cost.append(cost)
            stats.correct.append(top == label)
        }
    }
    return stats
}

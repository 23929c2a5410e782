// Normalisation: batch norm (training and eval), instance norm and layer norm over NCHW tensors.
//
// Goals, in priority order:
//   1. PyTorch semantics (reference-spec section 2). Every norm computes
//          y = (x - mean) / sqrt(var + eps) * gamma[c] + beta[c]
//      with the BIASED variance of its statistics group. BatchNorm2d in training mode also updates
//          running_mean = (1 - momentum) * running_mean + momentum * mean
//          running_var  = (1 - momentum) * running_var  + momentum * var * m / (m - 1)   (NOTE: unbiased)
//      with m = N * H * W, and in eval mode normalises with the running statistics instead.
//      eps = 1e-5 and momentum = 0.1 by default.
//   2. Determinism: every statistics group is reduced by one thread in a fixed order, and the
//      per-channel gamma/beta gradients combine per-plane partials in plane order, so results are
//      bitwise identical for any `Parallel.threads`.
//   3. Speed: SIMD over the contiguous H*W plane, Parallel over statistics groups.
//
// Dimension letters: N batch, C channels, H, W; HW = H * W. Layout NCHW, row-major. A *plane* is
// the HW contiguous elements of one (n, c); plane p = n * C + c starts at p * HW.
// Statistics groups (all elements of a group share one mean and variance):
//   batch     one group per channel c:       planes (0, c), (1, c), ..., (N-1, c)    m = N * HW
//   instance  one group per plane (n, c)                                               m = HW
//   layer     one group per sample n:        planes (n, 0), ..., (n, C-1)            m = C * HW
// gamma and beta are always per channel (shape [C]), also for layer norm (GroupNorm(1, C) style).
//
// Accuracy: the mean is summed in Double; the centred sums (variance, gradient sums) run in T over
// short SIMD blocks that are flushed into a Double accumulator, and the variance sums (x - mean)^2
// per plane around the plane's own mean (combined per group in Double), so Float statistics match a float64 reference to ~1e-7 relative. The loops
// centre on T(mean); the remainder mean - T(mean) is carried in Double into the shift (forward),
// the d term and the plane sums (backward). Without that, every element of a channel is offset by
// (mean - T(mean)) * invStd, up to ~3e-8 * |mean| / std: small, but of one sign over the channel,
// which is the direction the paper's costs sum over. The backward is derived in
// docs/kernels/batchnorm.md.

// MARK: - Shapes and saved values

/// Which elements share one mean and variance.
public enum NormalizationKind: Sendable {
    /// Per channel over (N, H, W): BatchNorm2d.
    case batch
    /// Per (sample, channel) over (H, W): InstanceNorm2d.
    case instance
    /// Per sample over (C, H, W): LayerNorm over a feature map, i.e. GroupNorm with one group.
    case layer
}

/// The extents of an NCHW normalisation and how its planes form statistics groups.
public struct NormalizationShape: Hashable, Sendable {
    /// Batch size, channels and the plane size H * W.
    public let n: Int, c: Int, hw: Int
    /// Which elements share statistics.
    public let kind: NormalizationKind

    /// - Precondition: `shape` is [N, C, H, W].
    @inlinable
    public init(_ kind: NormalizationKind, shape: [Int]) {
        precondition(shape.count == 4, "\(kind) norm: expected an NCHW tensor, got shape \(shape)")
        self.kind = kind
        n = shape[0]
        c = shape[1]
        hw = shape[2] * shape[3]
    }

    /// Number of statistics groups.
    @inlinable public var groups: Int {
        switch kind {
        case .batch: return c
        case .instance: return n * c
        case .layer: return n
        }
    }

    /// Planes per statistics group.
    @inlinable public var planesPerGroup: Int {
        switch kind {
        case .batch: return n
        case .instance: return 1
        case .layer: return c
        }
    }

    /// Elements per statistics group (m in the formulas).
    @inlinable public var groupSize: Int { planesPerGroup * hw }

    /// The j-th plane (index n * C + c) of group `g`.
    @inlinable
    public func plane(group g: Int, _ j: Int) -> Int {
        switch kind {
        case .batch: return j * c + g
        case .instance: return g
        case .layer: return g * c + j
        }
    }

    /// The statistics group that plane `p` belongs to.
    @inlinable
    public func group(ofPlane p: Int) -> Int {
        switch kind {
        case .batch: return p % c
        case .instance: return p
        case .layer: return p / c
        }
    }
}

/// What the forward of a normalisation saves for its backward: one entry per statistics group.
public struct NormalizationSaved: Sendable {
    /// The mean each group is normalised with (batch mean, or running mean in eval mode).
    public var mean: [Double]
    /// The biased variance of each group (the running variance in eval mode).
    public var variance: [Double]
    /// 1 / sqrt(variance + eps).
    public var invStd: [Double]
    /// True when mean and variance were computed from the input itself, so the backward
    /// differentiates through them; false for eval-mode batch norm, where they are constants.
    public var fromInput: Bool

    /// Groups normalised with given statistics.
    @inlinable
    public init(mean: [Double], variance: [Double], eps: Double, fromInput: Bool) {
        precondition(mean.count == variance.count,
                     "NormalizationSaved: \(mean.count) means, \(variance.count) variances")
        self.mean = mean
        self.variance = variance
        invStd = variance.map { 1 / ($0 + eps).squareRoot() }
        self.fromInput = fromInput
    }
}

// MARK: - Kernels

/// Normalises `x` with the statistics of its own groups:
/// y = (x - mean[g]) * invStd[g] * gamma[c] + beta[c] for every element of plane (n, c) in group g.
///
/// Two passes over memory: each plane's sum and squared deviations around its own mean (a second
/// loop over the plane while it is in L1, which avoids the cancellation of E[x^2] - E[x]^2), combined
/// per group in Double; then the affine pass.
/// - Parameters:
///   - y: [N, C, H, W], fully overwritten.
///   - x: [N, C, H, W].
///   - gamma, beta: [C], or nil for 1 and 0 (affine off).
///   - shape: extents and grouping.
///   - eps: added to the variance before the inverse square root.
/// - Returns: per-group mean, biased variance and invStd, with `fromInput` true.
@inlinable
public func normalizationForward<T: TensorElement>(
    _ y: UnsafeMutableBufferPointer<T>, _ x: UnsafeBufferPointer<T>,
    _ gamma: UnsafeBufferPointer<T>?, _ beta: UnsafeBufferPointer<T>?,
    _ shape: NormalizationShape, eps: Double, planeMoments: UnsafeBufferPointer<PlaneMoments>? = nil
) -> NormalizationSaved {
    precondition(x.count == shape.n * shape.c * shape.hw && y.count == x.count,
                 "normalization forward: x \(x.count), y \(y.count) elements for \(shape)")
    let groups = shape.groups, hw = shape.hw, m = Double(shape.groupSize), planes = shape.n * shape.c
    var saved = NormalizationSaved(mean: Array(repeating: 0, count: groups),
                                   variance: Array(repeating: 0, count: groups), eps: eps, fromInput: true)
    let xBase = x.baseAddress!
    // Every pass walks the planes in memory order. A batch-norm group is one plane per sample, a
    // plane every C planes; walking a group at a time (its planes 64 KiB apart for C = 16) lands
    // them all in a few cache sets, so each re-read of the group missed the L2.
    var planeSums = [Double](repeating: 0, count: planes), planeSquares = planeSums
    saved.mean.withUnsafeMutableBufferPointer { mean in
        saved.variance.withUnsafeMutableBufferPointer { variance in
            saved.invStd.withUnsafeMutableBufferPointer { invStd in
                planeSums.withUnsafeMutableBufferPointer { planeSums in
                    planeSquares.withUnsafeMutableBufferPointer { planeSquares in
                        // Pass 1: each plane's sum and squared deviations around its own mean, the
                        // second loop re-reading the plane from L1 (one pass over memory, not two).
                        // A producer that wrote x plane by plane may have taken them already (`planeMoments`).
                        if let planeMoments {
                            precondition(planeMoments.count == planes,
                                         "normalization forward: \(planeMoments.count) plane moments for \(planes) planes")
                            for p in 0..<planes { (planeSums[p], planeSquares[p]) = planeMoments[p] }
                        } else {
                            Parallel.forEach(planes) { p in
                                (planeSums[p], planeSquares[p]) = NormalizationPlane.moments(xBase + p * hw, hw)
                            }
                        }
                        // Per group, in plane order: the mean, and the biased variance combined from
                        // the planes' (Chan et al.): M2 = sum_p M2_p + hw * (mean_p - mean)^2.
                        for g in 0..<groups {
                            var sum = 0.0
                            for j in 0..<shape.planesPerGroup { sum += planeSums[shape.plane(group: g, j)] }
                            mean[g] = sum / m
                            var squares = 0.0
                            for j in 0..<shape.planesPerGroup {
                                let p = shape.plane(group: g, j), offset = planeSums[p] / Double(hw) - mean[g]
                                squares += planeSquares[p] + Double(hw) * offset * offset
                            }
                            variance[g] = squares / m
                            invStd[g] = 1 / (variance[g] + eps).squareRoot()
                        }
                    }
                }
                // Pass 2: normalise.
                let statistics = UnsafeBufferPointer(mean), scales = UnsafeBufferPointer(invStd)
                Parallel.forEach(planes) { p in
                    let g = shape.group(ofPlane: p)
                    normalizePlane(y, x, gamma, beta, p, mean: statistics[g], invStd: scales[g], shape)
                }
            }
        }
    }
    return saved
}

/// One plane's sum and sum of squared deviations around its own mean, the forward's first pass.
public typealias PlaneMoments = (sum: Double, squares: Double)

/// Writes the moments of `count` contiguous planes of `size` elements at `x` into `moments`: for a
/// kernel that has just written those planes and still has them in cache, so that a normalisation
/// of its output skips its own pass over them (`normalizationForward(planeMoments:)`).
@inlinable
func writePlaneMoments<T: TensorElement>(_ moments: UnsafeMutablePointer<PlaneMoments>, _ x: UnsafePointer<T>,
                                         count: Int, size: Int) {
    for p in 0..<count { moments[p] = NormalizationPlane.moments(x + p * size, size) }
}

/// Normalises `x` with given statistics (eval-mode batch norm):
/// y = (x - mean[g]) * invStd[g] * gamma[c] + beta[c].
///
/// - Parameters:
///   - y: [N, C, H, W], fully overwritten.
///   - x: [N, C, H, W].
///   - gamma, beta: [C], or nil for 1 and 0 (affine off).
///   - shape: extents and grouping.
///   - statistics: per-group mean and invStd to normalise with.
@inlinable
public func normalizationForward<T: TensorElement>(
    _ y: UnsafeMutableBufferPointer<T>, _ x: UnsafeBufferPointer<T>,
    _ gamma: UnsafeBufferPointer<T>?, _ beta: UnsafeBufferPointer<T>?,
    _ shape: NormalizationShape, statistics: NormalizationSaved
) {
    precondition(x.count == shape.n * shape.c * shape.hw && y.count == x.count,
                 "normalization forward: x \(x.count), y \(y.count) elements for \(shape)")
    precondition(statistics.mean.count == shape.groups,
                 "normalization forward: \(statistics.mean.count) statistics for \(shape)")
    Parallel.forEach(shape.n * shape.c) { p in
        let g = shape.group(ofPlane: p)
        normalizePlane(y, x, gamma, beta, p, mean: statistics.mean[g], invStd: statistics.invStd[g], shape)
    }
}

/// The affine pass of the forward over plane `p`, normalised with its group's `mean` and `invStd`.
@inlinable
func normalizePlane<T: TensorElement>(
    _ y: UnsafeMutableBufferPointer<T>, _ x: UnsafeBufferPointer<T>,
    _ gamma: UnsafeBufferPointer<T>?, _ beta: UnsafeBufferPointer<T>?,
    _ p: Int, mean: Double, invStd: Double, _ shape: NormalizationShape
) {
    let hw = shape.hw, map = planeAffineMap(gamma, beta, p, mean: mean, invStd: invStd, shape)
    NormalizationPlane.affine(y.baseAddress! + p * hw, x.baseAddress! + p * hw, hw,
                              center: map.center, scale: map.scale, shift: map.shift)
}

/// The map y = (x - center) * scale + shift that the forward applies to plane `p` (the backward's
/// output cost relies on it being the same).
@inlinable
func planeAffineMap<T: TensorElement>(
    _ gamma: UnsafeBufferPointer<T>?, _ beta: UnsafeBufferPointer<T>?,
    _ p: Int, mean: Double, invStd: Double, _ shape: NormalizationShape
) -> (center: T, scale: T, shift: T) {
    let ch = p % shape.c
    // The scale is folded in Double and rounded once to T. The centre is the mean rounded to T; the
    // rounding remainder is moved into the shift, so no channel is offset by (mean - T(mean)) * scale.
    let scale = T(invStd * Double(gamma?[ch] ?? 1)), center = T(mean)
    let shift = T(Double(beta?[ch] ?? 0) - (mean - Double(center)) * Double(scale))
    return (center, scale, shift)
}

/// Adds the gradients of a normalisation into `dx`, `dGamma` and `dBeta`.
///
/// With xhat = (x - mean) * invStd and g = dy * gamma[c], per group of m elements:
/// ```
/// dx     += invStd * (g - mean(g) - xhat * mean(g * xhat))     (statistics from the input)
/// dx     += invStd * g                                          (fixed statistics: eval batch norm)
/// dGamma += sum over the channel of dy * xhat
/// dBeta  += sum over the channel of dy
/// ```
/// - Parameters:
///   - dx: [N, C, H, W] or nil; dGamma, dBeta: [C] or nil. All accumulate, except dx when
///     `accumulateInput` is false: then it is overwritten.
///   - dy: [N, C, H, W].
///   - x: the forward input; gamma: [C] or nil (affine off).
///   - saved: what the forward normalised with; `saved.fromInput` selects the first or second dx.
///   - shape: extents and grouping.
@inlinable
public func normalizationBackward<T: TensorElement>(
    _ dx: UnsafeMutableBufferPointer<T>?, _ dGamma: UnsafeMutableBufferPointer<T>?,
    _ dBeta: UnsafeMutableBufferPointer<T>?,
    _ dy: UnsafeBufferPointer<T>, _ x: UnsafeBufferPointer<T>, _ gamma: UnsafeBufferPointer<T>?,
    _ saved: NormalizationSaved, _ shape: NormalizationShape, accumulateInput: Bool = true,
    beta: UnsafeBufferPointer<T>? = nil
) -> Double {
    let (outputCost, map) = normalizationGradientSums(dGamma, dBeta, dy, x, gamma, saved, shape,
                                                      inputGradient: dx != nil, beta: beta)
    if let dx { map?.write(into: dx.baseAddress!, accumulate: accumulateInput) }  // step 2
    return outputCost
}

/// The input gradient of a normalisation as a map of dy and x: on plane p of group g,
/// dx = a[p] * dy + b[g] * (x - centre[g]) + d[g] (b and d zero for fixed statistics).
/// Holds pointers into dy and x: valid while those are.
public struct NormalizationInputMap<T: TensorElement> {
    @usableFromInline let dy: UnsafePointer<T>, x: UnsafePointer<T>
    @usableFromInline let shape: NormalizationShape
    @usableFromInline let planeScale: [T], groupSlope: [T], groupOffset: [T], groupCentre: [T]

    @inlinable
    init(dy: UnsafePointer<T>, x: UnsafePointer<T>, shape: NormalizationShape,
         planeScale: [T], groupSlope: [T], groupOffset: [T], groupCentre: [T]) {
        self.dy = dy
        self.x = x
        self.shape = shape
        self.planeScale = planeScale
        self.groupSlope = groupSlope
        self.groupOffset = groupOffset
        self.groupCentre = groupCentre
    }

    /// Number of planes (N * C).
    @inlinable public var planes: Int { shape.n * shape.c }

    /// Writes (or adds, with `accumulate`) plane p of dx to `destination` (H * W elements).
    @inlinable
    public func writePlane(_ p: Int, _ destination: UnsafeMutablePointer<T>, accumulate: Bool) {
        let g = shape.group(ofPlane: p), hw = shape.hw
        NormalizationPlane.backward(destination, dy + p * hw, x + p * hw, hw, center: groupCentre[g],
                                    a: planeScale[p], b: groupSlope[g], d: groupOffset[g], accumulate: accumulate)
    }

    /// Writes (or adds) all of dx to `dx` (N * C * H * W elements), the planes in memory order.
    @inlinable
    public func write(into dx: UnsafeMutablePointer<T>, accumulate: Bool) {
        Parallel.forEach(planes) { p in writePlane(p, dx + p * shape.hw, accumulate: accumulate) }
    }
}

/// Step 1 and 3 of the normalisation backward: the plane sums of dy and dy * (x - mean), from
/// which the output cost sum(dy * y), dGamma and dBeta (added into) follow, and, when
/// `inputGradient`, the map that gives dx (`NormalizationInputMap`, step 2).
@inlinable
public func normalizationGradientSums<T: TensorElement>(
    _ dGamma: UnsafeMutableBufferPointer<T>?, _ dBeta: UnsafeMutableBufferPointer<T>?,
    _ dy: UnsafeBufferPointer<T>, _ x: UnsafeBufferPointer<T>, _ gamma: UnsafeBufferPointer<T>?,
    _ saved: NormalizationSaved, _ shape: NormalizationShape, inputGradient: Bool,
    beta: UnsafeBufferPointer<T>? = nil
) -> (outputCost: Double, inputMap: NormalizationInputMap<T>?) {
    precondition(x.count == shape.n * shape.c * shape.hw && dy.count == x.count,
                 "normalization backward: x \(x.count), dy \(dy.count) elements for \(shape)")
    let hw = shape.hw, channels = shape.c, planes = shape.n * shape.c, m = Double(shape.groupSize)
    let xBase = x.baseAddress!, dyBase = dy.baseAddress!
    // Per plane: sum dy and sum dy * (x - mean). Everything else is a weighted sum of these.
    var sumDy = [Double](repeating: 0, count: planes)
    var sumDyX = [Double](repeating: 0, count: planes)
    return sumDy.withUnsafeMutableBufferPointer { sumDy in
        sumDyX.withUnsafeMutableBufferPointer { sumDyX in
            // Step 1: plane sums, the planes in memory order (see the forward). The loop centres on
            // the mean rounded to T; the remainder is taken out in Double:
            // sum dy * (x - mean) = sum dy * (x - T(mean)) - (mean - T(mean)) * sum dy.
            Parallel.forEach(planes) { p in
                let mean = saved.mean[shape.group(ofPlane: p)], center = T(mean)
                let (dySum, dyXSum) = NormalizationPlane.gradientSums(dyBase + p * hw, xBase + p * hw, hw, center)
                sumDy[p] = dySum
                sumDyX[p] = dyXSum - (mean - Double(center)) * dySum
            }
            // sum dy * y, planes in index order: sum dy * (x - center) is sumDyX + (mean - center) * sumDy.
            var outputCost = 0.0
            for p in 0..<planes {
                let g = shape.group(ofPlane: p), mean = saved.mean[g]
                let map: (center: T, scale: T, shift: T) = planeAffineMap(gamma, beta, p, mean: mean,
                                                                          invStd: saved.invStd[g], shape)
                let centred = sumDyX[p] + (mean - Double(map.center)) * sumDy[p]
                outputCost += Double(map.scale) * centred + Double(map.shift) * sumDy[p]
            }
            // Step 3: per-channel parameter gradients, planes added in index order (deterministic).
            if dGamma != nil || dBeta != nil {
                for ch in 0..<channels {
                    var gammaSum = 0.0, betaSum = 0.0
                    for sample in 0..<shape.n {
                        let p = sample * channels + ch
                        gammaSum += saved.invStd[shape.group(ofPlane: p)] * sumDyX[p]
                        betaSum += sumDy[p]
                    }
                    dGamma?[ch] += T(gammaSum)
                    dBeta?[ch] += T(betaSum)
                }
            }
            guard inputGradient else { return (outputCost, nil) }
            // Per group: dx = a[c] * dy + b * (x - mean) + d, with b and d zero for fixed statistics.
            var b = [T](repeating: 0, count: shape.groups), d = b
            for g in 0..<shape.groups where saved.fromInput {
                let invStd = saved.invStd[g]
                var s1 = 0.0, s2 = 0.0  // group sums of dy * gamma and of dy * gamma * (x - mean)
                for j in 0..<shape.planesPerGroup {
                    let p = shape.plane(group: g, j), gammaC = Double(gamma?[p % channels] ?? 1)
                    s1 += gammaC * sumDy[p]
                    s2 += gammaC * sumDyX[p]
                }
                // The kernel applies b to (x - T(mean)); the centre's rounding remainder goes into d.
                let slope = -invStd * invStd * invStd * s2 / m, mean = saved.mean[g]
                b[g] = T(slope)
                d[g] = T(-invStd * s1 / m - slope * (mean - Double(T(mean))))
            }
            let scales = (0..<planes).map { p in
                T(saved.invStd[shape.group(ofPlane: p)] * Double(gamma?[p % channels] ?? 1))
            }
            return (outputCost, NormalizationInputMap(dy: dyBase, x: xBase, shape: shape, planeScale: scales,
                                                      groupSlope: b, groupOffset: d,
                                                      groupCentre: saved.mean.map { T($0) }))
        }
    }
}

// MARK: - Plane loops (SIMD over the contiguous H*W elements)

/// Loops over one plane of H*W contiguous elements, SIMD8 over the plane (a namespace, so the
/// short names do not collide with other op files).
@usableFromInline
enum NormalizationPlane {
    /// Elements summed in T before the partial is flushed into Double: 8 per accumulator lane keeps
    /// the Float rounding error near 1e-7 relative while the inner loop stays vectorised.
    @inlinable static var flush: Int { 128 }

    @inlinable
    static func load<T: TensorElement>(_ p: UnsafePointer<T>) -> SIMD8<T> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self)
    }

    @inlinable
    static func store<T: TensorElement>(_ v: SIMD8<T>, _ p: UnsafeMutablePointer<T>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<T>.self)
    }

    /// sum x[i] for i < n, every element widened to Double. Unlike the centred sums below, the raw
    /// sum carries the mean itself: in T its rounding would be relative to |mean|, not to the spread,
    /// and would offset the whole channel (a mean 1000 with std 1 came out 2e-5 off).
    @inlinable
    static func sum<T: TensorElement>(_ x: UnsafePointer<T>, _ n: Int) -> Double {
        // Sixteen lanes (element i to lane i % 16) hide the add latency; four-lane pieces widen fast
        // (`DeterministicSum.widen4`).
        var a0 = SIMD4<Double>(), a1 = SIMD4<Double>(), a2 = SIMD4<Double>(), a3 = SIMD4<Double>(), i = 0
        while i + 16 <= n {
            a0 += DeterministicSum.widen4(x + i)
            a1 += DeterministicSum.widen4(x + i + 4)
            a2 += DeterministicSum.widen4(x + i + 8)
            a3 += DeterministicSum.widen4(x + i + 12)
            i += 16
        }
        var total = (SIMD8(lowHalf: a0, highHalf: a1) + SIMD8(lowHalf: a2, highHalf: a3)).sum()
        while i < n { total += Double(x[i]); i += 1 }
        return total
    }

    /// (sum x[i], sum (x[i] - mean)^2) for i < n, with mean = sum / n: the sum widened to Double
    /// (see `sum`), then the squared deviations around T(mean) while the plane is still in L1, and
    /// the centre's rounding remainder taken out in Double:
    /// sum (x - mean)^2 = sum (x - c)^2 - n (mean - c)^2 for c = T(mean).
    @inlinable
    static func moments<T: TensorElement>(_ x: UnsafePointer<T>, _ n: Int) -> (sum: Double, squares: Double) {
        let total = sum(x, n), mean = total / Double(n), center = T(mean)
        let remainder = mean - Double(center)
        return (total, squaredDeviations(x, n, center) - Double(n) * remainder * remainder)
    }

    /// sum (x[i] - center)^2 for i < n.
    @inlinable
    static func squaredDeviations<T: TensorElement>(_ x: UnsafePointer<T>, _ n: Int, _ center: T) -> Double {
        var total = 0.0, i = 0
        let c = SIMD8<T>(repeating: center)
        while i + 16 <= n {
            let end = Swift.min(n, i + flush)
            var a0 = SIMD8<T>(), a1 = SIMD8<T>()
            while i + 16 <= end {
                let d0 = load(x + i) - c, d1 = load(x + i + 8) - c
                a0 += d0 * d0
                a1 += d1 * d1
                i += 16
            }
            total += Double((a0 + a1).sum())
        }
        while i < n { let d = Double(x[i] - center); total += d * d; i += 1 }
        return total
    }

    /// (sum dy[i], sum dy[i] * (x[i] - center)) for i < n.
    @inlinable
    static func gradientSums<T: TensorElement>(
        _ dy: UnsafePointer<T>, _ x: UnsafePointer<T>, _ n: Int, _ center: T
    ) -> (Double, Double) {
        var total1 = 0.0, total2 = 0.0, i = 0
        let c = SIMD8<T>(repeating: center)
        while i + 16 <= n {
            let end = Swift.min(n, i + flush)
            var a0 = SIMD8<T>(), a1 = SIMD8<T>(), b0 = SIMD8<T>(), b1 = SIMD8<T>()
            while i + 16 <= end {
                let g0 = load(dy + i), g1 = load(dy + i + 8)
                a0 += g0
                a1 += g1
                b0 += g0 * (load(x + i) - c)
                b1 += g1 * (load(x + i + 8) - c)
                i += 16
            }
            total1 += Double((a0 + a1).sum())
            total2 += Double((b0 + b1).sum())
        }
        while i < n {
            total1 += Double(dy[i])
            total2 += Double(dy[i] * (x[i] - center))
            i += 1
        }
        return (total1, total2)
    }

    /// y[i] = (x[i] - center) * scale + shift for i < n.
    @inlinable
    static func affine<T: TensorElement>(
        _ y: UnsafeMutablePointer<T>, _ x: UnsafePointer<T>, _ n: Int, center: T, scale: T, shift: T
    ) {
        let c = SIMD8<T>(repeating: center), s = SIMD8<T>(repeating: scale), t = SIMD8<T>(repeating: shift)
        var i = 0
        while i + 8 <= n {
            store((load(x + i) - c) * s + t, y + i)
            i += 8
        }
        while i < n { y[i] = (x[i] - center) * scale + shift; i += 1 }
    }

    /// dx[i] (+)= a * dy[i] + b * (x[i] - center) + d for i < n (adds when `accumulate`).
    @inlinable
    static func backward<T: TensorElement>(
        _ dx: UnsafeMutablePointer<T>, _ dy: UnsafePointer<T>, _ x: UnsafePointer<T>, _ n: Int,
        center: T, a: T, b: T, d: T, accumulate: Bool
    ) {
        let c = SIMD8<T>(repeating: center), va = SIMD8<T>(repeating: a)
        let vb = SIMD8<T>(repeating: b), vd = SIMD8<T>(repeating: d)
        var i = 0
        while i + 8 <= n {
            let update = va * load(dy + i) + vb * (load(x + i) - c) + vd
            store(accumulate ? load(UnsafePointer(dx + i)) + update : update, dx + i)
            i += 8
        }
        while i < n {
            let update = a * dy[i] + b * (x[i] - center) + d
            if accumulate { dx[i] += update } else { dx[i] = update }
            i += 1
        }
    }
}

// MARK: - Differentiable op

/// BatchNorm2d's running mean and variance, updated in place by training-mode `normalize`.
public struct RunningStatistics<T: TensorElement>: Sendable {
    /// Running mean, shape [C].
    public var mean: Tensor<T>
    /// Running (unbiased) variance, shape [C].
    public var variance: Tensor<T>

    /// PyTorch's initial state: mean 0, variance 1.
    public init(channels: Int) {
        mean = Tensor(zeros: [channels])
        variance = Tensor(shape: [channels], repeating: 1)
    }

    /// Given statistics (for example loaded from a checkpoint or a fixture).
    /// - Precondition: both have shape [C].
    public init(mean: Tensor<T>, variance: Tensor<T>) {
        precondition(mean.shape.count == 1 && mean.shape == variance.shape,
                     "RunningStatistics: mean \(mean.shape), variance \(variance.shape)")
        self.mean = mean
        self.variance = variance
    }
}

extension Tape {
    /// The one normalisation op of the tape: BatchNorm2d, InstanceNorm2d or layer norm by `kind`
    /// (reference-spec section 2), y = (x - mean) / sqrt(var + eps) * gamma[c] + beta[c].
    ///
    /// - batch, training: the batch mean and biased variance over (N, H, W) per channel; `running`
    ///   is then updated in place (running_var with the unbiased variance).
    /// - batch, eval: normalises with `running`, which is not changed; the backward is then a
    ///   per-channel affine map.
    /// - instance: each (sample, channel) plane with its own statistics over (H, W), in training and
    ///   eval alike (PyTorch's default track_running_stats = false); `running` is ignored.
    /// - layer: each sample with the statistics of all its (C, H, W) elements, as GroupNorm(1, C),
    ///   the affine map per channel; `running` is ignored.
    /// - Parameters:
    ///   - x: [N, C, H, W].
    ///   - gamma, beta: [C], or nil when the layer is not affine (any one may be nil).
    ///   - kind: which elements share statistics.
    ///   - running: batch norm's running statistics of shape [C] (nil for the other kinds).
    ///   - training: batch statistics (true) or running statistics (false), batch norm only.
    ///   - eps: added to the variance; momentum: weight of the new batch statistics.
    /// - Returns: y, [N, C, H, W].
    /// - Precondition: shapes agree; batch norm has `running`, and in training N * H * W > 1
    ///   (PyTorch refuses one value per channel).
    @inlinable
    public func normalize(_ x: Var, gamma: Var?, beta: Var?, kind: NormalizationKind,
                          running: inout RunningStatistics<T>?, training: Bool,
                          eps: Double = 1e-5, momentum: Double = 0.1) -> Var {
        let shape = NormalizationShape(kind, shape: self.shape(x))
        guard kind == .batch else {
            return normalization("\(kind)Norm", x, gamma: gamma, beta: beta, shape, eps: eps, statistics: nil).y
        }
        guard var statistics = running else { preconditionFailure("normalize: batch norm needs running statistics") }
        precondition(statistics.mean.shape == [shape.c] && statistics.variance.shape == [shape.c],
                     "normalize: running statistics \(statistics.mean.shape) for \(shape.c) channels")
        guard training else {
            let fixed = NormalizationSaved(mean: statistics.mean.scalars.map(Double.init),
                                           variance: statistics.variance.scalars.map(Double.init),
                                           eps: eps, fromInput: false)
            return normalization("batchNorm", x, gamma: gamma, beta: beta, shape, eps: eps, statistics: fixed).y
        }
        let m = shape.groupSize
        precondition(m > 1, "normalize: batch norm training needs more than one value per channel, input \(self.shape(x))")
        let (y, batch) = normalization("batchNorm", x, gamma: gamma, beta: beta, shape, eps: eps, statistics: nil)
        // NOTE: the running variance takes the unbiased batch variance; y used the biased one.
        let unbiased = Double(m) / Double(m - 1)
        running = nil  // so that the statistics' storage is not shared while it is updated
        statistics.mean.withUnsafeMutableBufferPointer { mean in
            statistics.variance.withUnsafeMutableBufferPointer { variance in
                for ch in 0..<shape.c {
                    mean[ch] = T((1 - momentum) * Double(mean[ch]) + momentum * batch.mean[ch])
                    variance[ch] = T((1 - momentum) * Double(variance[ch]) + momentum * batch.variance[ch] * unbiased)
                }
            }
        }
        running = statistics
        return y
    }

    /// Shared by every kind: normalises with `statistics`, or with the input's own when nil,
    /// and records the backward. The tape inputs are [x, gamma?, beta?].
    @inlinable
    func normalization(_ name: String, _ x: Var, gamma: Var?, beta: Var?, _ shape: NormalizationShape,
                       eps: Double, statistics: NormalizationSaved?) -> (y: Var, saved: NormalizationSaved) {
        for p in [gamma, beta].compactMap({ $0 }) {
            precondition(self.shape(p) == [shape.c],
                         "\(name): affine parameter of shape \(self.shape(p)) for \(shape.c) channels")
        }
        let gammaIndex = gamma == nil ? nil : 1
        let betaIndex = beta == nil ? nil : (gamma == nil ? 1 : 2)
        let gammaValue = gamma.map(value), betaValue = beta.map(value)
        var y = makeOutput(shape: self.shape(x))
        // The plane moments of x when its producer took them as it wrote x (`conv2d(outputMoments:)`).
        let producerMoments = outputMoments[x.id]
        let saved = y.withUnsafeMutableBufferPointer { y in
            value(x).withUnsafeBufferPointer { x in
                withAffineParameter(gammaValue) { g in
                    withAffineParameter(betaValue) { b in
                        guard let statistics else {
                            guard let moments = producerMoments else {
                                return normalizationForward(y, x, g, b, shape, eps: eps)
                            }
                            return moments.withUnsafeBufferPointer {
                                normalizationForward(y, x, g, b, shape, eps: eps, planeMoments: $0)
                            }
                        }
                        normalizationForward(y, x, g, b, shape, statistics: statistics)
                        return statistics
                    }
                }
            }
        }
        let output = record(name, inputs: [x] + [gamma, beta].compactMap { $0 }, output: y) { ctx in
            let dGamma = gammaIndex.flatMap { ctx.dInput($0) }, dBeta = betaIndex.flatMap { ctx.dInput($0) }
            let input = ctx.input(0), dy = ctx.storedOutputGradient
            let (outputCost, map) = input.withUnsafeBufferPointer { x in
                withAffineParameter(gammaIndex.map { ctx.input($0) }) { g in
                    withAffineParameter(betaIndex.map { ctx.input($0) }) { b in
                        normalizationGradientSums(dGamma, dBeta, ctx.dOutput, x, g, saved, shape,
                                                  inputGradient: ctx.needsGradient(0), beta: b)
                    }
                }
            }
            ctx.setOutputCost(outputCost)
            guard let map else { return }
            // Left to the conv that produced x, which reads it a sample at a time (DeferredGradient.swift);
            // the closure holds x and dy, which the map points into.
            let deferred = DeferredGradient<T>(planes: map.planes, planeSize: shape.hw) { p, destination in
                withExtendedLifetime((input, dy)) { map.writePlane(p, destination, accumulate: false) }
            }
            if ctx.deferInputGradient(0, deferred) { return }
            guard let dx = ctx.dInputTarget(0) else { return }
            map.write(into: dx.buffer.baseAddress!, accumulate: dx.accumulate)
        }
        return (output, saved)
    }
}

/// Calls `body` with the tensor's buffer, or with nil when there is no tensor.
@inlinable
func withAffineParameter<T: TensorElement, R>(_ t: Tensor<T>?, _ body: (UnsafeBufferPointer<T>?) -> R) -> R {
    guard let t else { return body(nil) }
    return t.withUnsafeBufferPointer { body($0) }
}

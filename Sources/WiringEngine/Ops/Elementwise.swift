// Elementwise ops: relu, add, n-ary sum, scale by a constant, and the weighted sum of DARTS/SNAS
// mixtures (reference-spec §4-5: a mixed edge outputs sum_k w_k * op_k(x)).
//
// Goals, in order: the reference's semantics (PyTorch relu, the left-to-right order of Python's
// `sum(w * op(x) ...)`), then determinism, then speed. Every tensor is a flat buffer of `count`
// elements; these ops never look at the shape beyond checking that the operands agree.
//
// Parallelism: the elements are cut into fixed chunks of `elementwiseChunk`, and a chunk runs every
// operand (k = 0, 1, ...) in order. So one element is only ever touched by one thread, even when the
// same tensor is passed twice (then its two gradient buffers are the same buffer), and results do
// not depend on `Parallel.threads`. The only reduction, dL/dw_k of `weightedSum`, sums fixed
// chunks in Double and adds the chunk sums in chunk order. The loops are plain and branch-free
// (every load unconditional), so that LLVM vectorises them once the generic kernels are
// specialised for Float or Double.

/// Elements per parallel work item in elementwise kernels: large enough to amortise dispatch,
/// small enough to split a 64x16x32x32 activation (1M elements) into 64 items.
@usableFromInline let elementwiseChunk = 1 << 14

/// Runs `body` on the fixed chunks of `0..<count`, spread over `Parallel.threads`.
@inlinable
func elementwiseForEachChunk(_ count: Int, _ body: (Range<Int>) -> Void) {
    let chunks = (count + elementwiseChunk - 1) / elementwiseChunk
    if chunks <= 1 {
        body(0..<count)
        return
    }
    Parallel.forEach(chunks) { c in
        body(c * elementwiseChunk..<Swift.min(count, (c + 1) * elementwiseChunk))
    }
}

// MARK: - Kernels

/// out = max(x, 0). NaN stays NaN, as in PyTorch.
@inlinable
public func reluForward<T: TensorElement>(_ out: UnsafeMutableBufferPointer<T>, _ x: UnsafeBufferPointer<T>) {
    precondition(out.count == x.count, "reluForward: \(out.count) outputs for \(x.count) inputs")
    elementwiseForEachChunk(x.count) { r in
        for i in r {
            let v = x[i]
            out[i] = v < 0 ? 0 : v
        }
    }
}

/// dx (+)= dOut where x > 0 (adds when `accumulate`, else stores).
/// NOTE: the gradient at exactly x = 0 is 0, as in PyTorch (threshold_backward keeps x > 0 only).
@inlinable
public func reluBackward<T: TensorElement>(
    _ dx: UnsafeMutableBufferPointer<T>, _ dOut: UnsafeBufferPointer<T>, _ x: UnsafeBufferPointer<T>,
    accumulate: Bool = true
) {
    elementwiseForEachChunk(x.count) { r in
        // Both loads unconditional: a load under the condition would block vectorisation.
        if accumulate {
            for i in r { let d = dOut[i], v = x[i]; dx[i] += v > 0 ? d : 0 }
        } else {
            for i in r { let d = dOut[i], v = x[i]; dx[i] = v > 0 ? d : 0 }
        }
    }
}

/// out = a + b.
@inlinable
public func addForward<T: TensorElement>(
    _ out: UnsafeMutableBufferPointer<T>, _ a: UnsafeBufferPointer<T>, _ b: UnsafeBufferPointer<T>
) {
    elementwiseForEachChunk(out.count) { r in
        for i in r { out[i] = a[i] + b[i] }
    }
}

/// out = ((xs[0] + xs[1]) + xs[2]) + ..., left to right like Python's `sum`.
@inlinable
public func sumForward<T: TensorElement>(_ out: UnsafeMutableBufferPointer<T>, _ xs: [UnsafeBufferPointer<T>]) {
    precondition(!xs.isEmpty, "sumForward: no inputs")
    elementwiseForEachChunk(out.count) { r in
        let x0 = xs[0]
        for i in r { out[i] = x0[i] }
        for k in 1..<xs.count {
            let x = xs[k]
            for i in r { out[i] += x[i] }
        }
    }
}

/// dxs[k] (+)= dOut for every k with a target (nil = that input needs no gradient; a target with a
/// `base` gets base + dOut), in k order per chunk, so a tensor passed twice is stored once and then added. Also the backward of `addForward`.
@inlinable
public func sumBackward<T: TensorElement>(_ dxs: [GradientTarget<T>?], _ dOut: UnsafeBufferPointer<T>) {
    elementwiseForEachChunk(dOut.count) { r in
        for case let dx? in dxs {
            let b = dx.buffer
            if let base = dx.base {
                for i in r { b[i] = base[i] + dOut[i] }
            } else if dx.accumulate {
                for i in r { b[i] += dOut[i] }
            } else {
                for i in r { b[i] = dOut[i] }
            }
        }
    }
}

/// out = x * factor.
@inlinable
public func scaleForward<T: TensorElement>(
    _ out: UnsafeMutableBufferPointer<T>, _ x: UnsafeBufferPointer<T>, factor: T
) {
    elementwiseForEachChunk(out.count) { r in
        for i in r { out[i] = x[i] * factor }
    }
}

/// dx += dOut * factor.
@inlinable
public func scaleBackward<T: TensorElement>(
    _ dx: UnsafeMutableBufferPointer<T>, _ dOut: UnsafeBufferPointer<T>, factor: T
) {
    elementwiseForEachChunk(dOut.count) { r in
        for i in r { dx[i] += dOut[i] * factor }
    }
}

/// out = ((w[0] * xs[0] + w[1] * xs[1]) + w[2] * xs[2]) + ..., in the reference's left-to-right order.
@inlinable
public func weightedSumForward<T: TensorElement>(
    _ out: UnsafeMutableBufferPointer<T>, _ xs: [UnsafeBufferPointer<T>], _ weights: UnsafeBufferPointer<T>
) {
    precondition(!xs.isEmpty && weights.count == xs.count,
                 "weightedSumForward: \(xs.count) inputs, \(weights.count) weights")
    elementwiseForEachChunk(out.count) { r in
        let x0 = xs[0], w0 = weights[0]
        for i in r { out[i] = w0 * x0[i] }
        for k in 1..<xs.count {
            let x = xs[k], w = weights[k]
            for i in r { out[i] += w * x[i] }
        }
    }
}

/// dxs[k] (+)= w[k] * dOut and dWeights[k] += sum_i dOut[i] * xs[k][i].
///
/// One pass over each input does both. A target that does not accumulate is stored into (no
/// zero-filled buffer to read back); targets are written in k order per chunk, so a tensor passed
/// twice is stored once and then added. The weight gradient is accumulated in Double: per fixed
/// chunk of `elementwiseChunk` elements (as in `DeterministicSum.dot`), then the chunk sums in chunk
/// order, and cast to T once, so it is the same for any thread count.
@inlinable
public func weightedSumBackward<T: TensorElement>(
    _ dxs: [GradientTarget<T>?], _ dWeights: UnsafeMutableBufferPointer<T>?,
    _ dOut: UnsafeBufferPointer<T>, _ xs: [UnsafeBufferPointer<T>], _ weights: UnsafeBufferPointer<T>
) {
    let (n, count) = (xs.count, dOut.count)
    if count == 0 { return }
    let chunks = (count + elementwiseChunk - 1) / elementwiseChunk
    var partial = [Double](repeating: 0, count: dWeights == nil ? 0 : chunks * n)
    partial.withUnsafeMutableBufferPointer { partial in
        Parallel.forEach(chunks) { c in
            let (lo, hi) = (c * elementwiseChunk, Swift.min(count, (c + 1) * elementwiseChunk))
            for k in 0..<n {
                if let dx = dxs[k] { scaledGradientRange(dx, dOut.baseAddress!, weights[k], lo, hi) }
                if dWeights != nil {
                    partial[c * n + k] = DeterministicSum.dotRange(dOut, xs[k], lo, hi)
                }
            }
        }
    }
    if let dWeights {
        for k in 0..<n {
            var total = 0.0
            for c in 0..<chunks { total += partial[c * n + k] }
            dWeights[k] += T(total)
        }
    }
}

/// dx[i] (+)= w * dOut[i] for i in lo..<hi.
@inlinable
func scaledGradientRange<T: TensorElement>(
    _ dx: GradientTarget<T>, _ dOut: UnsafePointer<T>, _ w: T, _ lo: Int, _ hi: Int
) {
    let b = dx.buffer
    if dx.accumulate {
        for i in lo..<hi { b[i] += w * dOut[i] }
    } else {
        for i in lo..<hi { b[i] = w * dOut[i] }
    }
}

// MARK: - Differentiable ops

extension Tape {
    /// The read-only buffers of several recorded tensors. The tensors must stay alive while the
    /// pointers are used (the tape holds them, and callers keep the `values` array).
    @inlinable
    func readBuffers(_ values: [Tensor<T>]) -> [UnsafeBufferPointer<T>] {
        values.map { UnsafeBufferPointer(start: $0.storage.pointer, count: $0.count) }
    }

    /// Checks that every operand of an elementwise op has the shape of the first.
    @inlinable
    func requireSameShapes(_ op: String, _ xs: [Var]) {
        let first = shape(xs[0])
        for x in xs.dropFirst() {
            precondition(shape(x) == first, "\(op): shapes \(xs.map { shape($0) }) differ")
        }
    }

    /// ReLU, max(x, 0), of a tensor of any shape.
    ///
    /// NOTE: the gradient at exactly x = 0 is 0, as in PyTorch.
    @inlinable
    public func relu(_ x: Var) -> Var {
        let xv = value(x)
        var out = makeOutput(shape: xv.shape)
        xv.withUnsafeBufferPointer { xb in out.withUnsafeMutableBufferPointer { reluForward($0, xb) } }
        return record("relu", inputs: [x], output: out) { ctx in
            guard let dx = ctx.dInputTarget(0) else { return }
            ctx.input(0).withUnsafeBufferPointer { reluBackward(dx.buffer, ctx.dOutput, $0, accumulate: dx.accumulate) }
        }
    }

    /// a + b, for two tensors of the same shape.
    /// - Precondition: `a` and `b` have the same shape.
    @inlinable
    public func add(_ a: Var, _ b: Var) -> Var {
        requireSameShapes("add", [a, b])
        let av = value(a), bv = value(b)
        var out = makeOutput(shape: av.shape)
        av.withUnsafeBufferPointer { ab in
            bv.withUnsafeBufferPointer { bb in out.withUnsafeMutableBufferPointer { addForward($0, ab, bb) } }
        }
        return record("add", inputs: [a, b], output: out) { ctx in
            sumBackward((0..<2).map { ctx.passOutputGradient($0) ? nil : ctx.dInputTarget($0, fromSharedBase: true) }, ctx.dOutput)
        }
    }

    /// The elementwise sum xs[0] + xs[1] + ... of same-shape tensors, added left to right (the
    /// node sums of a cell, reference-spec §4). One input is passed through as a copy.
    /// - Precondition: `xs` is not empty and all its tensors have the same shape.
    @inlinable
    public func sum(_ xs: [Var]) -> Var {
        precondition(!xs.isEmpty, "sum: no inputs")
        requireSameShapes("sum", xs)
        let values = xs.map { value($0) }
        var out = makeOutput(shape: values[0].shape)
        withExtendedLifetime(values) {
            out.withUnsafeMutableBufferPointer { sumForward($0, readBuffers(values)) }
        }
        return record("sum", inputs: xs, output: out) { ctx in
            sumBackward(xs.indices.map { ctx.passOutputGradient($0) ? nil : ctx.dInputTarget($0, fromSharedBase: true) }, ctx.dOutput)
        }
    }

    /// x * factor, for a constant `factor` that receives no gradient.
    @inlinable
    public func scale(_ x: Var, by factor: T) -> Var {
        let xv = value(x)
        var out = makeOutput(shape: xv.shape)
        xv.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { scaleForward($0, xb, factor: factor) }
        }
        return record("scale", inputs: [x], output: out) { ctx in
            guard let dx = ctx.dInput(0) else { return }
            scaleBackward(dx, ctx.dOutput, factor: factor)
        }
    }

    /// The mixture sum_k weights[k] * xs[k] of a DARTS/SNAS edge (reference-spec §5), summed left
    /// to right like the reference's `sum(w * op(x) for ...)`.
    ///
    /// Gradients go to every `xs[k]` and to `weights`:
    /// ```
    /// dL/dxs[k] = weights[k] * dL/dout
    /// dL/dweights[k] = sum_i dL/dout[i] * xs[k][i]
    /// ```
    /// The second is the per-op cost of reference-spec §6.2 and is accumulated in Double in a fixed
    /// order, then cast to T.
    ///
    /// - Parameters:
    ///   - xs: the op outputs, all of one shape.
    ///   - weights: a rank-1 tensor of `xs.count` mixing weights.
    /// - Precondition: `xs` is not empty, shapes agree, `weights` has `xs.count` elements.
    @inlinable
    public func weightedSum(_ xs: [Var], weights: Var) -> Var {
        precondition(!xs.isEmpty, "weightedSum: no inputs")
        requireSameShapes("weightedSum", xs)
        precondition(value(weights).count == xs.count,
                     "weightedSum: weights of shape \(shape(weights)) for \(xs.count) inputs")
        let values = xs.map { value($0) }
        let wv = value(weights)
        var out = makeOutput(shape: values[0].shape)
        withExtendedLifetime(values) {
            wv.withUnsafeBufferPointer { wb in
                out.withUnsafeMutableBufferPointer { weightedSumForward($0, readBuffers(values), wb) }
            }
        }
        let n = xs.count
        return record("weightedSum", inputs: xs + [weights], output: out) { ctx in
            let dxs = (0..<n).map { ctx.dInputTarget($0) }
            let dw = ctx.dInput(n)
            withExtendedLifetime(values) {
                let xbs = values.map { UnsafeBufferPointer(start: $0.storage.pointer, count: $0.count) }
                wv.withUnsafeBufferPointer { wb in weightedSumBackward(dxs, dw, ctx.dOutput, xbs, wb) }
            }
        }
    }
}

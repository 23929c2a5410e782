// Fully connected layer of the classifier head: y = x W^T + b, with W in PyTorch's [out, in]
// layout so that state-dict weights load as they are (reference-spec §3: Linear(multiplier*C -> 10),
// no bias in the search networks).
//
// Dimensions: N batch, I input features, O output features. Buffers: x [N, I], weight [O, I],
// bias [O], y [N, O]. Every dot product is accumulated in Double in index order and cast once, and
// each output element is computed by one thread, so results do not depend on `Parallel.threads`.
// The head is tiny (N <= 96, I <= 256, O = 10), so plain loops are fast enough.

/// The sizes of a linear layer.
public struct LinearShape: Hashable, Sendable {
    /// Rows of x and y, N.
    public let batch: Int
    /// Features in (I) and out (O).
    public let inFeatures, outFeatures: Int

    /// A shape of `batch` rows of `inFeatures` mapped to `outFeatures`.
    @inlinable
    public init(batch: Int, inFeatures: Int, outFeatures: Int) {
        self.batch = batch
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }
}

// MARK: - Kernels

/// y[n, o] = sum_i x[n, i] * weight[o, i] (+ bias[o]).
@inlinable
public func linearForward<T: TensorElement>(
    _ y: UnsafeMutableBufferPointer<T>, _ x: UnsafeBufferPointer<T>, _ weight: UnsafeBufferPointer<T>,
    _ bias: UnsafeBufferPointer<T>?, _ shape: LinearShape
) {
    let (N, I, O) = (shape.batch, shape.inFeatures, shape.outFeatures)
    precondition(y.count == N * O && x.count == N * I && weight.count == O * I && (bias?.count ?? O) == O,
                 "linearForward: buffer sizes do not match \(shape)")
    Parallel.forEach(N) { n in
        for o in 0..<O {
            var acc = 0.0
            for i in 0..<I { acc += Double(x[n * I + i]) * Double(weight[o * I + i]) }
            if let bias { acc += Double(bias[o]) }
            y[n * O + o] = T(acc)
        }
    }
}

/// dx += dy W, dWeight += dy^T x, dBias += column sums of dy (nil buffers are skipped).
@inlinable
public func linearBackward<T: TensorElement>(
    _ dx: UnsafeMutableBufferPointer<T>?, _ dWeight: UnsafeMutableBufferPointer<T>?,
    _ dBias: UnsafeMutableBufferPointer<T>?,
    _ dy: UnsafeBufferPointer<T>, _ x: UnsafeBufferPointer<T>, _ weight: UnsafeBufferPointer<T>,
    _ shape: LinearShape
) {
    let (N, I, O) = (shape.batch, shape.inFeatures, shape.outFeatures)
    if let dx {
        Parallel.forEach(N) { n in
            for i in 0..<I {
                var acc = 0.0
                for o in 0..<O { acc += Double(dy[n * O + o]) * Double(weight[o * I + i]) }
                dx[n * I + i] += T(acc)
            }
        }
    }
    if let dWeight {
        Parallel.forEach(O) { o in
            for i in 0..<I {
                var acc = 0.0
                for n in 0..<N { acc += Double(dy[n * O + o]) * Double(x[n * I + i]) }
                dWeight[o * I + i] += T(acc)
            }
        }
    }
    if let dBias {
        for o in 0..<O {
            var acc = 0.0
            for n in 0..<N { acc += Double(dy[n * O + o]) }
            dBias[o] += T(acc)
        }
    }
}

// MARK: - Differentiable op

extension Tape {
    /// A fully connected layer, y = x W^T + b, as PyTorch's `nn.Linear`.
    ///
    /// - Parameters:
    ///   - x: [N, in] (any trailing dimensions are flattened, as after `view(N, -1)`).
    ///   - weight: [out, in], PyTorch's layout.
    ///   - bias: [out], or nil for a layer without bias (the search networks' classifier).
    /// - Returns: [N, out].
    /// - Precondition: the shapes agree.
    @inlinable
    public func linear(_ x: Var, weight: Var, bias: Var?) -> Var {
        let (xs, ws) = (shape(x), shape(weight))
        precondition(xs.count >= 2 && ws.count == 2 && xs.dropFirst().reduce(1, *) == ws[1],
                     "linear: input \(xs) does not match weight \(ws) ([out, in] expected)")
        if let bias {
            precondition(shape(bias) == [ws[0]], "linear: bias \(shape(bias)) for weight \(ws)")
        }
        let ls = LinearShape(batch: xs[0], inFeatures: ws[1], outFeatures: ws[0])
        let (xv, wv, bv) = (value(x), value(weight), bias.map { value($0) })
        var out = makeOutput(shape: [ls.batch, ls.outFeatures])
        xv.withUnsafeBufferPointer { xb in
            wv.withUnsafeBufferPointer { wb in
                out.withUnsafeMutableBufferPointer { yb in
                    if let bv {
                        bv.withUnsafeBufferPointer { linearForward(yb, xb, wb, $0, ls) }
                    } else {
                        linearForward(yb, xb, wb, nil, ls)
                    }
                }
            }
        }
        let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
        return record("linear", inputs: inputs, output: out) { ctx in
            let dBias = inputs.count == 3 ? ctx.dInput(2) : nil
            xv.withUnsafeBufferPointer { xb in
                wv.withUnsafeBufferPointer { wb in
                    linearBackward(ctx.dInput(0), ctx.dInput(1), dBias, ctx.dOutput, xb, wb, ls)
                }
            }
        }
    }
}

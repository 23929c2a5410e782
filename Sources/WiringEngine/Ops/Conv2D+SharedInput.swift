// Several 1x1 convolutions of one input, read once.
//
// The first cell's two preprocessing stacks both start with relu + 1x1 conv of the stem's output
// (48 channels, three times a cell state): run as two convs, the forward packs relu(x) twice and
// the backward writes that 48-channel gradient twice (the second pass reading it back to add) and
// copies relu(x) twice for the weight gradients. Here each sample's input is packed once for
// every weight, the input gradient of all the convs is written in one pass, and relu(x) is copied
// once for all the weight gradients.
//
// Bits: every output and weight gradient runs the very kernels of `conv2d` on the same data. The
// input gradient is the sum the separate convs' backwards form, in their order: the last-recorded
// conv's backward runs first and stores (or adds into what is there), each earlier one adds. With
// the ReLU mask m that is (((dx) + (m ? c[n-1] : 0)) + (m ? c[n-2] : 0)) + ..., written here term by
// term in that order, so the results are bitwise those of `weights.map { conv2d(x, weight: $0) }`.

/// Forward of 1x1 convs (stride 1, no padding, no groups) of one input: output j = W_j relu?(x),
/// each sample's input packed once for all weights.
///
/// - Parameters:
///   - outputs: output j is (N, O_j, H, W), overwritten.
///   - input: (N, C, H, W).
///   - weights: weight j is (O_j, C, 1, 1).
///   - outChannels: O_j.
///   - moments: output j's plane moments (N * O_j), when wanted (see `conv2dForward`).
@inlinable
func pointwiseConvsForward<T: TensorElement>(
    _ outputs: [UnsafeMutablePointer<T>], _ input: UnsafePointer<T>, _ weights: [UnsafePointer<T>],
    outChannels: [Int], batch: Int, inChannels C: Int, planeSize P: Int, reluInput: Bool,
    moments: [UnsafeMutablePointer<PlaneMoments>?]
) {
    let panels = P / 16
    Parallel.forEach(batch) { n in
        let x = input + n * C * P
        let packed = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(1, C * panels * 16))
        defer { packed.deallocate() }
        packPanels(packed, x, ldb: P, k: C, panels: panels, reluB: reluInput)
        for j in outputs.indices {
            let O = outChannels[j], out = outputs[j] + n * O * P
            gemmPacked(out, ldc: P, weights[j], lda: C, packed, m: O, panels: panels, k: C, accumulate: false)
            gemmLeftoverColumns(out, ldc: P, weights[j], lda: C, x, ldb: P, m: O, n: P, k: C, accumulate: false,
                                reluB: reluInput)
            if let m = moments[j] { writePlaneMoments(m + n * O, out, count: O, size: P) }
        }
    }
}

/// Backward of `pointwiseConvsForward`: the input gradient of every conv in one pass, and each weight's.
///
/// - Parameters:
///   - dInput: (N, C, H, W), stored into (`accumulateInput` false) or added into; nil for none.
///   - dWeights: weight j's gradient, added into; nil for none (and for a conv with no output gradient).
///   - dOutputs: output j's gradient; nil when none reached it (the conv then adds nothing).
@inlinable
func pointwiseConvsBackward<T: TensorElement>(
    _ dInput: UnsafeMutablePointer<T>?, _ dWeights: [UnsafeMutablePointer<T>?], _ dOutputs: [OutputGradient<T>?],
    _ input: UnsafePointer<T>, _ weights: [UnsafePointer<T>], outChannels: [Int], batch N: Int,
    inChannels C: Int, planeSize P: Int, accumulateInput: Bool, reluInput: Bool
) {
    // The convs that received a gradient, last-recorded first: the order their own backwards would run.
    let live = dOutputs.indices.reversed().filter { dOutputs[$0] != nil }
    guard !live.isEmpty else { return }
    // W_j^T (C x O_j), so that dx_j = W_j^T dOut_j is the forward's row-major GEMM (live convs only).
    let transposed = outChannels.indices.map { j -> UnsafeMutablePointer<T>? in
        guard dInput != nil, dOutputs[j] != nil else { return nil }
        let t = UnsafeMutablePointer<T>.allocate(capacity: outChannels[j] * C)
        transpose(t, weights[j], rows: outChannels[j], columns: C)
        return t
    }
    defer { for t in transposed { t?.deallocate() } }
    // One weight-gradient partial per (conv, sample), summed in sample order below (determinism).
    let partials = outChannels.indices.map { j -> UnsafeMutablePointer<T>? in
        dOutputs[j] != nil && dWeights[j] != nil ? .allocate(capacity: N * outChannels[j] * C) : nil
    }
    defer { for p in partials { p?.deallocate() } }
    let outputCounts = outChannels.map { $0 * P }
    let scratchCount = outputCounts.reduce(0, +)

    Parallel.forEach(N) { n in
        let x = input + n * C * P
        // This sample's output gradients (deferred ones written into a scratch).
        let scratch = UnsafeMutablePointer<T>.allocate(capacity: scratchCount)
        defer { scratch.deallocate() }
        var offset = 0
        let dOut = dOutputs.indices.map { j -> UnsafePointer<T>? in
            defer { offset += outputCounts[j] }
            return dOutputs[j].map { g in
                g.elements(n * outputCounts[j], outputCounts[j], scratch: g.needsScratch ? scratch + offset : nil)
            }
        }
        // Input gradient: dx_j = W_j^T dOut_j for every live conv, then one masked pass adding them in order.
        if let dInput {
            let dx = dInput + n * C * P
            let terms = UnsafeMutablePointer<T>.allocate(capacity: live.count * C * P)
            defer { terms.deallocate() }
            for (t, j) in live.enumerated() {
                gemm(terms + t * C * P, ldc: P, transposed[j]!, lda: outChannels[j], dOut[j]!, ldb: P, m: C, n: P,
                     k: outChannels[j], accumulate: false)
            }
            var t = 0, accumulate = accumulateInput
            while t < live.count {
                let term = UnsafePointer(terms + t * C * P)
                if t + 1 < live.count {
                    addTwoTerms(dx, term, term + C * P, mask: reluInput ? x : nil, count: C * P, accumulate: accumulate)
                    t += 2
                } else {
                    addTwoTerms(dx, term, nil, mask: reluInput ? x : nil, count: C * P, accumulate: accumulate)
                    t += 1
                }
                accumulate = true
            }
        }
        // Weight gradients, against relu(x) copied once.
        if partials.contains(where: { $0 != nil }) {
            var unfolded = x
            let reluX: UnsafeMutablePointer<T>? = reluInput ? .allocate(capacity: C * P) : nil
            defer { reluX?.deallocate() }
            if let reluX {
                reluCopy(reluX, x, count: C * P)
                unfolded = UnsafePointer(reluX)
            }
            for j in live {
                guard let p = partials[j] else { continue }
                gemmTransposedB(p + n * outChannels[j] * C, ldc: C, dOut[j]!, lda: P, unfolded, ldb: P,
                                m: outChannels[j], n: C, k: P)
            }
        }
    }
    for j in live {
        if let dW = dWeights[j], let p = partials[j] { addPartialsInOrder(dW, p, count: outChannels[j] * C, parts: N) }
    }
}

/// dst = (dst +) (mask > 0 ? a : 0) (+ (mask > 0 ? b : 0)), each term added in that order, as two
/// separate masked writes would (`reluMaskedWrite`); no mask means every element passes.
@inlinable
func addTwoTerms<T: TensorElement>(
    _ dst: UnsafeMutablePointer<T>, _ a: UnsafePointer<T>, _ b: UnsafePointer<T>?, mask: UnsafePointer<T>?,
    count: Int, accumulate: Bool
) {
    guard let b else {
        if let mask {
            reluMaskedWrite(dst, a, mask: mask, count: count, accumulate: accumulate)
        } else if accumulate {
            for i in 0..<count { dst[i] += a[i] }
        } else {
            dst.update(from: a, count: count)
        }
        return
    }
    switch (mask, accumulate) {
    case let (mask?, true):
        for i in 0..<count { let v = mask[i]; dst[i] = (dst[i] + (v > 0 ? a[i] : 0)) + (v > 0 ? b[i] : 0) }
    case let (mask?, false):
        for i in 0..<count { let v = mask[i]; dst[i] = (v > 0 ? a[i] : 0) + (v > 0 ? b[i] : 0) }
    case (nil, true):
        for i in 0..<count { dst[i] = (dst[i] + a[i]) + b[i] }
    case (nil, false):
        for i in 0..<count { dst[i] = a[i] + b[i] }
    }
}

// MARK: - Differentiable op

extension Tape {
    /// 1x1 convolutions (stride 1, no padding, no groups) of one input, which is read once for all of
    /// them: the same values and gradients, bit for bit, as `weights.map { conv2d(x, weight: $0,
    /// reluInput: reluInput, outputMoments: ...) }` recorded in that order.
    ///
    /// - Parameters:
    ///   - x: (N, C, H, W).
    ///   - weights: each (O_j, C, 1, 1).
    ///   - reluInput: convolve relu(x) (the ReLU fused into the read, as in `conv2d`).
    ///   - outputMoments: per weight, whether a normalisation of that output comes next (`conv2d`).
    /// - Returns: output j, (N, O_j, H, W).
    @inlinable
    public func pointwiseConvs(_ x: Var, weights: [Var], reluInput: Bool = false, outputMoments: [Bool]) -> [Var] {
        let input = value(x), ws = weights.map { value($0) }
        precondition(input.shape.count == 4 && !ws.isEmpty && outputMoments.count == ws.count
                     && ws.allSatisfy { $0.shape.count == 4 && $0.shape[1] == input.shape[1] && $0.shape[2] == 1
                                        && $0.shape[3] == 1 },
                     "pointwiseConvs: input \(input.shape), weights \(ws.map(\.shape))")
        let (N, C, P) = (input.shape[0], input.shape[1], input.shape[2] * input.shape[3])
        let outChannels = ws.map { $0.shape[0] }
        let outs = outChannels.map { makeOutput(shape: [N, $0, input.shape[2], input.shape[3]]) }
        let takes = outputMoments.map { $0 && takesOutputMoments }
        var moments: [[PlaneMoments]] = outChannels.indices.map {
            takes[$0] ? Array(repeating: (0, 0), count: N * outChannels[$0]) : []
        }
        // The tensors' storages (fresh outputs, and values the tape keeps) hold still while they live.
        let weightPointers = ws.map { UnsafePointer($0.storage.pointer) }
        moments.withUnsafeMutableBufferPointer { all in
            let momentPointers = all.indices.map { j -> UnsafeMutablePointer<PlaneMoments>? in
                takes[j] ? all[j].withUnsafeMutableBufferPointer { $0.baseAddress! } : nil
            }
            pointwiseConvsForward(outs.map(\.storage.pointer), UnsafePointer(input.storage.pointer), weightPointers,
                                  outChannels: outChannels, batch: N, inChannels: C, planeSize: P,
                                  reluInput: reluInput, moments: momentPointers)
        }
        let name = reluInput ? "relu+conv2d.pointwise.shared" : "conv2d.pointwise.shared"
        let results = record(name, inputs: [x] + weights, outputs: outs, readsDeferredOutput: true) { ctx in
            let dOutputs = outChannels.indices.map { ctx.outputGradient($0) }
            // A conv no gradient reached makes no weight gradient, as its own record would be skipped.
            let dWeights = outChannels.indices.map { dOutputs[$0] == nil ? nil : ctx.dInput(1 + $0)?.baseAddress }
            let dX = ctx.dInputTarget(0)
            pointwiseConvsBackward(dX?.buffer.baseAddress, dWeights, dOutputs, UnsafePointer(input.storage.pointer),
                                   ws.map { UnsafePointer($0.storage.pointer) }, outChannels: outChannels, batch: N,
                                   inChannels: C, planeSize: P, accumulateInput: dX?.accumulate ?? true,
                                   reluInput: reluInput)
        }
        for (j, out) in results.enumerated() where takes[j] { self.outputMoments[out.id] = moments[j] }
        return results
    }
}

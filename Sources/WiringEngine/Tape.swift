// Reverse-mode automatic differentiation as a Wengert list (see style-anchors: micrograd, tinygrad).
//
// Each differentiable op (in Ops/*.swift) runs its forward kernel, then calls `record` with a closure
// that reads the output's gradient and *adds* into its inputs' gradients (edges of a NAS cell fan out,
// so a tensor can receive gradient from several consumers). Records are appended in execution order,
// so walking them backwards is already a topological order. Records whose output received no
// gradient are skipped, which prunes everything that does not lead to the loss.
//
// Gradients are kept for every tensor on the tape, not only parameters: the paper's cost of a tensor
// X is sum(dL/dX * X) (reference-spec section 6), and `cost(_:)` computes it from the stored pair.
//
// One tape per step, passed explicitly. `reset()` returns every buffer the tape alone owns to a pool,
// so a steady-state training step allocates no new tensor memory.

import Dispatch

/// A handle to a tensor recorded on a `Tape`.
public struct Var: Hashable, Sendable {
    public let id: Int
    @inlinable public init(id: Int) { self.id = id }
}

/// A reverse-mode tape over tensors of element type `T`.
public final class Tape<T: TensorElement> {
    @usableFromInline
    struct Record {
        let name: String
        let inputs: [Int]
        let output: Int
        /// The outputs after the first, for an op with several (`record(_:inputs:outputs:)`).
        let laterOutputs: [Int]
        /// The backward reads its outputs' gradients through `BackwardContext.outputGradient`, so they
        /// may be deferred ones (see DeferredGradient.swift).
        let readsDeferredOutput: Bool
        let backward: (BackwardContext<T>) -> Void

        @usableFromInline
        init(name: String, inputs: [Int], output: Int, laterOutputs: [Int], readsDeferredOutput: Bool,
             backward: @escaping (BackwardContext<T>) -> Void) {
            self.name = name
            self.inputs = inputs
            self.output = output
            self.laterOutputs = laterOutputs
            self.readsDeferredOutput = readsDeferredOutput
            self.backward = backward
        }
    }

    @usableFromInline var values: [Tensor<T>] = []
    @usableFromInline var grads: [TensorStorage<T>?] = []
    @usableFromInline var needsGrad: [Bool] = []
    /// Per tensor: its producer's backward takes a deferred output gradient.
    @usableFromInline var readsDeferredGradient: [Bool] = []
    /// Gradients left as a map by the backward that produced them (`BackwardContext.deferInputGradient`),
    /// written out when anyone but the tensor's producer needs them (`settleGradient`).
    @usableFromInline var deferred: [Int: DeferredGradient<T>] = [:]
    /// Per tensor, the moments of each of its planes, when the kernel that wrote it took them for a
    /// normalisation that reads it next (`conv2d(outputMoments:)`).
    @usableFromInline var outputMoments: [Int: [PlaneMoments]] = [:]
    /// Whether convs take their output's plane moments when asked (`conv2d(outputMoments:)`; on by
    /// default, off gives the normalisation's own pass, which the tests compare it with bit for bit).
    public var takesOutputMoments = true
    /// Whether backward kernels may defer gradients (on by default; off gives the stored path, which
    /// the tests compare it with bit for bit).
    public var defersGradients = true
    /// Whether models record 1x1 convs of one input as one `pointwiseConvs` (on by default; off gives
    /// one `conv2d` each, which the tests compare it with bit for bit).
    public var readsSharedInputsOnce = true
    /// Whether `backward(_:keepingGradientsOf:)` gives back the gradients it was not asked to keep (on by
    /// default; off keeps every gradient, which the tests compare it with bit for bit).
    public var releasesGradients = true
    /// During a `backward` with a keep list: per tensor, whether its gradient goes back to the pool once
    /// its producer's backward has read it. Empty otherwise.
    @usableFromInline var releasable: [Bool] = []
    /// Given-back gradients that someone else still held (an identity's input that shares the buffer, a
    /// deferred gradient that reads it): pooled as soon as they are no longer shared. Until then they stay
    /// alive here, so that no new buffer can take their address (costs are keyed by storage identity).
    @usableFromInline var releasedShared: [TensorStorage<T>] = []
    /// The keys of `costs` by gradient storage, so that a gradient going back to the pool takes its costs along.
    @usableFromInline var costKeysByGradient: [ObjectIdentifier: [CostKey]] = [:]
    /// Elements of every buffer the tape has allocated (not taken from its pool) since it was made: after
    /// the first steps, what its steps hold at most.
    public var allocatedElements = 0
    /// How many gradients the last `backward` deferred.
    @usableFromInline var deferredCount = 0
    @usableFromInline var records: [Record] = []
    @usableFromInline var pool: [Int: [TensorStorage<T>]] = [:]

    /// Wall-clock time per op, when on (off by default; the bench turns it on). Each op's forward is
    /// charged the time since the previous op was recorded, its backward the time of its closure.
    public var profile: TapeProfile? = nil
    @usableFromInline var profileMark: UInt64 = 0
    /// `cost` results since the last `backward`: probes ask for one tensor under several names (a skip
    /// edge's input is its output, a node with one edge is that edge's output). Backward kernels whose
    /// own sums give their output's cost put it here first (`BackwardContext.setOutputCost`). Keyed
    /// by the pair of storages, not the tensor: an identity's output is its input's value with its
    /// gradient, and must get the very same number however the first of the two was computed.
    @usableFromInline var costs: [CostKey: Double] = [:]

    public init() {}

    /// Number of tensors recorded so far.
    public var count: Int { values.count }

    // MARK: - Recording

    /// Records an input tensor. Gradients flow into it when `requiresGrad` is true (parameters,
    /// probed inputs); constants (data, labels as floats) pass false.
    @inlinable @discardableResult
    public func leaf(_ value: Tensor<T>, requiresGrad: Bool = true) -> Var {
        values.append(value)
        grads.append(nil)
        needsGrad.append(requiresGrad)
        readsDeferredGradient.append(false)
        return Var(id: values.count - 1)
    }

    /// Records a tensor that never receives a gradient.
    @inlinable
    public func constant(_ value: Tensor<T>) -> Var { leaf(value, requiresGrad: false) }

    /// A tensor of `shape` for an op's output, reusing a pooled buffer when one fits.
    /// The contents are undefined: the forward kernel must write every element.
    @inlinable
    public func makeOutput(shape: [Int]) -> Tensor<T> {
        Tensor(shape: shape, storage: takeStorage(count: Tensor<T>.elementCount(shape), zeroed: false))
    }

    /// Records the result of a differentiable op.
    ///
    /// - Parameters:
    ///   - name: the op name, for debug dumps.
    ///   - inputs: the op's tensor inputs; `backward` addresses them by position.
    ///   - output: the forward result.
    ///   - readsDeferredOutput: `backward` reads the output's gradient only through
    ///     `context.outputGradient` (never `dOutput`), so it may be left deferred.
    ///   - backward: adds the vector-Jacobian product of the output's gradient into each input's
    ///     gradient (`context.dInput(k)`, nil when input k needs none). It must not capture the tape.
    /// - Returns: the output's handle. When no input needs a gradient, the output is a constant and
    ///   `backward` is dropped.
    @inlinable
    public func record(
        _ name: String, inputs: [Var], output: Tensor<T>, readsDeferredOutput: Bool = false,
        backward: @escaping (BackwardContext<T>) -> Void
    ) -> Var {
        record(name, inputs: inputs, outputs: [output], readsDeferredOutput: readsDeferredOutput, backward: backward)[0]
    }

    /// Records an op with several outputs (several convs that read one input in one pass). Its
    /// backward runs once, when any output has a gradient, and reads output k's through
    /// `context.outputGradient(k)` (nil when none reached it). Otherwise as `record(_:inputs:output:)`.
    @inlinable
    public func record(
        _ name: String, inputs: [Var], outputs: [Tensor<T>], readsDeferredOutput: Bool = false,
        backward: @escaping (BackwardContext<T>) -> Void
    ) -> [Var] {
        precondition(!outputs.isEmpty, "record: an op without outputs")
        if profile != nil { chargeForward(name) }
        let inputIDs = inputs.map(\.id)
        let differentiable = inputIDs.contains { needsGrad[$0] }
        let outs = outputs.map { leaf($0, requiresGrad: differentiable) }
        if differentiable {
            records.append(Record(name: name, inputs: inputIDs, output: outs[0].id, laterOutputs: outs.dropFirst().map(\.id),
                                  readsDeferredOutput: readsDeferredOutput, backward: backward))
            for out in outs { readsDeferredGradient[out.id] = readsDeferredOutput }
        }
        return outs
    }

    // MARK: - Reading

    @inlinable public func value(_ v: Var) -> Tensor<T> { values[v.id] }
    @inlinable public func shape(_ v: Var) -> [Int] { values[v.id].shape }
    @inlinable public func requiresGrad(_ v: Var) -> Bool { needsGrad[v.id] }

    /// The gradient of the last `backward` root with respect to `v`, or nil when none reached it
    /// (which means zero).
    @inlinable
    public func gradient(_ v: Var) -> Tensor<T>? {
        settleGradient(v.id)
        guard let g = grads[v.id] else { return nil }
        return Tensor(shape: values[v.id].shape, storage: g)
    }

    /// The paper's cost of a recorded tensor X: sum over all elements of dL/dX * X, accumulated in
    /// Double in a fixed order (independent of the thread count). Zero when no gradient reached X.
    /// A normalisation's output comes from its backward's plane sums, and the input of a separable
    /// conv that alone wrote its gradient from that backward's own plane dots (no pass over X).
    @inlinable
    public func cost(_ v: Var) -> Double { cost(v, against: v) }

    /// sum over all elements of dL/dv * value(x) for a tensor x of v's shape: for example the gradient
    /// that reached one handle of a node against the node itself. Known pairs are not recomputed, so
    /// where x and v share their value (an identity handle) this is `cost(v)`, one dot product for both.
    /// - Precondition: x has v's shape.
    @inlinable
    public func cost(_ v: Var, against x: Var) -> Double {
        settleGradient(v.id)
        guard let g = grads[v.id] else { return 0 }
        precondition(values[x.id].shape == values[v.id].shape,
                     "cost: gradient of shape \(values[v.id].shape) against a value of shape \(values[x.id].shape)")
        let key = CostKey(value: values[x.id].storage, gradient: g)
        if let known = costs[key] { return known }
        let start = profile == nil ? 0 : TapeProfile.now()
        defer { if profile != nil { profile!.add("cost", TapeProfile.now() - start) } }
        let value = values[x.id].withUnsafeBufferPointer { x in
            DeterministicSum.dot(UnsafeBufferPointer(g.buffer), x)
        }
        storeCost(key, value)
        return value
    }

    // MARK: - Profiling

    /// Charges the time since the last mark to `name`'s forward and moves the mark to now.
    @usableFromInline
    func chargeForward(_ name: String) {
        let now = TapeProfile.now()
        if profileMark != 0 { profile!.add(name + ".forward", now - profileMark) }
        profileMark = now
    }

    // MARK: - Back-propagation

    /// Back-propagates from `root`. A scalar root is seeded with 1; otherwise pass `seed` (the
    /// upstream gradient, same shape), which back-propagates the loss sum(root * seed).
    /// Gradients from earlier calls are cleared first.
    ///
    /// - Parameter kept: when given, only the leaves' gradients and these tensors' are kept for reading
    ///   after the pass (`gradient`, `cost`); every other gradient goes back to the pool as soon as its
    ///   producer's backward has read it, and later backwards reuse its buffer, so the pass holds the
    ///   gradients in flight rather than all of them (a mixture step's peak memory). nil keeps every gradient.
    public func backward(_ root: Var, seed: Tensor<T>? = nil, keepingGradientsOf kept: [Var]? = nil) {
        costs.removeAll(keepingCapacity: true)
        costKeysByGradient.removeAll(keepingCapacity: true)
        deferred.removeAll(keepingCapacity: true)  // first: the maps hold gradient buffers
        deferredCount = 0
        for i in grads.indices where grads[i] != nil { recycle(&grads[i]) }
        let rootGrad = takeStorage(count: values[root.id].count, zeroed: false)
        if let seed {
            precondition(seed.shape == values[root.id].shape,
                         "backward: seed shape \(seed.shape) != root shape \(values[root.id].shape)")
            seed.withUnsafeBufferPointer { rootGrad.pointer.update(from: $0.baseAddress!, count: $0.count) }
        } else {
            precondition(values[root.id].count == 1,
                         "backward: root of shape \(values[root.id].shape) needs a seed")
            rootGrad.pointer[0] = 1
        }
        grads[root.id] = rootGrad
        releasable.removeAll(keepingCapacity: true)
        if let kept, releasesGradients {
            releasable = Array(repeating: false, count: values.count)
            for record in records {
                releasable[record.output] = true
                for id in record.laterOutputs { releasable[id] = true }
            }
            for v in kept { releasable[v.id] = false }
            releasable[root.id] = false
        }
        for record in records.reversed() where record.output <= root.id {
            // A deferred gradient is written out before anyone but its tensor's producer adds into it.
            if !deferred.isEmpty { for id in record.inputs { settleGradient(id) } }
            let first = producerGradient(record.output, readsDeferred: record.readsDeferredOutput)
            let later = record.laterOutputs.map { producerGradient($0, readsDeferred: record.readsDeferredOutput) }
            guard first != nil || later.contains(where: { $0 != nil }) else { continue }
            let stored = first?.stored.map { UnsafeBufferPointer(start: $0, count: values[record.output].count) }
            let context = BackwardContext(tape: self, inputs: record.inputs, output: record.output,
                                          dOutput: stored ?? UnsafeBufferPointer(start: nil, count: 0),
                                          outputGradient: first ?? OutputGradient(), laterOutputGradients: later)
            let start = profile == nil ? 0 : TapeProfile.now()
            record.backward(context)
            if profile != nil { profile!.add(record.name + ".backward", TapeProfile.now() - start) }
            // Every consumer of the outputs came later in the forward, so nothing reads their gradients again.
            if !releasable.isEmpty {
                releaseGradient(record.output)
                for id in record.laterOutputs { releaseGradient(id) }
                poolUnsharedReleases()
            }
        }
        releasable.removeAll(keepingCapacity: true)
        profileMark = 0
    }

    /// Gives tensor `id`'s gradient back when the keep list of this `backward` allows it: to the pool
    /// when nobody else holds the buffer, otherwise to `releasedShared` until nobody does.
    @inlinable
    func releaseGradient(_ id: Int) {
        guard releasable[id] else { return }
        deferred.removeValue(forKey: id)
        guard grads[id] != nil else { return }
        if isKnownUniquelyReferenced(&grads[id]!) {
            poolGradient(grads[id]!)
        } else {
            releasedShared.append(grads[id]!)
        }
        grads[id] = nil
    }

    /// Pools the given-back gradients that are no longer shared.
    @inlinable
    func poolUnsharedReleases() {
        var i = 0
        while i < releasedShared.count {
            if isKnownUniquelyReferenced(&releasedShared[i]) {
                releasedShared.swapAt(i, releasedShared.count - 1)
                poolGradient(releasedShared.removeLast())
            } else {
                i += 1
            }
        }
    }

    /// Pools a gradient buffer nobody else holds, with the costs recorded against it (a buffer that
    /// comes back as another tensor's gradient must not find them).
    @inlinable
    func poolGradient(_ storage: TensorStorage<T>) {
        if let keys = costKeysByGradient.removeValue(forKey: ObjectIdentifier(storage)) {
            for key in keys { costs.removeValue(forKey: key) }
        }
        pool[storage.count, default: []].append(storage)
    }

    /// Records a cost, indexed by its gradient storage (see `poolGradient`).
    @inlinable
    func storeCost(_ key: CostKey, _ value: Double) {
        costs[key] = value
        costKeysByGradient[key.gradient, default: []].append(key)
    }

    /// Tensor `id`'s gradient as its producer's backward reads it: the deferred map when the producer
    /// reads those, otherwise the stored buffer (written out first if it was deferred); nil when no
    /// gradient reached it.
    @inlinable
    func producerGradient(_ id: Int, readsDeferred: Bool) -> OutputGradient<T>? {
        if readsDeferred, let pending = deferred[id] { return OutputGradient(deferred: pending) }
        settleGradient(id)
        return grads[id].map { OutputGradient(stored: UnsafePointer($0.pointer)) }
    }

    /// Writes tensor `id`'s deferred gradient, if it has one, into a buffer of its own.
    @inlinable
    func settleGradient(_ id: Int) {
        guard !deferred.isEmpty, let pending = deferred.removeValue(forKey: id) else { return }
        let g = takeStorage(count: values[id].count, zeroed: false)
        pending.write(into: g.pointer)
        grads[id] = g
    }

    /// The gradient buffer of tensor `id`, created zero-filled on first use.
    @inlinable
    func gradientBuffer(_ id: Int) -> UnsafeMutableBufferPointer<T> {
        if grads[id] != nil { forgetCost(id); return ownedGradient(id).buffer }
        let g = takeStorage(count: values[id].count, zeroed: true)
        grads[id] = g
        return g.buffer
    }

    /// The gradient buffer of tensor `id` for a kernel that writes every element: an existing one
    /// to add into, or a fresh one, not zero-filled, that the kernel must store into.
    /// With `fromSharedBase`, a gradient shared with another tensor is not copied first: the target
    /// is a fresh buffer with the shared one as `base`, and the kernel writes base + value (one pass
    /// instead of a copy and an add).
    @inlinable
    func gradientTarget(_ id: Int, fromSharedBase: Bool = false) -> GradientTarget<T> {
        // (The uniqueness test must come before any other reference to the storage is taken.)
        if fromSharedBase, grads[id] != nil, !isKnownUniquelyReferenced(&grads[id]!) {
            forgetCost(id)
            let shared = grads[id]!, fresh = takeStorage(count: shared.count, zeroed: false)
            grads[id] = fresh  // `shared` stays alive: the tensor it was shared with still holds it
            return GradientTarget(buffer: fresh.buffer, accumulate: true, base: UnsafePointer(shared.pointer))
        }
        if grads[id] != nil { forgetCost(id); return GradientTarget(buffer: ownedGradient(id).buffer, accumulate: true) }
        let g = takeStorage(count: values[id].count, zeroed: false)
        grads[id] = g
        return GradientTarget(buffer: g.buffer, accumulate: false)
    }

    /// Drops a cost that a backward kernel recorded for tensor `id` (`BackwardContext.setInputCost`)
    /// before its gradient is added into: the cost was of the gradient so far.
    @inlinable
    func forgetCost(_ id: Int) {
        guard !costs.isEmpty, let g = grads[id] else { return }
        costs.removeValue(forKey: CostKey(value: values[id].storage, gradient: g))
    }

    /// Makes tensor `id`'s gradient the gradient of tensor `source` itself when it has none yet,
    /// instead of a copy: an identity or a sum passes its output's gradient through unchanged, and
    /// most such inputs have no other consumer. The shared buffer is copied before anyone writes
    /// into it (`ownedGradient`). Returns false when `id` already has a gradient (add into it).
    @inlinable
    func shareGradient(_ id: Int, from source: Int) -> Bool {
        guard grads[id] == nil else { return false }
        grads[id] = grads[source]
        return true
    }

    /// Tensor `id`'s gradient storage, copied first if another tensor shares it (copy on write).
    @inlinable
    func ownedGradient(_ id: Int) -> TensorStorage<T> {
        if !isKnownUniquelyReferenced(&grads[id]!) {
            let shared = grads[id]!
            let copy = takeStorage(count: shared.count, zeroed: false)
            copy.pointer.update(from: shared.pointer, count: shared.count)
            grads[id] = copy
        }
        return grads[id]!
    }

    // MARK: - Buffer pool

    /// Forgets every recorded tensor and returns the buffers nobody else holds to the pool.
    public func reset() {
        profileMark = profile == nil ? 0 : TapeProfile.now()
        deferred.removeAll(keepingCapacity: true)
        outputMoments.removeAll(keepingCapacity: true)
        records.removeAll(keepingCapacity: true)  // releases the values captured by closures first
        for i in grads.indices { recycle(&grads[i]) }
        while var storage = releasedShared.popLast() {
            if isKnownUniquelyReferenced(&storage) { pool[storage.count, default: []].append(storage) }
        }
        // Last first, each released before the next is looked at: an identity's output shares its
        // input's storage, and only the last holder let go of finds it unique. (Checking every entry
        // while all were still held pooled neither, so each step allocated, and page-faulted, anew.)
        while var tensor = values.popLast() {
            if isKnownUniquelyReferenced(&tensor.storage) {
                pool[tensor.storage.count, default: []].append(tensor.storage)
            }
        }
        grads.removeAll(keepingCapacity: true)
        costs.removeAll(keepingCapacity: true)
        costKeysByGradient.removeAll(keepingCapacity: true)
        needsGrad.removeAll(keepingCapacity: true)
    }

    @usableFromInline
    func recycle(_ slot: inout TensorStorage<T>?) {
        if slot != nil, isKnownUniquelyReferenced(&slot!) {
            pool[slot!.count, default: []].append(slot!)
        }
        slot = nil
    }

    @inlinable
    func takeStorage(count: Int, zeroed: Bool) -> TensorStorage<T> {
        if let s = pool[count]?.popLast() {
            if zeroed { Tape.zeroFill(s.pointer, count: count) }
            return s
        }
        let storage = TensorStorage<T>(count: count, zeroed: false)
        allocatedElements += count
        if zeroed { Tape.zeroFill(storage.pointer, count: count) }
        return storage
    }

    /// Zeroes `count` elements with a byte fill (memset; 0.0 is all-zero bits), split over the kernel
    /// threads for large buffers: gradient buffers are zeroed on every backward pass.
    @inlinable
    static func zeroFill(_ pointer: UnsafeMutablePointer<T>, count: Int) {
        let chunk = 1 << 16
        let chunks = (count + chunk - 1) / chunk
        Parallel.forEach(chunks) { c in
            let lo = c * chunk, n = Swift.min(count, lo + chunk) - lo
            UnsafeMutableRawPointer(pointer + lo).initializeMemory(as: UInt8.self, repeating: 0,
                                                                  count: n * MemoryLayout<T>.stride)
        }
    }
}

/// A (value, gradient) pair of storages whose cost is known. Storages are never written while both
/// are held (gradients are copied before a shared one is added into), so the pair fixes the number.
@usableFromInline
struct CostKey: Hashable {
    @usableFromInline let value: ObjectIdentifier, gradient: ObjectIdentifier

    @inlinable
    init<T>(value: TensorStorage<T>, gradient: TensorStorage<T>) {
        self.value = ObjectIdentifier(value)
        self.gradient = ObjectIdentifier(gradient)
    }
}

/// Where a backward kernel puts an input's gradient. A tensor's first gradient is stored into a
/// fresh buffer (`accumulate` false: its contents are undefined, so every element must be written);
/// later ones are added (fan-out), which saves zero-filling the buffer and reading the zeros back.
public struct GradientTarget<T: TensorElement> {
    public let buffer: UnsafeMutableBufferPointer<T>
    public let accumulate: Bool
    /// When set (only for kernels that ask, `dInputTarget(_:fromSharedBase:)`), the gradient so far is
    /// here, shared with another tensor, and `buffer` is a fresh one: write base[i] + value.
    public let base: UnsafePointer<T>?

    @inlinable
    public init(buffer: UnsafeMutableBufferPointer<T>, accumulate: Bool, base: UnsafePointer<T>? = nil) {
        self.buffer = buffer
        self.accumulate = accumulate
        self.base = base
    }

    /// Writes `value` at `i`: stores it, or adds it to what is there.
    @inlinable @inline(__always)
    public func write(_ i: Int, _ value: T) {
        if accumulate { buffer[i] += value } else { buffer[i] = value }
    }
}

/// Nanoseconds spent per op phase ("conv2d.pointwise.backward", "cost", ...), summed over steps.
public struct TapeProfile: Sendable {
    public private(set) var nanoseconds: [String: UInt64] = [:]

    public init() {}

    @inlinable static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    @usableFromInline
    mutating func add(_ name: String, _ ns: UInt64) { nanoseconds[name, default: 0] += ns }

    /// Total measured time.
    public var total: UInt64 { nanoseconds.values.reduce(0, +) }

    /// The `k` most expensive phases, most expensive first.
    public func top(_ k: Int) -> [(name: String, nanoseconds: UInt64)] {
        nanoseconds.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(k)
            .map { ($0.key, $0.value) }
    }
}

/// What an op's backward closure sees: the output's gradient and lazily allocated, zero-filled
/// gradient buffers of its inputs, into which it adds.
public struct BackwardContext<T: TensorElement> {
    @usableFromInline unowned let tape: Tape<T>
    @usableFromInline let inputs: [Int]
    @usableFromInline let output: Int
    /// dL/d(output), in the output's layout. Empty for a record that reads a deferred gradient
    /// (`readsDeferredOutput`): such a backward reads `outputGradient` instead.
    public let dOutput: UnsafeBufferPointer<T>
    /// dL/d(output), stored or deferred (of the first output, for an op with several; empty when
    /// none reached that one).
    public let outputGradient: OutputGradient<T>
    /// The gradients of an op's outputs after the first (nil where none reached the output).
    @usableFromInline let laterOutputGradients: [OutputGradient<T>?]

    @inlinable
    init(tape: Tape<T>, inputs: [Int], output: Int, dOutput: UnsafeBufferPointer<T>,
         outputGradient: OutputGradient<T>, laterOutputGradients: [OutputGradient<T>?] = []) {
        self.tape = tape
        self.inputs = inputs
        self.output = output
        self.dOutput = dOutput
        self.outputGradient = outputGradient
        self.laterOutputGradients = laterOutputGradients
    }

    /// The gradient of output `k` of an op with several outputs, stored or deferred; nil when none
    /// reached it.
    @inlinable
    public func outputGradient(_ k: Int) -> OutputGradient<T>? {
        if k > 0 { return laterOutputGradients[k - 1] }
        return outputGradient.isEmpty ? nil : outputGradient
    }

    /// The forward value of input `k`.
    @inlinable public func input(_ k: Int) -> Tensor<T> { tape.values[inputs[k]] }
    /// The forward value of the output.
    @inlinable public var outputValue: Tensor<T> { tape.values[output] }
    /// Records sum(dL/d(output) * output), the output's cost, for `Tape.cost` to return instead of
    /// making its own pass: for a kernel whose backward sums already give it. The output's gradient
    /// is complete when its record's backward runs (every consumer was recorded later).
    @inlinable public func setOutputCost(_ value: Double) {
        guard let g = tape.grads[output] else { return }  // a deferred gradient has no storage to key on
        tape.storeCost(CostKey(value: tape.values[output].storage, gradient: g), value)
    }
    /// The storage of the output's gradient (nil when it is deferred), for a closure that must keep
    /// it alive.
    @inlinable var storedOutputGradient: TensorStorage<T>? { tape.grads[output] }
    /// Records `value` as the cost of input `k` (sum of its gradient times its value), for a kernel
    /// that summed it while it stored the input's first gradient (a `dInputTarget` with `accumulate`
    /// false). Should a later op add into that gradient, the tape drops the number (`forgetCost`).
    @inlinable public func setInputCost(_ k: Int, _ value: Double) {
        tape.storeCost(CostKey(value: tape.values[inputs[k]].storage, gradient: tape.grads[inputs[k]]!), value)
    }
    /// Leaves input `k`'s gradient as `gradient` instead of writing it, when that is its whole
    /// gradient so far (none stored), the tape allows it and the input's producer reads deferred
    /// gradients. Returns false when the caller must write the gradient itself (`dInputTarget`).
    @inlinable public func deferInputGradient(_ k: Int, _ gradient: DeferredGradient<T>) -> Bool {
        let id = inputs[k]
        guard tape.defersGradients, tape.needsGrad[id], tape.readsDeferredGradient[id], tape.grads[id] == nil,
              tape.deferred[id] == nil, gradient.planes * gradient.planeSize == tape.values[id].count else { return false }
        tape.deferred[id] = gradient
        tape.deferredCount += 1
        return true
    }
    /// Whether input `k` wants a gradient.
    @inlinable public func needsGradient(_ k: Int) -> Bool { tape.needsGrad[inputs[k]] }

    /// The gradient buffer of input `k` to add into (zero-filled on first use), or nil when that
    /// input needs no gradient.
    @inlinable
    public func dInput(_ k: Int) -> UnsafeMutableBufferPointer<T>? {
        tape.needsGrad[inputs[k]] ? tape.gradientBuffer(inputs[k]) : nil
    }

    /// Passes the output's gradient to input `k` unchanged (identity, sum): shares the buffer when
    /// the input has no gradient yet. Returns true when that is done (or no gradient is needed), false
    /// when the caller must add the output's gradient into `dInputTarget(k)`.
    @inlinable
    public func passOutputGradient(_ k: Int) -> Bool {
        guard tape.needsGrad[inputs[k]] else { return true }
        return tape.shareGradient(inputs[k], from: output)
    }

    /// Input `k`'s gradient for a kernel that writes every element of it (see `GradientTarget`),
    /// or nil when that input needs no gradient. When one tensor is several inputs of an op, ask for
    /// them in order and write them in that order per element: only the first one stores.
    /// `fromSharedBase`: the kernel handles `GradientTarget.base` (see there).
    @inlinable
    public func dInputTarget(_ k: Int, fromSharedBase: Bool = false) -> GradientTarget<T>? {
        tape.needsGrad[inputs[k]] ? tape.gradientTarget(inputs[k], fromSharedBase: fromSharedBase) : nil
    }
}

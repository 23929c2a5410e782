// A gradient that is not written to memory until someone needs it there.
//
// A normalisation's input gradient is a cheap per-plane map of tensors that are already stored
// (dx = a * dy + b * (x - centre) + d, see Ops/Normalization.swift), and its input is almost always
// a conv output that nothing else reads. Writing that gradient out and having the conv's backward
// read it back moves a whole tensor through memory twice; instead the normalisation leaves the map
// on the tape (`BackwardContext.deferInputGradient`) and the conv asks for one sample's planes at a
// time into a scratch that stays in cache (`OutputGradient.planes`). Anyone else who touches the
// gradient (another consumer adding into it, `Tape.gradient`, `Tape.cost`) gets it written out
// first, plane by plane with the same map, so every number is bitwise what the stored path gives.

/// A gradient given by a function of the plane index: planes `0..<planes` of `planeSize` elements.
public struct DeferredGradient<T: TensorElement> {
    public let planes: Int
    public let planeSize: Int
    /// Writes plane `p` (elements p * planeSize ..< (p + 1) * planeSize) to `destination`.
    public let writePlane: (_ p: Int, _ destination: UnsafeMutablePointer<T>) -> Void

    @inlinable
    public init(planes: Int, planeSize: Int, writePlane: @escaping (Int, UnsafeMutablePointer<T>) -> Void) {
        self.planes = planes
        self.planeSize = planeSize
        self.writePlane = writePlane
    }

    /// Writes every plane into `buffer` (planes * planeSize elements).
    @inlinable
    public func write(into buffer: UnsafeMutablePointer<T>) {
        Parallel.forEach(planes) { p in writePlane(p, buffer + p * planeSize) }
    }
}

/// Where a backward kernel reads its output's gradient from: memory, or a `DeferredGradient` whose
/// planes it asks for into a scratch of its own.
public struct OutputGradient<T: TensorElement> {
    @usableFromInline let stored: UnsafePointer<T>?
    @usableFromInline let deferred: DeferredGradient<T>?

    @inlinable public init(stored: UnsafePointer<T>) { self.stored = stored; self.deferred = nil }
    @inlinable public init(deferred: DeferredGradient<T>) { self.stored = nil; self.deferred = deferred }
    /// No gradient: the first output of an op with several that no gradient reached.
    @inlinable init() { self.stored = nil; self.deferred = nil }

    /// Whether this is the empty gradient of `init()`.
    @inlinable var isEmpty: Bool { stored == nil && deferred == nil }

    /// Whether `planes(_:_:scratch:)` writes into its scratch (so the caller must allocate one).
    @inlinable public var needsScratch: Bool { deferred != nil }

    /// Elements `start ..< start + count`, which must be whole planes: a pointer into the stored
    /// gradient, or `scratch` after the deferred one wrote them there.
    @inlinable @inline(__always)
    public func elements(_ start: Int, _ count: Int, scratch: UnsafeMutablePointer<T>?) -> UnsafePointer<T> {
        if let stored { return stored + start }
        let d = deferred!, first = start / d.planeSize
        for p in first..<(first + count / d.planeSize) { d.writePlane(p, scratch! + (p - first) * d.planeSize) }
        return UnsafePointer(scratch!)
    }
}

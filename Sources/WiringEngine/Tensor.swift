// Tensor: a dense, contiguous, row-major array (NCHW for images) of Float or Double.
// A value type with copy-on-write storage: copies are cheap until one of them is written.

/// A dense row-major tensor. Image tensors are NCHW: batch, channels, height, width.
public struct Tensor<T: TensorElement>: @unchecked Sendable {
    /// The extent of each dimension, outermost first.
    public let shape: [Int]
    @usableFromInline var storage: TensorStorage<T>

    /// Number of elements (the product of `shape`).
    @inlinable public var count: Int { storage.count }

    /// A tensor of zeros.
    @inlinable
    public init(zeros shape: [Int]) {
        self.shape = shape
        storage = TensorStorage(count: Tensor.elementCount(shape), zeroed: true)
    }

    /// A tensor filled with `value`.
    @inlinable
    public init(shape: [Int], repeating value: T) {
        self.shape = shape
        storage = TensorStorage(count: Tensor.elementCount(shape), zeroed: false)
        storage.pointer.initialize(repeating: value, count: storage.count)
    }

    /// A tensor holding `scalars` in row-major order.
    /// - Precondition: `scalars.count` equals the product of `shape`.
    @inlinable
    public init(shape: [Int], scalars: [T]) {
        precondition(scalars.count == Tensor.elementCount(shape),
                     "Tensor(shape: \(shape)): got \(scalars.count) scalars")
        self.shape = shape
        storage = TensorStorage(count: scalars.count, zeroed: false)
        scalars.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: scalars.count) }
    }

    /// Wraps existing storage (used by the tape's buffer pool).
    @inlinable
    public init(shape: [Int], storage: TensorStorage<T>) {
        precondition(storage.count == Tensor.elementCount(shape), "Tensor: storage size does not match \(shape)")
        self.shape = shape
        self.storage = storage
    }

    /// A scalar (rank-0) tensor.
    @inlinable
    public init(scalar: T) { self.init(shape: [], scalars: [scalar]) }

    @inlinable
    public static func elementCount(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape {
            precondition(d >= 0, "Tensor: negative dimension in \(shape)")
            n *= d
        }
        return n
    }

    /// The elements in row-major order.
    @inlinable public var scalars: [T] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

    /// The single element of a one-element tensor.
    @inlinable public var scalar: T {
        precondition(count == 1, "Tensor.scalar on shape \(shape)")
        return storage.pointer[0]
    }

    @inlinable
    public subscript(flat index: Int) -> T {
        get {
            precondition(index >= 0 && index < count, "Tensor index \(index) out of range \(count)")
            return storage.pointer[index]
        }
        set {
            precondition(index >= 0 && index < count, "Tensor index \(index) out of range \(count)")
            makeUnique()
            storage.pointer[index] = newValue
        }
    }

    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<T>) throws -> R
    ) rethrows -> R {
        makeUnique()
        return try body(storage.buffer)
    }

    /// Copies the storage if another tensor shares it, so that writes stay private.
    @inlinable
    public mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    }

    /// The same elements viewed with another shape of equal element count (no copy).
    @inlinable
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(Tensor.elementCount(newShape) == count, "reshape \(shape) -> \(newShape)")
        return Tensor(shape: newShape, storage: storage)
    }

    /// Converts every element to another precision.
    @inlinable
    public func converted<U: TensorElement>(to: U.Type = U.self) -> Tensor<U> {
        var result = Tensor<U>(zeros: shape)
        result.withUnsafeMutableBufferPointer { out in
            for i in 0..<count { out[i] = U(storage.pointer[i]) }
        }
        return result
    }

    /// Row-major strides of `shape`.
    @inlinable public var strides: [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            s[i] = acc
            acc *= shape[i]
        }
        return s
    }
}

extension Tensor: Equatable {
    /// Bitwise-equal shape and elements (NaN payloads compared by value semantics of `==`).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.withUnsafeBufferPointer { a in
            rhs.withUnsafeBufferPointer { b in a.elementsEqual(b) }
        }
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor<\(T.precisionName)>\(shape) [\(preview)\(count > 8 ? ", ..." : "")]"
    }
}

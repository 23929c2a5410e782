// A fixed-size heap buffer owned by one or more Tensors (copy-on-write) or by a Tape's pool.
// Kernels work on its raw pointer, so there is no array bounds or exclusivity overhead in hot loops.

/// Raw element storage for `Tensor`. Not thread-safe to mutate from several owners; `Tensor`
/// copies it before writing when it is shared.
public final class TensorStorage<T: TensorElement>: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<T>
    public let count: Int

    /// Allocates `count` elements. The contents are uninitialised unless `zeroed` is true.
    @inlinable
    public init(count: Int, zeroed: Bool) {
        precondition(count >= 0, "TensorStorage: negative count \(count)")
        self.count = count
        pointer = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(count, 1))
        if zeroed {
            UnsafeMutableRawPointer(pointer).initializeMemory(as: UInt8.self, repeating: 0,
                                                             count: count * MemoryLayout<T>.stride)
        }
    }

    deinit { pointer.deallocate() }

    @inlinable
    public func copy() -> TensorStorage<T> {
        let result = TensorStorage(count: count, zeroed: false)
        result.pointer.update(from: pointer, count: count)
        return result
    }

    @inlinable
    public var buffer: UnsafeMutableBufferPointer<T> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}

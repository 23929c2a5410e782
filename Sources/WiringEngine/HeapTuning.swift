// Keeps freed memory in the process so that the next step reuses it without page faults.
//
// The tape pools its own tensor buffers, but kernels and callers also allocate short-lived large
// blocks (max-pool argmax indices, im2col columns, gradients handed to the optimiser). glibc serves
// blocks over 128 KiB with mmap and returns them, and trims the heap's top, on free; the next step
// then touches fresh pages, each a page fault with a page clear: ~40k faults per step of 8 original
// cells at B = 64 before the tape fix, ~10k after it, which this removes. The cost is a resident
// size that stays at its peak, which the tape's pool holds anyway.
#if canImport(Glibc)
import Glibc
#endif

public enum HeapTuning {
    /// Serves blocks up to 32 MiB (glibc's largest setting) from the heap and never trims it.
    /// Call once at process start, before any threads allocate; a no-op off glibc.
    public static func retainFreedMemory() {
        #if canImport(Glibc)
        // mallopt is in <malloc.h>, which Glibc's module map leaves out: look it up (RTLD_DEFAULT is
        // a null handle). M_TRIM_THRESHOLD is -1 and M_MMAP_THRESHOLD -3 there.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3
        _ = mallopt(mmapThreshold, 32 << 20)
        _ = mallopt(trimThreshold, Int32.max)
        #endif
    }

    /// Hands the heap's free memory back to the system (malloc_trim), for a process that has finished
    /// with a large workload and starts another (the bench between steps, before its peer runs its own).
    public static func returnFreedMemory() {
        #if canImport(Glibc)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }
}

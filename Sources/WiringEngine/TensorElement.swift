// The element types a Tensor may hold: Float (default, speed) and Double (exact-identity
// studies and comparison with float64 references). One generic implementation serves both;
// kernels are `@inlinable` so each module gets specialised copies.
import RealModule

/// A floating-point scalar the engine computes with: `Float` or `Double`.
///
/// `Real` (swift-numerics) gives generic `exp`, `log` and `sqrt`; `SIMDScalar` lets kernels use
/// `SIMD8<T>` / `SIMD16<T>` vectors.
public protocol TensorElement: Real, BinaryFloatingPoint, SIMDScalar, Sendable, Codable
where Self.RawSignificand: FixedWidthInteger {
    /// A short name for logs and result attributes ("float32", "float64").
    static var precisionName: String { get }
}

extension Float: TensorElement {
    public static var precisionName: String { "float32" }
}

extension Double: TensorElement {
    public static var precisionName: String { "float64" }
}

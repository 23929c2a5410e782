// Identity: the same tensor under a new handle, so that gradient arriving through one consumer
// can be told apart from gradient arriving through another. The probes use it to split a node's
// cost into the part that comes through the cell output and the part through outgoing edges
// (reference-spec section 9.2). No copy: the output shares the input's storage.

extension Tape {
    /// y = x as a separate tape entry; backward adds dL/dy into dL/dx (shares dL/dy when it is the first).
    @inlinable
    public func identity(_ x: Var) -> Var {
        record("identity", inputs: [x], output: value(x)) { ctx in
            guard !ctx.passOutputGradient(0), let dx = ctx.dInputTarget(0, fromSharedBase: true) else { return }
            sumBackward([dx], ctx.dOutput)
        }
    }
}

import VFCIR

/// Appends backward code to a function, typing every new value with the op's shape rule
/// as it is emitted, so gradient rules can ask for the types of what they build.
///
/// A shape-rule failure here is a bug in a gradient rule, not a user error: it is reported
/// as an internal error at the forward op being differentiated.
public struct GradBuilder {
    public var function: Function
    public let module: Module
    /// The forward op whose gradient is being emitted: new instructions carry its location.
    public var loc: SourceLoc
    /// The name new values get (`d_h`); the printer makes repeats unique.
    public var name: String

    public init(function: Function, module: Module) {
        self.function = function
        self.module = module
        loc = function.loc
        name = "d"
    }

    /// The type of an operand (nil for a literal).
    public func type(_ o: Operand) -> TensorType? { function.type(of: o, in: module) }

    /// The type of an operand that must be a tensor.
    public func tensorType(_ o: Operand) throws(DiagnosticError) -> TensorType {
        guard let t = type(o) else { throw internalError("expected a tensor operand, got a literal") }
        return t
    }

    public func internalError(_ message: String) -> DiagnosticError {
        DiagnosticError(loc, .internalError(pass: "autodiff", message))
    }

    /// Appends `op` and returns its (single) result.
    public mutating func emit(_ op: Op, _ operands: [Operand], declared: TensorType? = nil) throws(DiagnosticError) -> Operand {
        let types: [TensorType?]
        do {
            types = try ShapeRules.infer(op, operands: operands.map { type($0) }, declared: [declared])
        } catch {
            throw DiagnosticError(loc, .internalShapeRule(pass: "autodiff", op: op.name, error))
        }
        let ids = function.append(op, operands, resultNames: [name], types: types, loc: loc)
        return .value(ids[0])
    }

    // MARK: conveniences used by the rules

    public mutating func constant(_ v: Double, _ t: TensorType) throws(DiagnosticError) -> Operand {
        try emit(.constant(.splat(v)), [], declared: t)
    }

    public mutating func zeros(_ t: TensorType) throws(DiagnosticError) -> Operand { try constant(0, t) }

    public mutating func unary(_ u: UnaryOp, _ x: Operand) throws(DiagnosticError) -> Operand { try emit(.unary(u), [x]) }

    public mutating func binary(_ op: BinaryOp, _ a: Operand, _ b: Operand) throws(DiagnosticError) -> Operand {
        try emit(.binary(op), [a, b])
    }

    public mutating func add(_ a: Operand, _ b: Operand) throws(DiagnosticError) -> Operand { try binary(.add, a, b) }
    public mutating func sub(_ a: Operand, _ b: Operand) throws(DiagnosticError) -> Operand { try binary(.sub, a, b) }
    public mutating func mul(_ a: Operand, _ b: Operand) throws(DiagnosticError) -> Operand { try binary(.mul, a, b) }
    public mutating func div(_ a: Operand, _ b: Operand) throws(DiagnosticError) -> Operand { try binary(.div, a, b) }
    public mutating func neg(_ a: Operand) throws(DiagnosticError) -> Operand { try unary(.neg, a) }

    public mutating func select(_ c: Operand, _ a: Operand, _ b: Operand) throws(DiagnosticError) -> Operand {
        try emit(.select, [c, a, b])
    }

    public mutating func reduceSum(_ x: Operand, axes: [Int], keepDims: Bool = false) throws(DiagnosticError) -> Operand {
        axes.isEmpty ? x : try emit(.reduce(.sum, axes: axes, keepDims: keepDims), [x])
    }

    public mutating func broadcast(_ x: Operand, to shape: [Dim], dims: [Int]) throws(DiagnosticError) -> Operand {
        if let t = type(x), t.shape == shape, dims == Array(0..<shape.count) { return x }
        return try emit(.broadcast(shape: shape, dims: dims), [x])
    }

    public mutating func reshape(_ x: Operand, _ shape: [Dim]) throws(DiagnosticError) -> Operand {
        if let t = type(x), t.shape == shape { return x }
        return try emit(.reshape(shape: shape), [x])
    }

    public mutating func transpose(_ x: Operand, _ perm: [Int]) throws(DiagnosticError) -> Operand {
        perm == Array(0..<perm.count) ? x : try emit(.transpose(perm: perm), [x])
    }

    /// `x` summed down to `target`'s shape when `target` is rank 0 and `x` is not (the
    /// gradient of an operand that an elementwise op broadcast implicitly); otherwise `x`.
    public mutating func sumToOperand(_ x: Operand, _ target: TensorType?) throws(DiagnosticError) -> Operand {
        guard let target, target.rank == 0, let t = type(x), t.rank > 0 else { return x }
        return try reduceSum(x, axes: Array(0..<t.rank))
    }

    /// A mask (`i1`/`u8`) broadcast along trailing axes to `shape` (masks [N, T] over [N, T, D]).
    public mutating func expandMask(_ m: Operand, to shape: [Dim]) throws(DiagnosticError) -> Operand {
        let t = try tensorType(m)
        return try broadcast(m, to: shape, dims: Array(0..<t.rank))
    }

    /// `x` with axes `axes` of `full` reinstated (as kept dims) and broadcast back to `full`:
    /// the gradient of a reduction.
    public mutating func unreduce(_ x: Operand, axes: [Int], to full: [Dim]) throws(DiagnosticError) -> Operand {
        let kept = full.indices.filter { !axes.contains($0) }
        return try broadcast(x, to: full, dims: kept)
    }
}

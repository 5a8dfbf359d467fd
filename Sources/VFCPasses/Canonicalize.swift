import VFCIR

/// `canonicalize`: constant folding and algebraic simplification, to a fixed point.
///
/// - Folds elementwise ops, `reshape`, `transpose`, `broadcast` and `convert` whose operands
///   are constants or literals (see `ConstantFolder` for the numeric rules); splat results
///   stay splat, dense results are built only up to 1024 elements.
/// - `add x, 0`, `add 0, x`, `sub x, 0`, `mul x, 1`, `mul 1, x`, `div x, 1` become `x`
///   (the 0 or 1 a literal or a splat constant), only when the result type is `x`'s type
///   (a rank-0 `x` with a splat `f32[4]` operand broadcasts, so it is not the result).
///   `add x, 0` turns `-0.0` into `+0.0`; like XLA's simplifier we accept that.
/// - `mul x, 0` is NOT folded to 0: it is NaN when `x` is NaN or infinite and `-0` when
///   `x` is negative, and a diverging loss must stay visible rather than be masked.
/// - `neg (neg x)` and `stop_gradient (stop_gradient x)` collapse; `transpose (transpose x)`
///   and `reshape (reshape x)` become one op; identity `transpose`, `reshape`,
///   `broadcast` and same-type `convert` become their operand.
///
/// Replacing a value rewrites all of its uses; the dead producer is left for `dce`.
/// Rewrites keep each result's value id and type, so types stay correct by construction.
public struct CanonicalizePass: Pass {
    public static let name = "canonicalize"
    public static let summary = "fold constants and simplify algebraic identities"

    /// Sweeps per function at most; each sweep already follows chains forward, so a
    /// fixed point normally takes two (the second only confirms it).
    public static let maxSweeps = 16

    public init() {}

    public func run(_ module: inout Module) throws(DiagnosticError) {
        for i in module.functions.indices {
            var f = module.functions[i]
            var sweeps = 0
            while sweeps < Self.maxSweeps, Self.sweep(&f, module) { sweeps += 1 }
            module.functions[i] = f
        }
    }

    /// What to do with one instruction.
    enum Rewrite {
        /// It becomes a constant with this value, keeping its result.
        case fold(ConstantValue)
        /// Its (single) result is replaced by this operand everywhere.
        case replace(Operand)
        /// It becomes this op on these operands, keeping its result.
        case rewrite(Op, [Operand])
    }

    /// One forward walk over `f`; returns whether anything changed. Instructions are
    /// rewritten in place, so later ones see earlier rewrites in the same walk.
    static func sweep(_ f: inout Function, _ module: Module) -> Bool {
        let producers = f.producers()
        // Replacing an unused value changes nothing: a dead `neg (neg x)` would otherwise
        // match again on every sweep and the fixed point would never be seen.
        let used = f.usedValues()
        var replaced: [ValueID: Operand] = [:]
        var changed = false
        for i in f.body.indices {
            f.body[i].operands = f.body[i].operands.map { Function.resolve($0, replaced) }
            guard let r = decide(f.body[i], f, module, producers) else { continue }
            switch r {
            case .fold(let value):
                f.body[i].op = .constant(value)
                f.body[i].operands = []
            case .replace(let o):
                let r = f.body[i].results[0]
                replaced[r] = o
                if used.contains(r) { changed = true }
                continue
            case .rewrite(let op, let operands):
                f.body[i].op = op
                f.body[i].operands = operands
            }
            changed = true
        }
        f.returns = f.returns.map { Function.resolve($0, replaced) }
        return changed
    }

    /// The rewrite of `inst`, if any. A separate function so that the read-only view of
    /// `f` is gone before `f` is mutated (holding it would copy the body every time).
    static func decide(_ inst: Instruction, _ f: Function, _ module: Module, _ producers: [ValueID: Int]) -> Rewrite? {
        guard inst.results.count == 1, let type = f[inst.results[0]].type else { return nil }
        let ctx = Context(f: f, module: module, producers: producers)
        if let value = ctx.fold(inst, type) { return .fold(value) }
        return ctx.simplify(inst, type)
    }

    /// Read-only view of the function being rewritten.
    struct Context {
        var f: Function
        var module: Module
        var producers: [ValueID: Int]

        /// The instruction defining `o`, if it is an instruction result.
        func producer(_ o: Operand) -> Instruction? {
            guard case .value(let v) = o, let i = producers[v] else { return nil }
            return f.body[i]
        }

        func constant(_ o: Operand) -> KnownConstant? {
            guard let p = producer(o), case .constant(let value) = p.op, let t = f.type(of: o, in: module) else { return nil }
            return KnownConstant(type: t, value: value)
        }

        /// The value of a literal or a splat constant operand.
        func scalar(_ o: Operand) -> Double? {
            if case .literal(let x) = o { return x }
            if case .splat(let x)? = constant(o)?.value { return x }
            return nil
        }

        func typeOf(_ o: Operand) -> TensorType? { f.type(of: o, in: module) }

        /// The constant value of `inst` when its operands are all known.
        func fold(_ inst: Instruction, _ type: TensorType) -> ConstantValue? {
            guard inst.op.has(.foldable) else { return nil }
            // A literal takes the element type of the op's tensor operands (select's
            // condition excluded: its values are masks).
            let valueOperands = inst.op == .select ? Array(inst.operands.dropFirst()) : inst.operands
            let literalType = valueOperands.lazy.compactMap(typeOf).first.map { TensorType($0.dtype, []) }
            var inputs: [KnownConstant] = []
            for o in inst.operands {
                if case .literal(let x) = o, let literalType {
                    inputs.append(KnownConstant(type: literalType, value: .splat(x)))
                } else if let c = constant(o) {
                    inputs.append(c)
                } else {
                    return nil
                }
            }
            return ConstantFolder.fold(inst.op, inputs, result: type)
        }

        /// An algebraic rewrite of `inst`, if one applies.
        func simplify(_ inst: Instruction, _ type: TensorType) -> Rewrite? {
            let ops = inst.operands
            // `x` may stand for the result only if it has the result's type exactly.
            func replace(_ x: Operand) -> Rewrite? { typeOf(x) == type ? .replace(x) : nil }
            switch inst.op {
            case .binary(let b) where ops.count == 2:
                let (lhs, rhs) = (scalar(ops[0]), scalar(ops[1]))
                switch b {
                case .add: return rhs == 0 ? replace(ops[0]) : lhs == 0 ? replace(ops[1]) : nil
                case .sub: return rhs == 0 ? replace(ops[0]) : nil
                case .mul: return rhs == 1 ? replace(ops[0]) : lhs == 1 ? replace(ops[1]) : nil
                case .div: return rhs == 1 ? replace(ops[0]) : nil
                default: return nil
                }
            case .unary(.neg):
                guard let p = producer(ops[0]), p.op == .unary(.neg) else { return nil }
                return replace(p.operands[0])
            case .stopGradient:
                guard let p = producer(ops[0]), p.op == .stopGradient else { return nil }
                return replace(ops[0])
            case .convert(let t):
                return typeOf(ops[0])?.dtype == t ? replace(ops[0]) : nil
            case .broadcast(let shape, let dims):
                guard let x = typeOf(ops[0]), x.shape == shape, dims == Array(0..<x.rank) else { return nil }
                return replace(ops[0])
            case .transpose(let perm):
                if perm == Array(perm.indices) { return replace(ops[0]) }
                guard let p = producer(ops[0]), case .transpose(let inner) = p.op else { return nil }
                // Result axis i is inner axis perm[i], which is operand axis inner[perm[i]].
                let composed = perm.map { inner[$0] }
                if composed == Array(composed.indices) { return replace(p.operands[0]) }
                return .rewrite(.transpose(perm: composed), p.operands)
            case .reshape(let shape):
                if typeOf(ops[0])?.shape == shape { return replace(ops[0]) }
                guard let p = producer(ops[0]), case .reshape = p.op else { return nil }
                if typeOf(p.operands[0])?.shape == shape { return replace(p.operands[0]) }
                return .rewrite(.reshape(shape: shape), p.operands)
            default:
                return nil
            }
        }
    }
}

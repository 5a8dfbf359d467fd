import VFCIR
import VFCTensor

/// The reference interpreter: runs a verified module on host tensors, one op at a time,
/// in `Double` with each result rounded to its element type. It is the semantic oracle
/// every backend is checked against, so it favours plain, deterministic loops (fixed
/// summation order) over speed, and reports every bad input as an `InterpreterError`.
public struct Interpreter: Sendable {
    /// The module to run; it must have passed `Verifier.run` (every value typed).
    public let module: Module
    /// nil: every value runs in its declared type. `.f64`: f32 values run as f64 without
    /// rounding (reference checks, `vfc run --dtype f64`). `.f32`: f64 values run as f32.
    public let floatType: DType?

    /// An interpreter for `module` (verified), computing floats as `floatType` when given.
    public init(module: Module, floatType: DType? = nil) {
        self.module = module
        self.floatType = floatType
    }

    /// Runs `function` on `inputs` (one per argument, in order) with the module's params.
    ///
    /// Symbolic dims are bound by unifying the argument types with the input shapes, after
    /// `bindings` (e.g. `--bind N=8`), which also binds symbols no argument determines.
    /// Inputs and params of f32 and f64 are converted to the type they run in; any other
    /// dtype or shape mismatch, a missing param, or a runtime failure throws an
    /// `InterpreterError`. Returns the function's results in order.
    public func run(
        function: String, inputs: [Tensor], params: [String: Tensor], bindings: [String: Int] = [:]
    ) throws -> [Tensor] {
        if let t = floatType, !t.isFloat {
            throw InterpreterError.floatType(t)
        }
        guard let f = module.function(named: function) else {
            throw InterpreterError.noFunction(function, known: module.functions.map(\.name))
        }
        let prepared = try prepareParams(used: module.paramsRead(by: f.name), given: params)
        let exec = Executor(module: module, floatType: floatType, params: prepared)
        return try exec.call(f, inputs: inputs, given: bindings, fallback: [:], depth: 0)
    }

    /// Checks the given params against their declarations and converts f32/f64 to the
    /// type they run in, once per run rather than at every use.
    private func prepareParams(used: [String], given: [String: Tensor]) throws -> [String: Tensor] {
        let missing = used.filter { given[$0] == nil }.sorted()
        if !missing.isEmpty {
            throw InterpreterError.missingParams(missing)
        }
        var out: [String: Tensor] = [:]
        for name in used {
            guard let decl = module.param(named: name) else {
                throw InterpreterError.undeclaredParam(name)
            }
            guard let t = given[name] else { continue }
            guard let shape = decl.type.staticShape else {
                throw InterpreterError.symbolicParam(name, decl.type, decl.loc)
            }
            guard Executor.compatible(decl.type.dtype, t.dtype), shape == t.shape else {
                let got = t.dtype == decl.type.dtype ? Binding.shapeString(t.shape) : "\(t.dtype)\(Binding.shapeString(t.shape))"
                throw InterpreterError.paramType(name, expected: decl.type, got: got)
            }
            let target = Executor.runtimeType(decl.type.dtype, floatType)
            out[name] = t.dtype == target ? t : t.converted(to: target)
        }
        return out
    }
}

/// The shape and element type a result is allocated with (its declared type, evaluated
/// under the bindings, with the float type the interpreter runs in).
struct ResultSpec {
    var dtype: DType
    var shape: [Int]
}

/// An operand as the kernels see it: a tensor, or a scalar literal that takes the type of
/// the op's other operands.
enum Arg {
    case tensor(Tensor)
    case literal(Double)
}

/// Runs functions for one `Interpreter.run` call: the prepared params are shared by the
/// top-level function and every callee.
struct Executor {
    let module: Module
    let floatType: DType?
    let params: [String: Tensor]

    /// Calls nest at most this deep: the verifier rejects recursion and deeper chains, this
    /// keeps an unverified module from overflowing the stack.
    static let maxCallDepth = CallGraph.maxDepth

    /// The type a value of declared type `d` is computed in.
    static func runtimeType(_ d: DType, _ floatType: DType?) -> DType {
        if let f = floatType, f.isFloat, d.isFloat { return f }
        return d
    }

    func runtimeType(_ d: DType) -> DType { Executor.runtimeType(d, floatType) }

    /// Whether a tensor of dtype `given` may stand for a declared `declared` (f32 and f64
    /// convert into each other; everything else must match exactly).
    static func compatible(_ declared: DType, _ given: DType) -> Bool {
        declared == given || (declared.isFloat && given.isFloat)
    }

    /// Runs `f` on `inputs`. `given` bindings are binding constraints (the caller's
    /// `--bind`); `fallback` bindings (a caller function's) only fill symbols that the
    /// arguments leave unbound, since a callee's `N` need not be its caller's `N`.
    func call(_ f: Function, inputs: [Tensor], given: [String: Int], fallback: [String: Int], depth: Int) throws -> [Tensor] {
        let b = try Binding.unify(f, inputs: inputs.map { ($0.dtype, $0.shape) }, given: given, fallback: fallback,
                                  dtypeMatches: Executor.compatible)
        var env = [Tensor?](repeating: nil, count: f.values.count)
        for (k, a) in f.arguments.enumerated() {
            let target = runtimeType(try Binding.declaredType(f, a).dtype)
            env[a.index] = inputs[k].dtype == target ? inputs[k] : inputs[k].converted(to: target)
        }
        let release = Executor.releasePlan(f)
        for (i, inst) in f.body.enumerated() {
            let results = try execute(inst, f, env, b, depth)
            for (r, t) in zip(inst.results, results) { env[r.index] = t }
            for v in release[i] { env[v] = nil }
        }
        var out: [Tensor] = []
        for o in f.returns {
            switch o {
            case .value(let v):
                guard v.index >= 0, v.index < env.count, let t = env[v.index] else {
                    throw InterpreterError.undefinedReturn(index: v.index, function: f.name, f.returnLoc)
                }
                out.append(t)
            case .param(let p):
                guard let t = params[p] else { throw InterpreterError.unknownReturnParam(p, f.returnLoc) }
                out.append(t)
            case .literal:
                throw InterpreterError.literalReturn(f.returnLoc)
            }
        }
        return out
    }

    /// For each instruction, the values whose last use it is (or, for results nobody
    /// reads, that it defines), so that big activations are freed as soon as possible.
    static func releasePlan(_ f: Function) -> [[Int]] {
        var last = [Int: Int]()
        for (i, inst) in f.body.enumerated() {
            for r in inst.results { last[r.index] = i }
            for case .value(let v) in inst.operands { last[v.index] = i }
        }
        for case .value(let v) in f.returns { last[v.index] = nil }
        var plan = [[Int]](repeating: [], count: f.body.count)
        for (v, i) in last.sorted(by: { $0.key < $1.key }) { plan[i].append(v) }
        return plan
    }

    /// Runs one instruction: resolves operands, evaluates and budget-checks the result
    /// types, re-checks the op's shape rule on the concrete shapes, runs the kernel.
    private func execute(_ inst: Instruction, _ f: Function, _ env: [Tensor?], _ b: [String: Int], _ depth: Int) throws -> [Tensor] {
        do {
            // Not executable: caught before its operands and results are looked at.
            if case .valueAndGrad = inst.op { throw KernelError.notExpanded }
            var args: [Arg] = []
            for o in inst.operands {
                switch o {
                case .value(let v):
                    guard v.index >= 0, v.index < env.count, let t = env[v.index] else {
                        throw KernelError.undefinedOperand(v.index)
                    }
                    args.append(.tensor(t))
                case .param(let p):
                    guard let t = params[p] else { throw KernelError.unknownParam(p) }
                    args.append(.tensor(t))
                case .literal(let x):
                    args.append(.literal(x))
                }
            }
            var specs: [ResultSpec] = []
            for r in inst.results {
                let t = try Binding.declaredType(f, r)
                let shape = try Binding.evaluate(t, b)
                guard Tensor.checkedElementCount(shape) != nil else {
                    let count = shape.reduce((1, false)) { acc, d in
                        let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                        return (p, acc.1 || o)
                    }
                    throw KernelError.resultOverBudget(t, bindings: b, count: count.1 ? nil : count.0)
                }
                specs.append(ResultSpec(dtype: runtimeType(t.dtype), shape: shape))
            }
            if case .call = inst.op {} else { try checkShapeRule(inst.op, args, specs, b) }
            let results = try dispatch(inst.op, args, specs, b, depth)
            guard results.count == specs.count else {
                throw KernelError.internalError("the kernel gave \(results.count) result(s) for \(specs.count)")
            }
            for (t, s) in zip(results, specs) where t.shape != s.shape || t.dtype != s.dtype {
                throw KernelError.internalError("the kernel gave \(t.dtype)\(Binding.shapeString(t.shape)), the result type is \(s.dtype)\(Binding.shapeString(s.shape))")
            }
            return results
        } catch let e as KernelError {
            throw InterpreterError.instruction(inst.loc, op: inst.op.name, e)
        }
    }

    /// The op's shape rule applied to the concrete operand shapes: under the bindings
    /// every relation the verifier checked symbolically must still hold, and the kernels
    /// rely on it for memory safety (no kernel indexes past a buffer it was not checked for).
    private func checkShapeRule(_ op: Op, _ args: [Arg], _ specs: [ResultSpec], _ b: [String: Int]) throws {
        let operandTypes: [TensorType?] = args.map {
            if case .tensor(let t) = $0 { return TensorType(t.dtype, t.shape.map { Dim($0) }) }
            return nil
        }
        let declared: [TensorType?] = specs.map { TensorType($0.dtype, $0.shape.map { Dim($0) }) }
        let concreteOp = try Executor.concrete(op, b)
        let inferred: [TensorType]
        do {
            inferred = try ShapeRules.infer(concreteOp, operands: operandTypes, declared: declared)
        } catch {
            throw KernelError.shapeRule(error, bindings: b)
        }
        for (t, s) in zip(inferred, specs) where runtimeType(t.dtype) != s.dtype || t.shape != s.shape.map({ Dim($0) }) {
            throw KernelError.resultMismatch(inferred: t, dtype: s.dtype, shape: s.shape, bindings: b)
        }
    }
}

extension Executor {
    /// `op` with its symbolic attribute dims (broadcast and reshape shapes, the scatter_add
    /// size) evaluated under the bindings, so that its shape rule can be applied to
    /// concrete operand shapes.
    static func concrete(_ op: Op, _ b: [String: Int]) throws -> Op {
        func eval(_ dims: [Dim]) throws -> [Dim] {
            try dims.map { d in
                guard let v = d.evaluate(b) else { throw KernelError.unboundAttributeDim(d) }
                return Dim(v)
            }
        }
        switch op {
        case .broadcast(let shape, let dims): return .broadcast(shape: try eval(shape), dims: dims)
        case .reshape(let shape): return .reshape(shape: try eval(shape))
        case .scatterAdd(let axis, let size): return .scatterAdd(axis: axis, size: try eval([size])[0])
        case .nonzero(let size, let fill): return .nonzero(size: try eval([size])[0], fill: fill)
        // Exhaustive, so that a new op with symbolic attributes cannot be missed here.
        case .unary, .binary, .compare, .select, .constant, .convert, .transpose, .slice, .concat,
             .take, .reduce, .matmul, .linear, .softmax, .logSoftmax, .layerNorm, .l2Normalize,
             .patchify, .cropSample, .cropSampleAdd, .pad, .cropSampleGrad, .stopGradient, .call,
             .valueAndGrad:
            return op
        }
    }
}

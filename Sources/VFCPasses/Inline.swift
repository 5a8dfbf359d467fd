import VFCIR

/// `inline`: replaces every `call` by the callee's body, so later passes (fusion,
/// autodiff, codegen) see one flat graph per entry point.
///
/// Callees are inlined first (post-order over the call graph), so each call is replaced
/// by a call-free body in one step. The callee's symbolic dims are bound by unifying its
/// argument types with the call's operand types, exactly as the verifier types a call,
/// and substituted in every inlined type and in dim-valued attributes (`broadcast` and
/// `reshape` shapes). Inlined values keep the callee's names (the printer adds `.1`
/// suffixes on clashes); a returned value takes the name of the call result it replaces.
/// Inlined instructions carry the call's location, so a later diagnostic points at the
/// call the user wrote. All functions stay in the module: each may be an entry point.
public struct InlinePass: Pass {
    public static let name = "inline"
    public static let summary = "replace every call by the callee's body, binding its symbolic dims"

    /// The most instructions a function may have once its calls are inlined. Inlining can
    /// grow a module exponentially (each function calling the next twice); beyond this the
    /// call that crosses the budget is a located error, before the time and memory go.
    /// The largest model of the repository (the ssl_tiny training step) has about 15,000.
    public static let maxInstructions = 250_000

    public init() {}

    public func run(_ module: inout Module) throws(DiagnosticError) {
        var state: [String: Bool] = [:]  // false: in progress, true: inlined
        for f in module.functions {
            try Self.inlineCalls(in: f.name, &module, &state, callSite: nil, depth: 0)
        }
    }

    /// Inlines every call in the function named `name`, after its callees.
    /// The recursion is as deep as the calls nest, which the verifier bounds; `depth` keeps
    /// an unverified module from overflowing the stack all the same.
    static func inlineCalls(in name: String, _ module: inout Module, _ state: inout [String: Bool], callSite: SourceLoc?, depth: Int = 0) throws(DiagnosticError) {
        guard depth <= CallGraph.maxDepth else {
            throw DiagnosticError(callSite ?? .unknown, .inline(.callsTooDeep(callee: name, maxDepth: CallGraph.maxDepth)))
        }
        guard let i = module.functionIndex(named: name) else {
            throw DiagnosticError(callSite ?? .unknown, .inline(.undefinedFunction(name)))
        }
        if let done = state[name] {
            if done { return }
            throw DiagnosticError(callSite ?? module.functions[i].loc, .inline(.recursiveCall(name)))
        }
        state[name] = false
        for inst in module.functions[i].body {
            if case .call(let callee) = inst.op {
                try inlineCalls(in: callee, &module, &state, callSite: inst.loc, depth: depth + 1)
            }
        }
        var f = module.functions[i]
        var body: [Instruction] = []
        var replaced: [ValueID: Operand] = [:]
        for var inst in f.body {
            inst.operands = inst.operands.map { Function.resolve($0, replaced) }
            guard case .call(let callee) = inst.op, let j = module.functionIndex(named: callee) else {
                body.append(inst)
                continue
            }
            let size = body.count + module.functions[j].body.count
            guard size <= maxInstructions else {
                throw DiagnosticError(inst.loc, .inline(.overBudget(callee: callee, function: name, budget: maxInstructions, inlinedBefore: body.count, calleeSize: module.functions[j].body.count)))
            }
            try inline(module.functions[j], at: inst, into: &f, &body, &replaced, module)
        }
        f.body = body
        f.returns = f.returns.map { Function.resolve($0, replaced) }
        module.functions[i] = f
        state[name] = true
    }

    /// Appends a copy of `callee`'s (call-free) body for `call` to `body`, recording in
    /// `replaced` what now stands for each call result.
    static func inline(
        _ callee: Function, at call: Instruction, into f: inout Function, _ body: inout [Instruction],
        _ replaced: inout [ValueID: Operand], _ module: Module
    ) throws(DiagnosticError) {
        func fail(_ mismatch: InlineError.CallMismatch) -> DiagnosticError {
            DiagnosticError(call.loc, .inline(.callMismatch(callee: callee.name, mismatch)))
        }
        guard call.operands.count == callee.arguments.count, call.results.count == callee.returns.count else {
            throw fail(.signatureCounts)
        }
        let binding = try symbolBinding(callee, call, f, module, fail)
        func substitute(_ t: TensorType?) throws(DiagnosticError) -> TensorType? {
            guard let t else { return nil }
            guard let s = t.substituting(binding) else { throw fail(.typeOverflow(t)) }
            return s
        }
        func substitute(_ dims: [Dim]) throws(DiagnosticError) -> [Dim] {
            var out: [Dim] = []
            for d in dims {
                guard let s = d.substituting(binding) else { throw fail(.dimensionOverflow(d)) }
                out.append(s)
            }
            return out
        }
        // Returned values take the names of the call results they become.
        var returnName: [ValueID: String] = [:]
        for (k, o) in callee.returns.enumerated() {
            if case .value(let v) = o, returnName[v] == nil { returnName[v] = f[call.results[k]].name }
        }
        var map: [ValueID: Operand] = [:]
        for (k, a) in callee.arguments.enumerated() { map[a] = call.operands[k] }
        func mapped(_ o: Operand) -> Operand {
            if case .value(let v) = o, let m = map[v] { return m }
            return o
        }
        for inst in callee.body {
            var results: [ValueID] = []
            for r in inst.results {
                let v = callee[r]
                let id = f.addValue(name: returnName[r] ?? v.name, type: try substitute(v.type), loc: call.loc)
                map[r] = .value(id)
                results.append(id)
            }
            var op = inst.op
            switch op {
            case .broadcast(let shape, let dims): op = .broadcast(shape: try substitute(shape), dims: dims)
            case .reshape(let shape): op = .reshape(shape: try substitute(shape))
            default: break
            }
            body.append(Instruction(op: op, operands: inst.operands.map(mapped), results: results, loc: call.loc))
        }
        for (k, r) in call.results.enumerated() {
            let o = callee.returns[k]
            let now = mapped(o)
            if let want = f[r].type, let got = f.type(of: now, in: module), want != got {
                throw fail(.resultType(index: k, atCall: want, inlined: got))
            }
            replaced[r] = now
        }
    }

    /// Binds each symbol that is a whole argument dim of the callee (`N` in `f32[N, 4]`) to
    /// the caller's dim, as `Verifier` does to type the call; composite dims (`2*N`) must
    /// then agree. Symbols no argument binds stay as they are, as in the call's type.
    static func symbolBinding(
        _ callee: Function, _ call: Instruction, _ f: Function, _ module: Module,
        _ fail: (InlineError.CallMismatch) -> DiagnosticError
    ) throws(DiagnosticError) -> [String: Dim] {
        var binding: [String: Dim] = [:]
        var formals: [(TensorType, TensorType)] = []
        for (k, a) in callee.arguments.enumerated() {
            guard let formal = callee[a].type, let actual = f.type(of: call.operands[k], in: module) else {
                throw fail(.untypedArgument(k))
            }
            guard formal.dtype == actual.dtype, formal.rank == actual.rank else {
                throw fail(.argumentType(index: k, formal: formal, actual: actual))
            }
            formals.append((formal, actual))
            for (d, fd) in formal.shape.enumerated() {
                guard let s = fd.singleSymbol else { continue }
                if let b = binding[s], b != actual.shape[d] {
                    throw fail(.symbolConflict(s, first: b, second: actual.shape[d]))
                }
                binding[s] = actual.shape[d]
            }
        }
        for (k, (formal, actual)) in formals.enumerated() {
            for (d, fd) in formal.shape.enumerated() where fd.substituting(binding) != actual.shape[d] {
                throw fail(.argumentDim(index: k, formal: formal, actual: actual, dim: d))
            }
        }
        return binding
    }
}

/// Verifies a module and infers the type of every value, in place.
///
/// Functions are checked callees first, so a call's result types come from its callee's
/// inferred signature with the callee's symbolic dims unified against the caller's
/// operand types. Errors do not stop the walk: an instruction whose operand failed is
/// skipped quietly, so one mistake gives one diagnostic, and all of them are thrown together.
public enum Verifier {
    public static func run(_ module: inout Module) throws(DiagnosticError) {
        var diags: [Diagnostic] = []
        var paramTypes: [String: TensorType] = [:]
        for p in module.params {
            if !p.type.isStatic {
                diags.append(Diagnostic(p.loc, .verify(.paramNotStatic(param: p.name, p.type))))
            }
            paramTypes[p.name] = p.type
        }
        checkCopies(module, &diags)
        checkFunctions(&module, paramTypes, &diags)
        if !diags.isEmpty { throw DiagnosticError(diags) }
    }

    /// Types the functions callees first, in the call graph's post-order (no recursion over
    /// the call graph, however deep it is). A function in a cycle, or whose calls nest deeper
    /// than `CallGraph.maxDepth`, is not checked; its callers see its results as poisoned.
    private static func checkFunctions(_ module: inout Module, _ params: [String: TensorType], _ diags: inout [Diagnostic]) {
        let graph = CallGraph(module)
        var skipped = Set<Int>()
        for e in graph.recursiveCalls {
            let loc = module.functions[e.caller].body[e.instruction].loc
            diags.append(Diagnostic(loc, .verify(.recursiveCall(callee: module.functions[e.callee].name))))
            skipped.insert(e.callee)
        }
        for e in graph.tooDeepCalls() {
            let loc = module.functions[e.caller].body[e.instruction].loc
            let callee = module.functions[e.callee].name
            diags.append(Diagnostic(loc, .verify(.callsTooDeep(callee: callee, maxDepth: CallGraph.maxDepth))))
        }
        for f in module.functions.indices where graph.height[f] > CallGraph.maxDepth { skipped.insert(f) }
        var failed = Set(skipped.map { module.functions[$0].name })
        for i in graph.postOrder where !skipped.contains(i) {
            var f = module.functions[i]
            let ok = check(&f, module, params, failed: failed, &diags)
            module.functions[i] = f
            if !ok { failed.insert(f.name) }
        }
    }

    /// `copy(@source)` needs a declared source of exactly the same type that is not itself
    /// a copy (so initialisation never depends on declaration order or chains).
    private static func checkCopies(_ module: Module, _ diags: inout [Diagnostic]) {
        for p in module.params {
            guard case .copy(let source) = p.initializer else { continue }
            guard let s = module.param(named: source) else {
                diags.append(Diagnostic(p.loc, .verify(.copyOfUndefinedParam(param: p.name, source: source))))
                continue
            }
            if s.type != p.type {
                diags.append(Diagnostic(p.loc, .verify(.copyTypeMismatch(param: p.name, p.type, source: source, s.type))))
            } else if case .copy = s.initializer {
                diags.append(Diagnostic(p.loc, .verify(.copyOfCopy(param: p.name, source: source))))
            }
        }
    }

    /// Types one function; returns false if any diagnostic was added or a value is poisoned.
    private static func check(
        _ f: inout Function, _ module: Module, _ params: [String: TensorType], failed: Set<String>, _ diags: inout [Diagnostic]
    ) -> Bool {
        let before = diags.count
        var poisoned = Set<ValueID>()
        var known = Set<ValueID>(f.arguments)
        func operandType(_ o: Operand, _ loc: SourceLoc, _ opName: String) -> (TensorType?, Bool) {
            switch o {
            case .literal: return (nil, true)
            case .param(let p):
                guard let t = params[p] else {
                    diags.append(Diagnostic(loc, .verify(.undefinedParam(op: opName, p))))
                    return (nil, false)
                }
                return (t, true)
            case .value(let v):
                guard v.index >= 0, v.index < f.values.count, known.contains(v) else {
                    diags.append(Diagnostic(loc, .verify(.useBeforeDefinition(op: opName, v))))
                    return (nil, false)
                }
                if poisoned.contains(v) { return (nil, false) }
                return (f.values[v.index].type, true)
            }
        }
        for inst in f.body {
            let name = inst.op.name
            var types: [TensorType?] = []
            var usable = true
            for o in inst.operands {
                let (t, ok) = operandType(o, inst.loc, name)
                usable = usable && ok
                types.append(t)
            }
            let arity = arityDiagnostics(inst)
            if !arity.isEmpty {
                diags += arity
                usable = false
            }
            // A call to a function that has its own errors is not a second mistake.
            switch inst.op {
            case .call(let callee), .valueAndGrad(let callee, _):
                if failed.contains(callee) { usable = false }
            default: break
            }
            let declared = inst.results.map { f.values[$0.index].type }
            var inferred: [TensorType]?
            if usable {
                do {
                    if case .call(let callee) = inst.op {
                        inferred = try callResultTypes(callee, types, inst, module)
                    } else if case .valueAndGrad(let callee, let wrt) = inst.op {
                        inferred = try valueAndGradTypes(callee, wrt, types, inst, module, params)
                    } else {
                        inferred = try ShapeRules.infer(inst.op, operands: types, declared: declared)
                    }
                } catch {
                    diags.append(Diagnostic(inst.loc, .shapeRule(op: name, error)))
                }
            }
            if let inferred, inferred.count != inst.results.count {
                diags.append(Diagnostic(inst.loc, .verify(.resultCount(op: name, gives: inferred.count, bound: inst.results.count))))
            } else if let inferred {
                for (k, r) in inst.results.enumerated() {
                    if let d = declared[k], d != inferred[k] {
                        diags.append(Diagnostic(f.values[r.index].loc, .verify(.resultType(op: name, written: d, inferred: inferred[k]))))
                    }
                    f.values[r.index].type = inferred[k]
                }
            } else {
                poisoned.formUnion(inst.results)
            }
            known.formUnion(inst.results)
        }
        var results: [TensorType] = []
        var allKnown = true
        for o in f.returns {
            if case .literal = o {
                diags.append(Diagnostic(f.returnLoc, .verify(.literalReturn)))
                allKnown = false
                continue
            }
            let (t, _) = operandType(o, f.returnLoc, "return")
            if let t { results.append(t) } else { allKnown = false }
        }
        if allKnown {
            if let declared = f.resultTypes, declared != results {
                diags.append(Diagnostic(f.returnLoc, .verify(.returnTypes(function: f.name, declared: declared, returned: results))))
            } else {
                f.resultTypes = results
            }
        }
        checkAliases(f, params, &diags)
        // A function with poisoned values (from a failed callee) is failed too, so that its
        // own callers stay quiet instead of reporting "could not be typed".
        return diags.count == before && poisoned.isEmpty
    }

    /// Donated results (`-> f32[4] aliases %w`): the input exists, has the result's type,
    /// and is donated at most once.
    private static func checkAliases(_ f: Function, _ params: [String: TensorType], _ diags: inout [Diagnostic]) {
        var donated: [InputRef: Int] = [:]
        for (i, ref) in f.resultAliases.sorted(by: { $0.key < $1.key }) {
            let spelled = f.spelling(of: ref)
            guard i >= 0, i < f.returns.count else {
                diags.append(Diagnostic(f.returnLoc, .verify(.aliasResultOutOfRange(result: i, input: spelled, function: f.name, returns: f.returns.count))))
                continue
            }
            let inputType: TensorType?
            switch ref {
            case .argument(let a):
                guard a >= 0, a < f.arguments.count else {
                    diags.append(Diagnostic(f.returnLoc, .verify(.aliasArgumentOutOfRange(result: i, argument: a, function: f.name, arguments: f.arguments.count))))
                    continue
                }
                inputType = f.values[f.arguments[a].index].type
            case .param(let p):
                guard let t = params[p] else {
                    diags.append(Diagnostic(f.returnLoc, .verify(.aliasOfUndefinedParam(result: i, p))))
                    continue
                }
                inputType = t
            }
            if let first = donated[ref] {
                diags.append(Diagnostic(f.returnLoc, .verify(.donatedTwice(input: spelled, first: first, second: i))))
                continue
            }
            donated[ref] = i
            if let rt = f.resultTypes, i < rt.count, let inputType, rt[i] != inputType {
                diags.append(Diagnostic(f.returnLoc, .verify(.aliasType(result: i, rt[i], input: spelled, inputType))))
            }
        }
    }

    /// The callee's result types, then the type of each gradient (that of what it is taken
    /// with respect to); the first result must be a float scalar.
    private static func valueAndGradTypes(
        _ callee: String, _ wrt: [GradTarget], _ operands: [TensorType?], _ inst: Instruction, _ module: Module,
        _ params: [String: TensorType]
    ) throws(ShapeError) -> [TensorType] {
        let results = try callResultTypes(callee, operands, inst, module)
        guard let loss = results.first, loss.rank == 0, loss.dtype.isFloat else {
            throw .lossNotScalar(callee: callee, got: results.first)
        }
        var grads: [TensorType] = []
        for t in module.expand(wrt, callee: callee) {
            switch t {
            case .argument(let i):
                guard i < operands.count, let a = operands[i] else {
                    throw .wrtArgument(i, callee: callee, given: operands.count)
                }
                guard a.dtype.isFloat else { throw .notDifferentiable(t, a) }
                grads.append(a)
            case .param(let p):
                guard let pt = params[p] else { throw .wrtUndefinedParam(p) }
                guard pt.dtype.isFloat else { throw .notDifferentiable(t, pt) }
                grads.append(pt)
            case .allParams:
                break
            }
        }
        return results + grads
    }

    /// The result types of a call: the callee's, with its symbolic dims unified against the
    /// operand types (`N` in the callee binds to whatever dim the caller passes).
    private static func callResultTypes(_ callee: String, _ operands: [TensorType?], _ inst: Instruction, _ module: Module) throws(ShapeError) -> [TensorType] {
        guard let f = module.function(named: callee) else { throw .undefinedFunction(callee) }
        guard operands.count == f.arguments.count else {
            throw .callArity(callee: callee, expected: f.arguments.count, got: operands.count)
        }
        guard let results = f.resultTypes else { throw .untypedCallee(callee) }
        var binding: [String: Dim] = [:]
        var deferred: [(Int, TensorType, TensorType, Int)] = []
        for (k, a) in f.arguments.enumerated() {
            guard let formal = f.values[a.index].type else { throw .untypedCallee(callee) }
            guard let actual = operands[k] else { throw .literalArgument(k) }
            guard formal.dtype == actual.dtype, formal.rank == actual.rank else {
                throw .argumentType(index: k, callee: callee, formal: formal, actual: actual)
            }
            for (d, fd) in formal.shape.enumerated() {
                if let s = fd.singleSymbol {
                    if let b = binding[s], b != actual.shape[d] {
                        throw .symbolConflict(symbol: s, callee: callee, first: b, second: actual.shape[d], argument: k, actual: actual)
                    }
                    binding[s] = actual.shape[d]
                } else if fd.symbols.isEmpty {
                    guard fd == actual.shape[d] else { throw .argumentType(index: k, callee: callee, formal: formal, actual: actual) }
                } else {
                    deferred.append((k, formal, actual, d))
                }
            }
        }
        for (k, formal, actual, d) in deferred {
            guard formal.shape[d].substituting(binding) == actual.shape[d] else {
                throw .argumentType(index: k, callee: callee, formal: formal, actual: actual)
            }
        }
        var out: [TensorType] = []
        for r in results {
            guard let t = r.substituting(binding) else { throw .resultOverflow }
            out.append(t)
        }
        return out
    }
}

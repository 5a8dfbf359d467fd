import VFCIR
import VFCTensor

/// The bindings under which `function` runs on `inputs`: `given` (e.g. `--bind N=8`)
/// extended by unifying the argument types with the input shapes, by the interpreter's rules
/// (f32 and f64 inputs are interchangeable). Other backends call it so that they accept and
/// reject exactly the inputs the interpreter does, with the same messages.
public func bindSymbols(function: Function, inputs: [Tensor], given: [String: Int]) throws(InterpreterError) -> [String: Int] {
    try Binding.unify(function, inputs: inputs.map { ($0.dtype, $0.shape) }, given: given,
                      dtypeMatches: { $0 == $1 || ($0.isFloat && $1.isFloat) })
}

/// Binding symbolic dims (`N`, `T`) to sizes by unifying a function's argument types with
/// the shapes of the actual inputs.
enum Binding {
    /// The bindings under which `f` runs on tensors of `shapes`/`dtypes`: `given` (from the
    /// caller, e.g. `--bind N=8`) extended by every single-symbol dim of the arguments.
    /// Static dims must match exactly; product dims (`2*N`) are checked once all single
    /// symbols are bound, so argument order does not matter. `fallback` fills the symbols the
    /// arguments leave unbound (a callee's `M` that only its results mention) but, unlike
    /// `given`, never conflicts with what the arguments say.
    static func unify(
        _ f: Function, inputs: [(dtype: DType, shape: [Int])], given: [String: Int],
        fallback: [String: Int] = [:], dtypeMatches: (DType, DType) -> Bool
    ) throws(InterpreterError) -> [String: Int] {
        guard inputs.count == f.arguments.count else {
            throw .binding(.argumentCount(function: f.name, expected: f.arguments.count, got: inputs.count))
        }
        for (s, v) in given.sorted(by: { $0.key < $1.key }) where v < 0 {
            throw .binding(.negativeBinding(symbol: s, value: v))
        }
        var b = given
        var deferred: [(arg: Int, dim: Int)] = []
        func mismatch(_ k: Int, _ formal: TensorType, _ got: String) -> InterpreterError {
            let name = f.values[f.arguments[k].index].name
            return .binding(.mismatch(argument: name, expected: describe(formal, b), got: got))
        }
        for (k, a) in f.arguments.enumerated() {
            let formal = try declaredType(f, a)
            let actual = inputs[k]
            guard dtypeMatches(formal.dtype, actual.dtype) else {
                throw mismatch(k, formal, "\(actual.dtype)\(shapeString(actual.shape))")
            }
            guard formal.rank == actual.shape.count else { throw mismatch(k, formal, shapeString(actual.shape)) }
            for (d, fd) in formal.shape.enumerated() {
                let size = actual.shape[d]
                if let s = fd.singleSymbol {
                    if let v = b[s], v != size { throw mismatch(k, formal, shapeString(actual.shape)) }
                    b[s] = size
                } else if let v = fd.staticValue {
                    guard v == size else { throw mismatch(k, formal, shapeString(actual.shape)) }
                } else {
                    deferred.append((k, d))
                }
            }
        }
        for (s, v) in fallback where b[s] == nil { b[s] = v }
        for (k, d) in deferred {
            let formal = try declaredType(f, f.arguments[k])
            let dim = formal.shape[d]
            guard let v = dim.evaluate(b) else {
                let unbound = Set(dim.symbols.filter { b[$0] == nil }).sorted()
                let name = f.values[f.arguments[k].index].name
                throw .binding(.undetermined(argument: name, dim: d, type: "\(formal)", dimText: "\(dim)", unbound: unbound))
            }
            guard v == inputs[k].shape[d] else { throw mismatch(k, formal, shapeString(inputs[k].shape)) }
        }
        return b
    }

    /// The declared type of a value, or an error saying the module was not verified.
    static func declaredType(_ f: Function, _ v: ValueID) throws(InterpreterError) -> TensorType {
        guard v.index >= 0, v.index < f.values.count else {
            throw InterpreterError.undefinedValue(index: v.index, function: f.name)
        }
        guard let t = f.values[v.index].type else {
            throw InterpreterError.untypedValue(f.values[v.index].name, function: f.name, f.values[v.index].loc)
        }
        return t
    }

    /// The concrete shape of `t` under `b`, with errors for unbound symbols and overflow.
    static func evaluate(_ t: TensorType, _ b: [String: Int]) throws(KernelError) -> [Int] {
        if let s = t.evaluate(b) { return s }
        let unbound = Set(t.shape.flatMap(\.symbols).filter { b[$0] == nil }).sorted()
        if !unbound.isEmpty {
            throw KernelError.unboundSymbols(unbound, type: t)
        }
        throw KernelError.shapeOverflow(t, bindings: b)
    }

    /// `f32[N, T, 32] (N=2)`: a type with the current values of its bound symbols.
    static func describe(_ t: TensorType, _ b: [String: Int]) -> String {
        let syms = Set(t.shape.flatMap(\.symbols)).sorted().compactMap { s in b[s].map { "\(s)=\($0)" } }
        return syms.isEmpty ? "\(t)" : "\(t) (\(syms.joined(separator: ", ")))"
    }

    static func shapeString(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
}

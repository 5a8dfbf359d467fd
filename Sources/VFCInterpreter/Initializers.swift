import VFCIR
import VFCTensor

/// The initial value of every param of `module`, from its declared initializer
/// (zeros, ones, normal(std), trunc_normal(std) cut at +-2 std, uniform(lo, hi), or a
/// copy of another param's initial value).
///
/// Each param draws from its own `RNG`, seeded from `seed` and the param's name, so that
/// adding, removing or reordering params leaves the others' values unchanged. Values are
/// drawn and rounded in the declared dtype and then carried in the type they run in under
/// `floatType` (`.f64`: f32 params become f64 tensors holding the same f32 values), so an
/// f64 reference run starts from exactly the params of the f32 run.
public func initialParams(module: Module, seed: UInt64, floatType: DType?) throws -> [String: Tensor] {
    if let t = floatType, !t.isFloat { throw InterpreterError.floatType(t) }
    var out: [String: Tensor] = [:]
    var copies: [(String, String)] = []
    for p in module.params {
        guard let shape = p.type.staticShape else {
            throw InterpreterError.symbolicParam(p.name, p.type, p.loc)
        }
        guard Tensor.checkedElementCount(shape) != nil else {
            throw InterpreterError.paramOverBudget(p.name, p.type, p.loc)
        }
        var rng = RNG(seed: derivedSeed(seed, p.name))
        let d = p.type.dtype
        let t: Tensor
        switch p.initializer {
        case .zeros: t = Tensor(dtype: d, shape: shape)
        case .ones:
            var ones = Tensor(dtype: d, shape: shape)
            ones.withUnsafeMutableBufferPointer { $0.initialize(repeating: 1) }
            t = ones
        case .normal(let std): t = Tensor.randomNormal(dtype: d, shape: shape, std: std, rng: &rng)
        case .truncNormal(let std): t = Tensor.randomTruncatedNormal(dtype: d, shape: shape, std: std, rng: &rng)
        case .uniform(let lo, let hi): t = Tensor.randomUniform(dtype: d, shape: shape, lo: lo, hi: hi, rng: &rng)
        case .copy(let source):
            copies.append((p.name, source))
            continue
        }
        let target = Executor.runtimeType(d, floatType)
        out[p.name] = t.dtype == target ? t : t.converted(to: target)
    }
    for (name, source) in copies {
        // The verifier guarantees a source of the same type that is not itself a copy.
        guard let t = out[source] else { throw InterpreterError.unknownCopySource(name, source: source) }
        out[name] = t
    }
    return out
}

/// Random inputs for every argument of `function`, in argument order, of the declared
/// dtypes: floats standard normal, `i1`/`u8` 0 or 1, `i32`/`i64` in 0..<4 (for
/// `vfc run --random-inputs`). Every symbol of the argument types must be in `bindings`;
/// each argument draws from its own `RNG` seeded from `seed` and its name.
public func randomInputs(function: Function, bindings: [String: Int], seed: UInt64) throws -> [Tensor] {
    var types: [(String, TensorType)] = []
    for a in function.arguments {
        types.append((function.values[a.index].name, try Binding.declaredType(function, a)))
    }
    let unbound = Set(types.flatMap { $0.1.shape.flatMap(\.symbols) }.filter { bindings[$0] == nil }).sorted()
    if !unbound.isEmpty {
        throw InterpreterError.unboundRandomInputs(function: function.name, symbols: unbound)
    }
    var out: [Tensor] = []
    for (name, t) in types {
        guard let shape = t.evaluate(bindings), Tensor.checkedElementCount(shape) != nil else {
            throw InterpreterError.argumentOverBudget(name, type: Binding.describe(t, bindings))
        }
        var rng = RNG(seed: derivedSeed(seed, name))
        switch t.dtype {
        case .f32, .f64: out.append(Tensor.randomNormal(dtype: t.dtype, shape: shape, std: 1, rng: &rng))
        case .i1, .u8: out.append(Tensor.randomInts(dtype: t.dtype, shape: shape, below: 2, rng: &rng))
        case .i32, .i64: out.append(Tensor.randomInts(dtype: t.dtype, shape: shape, below: 4, rng: &rng))
        }
    }
    return out
}

/// The seed of one named stream: FNV-1a (64-bit) over the 8 bytes of `seed`, little
/// endian, then the UTF-8 bytes of `name`. `RNG(seed:)` spreads it with SplitMix64.
func derivedSeed(_ seed: UInt64, _ name: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ byte: UInt8) {
        h ^= UInt64(byte)
        h = h &* 0x0000_0100_0000_01b3
    }
    for i in 0..<8 { mix(UInt8(truncatingIfNeeded: seed >> (8 * UInt64(i)))) }
    for byte in name.utf8 { mix(byte) }
    return h
}

import VFCIR
import VFCInterpreter
import VFCPasses
import VFCTensor

/// The result of checking one function's gradients against finite differences.
public struct GradCheckReport: Sendable {
    /// One checked input or param: its name (`%x`, `@w`) and the largest difference between
    /// autodiff and central differences over the directions tried, relative to the largest
    /// directional derivative seen.
    public struct Entry: Sendable {
        public var name: String
        public var maxRelativeError: Double
        /// For an input that reaches the result only through `stop_gradient`: that op. Its
        /// gradient is zero by request; differences agree only where the function is also
        /// invariant to it (a stopped row max), so a difference there is not an error.
        public var stoppedAt: String? = nil
    }

    public var function: String
    public var bindings: [String: Int]
    public var entries: [Entry]
    /// Float inputs no gradient flows from (boxes), with the op that stops it.
    public var notDifferentiable: [(name: String, reason: String)]

    /// True when every entry is within `tolerance`.
    public func passed(tolerance: Double) -> Bool {
        entries.allSatisfy { $0.maxRelativeError <= tolerance || $0.stoppedAt != nil }
    }
}

/// Compares the gradients of the `autodiff` pass with central finite differences in f64 on
/// the interpreter. Each function is given random cotangents r for its float results, so
/// the checked scalar is L(x) = sum_i <r_i, f_i(x)>; for each differentiable input and
/// param, the directional derivative <grad, v> along random directions v is compared with
/// (L(x + eps v) - L(x - eps v)) / (2 eps). Directional checks cover every element of a
/// large tensor (a whole field) at the cost of two forward runs each.
public enum GradCheck {
    public struct Options: Sendable {
        public var seed: UInt64 = 0
        /// Symbols not bound here are bound to `defaultDim`.
        public var bindings: [String: Int] = [:]
        public var defaultDim = 2
        /// Inputs and params to use instead of random ones (boxes, flips, masks).
        public var given: [String: Tensor] = [:]
        /// Standard deviation of random float params (larger than the 0.02 of training
        /// initialisations, so that every term of the gradient is well above round-off).
        public var paramStd = 0.5
        public var directions = 3
        public var epsilon = 1e-6
        public init() {}
    }

    public static func run(module: Module, function name: String, options: Options = Options()) throws -> GradCheckReport {
        guard let f = module.function(named: name) else { throw GradCheckError.noFunction(name) }
        var bindings = options.bindings
        // Sizes of given inputs (boxes, masks) bind their symbols before the defaults do.
        for a in f.arguments {
            guard let t = f.values[a.index].type, let given = options.given[f.values[a.index].name], given.rank == t.rank else { continue }
            for (d, dim) in t.shape.enumerated() {
                if let s = dim.singleSymbol, bindings[s] == nil { bindings[s] = given.shape[d] }
            }
        }
        for a in f.arguments {
            for d in f.values[a.index].type?.shape ?? [] {
                for s in d.symbols where bindings[s] == nil { bindings[s] = options.defaultDim }
            }
        }
        var rng = RNG(seed: options.seed &+ 0x9E37_79B9)
        let random = try randomInputs(function: f, bindings: bindings, seed: options.seed)
        var inputs: [Tensor] = []
        for (k, a) in f.arguments.enumerated() {
            let v = f.values[a.index]
            let t = options.given[v.name] ?? random[k]
            inputs.append(t.dtype == .f32 ? t.converted(to: .f64) : t)
        }
        var params: [String: Tensor] = [:]
        for p in module.params where module.paramsRead(by: name).contains(p.name) {
            if let t = options.given[p.name] {
                params[p.name] = t.dtype == .f32 ? t.converted(to: .f64) : t
            } else if p.type.dtype.isFloat, let shape = p.type.staticShape {
                params[p.name] = Tensor.randomNormal(dtype: .f64, shape: shape, std: options.paramStd, rng: &rng)
            }
        }
        let interp = Interpreter(module: module, floatType: .f64)
        let outputs = try interp.run(function: name, inputs: inputs, params: params, bindings: bindings)
        let cotangents = outputs.filter { $0.dtype.isFloat }.map {
            Tensor.randomNormal(dtype: .f64, shape: $0.shape, std: 1, rng: &rng)
        }

        // Which float inputs and params a gradient flows from: probe each alone, so that a
        // float input that only steers (boxes) is reported rather than failing the check.
        var targets: [(GradTarget, String)] = []
        var notDiff: [(String, String)] = []
        var candidates: [(GradTarget, String)] = []
        for (k, a) in f.arguments.enumerated() where f.values[a.index].type?.dtype.isFloat == true {
            candidates.append((.argument(k), "%" + f.values[a.index].name))
        }
        for p in module.expand([.allParams], callee: name) {
            if case .param(let n) = p { candidates.append((p, "@" + n)) }
        }
        let blockers = try Autodiff.blockingOps(of: name, in: module, targets: candidates.map(\.0))
        // Inputs that reach the result only through stop_gradient are still checked, and
        // marked (see `Entry.stoppedAt`).
        let stops = try Autodiff.blockingOps(of: name, in: module, targets: candidates.map(\.0), stopGradientBlocks: true)
        var stoppedAt: [String: String] = [:]
        for ((_, label), (blocker, stop)) in zip(candidates, zip(blockers, stops)) where blocker == nil {
            if let stop { stoppedAt[label] = "\(stop.op.name), \(stop.loc)" }
        }
        for ((t, label), blocker) in zip(candidates, blockers) {
            if let blocker {
                notDiff.append((label, "stopped at \(blocker.op.name), \(blocker.loc)"))
            } else {
                targets.append((t, label))
            }
        }

        let used = Set(f.arguments.flatMap { f.values[$0.index].type?.shape.flatMap(\.symbols) ?? [] })
        var report = GradCheckReport(function: name, bindings: bindings.filter { used.contains($0.key) }, entries: [], notDifferentiable: notDiff)
        guard !targets.isEmpty else { return report }
        var withGrad = module
        let gradName = AutodiffPass.freshName(name + ".vjp", in: module)
        withGrad.functions.append(try Autodiff.gradientFunction(of: name, in: module, wrt: targets.map(\.0), seed: .cotangents, name: gradName))
        try Verifier.run(&withGrad)
        let all = try Interpreter(module: withGrad, floatType: .f64)
            .run(function: gradName, inputs: inputs + cotangents, params: params, bindings: bindings)
        let grads = Array(all.suffix(targets.count))

        func objective(_ xs: [Tensor], _ ps: [String: Tensor]) throws -> Double {
            let outs = try interp.run(function: name, inputs: xs, params: ps, bindings: bindings).filter { $0.dtype.isFloat }
            return zip(outs, cotangents).reduce(0) { $0 + dot($1.0, $1.1) }
        }
        for ((t, label), g) in zip(targets, grads) {
            // Errors are scaled by the largest derivative over the directions tried, so a
            // direction where the derivative happens to cancel is not judged by round-off.
            var pairs: [(Double, Double)] = []
            for _ in 0..<options.directions {
                let v = Tensor.randomNormal(dtype: .f64, shape: g.shape, std: 1, rng: &rng)
                let analytic = dot(g, v)
                var plus = (inputs, params), minus = (inputs, params)
                switch t {
                case .argument(let k):
                    plus.0[k] = axpy(inputs[k], v, options.epsilon)
                    minus.0[k] = axpy(inputs[k], v, -options.epsilon)
                case .param(let p):
                    guard let base = params[p] else { continue }
                    plus.1[p] = axpy(base, v, options.epsilon)
                    minus.1[p] = axpy(base, v, -options.epsilon)
                case .allParams:
                    continue
                }
                let numeric = (try objective(plus.0, plus.1) - (try objective(minus.0, minus.1))) / (2 * options.epsilon)
                pairs.append((analytic, numeric))
            }
            let scale = pairs.reduce(1e-8) { Swift.max($0, Swift.abs($1.0), Swift.abs($1.1)) }
            let worst = pairs.reduce(0.0) { Swift.max($0, Swift.abs($1.0 - $1.1) / scale) }
            report.entries.append(.init(name: label, maxRelativeError: worst, stoppedAt: stoppedAt[label]))
        }
        return report
    }

    static func dot(_ a: Tensor, _ b: Tensor) -> Double {
        var s = 0.0
        for i in 0..<Swift.min(a.count, b.count) { s += a[flat: i] * b[flat: i] }
        return s
    }

    static func axpy(_ x: Tensor, _ v: Tensor, _ e: Double) -> Tensor {
        var out = x
        for i in 0..<out.count { out[flat: i] = x[flat: i] + e * v[flat: i] }
        return out
    }
}

/// A gradcheck setup error; failures of the function itself are the interpreter's errors.
public enum GradCheckError: Error, Sendable, CustomStringConvertible {
    /// The module has no function of that name.
    case noFunction(String)

    public var description: String {
        switch self {
        case .noFunction(let name): return "no function '@\(name)'"
        }
    }
}

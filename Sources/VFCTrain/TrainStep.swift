import VFCCodegen
import VFCIR
import VFCInterpreter
import VFCPasses
import VFCTensor

/// What one result of a training-step function is, read off the function itself: a result
/// that aliases a param is that param's new value; a returned value named `grad.<param>` is
/// that param's raw gradient; any other (scalar) result is a metric named by its value
/// (`loss`, `grad_norm`, ...).
public enum ResultRole: Equatable, Sendable {
    case metric(String)
    case gradient(param: String)
    case state(param: String)
}

/// A training step of a module (method.md section 6): the function, how its results map
/// onto the state, and its compiled forms. The state is every param of the module, keyed by
/// param name (the checkpoint layout of method.md section 7); the batch is the function's
/// arguments, keyed by argument name.
public final class TrainStep {
    /// Where a step runs: code compiled by the LLVM JIT (the IR's dtypes), or the
    /// reference interpreter computing every float in `floatType`.
    public enum Backend: Sendable, Equatable {
        case jit
        case interpreter(floatType: DType)
    }

    /// The results of one step: metrics in result order, raw gradients, and the full state
    /// after the step (every param, in its declared dtype).
    public struct Outcome {
        public var metrics: [(name: String, value: Double)]
        public var gradients: [String: Tensor]
        public var state: [String: Tensor]
    }

    /// The module with `value_and_grad` expanded.
    public let module: Module
    public let function: Function
    public let roles: [ResultRole]
    private var compiled: [[String: Int]: JITModule] = [:]
    /// Seconds spent in JIT compiles so far.
    public private(set) var compileSeconds = 0.0
    /// JIT compiles so far: one per batch size, or one in all with `runtimeDims`.
    public var compileCount: Int { compiled.count }
    /// The phases of the last JIT compile (nil before the first).
    public private(set) var lastCompilePhases: CompilePhases?
    /// Compile with profiling code (`CodegenOptions.profile`); set before the first compile.
    public var profile = false
    /// The pass pipeline the step is compiled with, instead of the default codegen pipeline
    /// (`vfc step` and `vfc train` build it from their debugging flags: --disable-passes,
    /// --print-ir-after, --dump-dir, --time-passes, --debug-fusion); set before the first
    /// compile.
    public var passManager: PassManager?
    /// Compile once for every batch size: the dims of the step's arguments become run-time
    /// arguments (`CodegenOptions.runtimeDims`); set before the first compile.
    public var runtimeDims = false

    /// `gradients: false` drops the raw-gradient results from the step: they are then
    /// temporaries of the compiled code, not output buffers held for the whole run (89 MB
    /// on tiny), and `Outcome.gradients` / `Session.gradients()` are empty.
    public init(module input: Module, function name: String = "train_step", gradients: Bool = true) throws {
        var module = input
        try AutodiffPass().run(&module)
        guard var f = module.function(named: name) else {
            throw StepError.noFunction(name, known: module.functions.map(\.name))
        }
        if !gradients {
            f = Self.droppingGradientResults(f, module)
            module.functions = module.functions.map { $0.name == name ? f : $0 }
        }
        var roles: [ResultRole] = []
        for (i, r) in f.returns.enumerated() {
            if case .param(let p)? = f.resultAliases[i] {
                roles.append(.state(param: p))
                continue
            }
            guard case .value(let v) = r else {
                throw StepError.unupdatedParam(index: i, function: name)
            }
            let valueName = f.values[v.index].name
            if valueName.hasPrefix("grad."), module.param(named: String(valueName.dropFirst(5))) != nil {
                roles.append(.gradient(param: String(valueName.dropFirst(5))))
            } else if let t = f.values[v.index].type, t.rank == 0 {
                roles.append(.metric(valueName))
            } else {
                throw StepError.unknownResult(index: i, function: name, value: valueName)
            }
        }
        self.module = module
        self.function = f
        self.roles = roles
    }

    /// `f` without its `grad.<param>` results (the update still reads the gradients).
    static func droppingGradientResults(_ f: Function, _ module: Module) -> Function {
        var g = f
        var kept: [Int] = []
        for (i, r) in f.returns.enumerated() {
            if f.resultAliases[i] == nil, case .value(let v) = r, f.values[v.index].name.hasPrefix("grad."),
               module.param(named: String(f.values[v.index].name.dropFirst(5))) != nil { continue }
            kept.append(i)
        }
        g.returns = kept.map { f.returns[$0] }
        g.resultTypes = f.resultTypes.map { types in kept.map { types[$0] } }
        g.resultAliases = [:]
        for (j, i) in kept.enumerated() { g.resultAliases[j] = f.resultAliases[i] }
        return g
    }

    /// The params the step reads and writes, in declaration order, with their types.
    public var stateLayout: [(name: String, type: TensorType)] { module.params.map { ($0.name, $0.type) } }

    /// Every param of the module from `state`, checked against its declaration; `source`
    /// names the file in messages. Tensors the module does not declare are returned in
    /// `extra` (a caller may warn about them).
    public func checkState(_ state: [String: Tensor], source: String) throws -> (state: [String: Tensor], extra: [String]) {
        var out: [String: Tensor] = [:]
        for p in module.params {
            guard let t = state[p.name] else {
                throw StepError.missingTensor(source: source, name: p.name, type: "\(p.type)")
            }
            guard t.dtype == p.type.dtype || (t.dtype.isFloat && p.type.dtype.isFloat), t.shape == p.type.staticShape else {
                throw StepError.tensorType(source: source, name: p.name, got: BufferType(t.dtype, t.shape), expected: p.type)
            }
            out[p.name] = t
        }
        let declared = Set(module.params.map(\.name))
        return (out, state.keys.filter { !declared.contains($0) }.sorted())
    }

    /// The step's arguments from `batch`, by argument name, with the symbolic dims they bind
    /// (the batch size `B`). Errors name the tensor, its shape and what was expected.
    public func inputs(from batch: [String: Tensor], source: String) throws -> (inputs: [Tensor], bindings: [String: Int]) {
        var inputs: [Tensor] = []
        for a in function.arguments {
            let name = function.values[a.index].name
            let declared = function.values[a.index].type.map { "\($0)" } ?? "?"
            guard let t = batch[name] else { throw StepError.missingTensor(source: source, name: name, type: declared) }
            inputs.append(t)
        }
        do {
            return (inputs, try bindSymbols(function: function, inputs: inputs, given: [:]))
        } catch {
            guard case .binding(let e) = error else { throw error }
            throw StepError.batch(source: source, e)
        }
    }

    /// Runs one step. `state` must have passed `checkState`, `inputs` come from `inputs(from:)`.
    public func run(state: [String: Tensor], inputs: [Tensor], bindings: [String: Int], backend: Backend) throws -> Outcome {
        let results: [Tensor]
        switch backend {
        case .jit:
            let s = try session(state: state, bindings: bindings)
            try s.native.call(inputs: inputs)
            results = roles.indices.map { s.native.result($0) }
        case .interpreter(let floatType):
            let params = state.mapValues { $0.dtype.isFloat && $0.dtype != floatType ? $0.converted(to: floatType) : $0 }
            results = try Interpreter(module: module, floatType: floatType)
                .run(function: function.name, inputs: inputs, params: params, bindings: bindings)
        }
        var outcome = Outcome(metrics: [], gradients: [:], state: state)
        for (role, r) in zip(roles, results) {
            switch role {
            case .metric(let name): outcome.metrics.append((name, r.scalars.first ?? .nan))
            case .gradient(let p): outcome.gradients[p] = declared(r, p)
            case .state(let p): outcome.state[p] = declared(r, p)
            }
        }
        return outcome
    }

    /// A JIT-compiled step whose state stays in machine form between steps (a training
    /// loop): each `run` updates the state in place.
    public final class Session {
        public let step: TrainStep
        let native: JITSession
        private let unread: [String: Tensor]

        init(step: TrainStep, native: JITSession, state: [String: Tensor]) {
            self.step = step
            self.native = native
            let read = Set(native.entry.params.map(\.name))
            unread = state.filter { !read.contains($0.key) }
        }

        /// One step on `inputs` (from `TrainStep.inputs(from:)`, of the session's batch
        /// size): the metrics, in result order.
        public func run(inputs: [Tensor]) throws -> [(name: String, value: Double)] {
            try native.call(inputs: inputs)
            return zip(step.roles, step.roles.indices).compactMap { role, i in
                guard case .metric(let name) = role else { return nil }
                return (name, native.result(i).scalars.first ?? .nan)
            }
        }

        /// The raw gradients of the last step, by param name.
        public func gradients() -> [String: Tensor] {
            var out: [String: Tensor] = [:]
            for (i, role) in step.roles.enumerated() {
                if case .gradient(let p) = role { out[p] = native.result(i) }
            }
            return out
        }

        /// The profiled sites of the compiled step (empty unless `TrainStep.profile`).
        public var profileSites: [ProfileSite] { native.jit.profileSites }

        /// The current state: every param of the module, in its declared dtype.
        public var state: [String: Tensor] { unread.merging(native.params) { $1 } }
    }

    /// A session on `state` for batches of `bindings` (compiled once per batch size).
    public func session(state: [String: Tensor], bindings: [String: Int]) throws -> Session {
        let jit = try compiledModule(bindings)
        return Session(step: self, native: try JITSession(jit: jit, function: function.name, params: state), state: state)
    }

    /// The JIT-compiled step for `bindings`, compiled once per batch size.
    public func compiledModule(_ bindings: [String: Int]) throws -> JITModule {
        let key = runtimeDims ? [:] : bindings
        if let jit = compiled[key] { return jit }
        let jit = try JITModule(module: module, functions: [function.name],
                                options: CodegenOptions(bindings: key, profile: profile, runtimeDims: runtimeDims), passManager: passManager)
        compiled[key] = jit
        compileSeconds += jit.compileSeconds
        lastCompilePhases = jit.phases
        return jit
    }

    /// `r` in the declared dtype of param `p` (an f64 reference run still writes an f32 state).
    private func declared(_ r: Tensor, _ p: String) -> Tensor {
        guard let d = module.param(named: p)?.type.dtype, d != r.dtype else { return r }
        return r.converted(to: d)
    }

}

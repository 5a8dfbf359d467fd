import CLLVM
import VFCIR
import VFCPasses

/// Options of code generation. The same IR and options give the same LLVM IR, byte for byte.
public struct CodegenOptions: Hashable, Sendable {
    /// The CPU to generate code for; nil: the host's (`LLVMGetHostCPUName`).
    public var targetCPU: String?
    /// Vector width LLVM should prefer, in bits (`prefer-vector-width`): 512 lets AVX-512
    /// hosts use `<16 x float>` operations.
    public var preferVectorWidth = 512
    /// Symbolic dims, bound at compile time.
    public var bindings: [String: Int] = [:]
    /// Profiling: the entry brackets every kernel call, and kernels every sgemm call, with
    /// `vfc_prof_begin(id)` / `vfc_prof_end(id)` (the sites are `LoweredModule.profileSites`;
    /// `Profiler` reads the counters). Off, the code is exactly what it is without profiling.
    public var profile = false
    /// Run-time dims: the symbolic dims of each entry point's arguments that `bindings`
    /// does not fix become `int64_t` arguments of the compiled function (`EntryPoint.dims`),
    /// so one compiled function serves every size. The ops with a run-time lowering are
    /// listed in `Lowering+RuntimeDims.swift`; a fused kernel with run-time extents and no
    /// run-time form is lowered op by op (`RuntimeDimsKernels.swift`). Off, the code is
    /// exactly what it is without this option.
    public var runtimeDims = false

    public init(targetCPU: String? = nil, bindings: [String: Int] = [:], profile: Bool = false, runtimeDims: Bool = false) {
        self.targetCPU = targetCPU
        self.bindings = bindings
        self.profile = profile
        self.runtimeDims = runtimeDims
    }

    var attributes: FunctionAttributes {
        let cpu = targetCPU ?? LLVMSupport.hostCPU
        // Features come from the host only when compiling for the host CPU.
        let features = targetCPU == nil ? LLVMSupport.hostFeatures : ""
        return FunctionAttributes(cpu: cpu, features: features, preferVectorWidth: preferVectorWidth)
    }
}

/// A module lowered to LLVM IR and optimised: the input of the JIT and of object emission.
/// Owns its LLVM context and module until they are handed to the JIT.
public final class LoweredModule {
    let context: LLVMOrcThreadSafeContextRef
    var module: LLVMModuleRef?
    public let entries: [EntryPoint]
    /// What lowering emitted for each entry, in the order of `entries`.
    public let stats: [LoweringStats]
    public let options: CodegenOptions
    /// The profiled sites of every entry (empty unless `options.profile`).
    public let profileSites: [ProfileSite]
    /// Wall time of each phase so far: passes, lower, verify, optimize (and codegen once
    /// `emit` or the JIT has generated machine code).
    public internal(set) var phases = CompilePhases()

    /// The pass manager code generation runs when the caller gives none: the
    /// `PassRegistry.codegenPipeline`, verified as `verifying(_:)` says.
    public static func defaultPassManager() -> PassManager {
        // The pipeline names only registered passes, so this cannot fail.
        verifying((try? PassManager(pipeline: PassRegistry.codegenPipeline)) ?? PassManager(passes: []))
    }

    /// `pm` verified as code generation does by default: after every pass in debug builds
    /// (the unit tests catch a broken pass where it breaks), once after the last pass in
    /// release builds, where verifying after each of the ten passes was a fifth of the
    /// passes' time in the cold compile of a training step (`vfc compile --verify-each`
    /// still checks each).
    public static func verifying(_ pm: PassManager) -> PassManager {
        var pm = pm
        #if DEBUG
        pm.verifyEach = true
        #else
        pm.verifyEach = false
        #endif
        pm.verifyResult = true
        return pm
    }

    /// Lowers `functions` of `module` (every function when empty): `passManager` runs first
    /// (by default `PassRegistry.codegenPipeline`: value_and_grad expanded, calls inlined,
    /// cleaned up; a caller passes its own to add debugging flags or disable passes), then
    /// each function becomes an entry point with the buffer ABI of `EntryPoint`; the LLVM
    /// module is verified and, unless `optimize` is false (the JIT optimises the kernels in
    /// parallel, `ParallelCodegen`), optimised at O3.
    public init(module input: Module, functions: [String] = [], options: CodegenOptions, passManager: PassManager? = nil, optimize: Bool = true) throws {
        _ = LLVMSupport.initialized
        self.options = options
        var module = input
        if !functions.isEmpty {
            // Only what the requested functions reach goes through the passes: compiling one
            // small function of a module that also holds a whole training step stays quick.
            let reachable = input.functionsReachable(from: functions)
            module.functions.removeAll { !reachable.contains($0.name) }
        }
        var phases = CompilePhases()
        do {
            try phases.time("passes") { try (passManager ?? Self.defaultPassManager()).run(&module) }
        } catch let error as DiagnosticError {
            throw CodegenError.diagnostics(error)
        }
        let names = functions.isEmpty ? input.functions.map(\.name) : functions
        try LoweredModule.checkSymbols(names)
        context = LLVMOrcCreateNewThreadSafeContext()
        let ctx = LLVMOrcThreadSafeContextGetContext(context)!
        let llvmModule = LLVMModuleCreateWithNameInContext(module.name ?? "vfc", ctx)!
        self.module = llvmModule
        LLVMSetTarget(llvmModule, LLVMSupport.defaultTriple)
        // The target's data layout before lowering, so that O3 sizes and aligns types as
        // the code generator will.
        let layoutMachine = try Self.targetMachine(options)
        let layout = LLVMCreateTargetDataLayout(layoutMachine)
        LLVMSetModuleDataLayout(llvmModule, layout)
        LLVMDisposeTargetData(layout)
        LLVMDisposeTargetMachine(layoutMachine)
        let builder = LLVMCreateBuilderInContext(ctx)!
        defer { LLVMDisposeBuilder(builder) }
        var entries: [EntryPoint] = []
        var stats: [LoweringStats] = []
        let profile = options.profile ? ProfileTable() : nil
        try phases.time("lower") {
            for name in names {
                guard var f = module.function(named: name) else { throw CodegenError.noFunction(name) }
                let dims = options.runtimeDims ? RuntimeDims.names(of: f, bindings: options.bindings) : []
                if !dims.isEmpty, try RuntimeDims.unfusingRuntimeKernels(in: name, of: &module, bindings: options.bindings) > 0 {
                    f = module.function(named: name) ?? f
                }
                var lowering = FunctionLowering(e: Emitter(context: ctx, module: llvmModule, builder: builder), module: module, function: f, bindings: options.bindings)
                if !dims.isEmpty { lowering.useRuntimeDims(dims) }
                lowering.profile = profile
                let entry = try lowering.entryPoint()
                try lowering.emit(entry, attributes: options.attributes)
                entries.append(entry)
                stats.append(lowering.stats)
            }
        }
        self.entries = entries
        self.stats = stats
        profileSites = profile?.sites ?? []
        try phases.time("verify") {
            var message: UnsafeMutablePointer<CChar>?
            if LLVMVerifyModule(llvmModule, LLVMReturnStatusAction, &message) != 0 {
                throw CodegenError.internalError("generated LLVM IR does not verify: \(LLVMSupport.takeString(message))")
            }
            LLVMDisposeMessage(message)
        }
        self.phases = phases
        if optimize { try self.phases.time("optimize") { try self.optimize() } }
    }

    deinit {
        if let module { LLVMDisposeModule(module) }
        LLVMOrcDisposeThreadSafeContext(context)
    }

    /// A target machine for the options' CPU (the host's by default).
    func targetMachine() throws -> LLVMTargetMachineRef { try Self.targetMachine(options) }

    static func targetMachine(_ options: CodegenOptions) throws -> LLVMTargetMachineRef {
        var target: LLVMTargetRef?
        var error: UnsafeMutablePointer<CChar>?
        guard LLVMGetTargetFromTriple(LLVMSupport.defaultTriple, &target, &error) == 0, let target else {
            throw CodegenError.llvm("no LLVM target for \(LLVMSupport.defaultTriple): \(LLVMSupport.takeString(error))")
        }
        let attrs = options.attributes
        guard let tm = LLVMCreateTargetMachine(target, LLVMSupport.defaultTriple, attrs.cpu, attrs.features,
                                               LLVMCodeGenLevelAggressive, LLVMRelocPIC, LLVMCodeModelDefault) else {
            throw CodegenError.llvm("cannot create a target machine for CPU '\(attrs.cpu)'")
        }
        return tm
    }

    /// The new pass manager's default<O3> pipeline for the target CPU.
    private func optimize() throws {
        guard let module else { return }
        let tm = try targetMachine()
        defer { LLVMDisposeTargetMachine(tm) }
        try LLVMSupport.optimizeO3(module, tm)
    }

    /// The optimised module as LLVM IR text.
    public var llvmIR: String {
        guard let module else { return "" }
        return LLVMSupport.takeString(LLVMPrintModuleToString(module))
    }
}

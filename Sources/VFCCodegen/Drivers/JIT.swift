import CLLVM
import Foundation
import VFCIR
import VFCPasses
import VFCRuntime
import VFCTensor

/// Compiled code in this process (ORC LLJIT): compile once, call many times.
public final class JITModule {
    private var jit: LLVMOrcLLJITRef?
    public let entries: [EntryPoint]
    /// The profiled sites (empty unless compiled with `CodegenOptions.profile`).
    public let profileSites: [ProfileSite]
    var addresses: [String: UInt64] = [:]
    /// Seconds spent lowering, optimising and JIT-compiling.
    public let compileSeconds: Double
    /// Those seconds by phase (the IR passes, lowering, LLVM's optimiser, machine code).
    public let phases: CompilePhases

    /// Compiles `functions` of `module` (every function when empty); `passManager` replaces
    /// the default pipeline run before lowering (see `LoweredModule`).
    public init(module: Module, functions: [String] = [], options: CodegenOptions = CodegenOptions(), passManager: PassManager? = nil) throws {
        let clock = ContinuousClock()
        let start = clock.now
        // Host code: vfc_sgemm may run products on vfc's own microkernel (once per process).
        if options.targetCPU == nil { GemmKernel.installForHost() }
        let lowered = try LoweredModule(module: module, functions: functions, options: options, passManager: passManager, optimize: false)
        entries = lowered.entries
        profileSites = lowered.profileSites
        var jit: LLVMOrcLLJITRef?
        if let err = LLVMOrcCreateLLJIT(&jit, nil) { throw CodegenError.llvm("cannot create the JIT: \(LLVMSupport.message(err))") }
        self.jit = jit
        let dylib = LLVMOrcLLJITGetMainJITDylib(jit)
        // Runtime and BLAS symbols by address (they live in this executable, which need not
        // export them), libm and the rest through the process's dynamic symbol table.
        try Self.defineRuntimeSymbols(jit, dylib)
        var generator: LLVMOrcDefinitionGeneratorRef?
        if let err = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&generator, LLVMOrcLLJITGetGlobalPrefix(jit), nil, nil) {
            throw CodegenError.llvm("cannot search the process for symbols: \(LLVMSupport.message(err))")
        }
        LLVMOrcJITDylibAddGenerator(dylib, generator)
        guard let llvmModule = lowered.module else { throw CodegenError.internalError("module already handed over") }
        lowered.module = nil
        defer { LLVMDisposeModule(llvmModule) }
        var phases = lowered.phases
        let entrySymbols = Set(lowered.entries.flatMap { [$0.symbol, $0.packedSymbol] })
        let objects = try phases.time("optimize+codegen") {
            try ParallelCodegen.objects(of: llvmModule, entries: entrySymbols, options: options)
        }
        addresses = try phases.time("link") {
            for object in objects {
                let buffer = object.withUnsafeBufferPointer { b in
                    b.withMemoryRebound(to: CChar.self) { LLVMCreateMemoryBufferWithMemoryRangeCopy($0.baseAddress, $0.count, "vfc-object") }
                }
                if let err = LLVMOrcLLJITAddObjectFile(jit, dylib, buffer) {
                    throw CodegenError.llvm("cannot add an object to the JIT: \(LLVMSupport.message(err))")
                }
            }
            var addresses: [String: UInt64] = [:]
            for entry in lowered.entries {
                var address: LLVMOrcExecutorAddress = 0
                if let err = LLVMOrcLLJITLookup(jit, &address, entry.packedSymbol) {
                    throw CodegenError.llvm("cannot find \(entry.packedSymbol): \(LLVMSupport.message(err))")
                }
                addresses[entry.function] = address
            }
            return addresses
        }
        // Compiling a training step takes hundreds of MB of small heap blocks, now free; glibc
        // keeps them resident (the step's arena is one large mapping and cannot reuse them)
        // unless asked to return them.
        vfc_trim_heap()
        self.phases = phases
        let elapsed = (clock.now - start).components
        compileSeconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18
    }

    deinit {
        if let jit { LLVMOrcDisposeLLJIT(jit) }
    }

    private static func defineRuntimeSymbols(_ jit: LLVMOrcLLJITRef?, _ dylib: LLVMOrcJITDylibRef?) throws {
        typealias Loop = @convention(c) (Int64, Int64, vfc_loop_body?, UnsafeMutableRawPointer?) -> Void
        let symbols: [(String, UInt64)] = [
            ("vfc_parallel_for", UInt64(UInt(bitPattern: unsafeBitCast(vfc_parallel_for as Loop, to: UnsafeRawPointer.self)))),
            ("vfc_alloc", address(of: vfc_alloc as @convention(c) (Int64) -> UnsafeMutableRawPointer?)),
            ("vfc_alloc_uninit", address(of: vfc_alloc_uninit as @convention(c) (Int64) -> UnsafeMutableRawPointer?)),
            ("vfc_alloc_arena", address(of: vfc_alloc_arena as @convention(c) (Int64) -> UnsafeMutableRawPointer?)),
            ("vfc_arena_plan", address(of: vfc_arena_plan as @convention(c) (Int64, UnsafePointer<Int64>?, UnsafePointer<Int64>?, UnsafeMutablePointer<Int64>?) -> Int64)),
            ("vfc_free", address(of: vfc_free as @convention(c) (UnsafeMutableRawPointer?) -> Void)),
            ("vfc_prof_begin", address(of: vfc_prof_begin as @convention(c) (Int64) -> Void)),
            ("vfc_prof_end", address(of: vfc_prof_end as @convention(c) (Int64) -> Void)),
            ("vfc_out_of_memory", address(of: vfc_out_of_memory as @convention(c) (Int64) -> Void)),
            ("vfc_index_error", address(of: vfc_index_error as @convention(c) (UnsafePointer<CChar>?, Int64, Int64) -> Void)),
            ("vfc_index_error_sized", address(of: vfc_index_error_sized as @convention(c) (UnsafePointer<CChar>?, Int64, Int64, Int64) -> Void)),
            ("vfc_sgemm", address(of: vfc_sgemm as @convention(c) (Int32, Int32, Int32, Int32, Int32, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, UnsafeMutablePointer<Float>?, Int32) -> Void)),
            ("vfc_sgemm_fused", address(of: vfc_sgemm_fused as @convention(c) (Int32, Int32, Int32, Int32, Int32, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, UnsafeMutablePointer<Float>?, Int32, vfc_gemm_epilogue?, UnsafeMutableRawPointer?, Int64) -> Void)),
            ("vfc_dgemm", address(of: vfc_dgemm as @convention(c) (Int32, Int32, Int32, Int32, Int32, UnsafePointer<Double>?, Int32, UnsafePointer<Double>?, Int32, UnsafeMutablePointer<Double>?, Int32) -> Void)),
        ]
        var pairs = symbols.map { name, addr in
            LLVMOrcCSymbolMapPair(Name: LLVMOrcLLJITMangleAndIntern(jit, name),
                                  Sym: LLVMJITEvaluatedSymbol(Address: addr, Flags: LLVMJITSymbolFlags(GenericFlags: UInt8(LLVMJITSymbolGenericFlagsExported.rawValue), TargetFlags: 0)))
        }
        let unit = LLVMOrcAbsoluteSymbols(&pairs, pairs.count)
        if let err = LLVMOrcJITDylibDefine(dylib, unit) {
            throw CodegenError.llvm("cannot define runtime symbols: \(LLVMSupport.message(err))")
        }
    }

    private static func address<T>(of f: T) -> UInt64 {
        UInt64(UInt(bitPattern: unsafeBitCast(f, to: UnsafeRawPointer.self)))
    }

    /// Runs a compiled function on host tensors (converted to and from each buffer's dtype):
    /// a `JITSession` of one call. The tensors given are not modified: inputs and params
    /// are converted into buffers of their own, and a donated result is read back from its
    /// donated buffer.
    public func run(function: String, inputs: [Tensor], params: [String: Tensor]) throws -> [Tensor] {
        let session = try JITSession(jit: self, function: function, params: params)
        try session.call(inputs: inputs)
        return session.results
    }
}

// MARK: - In-process cache

extension JITModule {
    private struct CacheKey: Hashable {
        var module: String
        var functions: [String]
        var options: CodegenOptions
    }

    private static let cacheLock = NSLock()
    nonisolated(unsafe) private static var cache: [CacheKey: JITModule] = [:]

    /// The compiled module for `module`, `functions` and `options`, compiled on first use
    /// and shared afterwards within the process (keyed by the module's printed text, the
    /// function list and the options). Compiles are serialised by the cache's lock.
    public static func cached(module: Module, functions: [String] = [], options: CodegenOptions = CodegenOptions()) throws -> JITModule {
        let key = CacheKey(module: Printer.print(module), functions: functions, options: options)
        cacheLock.lock()
        defer { cacheLock.unlock() }
        if let hit = cache[key] { return hit }
        let jit = try JITModule(module: module, functions: functions, options: options)
        cache[key] = jit
        return jit
    }

    /// The number of modules in the cache.
    public static var cachedCount: Int {
        cacheLock.lock()
        defer { cacheLock.unlock() }
        return cache.count
    }

    /// Empties the cache (compiled code stays alive while callers hold a JITModule).
    public static func clearCache() {
        cacheLock.lock()
        defer { cacheLock.unlock() }
        cache.removeAll()
    }
}

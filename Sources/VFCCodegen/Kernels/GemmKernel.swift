import CLLVM
import Foundation
import VFCRuntime

/// vfc's f32 GEMM microkernel, generated through LLVM for the host's vector ISA and
/// installed in the runtime (Sources/VFCRuntime/gemm.c holds the packing, cache blocks and
/// parallel tiles around it, vfc_sgemm chooses between it and OpenBLAS per shape).
///
/// The kernel computes one MR x NR tile of C from micro-panels of op(A) and op(B), packed
/// or in place (strides are arguments): for each p in 0..<kc, NR/W vector loads of op(B)'s
/// row, MR broadcasts of op(A)'s column,
/// MR * NR/W `llvm.fma` on `<W x float>` accumulators that live in registers for the
/// whole loop; then C = acc or C += acc. Tiles per ISA (accumulators + B vectors + one
/// broadcast within the register file):
/// - AVX-512 (32 zmm): 12 x 32, 24 accumulators of `<16 x float>`.
/// - AVX2 with FMA (16 ymm): 6 x 16, 12 accumulators of `<8 x float>`.
/// Hosts with neither keep OpenBLAS for every product.
public struct GemmKernel: Hashable, Sendable {
    public var mr: Int
    public var nr: Int
    /// Floats per vector.
    public var vectorWidth: Int
    /// Whether the kernel prefetches its tile of C before the k loop: the tile's rows,
    /// `ldc` apart, are not a stream the hardware prefetchers follow, and without it every
    /// K block's `C += sums` waits for them from L3 or memory.
    public var prefetchC: Bool

    public init(mr: Int, nr: Int, vectorWidth: Int, prefetchC: Bool = true) {
        self.mr = mr
        self.nr = nr
        self.vectorWidth = vectorWidth
        self.prefetchC = prefetchC
    }

    /// The kernel for the host's features (as `CodegenOptions` gives them to generated
    /// code), nil without AVX2 and FMA.
    public static var forHost: GemmKernel? {
        let features = Set(LLVMSupport.hostFeatures.split(separator: ",").map(String.init))
        if features.contains("+avx512f") { return GemmKernel(mr: 12, nr: 32, vectorWidth: 16) }
        if features.contains("+avx2") && features.contains("+fma") { return GemmKernel(mr: 6, nr: 16, vectorWidth: 8) }
        return nil
    }

    /// The host's kernel, compiled and installed in the runtime once per process (the JIT
    /// does this before compiling a module); nil when the host has none or it failed to
    /// compile (then every product stays on OpenBLAS).
    @discardableResult
    public static func installForHost() -> GemmKernel? { installed }

    private static let installed: GemmKernel? = {
        guard let kernel = forHost, let code = try? kernel.compile() else { return nil }
        vfc_gemm_install(code, Int32(kernel.mr), Int32(kernel.nr))
        // Without the narrow kernel partial panels still run, through the whole tile.
        if let edge = kernel.edge, let edgeCode = try? edge.compile() { vfc_gemm_install_edge(edgeCode, Int32(edge.nr)) }
        return kernel
    }()

    /// The narrow kernel for a product's last, partial column panel: the same rows, one
    /// vector of columns (each element the same FMAs as in the whole tile); nil when the
    /// tile is one vector wide.
    public var edge: GemmKernel? {
        nr > vectorWidth ? GemmKernel(mr: mr, nr: vectorWidth, vectorWidth: vectorWidth, prefetchC: prefetchC) : nil
    }

    /// The LLJIT instances that own compiled kernels: kept for the life of the process.
    nonisolated(unsafe) private static var owners: [LLVMOrcLLJITRef] = []
    private static let ownersLock = NSLock()

    /// Generates, optimises and JIT-compiles the microkernel (signature of
    /// `vfc_gemm_microkernel`); the code lives as long as the process.
    public func compile() throws -> vfc_gemm_microkernel {
        let symbol = "vfc_gemm_ukr_\(mr)x\(nr)\(prefetchC ? "" : "_noprefetch")"
        let address = try Self.jitCompile(symbol: symbol) { e, attributes in
            emit(into: e, name: symbol, attributes: attributes)
        }
        return unsafeBitCast(address, to: vfc_gemm_microkernel.self)
    }

    /// A module of one function `symbol` that `build` emits (for the host, with the
    /// attributes generated code gets), verified, optimised at O3 and JIT-compiled: its
    /// address, valid for the life of the process.
    static func jitCompile(symbol: String, _ build: (Emitter, FunctionAttributes) -> Void) throws -> UnsafeRawPointer {
        _ = LLVMSupport.initialized
        let tsc = LLVMOrcCreateNewThreadSafeContext()!
        let ctx = LLVMOrcThreadSafeContextGetContext(tsc)!
        let module = LLVMModuleCreateWithNameInContext(symbol, ctx)!
        LLVMSetTarget(module, LLVMSupport.defaultTriple)
        let options = CodegenOptions()
        let tm = try LoweredModule.targetMachine(options)
        defer { LLVMDisposeTargetMachine(tm) }
        let layout = LLVMCreateTargetDataLayout(tm)
        LLVMSetModuleDataLayout(module, layout)
        LLVMDisposeTargetData(layout)
        let builder = LLVMCreateBuilderInContext(ctx)!
        defer { LLVMDisposeBuilder(builder) }
        build(Emitter(context: ctx, module: module, builder: builder), options.attributes)
        var message: UnsafeMutablePointer<CChar>?
        if LLVMVerifyModule(module, LLVMReturnStatusAction, &message) != 0 {
            throw CodegenError.internalError("generated \(symbol) does not verify: \(LLVMSupport.takeString(message))")
        }
        LLVMDisposeMessage(message)
        try LLVMSupport.optimizeO3(module, tm)

        var jit: LLVMOrcLLJITRef?
        if let err = LLVMOrcCreateLLJIT(&jit, nil) { throw CodegenError.llvm("cannot create the JIT: \(LLVMSupport.message(err))") }
        let dylib = LLVMOrcLLJITGetMainJITDylib(jit)
        let tsm = LLVMOrcCreateNewThreadSafeModule(module, tsc)
        LLVMOrcDisposeThreadSafeContext(tsc)
        if let err = LLVMOrcLLJITAddLLVMIRModule(jit, dylib, tsm) {
            throw CodegenError.llvm("cannot add \(symbol) to the JIT: \(LLVMSupport.message(err))")
        }
        var address: LLVMOrcExecutorAddress = 0
        if let err = LLVMOrcLLJITLookup(jit, &address, symbol) {
            throw CodegenError.llvm("cannot find \(symbol): \(LLVMSupport.message(err))")
        }
        ownersLock.lock()
        owners.append(jit!)
        ownersLock.unlock()
        guard let pointer = UnsafeRawPointer(bitPattern: UInt(address)) else { throw CodegenError.llvm("\(symbol) has no address") }
        return pointer
    }

    /// Emits the microkernel as the function `name` of `e`'s module.
    func emit(into e: Emitter, name: String, attributes: FunctionAttributes) {
        var e = e
        let w = vectorWidth, vectors = nr / w
        let vec = LLVMVectorType(e.f32, UInt32(w))!
        var params: [LLVMTypeRef?] = [e.i64, e.ptr, e.i64, e.i64, e.ptr, e.i64, e.ptr, e.i64, e.i32]
        let fnType = LLVMFunctionType(e.void, &params, UInt32(params.count), 0)
        let fn = LLVMAddFunction(e.module, name, fnType)!
        attributes.apply(to: fn, context: e.context)
        let noalias = LLVMGetEnumAttributeKindForName("noalias", 7)
        for index in [2, 5, 7] as [UInt32] { LLVMAddAttributeAtIndex(fn, index, LLVMCreateEnumAttribute(e.context, noalias, 0)) }
        e.function = fn
        let kc = LLVMGetParam(fn, 0)!, a = LLVMGetParam(fn, 1)!, aRowStride = LLVMGetParam(fn, 2)!
        let aColumnStride = LLVMGetParam(fn, 3)!, b = LLVMGetParam(fn, 4)!, bRowStride = LLVMGetParam(fn, 5)!
        let c = LLVMGetParam(fn, 6)!, ldc = LLVMGetParam(fn, 7)!, accumulate = LLVMGetParam(fn, 8)!
        let entry = e.block("entry"), loop = e.block("k"), sums = e.block("sums"), add = e.block("accumulate"), store = e.block("store")
        let builder = e.builder
        LLVMPositionBuilderAtEnd(builder, entry)
        let zero = LLVMConstNull(vec)!
        // Where op(A)'s row r starts (loop-invariant): packed (stride 1) or in place.
        let aRows = (0..<mr).map { r in e.gep(a, .f32, e.mul(aRowStride, e.i64(r))) }
        if prefetchC {
            // Every cache line of the tile (its rows need not be aligned: first and last
            // float of each vector), for writing, into all cache levels; the k loop hides
            // the wait.
            let flag = { (v: Int32) in LLVMConstInt(e.i32, UInt64(v), 0)! }
            for r in 0..<mr {
                let row = e.gep(c, .f32, e.mul(ldc, e.i64(r)))
                for offset in Set(stride(from: 0, to: nr, by: 16) + [nr - 1]).sorted() {
                    _ = e.intrinsic("llvm.prefetch", overloads: [e.ptr], [e.gep(row, .f32, e.i64(offset)), flag(1), flag(3), flag(1)])
                }
            }
        }
        LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntSGT, kc, e.i64(0), ""), loop, sums)

        // The k loop: accumulators are phis, so they stay in registers.
        LLVMPositionBuilderAtEnd(builder, loop)
        let p = LLVMBuildPhi(builder, e.i64, "p")!
        let accPhis = (0..<(mr * vectors)).map { _ in LLVMBuildPhi(builder, vec, "acc")! }
        let bRow = e.gep(b, .f32, e.mul(p, bRowStride))
        let bVectors = (0..<vectors).map { v -> LLVMValueRef in
            let load = LLVMBuildLoad2(builder, vec, e.gep(bRow, .f32, e.i64(v * w)), "")!
            LLVMSetAlignment(load, 4)  // rows of B in place need not be aligned
            return load
        }
        let aColumn = e.mul(p, aColumnStride)
        let undef = LLVMGetUndef(vec)
        var mask: [LLVMValueRef?] = (0..<w).map { _ in LLVMConstInt(e.i32, 0, 0) }
        let splatMask = LLVMConstVector(&mask, UInt32(w))
        var next: [LLVMValueRef] = []
        for r in 0..<mr {
            let s = LLVMBuildLoad2(builder, e.f32, e.gep(aRows[r], .f32, aColumn), "")!
            let one = LLVMBuildInsertElement(builder, undef, s, LLVMConstInt(e.i32, 0, 0), "")
            let splat = LLVMBuildShuffleVector(builder, one, undef, splatMask, "")!
            for v in 0..<vectors {
                next.append(e.intrinsic("llvm.fma", vec, [splat, bVectors[v], accPhis[r * vectors + v]]))
            }
        }
        let pNext = LLVMBuildAdd(builder, p, e.i64(1), "")!
        LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntSLT, pNext, kc, ""), loop, sums)
        var pIn: [LLVMValueRef?] = [e.i64(0), pNext]
        var pFrom: [LLVMBasicBlockRef?] = [entry, loop]
        LLVMAddIncoming(p, &pIn, &pFrom, 2)
        for (phi, value) in zip(accPhis, next) {
            var values: [LLVMValueRef?] = [zero, value]
            LLVMAddIncoming(phi, &values, &pFrom, 2)
        }

        // The sums leave the loop; C = sums, or C += sums.
        LLVMPositionBuilderAtEnd(builder, sums)
        let totals = next.map { value -> LLVMValueRef in
            let phi = LLVMBuildPhi(builder, vec, "sum")!
            var values: [LLVMValueRef?] = [zero, value]
            var blocks: [LLVMBasicBlockRef?] = [entry, loop]
            LLVMAddIncoming(phi, &values, &blocks, 2)
            return phi
        }
        func cAddress(_ r: Int, _ v: Int) -> LLVMValueRef {
            e.gep(e.gep(c, .f32, e.mul(ldc, e.i64(r))), .f32, e.i64(v * w))
        }
        LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntNE, accumulate, LLVMConstInt(e.i32, 0, 0), ""), add, store)
        LLVMPositionBuilderAtEnd(builder, add)
        for r in 0..<mr {
            for v in 0..<vectors {
                let address = cAddress(r, v)
                let old = LLVMBuildLoad2(builder, vec, address, "")!
                LLVMSetAlignment(old, 4)
                let stored = LLVMBuildStore(builder, LLVMBuildFAdd(builder, old, totals[r * vectors + v], ""), address)!
                LLVMSetAlignment(stored, 4)
            }
        }
        LLVMBuildRetVoid(builder)
        LLVMPositionBuilderAtEnd(builder, store)
        for r in 0..<mr {
            for v in 0..<vectors {
                let stored = LLVMBuildStore(builder, totals[r * vectors + v], cAddress(r, v))!
                LLVMSetAlignment(stored, 4)
            }
        }
        LLVMBuildRetVoid(builder)
    }
}

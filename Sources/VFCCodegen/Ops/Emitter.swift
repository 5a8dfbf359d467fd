import CLLVM
import VFCIR

/// Thin typed helpers over the LLVM-C builder: types, constants, counted loops, element
/// loads and stores. Everything is emitted into `function` at the builder's position.
struct Emitter {
    let context: LLVMContextRef
    let module: LLVMModuleRef
    let builder: LLVMBuilderRef
    var function: LLVMValueRef?

    var void: LLVMTypeRef { LLVMVoidTypeInContext(context) }
    var ptr: LLVMTypeRef { LLVMPointerTypeInContext(context, 0) }
    var i1: LLVMTypeRef { LLVMInt1TypeInContext(context) }
    var i8: LLVMTypeRef { LLVMInt8TypeInContext(context) }
    var i32: LLVMTypeRef { LLVMInt32TypeInContext(context) }
    var i64: LLVMTypeRef { LLVMInt64TypeInContext(context) }
    var f32: LLVMTypeRef { LLVMFloatTypeInContext(context) }
    var f64: LLVMTypeRef { LLVMDoubleTypeInContext(context) }

    /// The in-memory element type of a dtype (`i1` is stored as one byte, like `u8`).
    func storage(_ d: DType) -> LLVMTypeRef {
        switch d {
        case .f32: return f32
        case .f64: return f64
        case .i32: return i32
        case .i64: return i64
        case .i1, .u8: return i8
        }
    }

    func i64(_ v: Int) -> LLVMValueRef { LLVMConstInt(i64, UInt64(bitPattern: Int64(v)), 1) }

    /// An integer constant as stored in dtype `d`: truncated toward zero and saturated at the
    /// type's range (NaN is 0), as the interpreter rounds. 2^63 - 1 written in the IR parses to
    /// the f64 2^63 and becomes `Int64.max`, exactly.
    static func integerConstant(_ v: Double, _ d: DType) -> Int64 {
        if v.isNaN { return 0 }
        let (lo, hi): (Int64, Int64) = switch d {
        case .i32: (Int64(Int32.min), Int64(Int32.max))
        case .u8: (0, 255)
        case .i1: (0, 1)
        case .i64, .f32, .f64: (.min, .max)
        }
        if v >= Double(hi) { return hi }
        if v <= Double(lo) { return lo }
        return Int64(v.rounded(.towardZero))
    }

    /// A constant of dtype `d` with value `v` (floats exact, integers as `integerConstant`).
    func constant(_ v: Double, _ d: DType) -> LLVMValueRef {
        switch d {
        case .f32, .f64: return LLVMConstReal(storage(d), v)
        case .i1:
            return LLVMConstInt(storage(d), v != 0 && !v.isNaN ? 1 : 0, 0)
        case .i32, .i64, .u8:
            return LLVMConstInt(storage(d), UInt64(bitPattern: Emitter.integerConstant(v, d)), 1)
        }
    }

    // MARK: memory

    func gep(_ base: LLVMValueRef, _ d: DType, _ index: LLVMValueRef) -> LLVMValueRef {
        var idx: [LLVMValueRef?] = [index]
        return LLVMBuildInBoundsGEP2(builder, storage(d), base, &idx, 1, "")
    }

    func load(_ base: LLVMValueRef, _ d: DType, _ index: LLVMValueRef) -> LLVMValueRef {
        LLVMBuildLoad2(builder, storage(d), gep(base, d, index), "")
    }

    func store(_ value: LLVMValueRef, _ base: LLVMValueRef, _ d: DType, _ index: LLVMValueRef) {
        LLVMBuildStore(builder, value, gep(base, d, index))
    }

    // MARK: control flow

    func block(_ name: String) -> LLVMBasicBlockRef {
        LLVMAppendBasicBlockInContext(context, function, name)
    }

    /// for (i = 0; i < count; i++) body(i), with `count` an i64 value.
    func loop(_ count: LLVMValueRef, _ name: String = "i", _ body: (LLVMValueRef) throws -> Void) rethrows {
        try loop(from: i64(0), to: count, name, body)
    }

    /// for (i = start; i < end; i++) body(i), with i64 bounds.
    func loop(from start: LLVMValueRef, to count: LLVMValueRef, _ name: String = "i", _ body: (LLVMValueRef) throws -> Void) rethrows {
        let entry = LLVMGetInsertBlock(builder)
        let header = block(name + ".header"), bodyBlock = block(name + ".body"), exit = block(name + ".exit")
        LLVMBuildBr(builder, header)
        LLVMPositionBuilderAtEnd(builder, header)
        let phi = LLVMBuildPhi(builder, i64, name)!
        let done = LLVMBuildICmp(builder, LLVMIntSGE, phi, count, "")
        LLVMBuildCondBr(builder, done, exit, bodyBlock)
        LLVMPositionBuilderAtEnd(builder, bodyBlock)
        try body(phi)
        let next = LLVMBuildAdd(builder, phi, i64(1), name + ".next")
        let latch = LLVMGetInsertBlock(builder)
        LLVMBuildBr(builder, header)
        var values: [LLVMValueRef?] = [start, next]
        var blocks: [LLVMBasicBlockRef?] = [entry, latch]
        LLVMAddIncoming(phi, &values, &blocks, 2)
        LLVMPositionBuilderAtEnd(builder, exit)
    }

    /// A loop with a static trip count.
    func loop(_ count: Int, _ name: String = "i", _ body: (LLVMValueRef) throws -> Void) rethrows {
        try loop(i64(count), name, body)
    }

    // MARK: arithmetic

    func add(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildAdd(builder, a, b, "") }
    func mul(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef { LLVMBuildMul(builder, a, b, "") }
    func add(_ a: LLVMValueRef, _ b: Int) -> LLVMValueRef { b == 0 ? a : add(a, i64(b)) }
    func mul(_ a: LLVMValueRef, _ b: Int) -> LLVMValueRef { b == 1 ? a : mul(a, i64(b)) }

    /// Marks a floating-point instruction with the fast-math flags vfc allows: `contract`
    /// (fused multiply-add) everywhere; `reassoc` only in reductions, where it lets LLVM
    /// vectorise the sum (a fixed order for a given compiled kernel, so runs repeat exactly).
    func fastMath(_ v: LLVMValueRef, reassoc: Bool = false) -> LLVMValueRef {
        if LLVMCanValueUseFastMathFlags(v) != 0 {
            LLVMSetFastMathFlags(v, UInt32(LLVMFastMathAllowContract) | (reassoc ? UInt32(LLVMFastMathAllowReassoc) : 0))
        }
        return v
    }

    /// Declares (once) and calls an external function, e.g. `expf` or `cblas_sgemm`.
    func call(_ name: String, _ ret: LLVMTypeRef, _ params: [LLVMTypeRef], _ args: [LLVMValueRef]) -> LLVMValueRef {
        var ps: [LLVMTypeRef?] = params
        let fnType = LLVMFunctionType(ret, &ps, UInt32(ps.count), 0)
        let fn = LLVMGetNamedFunction(module, name) ?? LLVMAddFunction(module, name, fnType)
        var as_: [LLVMValueRef?] = args
        return LLVMBuildCall2(builder, fnType, fn, &as_, UInt32(as_.count), "")!
    }

    /// Calls an LLVM intrinsic overloaded on `type` (`llvm.exp`, `llvm.fma`, `llvm.maxnum`...).
    func intrinsic(_ name: String, _ type: LLVMTypeRef, _ args: [LLVMValueRef]) -> LLVMValueRef {
        intrinsic(name, overloads: [type], args)
    }

    /// An intrinsic overloaded on several types (`llvm.fptosi.sat` on result and source).
    func intrinsic(_ name: String, overloads: [LLVMTypeRef], _ args: [LLVMValueRef]) -> LLVMValueRef {
        let id = LLVMLookupIntrinsicID(name, name.utf8.count)
        var overload: [LLVMTypeRef?] = overloads
        let fn = LLVMGetIntrinsicDeclaration(module, id, &overload, overloads.count)
        let fnType = LLVMIntrinsicGetType(context, id, &overload, overloads.count)
        var as_: [LLVMValueRef?] = args
        return LLVMBuildCall2(builder, fnType, fn, &as_, UInt32(as_.count), "")!
    }
}

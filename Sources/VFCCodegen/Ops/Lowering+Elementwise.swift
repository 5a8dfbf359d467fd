import CLLVM
import VFCIR

/// Lowering of the elementwise family: one flat loop over the result, which LLVM
/// vectorises; rank-0 operands are loaded once per element (hoisted by LICM).
extension FunctionLowering {
    /// The element type the op computes in: that of its tensor operands (for select, of
    /// its values; literals adopt it).
    func computeType(_ op: Op, _ ops: [Lowered]) -> DType {
        let valueOps = op == .select ? Array(ops.dropFirst()) : ops
        for o in valueOps { if case .buffer(_, let d, _) = o { return d } }
        return .f32
    }

    /// Element `i` of an operand (index 0 for rank-0 operands), in its dtype.
    func element(_ o: Lowered, _ i: LLVMValueRef, as d: DType) -> LLVMValueRef {
        switch o {
        case .literal(let x): return e.constant(x, d)
        case .buffer(let p, let bd, let s): return e.load(p, bd, s.isEmpty ? e.i64(0) : i)
        }
    }

    mutating func lowerElementwise(_ op: Op, _ ops: [Lowered], _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        let ct = computeType(op, ops)
        let captured = ops.compactMap { o -> LLVMValueRef? in if case .buffer(let p, _, _) = o { return p } else { return nil } } + [out]
        try parallelLoop(shape.reduce(1, *), buffers: captured) { me, i, ptrs in
            // The operands as the (possibly outlined) loop body sees them.
            var k = 0
            let ops = ops.map { o -> Lowered in
                guard case .buffer(_, let d, let s) = o else { return o }
                defer { k += 1 }
                return .buffer(ptrs[k], d, s)
            }
            let out = ptrs[ptrs.count - 1]
            let v = try me.elementwiseValue(op, ct, from: ops.first?.dtype) { k, d in me.element(ops[k], i, as: d) }
            me.e.store(v, out, dtype, i)
        }
    }

    /// The value of elementwise `op` at one element, computing in `ct`; `element(k, d)`
    /// loads operand k as dtype d, `from` is operand 0's dtype (what convert converts).
    func elementwiseValue(_ op: Op, _ ct: DType, from: DType?, _ element: (Int, DType) -> LLVMValueRef) throws -> LLVMValueRef {
        switch op {
        case .unary(let u):
            return unary(u, element(0, ct), ct)
        case .binary(let b):
            return binary(b, element(0, ct), element(1, ct), ct)
        case .compare(let c):
            return LLVMBuildZExt(e.builder, compare(c, element(0, ct), element(1, ct), ct), e.i8, "")
        case .select:
            let cond = truth(element(0, .u8))
            return LLVMBuildSelect(e.builder, cond, element(1, ct), element(2, ct), "")
        case .convert(let to):
            guard let from else { throw CodegenError.internalError("convert of a literal") }
            return convert(element(0, from), from: from, to: to)
        default:
            throw CodegenError.internalError("\(op.name) is not elementwise")
        }
    }

    /// A byte mask value as i1 (`!= 0`).
    func truth(_ v: LLVMValueRef) -> LLVMValueRef {
        LLVMBuildICmp(e.builder, LLVMIntNE, v, LLVMConstInt(LLVMTypeOf(v), 0, 0), "")
    }

    func unary(_ u: UnaryOp, _ x: LLVMValueRef, _ d: DType) -> LLVMValueRef {
        let t = e.storage(d)
        if !d.isFloat {
            switch u {
            case .neg: return LLVMBuildNeg(e.builder, x, "")
            case .abs:
                let negative = LLVMBuildICmp(e.builder, LLVMIntSLT, x, LLVMConstInt(t, 0, 0), "")
                return LLVMBuildSelect(e.builder, negative, LLVMBuildNeg(e.builder, x, ""), x, "")
            case .not: return LLVMBuildZExt(e.builder, LLVMBuildICmp(e.builder, LLVMIntEQ, x, LLVMConstInt(t, 0, 0), ""), t, "")
            case .exp, .log, .sqrt, .rsqrt, .tanh, .erf, .gelu:
                return x  // float only: the verifier refuses these on integers
            }
        }
        let f32 = d == .f32
        switch u {
        case .neg: return LLVMBuildFNeg(e.builder, x, "")
        case .exp: return e.exp(x, d)
        case .log: return e.intrinsic("llvm.log", t, [x])
        case .sqrt: return e.intrinsic("llvm.sqrt", t, [x])
        case .rsqrt: return e.fastMath(LLVMBuildFDiv(e.builder, LLVMConstReal(t, 1), e.intrinsic("llvm.sqrt", t, [x]), ""))
        case .abs: return e.intrinsic("llvm.fabs", t, [x])
        case .tanh: return f32 ? e.tanhF32(x) : e.call("tanh", t, [t], [x])
        case .erf: return f32 ? e.erfF32(x) : e.call("erf", t, [t], [x])
        case .gelu:
            // x * 0.5 * (1 + erf(x / sqrt 2)), the erf form of method.md section 3, computed
            // as x * 0.5 * erfc(-x / sqrt 2): the same function without the cancellation of
            // 1 + erf for negative x, which in f32 would cost most of the digits there.
            // f32 evaluates it in f32 arithmetic with a vectorisable erfc (`geluF32`).
            if f32 { return e.geluF32(x) }
            let scaled: LLVMValueRef = LLVMBuildFMul(e.builder, x, LLVMConstReal(t, -0.7071067811865476), "")
            let erfc = e.call("erfc", t, [t], [scaled])
            let half = LLVMBuildFMul(e.builder, x, LLVMConstReal(t, 0.5), "")
            return e.fastMath(LLVMBuildFMul(e.builder, half, erfc, ""))
        case .not: return x
        }
    }

    func binary(_ b: BinaryOp, _ x: LLVMValueRef, _ y: LLVMValueRef, _ d: DType) -> LLVMValueRef {
        let t = e.storage(d)
        if d.isFloat {
            switch b {
            case .add: return e.fastMath(LLVMBuildFAdd(e.builder, x, y, ""))
            case .sub: return e.fastMath(LLVMBuildFSub(e.builder, x, y, ""))
            case .mul: return e.fastMath(LLVMBuildFMul(e.builder, x, y, ""))
            case .div: return LLVMBuildFDiv(e.builder, x, y, "")
            // NaN-propagating, as the interpreter's max/min.
            case .max: return e.intrinsic("llvm.maximum", t, [x, y])
            case .min: return e.intrinsic("llvm.minimum", t, [x, y])
            case .pow: return e.intrinsic("llvm.pow", t, [x, y])
            case .and, .or: return x
            }
        }
        let unsigned = d == .u8 || d == .i1
        switch b {
        case .add: return LLVMBuildAdd(e.builder, x, y, "")
        case .sub: return LLVMBuildSub(e.builder, x, y, "")
        case .mul: return LLVMBuildMul(e.builder, x, y, "")
        case .div:
            // docs/IR.md: a zero divisor gives 0 and MIN / -1 wraps to MIN, as the
            // interpreter does; the hardware divide traps on both, so neither reaches it.
            let zero = LLVMConstInt(t, 0, 0)
            let isZero = LLVMBuildICmp(e.builder, LLVMIntEQ, y, zero, "")
            if unsigned {
                let safe = LLVMBuildSelect(e.builder, isZero, LLVMConstInt(t, 1, 0), y, "")
                return LLVMBuildSelect(e.builder, isZero, zero, LLVMBuildUDiv(e.builder, x, safe, ""), "")
            }
            let isMinusOne = LLVMBuildICmp(e.builder, LLVMIntEQ, y, LLVMConstAllOnes(t), "")
            let special = LLVMBuildOr(e.builder, isZero, isMinusOne, "")
            let safe = LLVMBuildSelect(e.builder, special, LLVMConstInt(t, 1, 0), y, "")
            let q = LLVMBuildSelect(e.builder, isMinusOne, LLVMBuildSub(e.builder, zero, x, ""), LLVMBuildSDiv(e.builder, x, safe, ""), "")
            return LLVMBuildSelect(e.builder, isZero, zero, q, "")
        case .max, .min:
            let pred: LLVMIntPredicate = b == .max ? (unsigned ? LLVMIntUGT : LLVMIntSGT) : (unsigned ? LLVMIntULT : LLVMIntSLT)
            return LLVMBuildSelect(e.builder, LLVMBuildICmp(e.builder, pred, x, y, ""), x, y, "")
        case .and: return LLVMBuildZExt(e.builder, LLVMBuildAnd(e.builder, truth(x), truth(y), ""), t, "")
        case .or: return LLVMBuildZExt(e.builder, LLVMBuildOr(e.builder, truth(x), truth(y), ""), t, "")
        case .pow: return x
        }
    }

    func compare(_ c: CompareOp, _ x: LLVMValueRef, _ y: LLVMValueRef, _ d: DType) -> LLVMValueRef {
        if d.isFloat {
            let p: LLVMRealPredicate
            switch c {
            case .eq: p = LLVMRealOEQ
            case .ne: p = LLVMRealUNE
            case .lt: p = LLVMRealOLT
            case .le: p = LLVMRealOLE
            case .gt: p = LLVMRealOGT
            case .ge: p = LLVMRealOGE
            }
            return LLVMBuildFCmp(e.builder, p, x, y, "")
        }
        let unsigned = d == .u8 || d == .i1
        let p: LLVMIntPredicate
        switch c {
        case .eq: p = LLVMIntEQ
        case .ne: p = LLVMIntNE
        case .lt: p = unsigned ? LLVMIntULT : LLVMIntSLT
        case .le: p = unsigned ? LLVMIntULE : LLVMIntSLE
        case .gt: p = unsigned ? LLVMIntUGT : LLVMIntSGT
        case .ge: p = unsigned ? LLVMIntUGE : LLVMIntSGE
        }
        return LLVMBuildICmp(e.builder, p, x, y, "")
    }

    /// Element conversion with the interpreter's rules: float to int truncates toward zero
    /// and saturates (NaN to 0), anything to i1 is `!= 0`.
    func convert(_ x: LLVMValueRef, from: DType, to: DType) -> LLVMValueRef {
        let t = e.storage(to)
        if from == to { return x }
        if to == .i1 {
            let nz = from.isFloat ? LLVMBuildFCmp(e.builder, LLVMRealUNE, x, LLVMConstReal(e.storage(from), 0), "")
                : LLVMBuildICmp(e.builder, LLVMIntNE, x, LLVMConstInt(e.storage(from), 0, 0), "")
            return LLVMBuildZExt(e.builder, nz, t, "")
        }
        switch (from.isFloat, to.isFloat) {
        case (true, true):
            return from == .f32 ? LLVMBuildFPExt(e.builder, x, t, "") : LLVMBuildFPTrunc(e.builder, x, t, "")
        case (true, false):
            return e.intrinsic(to == .u8 ? "llvm.fptoui.sat" : "llvm.fptosi.sat", overloads: [t, e.storage(from)], [x])
        case (false, true):
            return from == .u8 || from == .i1 ? LLVMBuildUIToFP(e.builder, x, t, "") : LLVMBuildSIToFP(e.builder, x, t, "")
        case (false, false):
            let fromBits = from.byteSize, toBits = to.byteSize
            if toBits < fromBits {
                // Saturate like the interpreter, then truncate.
                let lo = to == .u8 ? 0.0 : (to == .i32 ? -2147483648.0 : 0)
                let hi = to == .u8 ? 255.0 : 2147483647.0
                let ft = e.storage(from)
                let clampLo = LLVMBuildSelect(e.builder, LLVMBuildICmp(e.builder, LLVMIntSLT, x, LLVMConstInt(ft, UInt64(bitPattern: Int64(lo)), 1), ""), LLVMConstInt(ft, UInt64(bitPattern: Int64(lo)), 1), x, "")
                let clamped = LLVMBuildSelect(e.builder, LLVMBuildICmp(e.builder, LLVMIntSGT, clampLo, LLVMConstInt(ft, UInt64(hi), 1), ""), LLVMConstInt(ft, UInt64(hi), 1), clampLo, "")
                return LLVMBuildTrunc(e.builder, clamped, t, "")
            }
            return from == .u8 || from == .i1 ? LLVMBuildZExt(e.builder, x, t, "") : LLVMBuildSExt(e.builder, x, t, "")
        }
    }

    mutating func lowerConstant(_ v: ConstantValue, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        switch v {
        case .splat(let x):
            let c = e.constant(x, dtype)
            e.loop(shape.reduce(1, *)) { i in e.store(c, out, dtype, i) }
        case .dense(let xs):
            // The values are data, not code: one private constant array in the module and a
            // copy, so a million-element list costs a memcpy rather than a million stores
            // for LLVM to optimise.
            let bytes = Emitter.constantBytes(xs, dtype)
            let array = bytes.withUnsafeBufferPointer { b in
                b.withMemoryRebound(to: CChar.self) { LLVMConstStringInContext2(e.context, $0.baseAddress, b.count, 1)! }
            }
            let global = LLVMAddGlobal(e.module, LLVMTypeOf(array), "vfc.constant")
            LLVMSetInitializer(global, array)
            LLVMSetGlobalConstant(global, 1)
            LLVMSetLinkage(global, LLVMPrivateLinkage)
            LLVMSetUnnamedAddr(global, 1)
            LLVMBuildMemCpy(e.builder, out, 1, global, 1, e.i64(bytes.count))
        }
    }

    mutating func lowerCopy(_ o: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        guard case .buffer(let p, _, _) = o else { throw CodegenError.internalError("copy of a literal") }
        copy(from: p, to: out, dtype, shape.reduce(1, *))
    }
}

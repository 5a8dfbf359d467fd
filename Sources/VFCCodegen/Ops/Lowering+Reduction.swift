import CLLVM
import VFCIR

/// Lowering of reductions and normalisations: reduce_{sum,max,min,mean}, softmax,
/// log_softmax, l2_normalize, layer_norm.
///
/// Precision: the interpreter sums in `Double` and rounds each result to its dtype once.
/// Float sums here accumulate in `double` too, f32 elements widened on load (`fpext`),
/// and everything computed from a sum (mean, variance, exp, log, the division) stays in
/// `double` until the result is stored; only max/min run in the element type (they are
/// exact). Computing f32 in float fails the 1e-5 parity where a sum cancels: layer_norm
/// of rows with a large common offset (x + 1000: the float mean is off by ~6e-5 of the
/// centred values), means and log_softmax values near 0. Widening costs one conversion
/// per element and halves the vector width of these loops (still vectorised). The exp of
/// f32 softmax/log_softmax is the exception: it runs in f32 (`expDifferenceF32`, within
/// an ulp of exp(x - max) rounded once, like the interpreter's), only its sum is double.
/// The sums carry `reassoc` (see `Emitter.fastMath`), so LLVM vectorises them: the order
/// differs from the interpreter's sequential one by double-rounding noise only.
///
/// Integer sums accumulate in i64 and saturate to the dtype when stored, like the
/// interpreter's rounding (i64 sums wrap). max/min propagate NaN (`llvm.maximum`/
/// `llvm.minimum`), integer max/min compare unsigned for u8 and i1.
extension FunctionLowering {
    /// The type float sums and normalisations compute in: double, for f32 too (see above).
    func computeWide(_ d: DType) -> DType { .f64 }

    // MARK: reduce

    mutating func lowerReduce(_ kind: ReduceOp, _ axes: [Int], _ x: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        guard case .buffer(let xp, _, let xs) = x else { throw CodegenError.internalError("reduce of a literal") }
        let rank = xs.count
        let reduced = Set(axes.map { $0 < 0 ? $0 + rank : $0 })
        let outCount = shape.reduce(1, *)
        if outCount == 0 { return }
        let n = reduced.reduce(1) { $0 * xs[$1] }
        if n == 0 {
            // Empty reductions: 0 (sum), NaN (mean), the rounded -inf (max) and +inf (min).
            let v = reduceEmptyValue(kind, dtype)
            e.loop(outCount, "fill") { i in e.store(v, out, dtype, i) }
            return
        }

        // The operand viewed as alternating groups of kept and reduced axes (size-1 axes
        // dropped, adjacent axes of one kind merged), outermost first.
        var groups: [(size: Int, reduced: Bool)] = []
        for (i, s) in xs.enumerated() where s != 1 {
            let r = reduced.contains(i)
            if let last = groups.last, last.reduced == r {
                groups[groups.count - 1].size *= s
            } else {
                groups.append((s, r))
            }
        }
        if groups.isEmpty { groups = [(1, false)] }
        var inStrides = [Int](repeating: 1, count: groups.count)
        var outStrides = [Int](repeating: 0, count: groups.count)
        var inStride = 1, outStride = 1
        for g in stride(from: groups.count - 1, through: 0, by: -1) {
            inStrides[g] = inStride
            inStride *= groups[g].size
            if !groups[g].reduced {
                outStrides[g] = outStride
                outStride *= groups[g].size
            }
        }

        let acc = reduceAccumulatorType(kind, dtype)
        let identity = reduceIdentity(kind, acc)
        let outer = Array(groups.dropLast()), last = groups[groups.count - 1]
        let outerSizes = outer.map(\.size)
        let outerStrides = [Array(inStrides.dropLast()), Array(outStrides.dropLast())]

        if last.reduced && !outer.contains(where: \.reduced) {
            // Reducing the trailing axes: one contiguous register reduction per result.
            reductionNest(outerSizes, outerStrides) { offs in
                let total = carriedLoop(e.i64(last.size), identity, "red") { k, a in
                    reduceCombine(kind, acc, a, reduceWiden(e.load(xp, dtype, e.add(offs[0], k)), dtype, to: acc))
                }
                e.store(reduceFinish(kind, total, acc, dtype, n), out, dtype, offs[1])
            }
            return
        }

        // Otherwise results accumulate in a buffer (`out` itself when the accumulator has
        // the result's type), then are finished into `out`.
        // (Initialised here even for sums, so nothing depends on buffers coming zeroed.)
        let accBuffer = acc == dtype ? out : allocate(acc, shape)
        e.loop(outCount, "init") { i in e.store(identity, accBuffer, acc, i) }
        if last.reduced {
            // [..., reduced, kept, reduced]: contiguous partial reductions, combined into
            // their result slot.
            reductionNest(outerSizes, outerStrides) { offs in
                let partial = carriedLoop(e.i64(last.size), identity, "red") { k, a in
                    reduceCombine(kind, acc, a, reduceWiden(e.load(xp, dtype, e.add(offs[0], k)), dtype, to: acc))
                }
                e.store(reduceCombine(kind, acc, e.load(accBuffer, acc, offs[1]), partial), accBuffer, acc, offs[1])
            }
        } else {
            // Trailing kept axes: whole rows of the operand combined into a row of results,
            // both contiguous.
            reductionNest(outerSizes, outerStrides) { offs in
                e.loop(last.size, "col") { j in
                    let o = e.add(offs[1], j)
                    let v = reduceWiden(e.load(xp, dtype, e.add(offs[0], j)), dtype, to: acc)
                    e.store(reduceCombine(kind, acc, e.load(accBuffer, acc, o), v), accBuffer, acc, o)
                }
            }
        }
        if accBuffer != out || kind == .mean {
            e.loop(outCount, "finish") { i in
                e.store(reduceFinish(kind, e.load(accBuffer, acc, i), acc, dtype, n), out, dtype, i)
            }
        }
    }

    /// The type a reduction accumulates in: double for float sums, i64 for integer sums,
    /// the element type for max/min.
    func reduceAccumulatorType(_ kind: ReduceOp, _ d: DType) -> DType {
        switch kind {
        case .max, .min: return d
        case .sum, .mean: return d.isFloat ? computeWide(d) : .i64
        }
    }

    func reduceIdentity(_ kind: ReduceOp, _ acc: DType) -> LLVMValueRef {
        switch kind {
        case .sum, .mean: return e.constant(0, acc)
        case .max: return acc.isFloat ? e.constant(-.infinity, acc) : reduceIntegerBound(acc, max: false)
        case .min: return acc.isFloat ? e.constant(.infinity, acc) : reduceIntegerBound(acc, max: true)
        }
    }

    /// The smallest (or largest) value of an integer dtype.
    func reduceIntegerBound(_ d: DType, max: Bool) -> LLVMValueRef {
        let t = e.storage(d)
        switch d {
        case .i32: return LLVMConstInt(t, UInt64(bitPattern: max ? Int64(Int32.max) : Int64(Int32.min)), 1)
        case .i64: return LLVMConstInt(t, UInt64(bitPattern: max ? Int64.max : Int64.min), 1)
        case .u8: return LLVMConstInt(t, max ? 255 : 0, 0)
        default: return LLVMConstInt(t, max ? 1 : 0, 0)
        }
    }

    /// The interpreter's result of an empty reduction, rounded to `d`.
    func reduceEmptyValue(_ kind: ReduceOp, _ d: DType) -> LLVMValueRef {
        switch kind {
        case .sum: return e.constant(0, d)
        case .mean: return e.constant(.nan, d)
        case .max, .min:
            if d.isFloat { return e.constant(kind == .max ? -.infinity : .infinity, d) }
            // -inf and +inf saturate to the type's bounds; for i1 both are nonzero.
            if d == .i1 { return LLVMConstInt(e.i8, 1, 0) }
            return reduceIntegerBound(d, max: kind == .min)
        }
    }

    /// `x` (of dtype `d`) in the accumulator type.
    func reduceWiden(_ x: LLVMValueRef, _ d: DType, to acc: DType) -> LLVMValueRef {
        d == acc ? x : convert(x, from: d, to: acc)
    }

    func reduceCombine(_ kind: ReduceOp, _ acc: DType, _ a: LLVMValueRef, _ v: LLVMValueRef) -> LLVMValueRef {
        let t = e.storage(acc)
        switch kind {
        case .sum, .mean:
            return acc.isFloat ? e.fastMath(LLVMBuildFAdd(e.builder, a, v, ""), reassoc: true) : LLVMBuildAdd(e.builder, a, v, "")
        case .max, .min:
            if acc.isFloat { return e.intrinsic(kind == .max ? "llvm.maximum" : "llvm.minimum", t, [a, v]) }
            let unsigned = acc == .u8 || acc == .i1
            let pred: LLVMIntPredicate = kind == .max ? (unsigned ? LLVMIntUGT : LLVMIntSGT) : (unsigned ? LLVMIntULT : LLVMIntSLT)
            return LLVMBuildSelect(e.builder, LLVMBuildICmp(e.builder, pred, v, a, ""), v, a, "")
        }
    }

    /// An accumulated value as a result of dtype `d`: mean divides by `n`, double narrows
    /// to f32, i64 saturates to i32 or u8.
    func reduceFinish(_ kind: ReduceOp, _ v: LLVMValueRef, _ acc: DType, _ d: DType, _ n: Int) -> LLVMValueRef {
        var v = v
        if kind == .mean { v = LLVMBuildFDiv(e.builder, v, e.constant(Double(n), acc), "") }
        return acc == d ? v : convert(v, from: acc, to: d)
    }

    // MARK: softmax, l2_normalize, layer_norm

    /// `x` of dtype `d` in the type normalisations compute in (`computeWide(d)`, double).
    func toF64(_ x: LLVMValueRef, _ d: DType) -> LLVMValueRef {
        computeWide(d) == d ? x : LLVMBuildFPExt(e.builder, x, e.storage(computeWide(d)), "")
    }

    /// A result in the compute type (double) narrowed to dtype `d`.
    func fromF64(_ x: LLVMValueRef, _ d: DType) -> LLVMValueRef {
        computeWide(d) == d ? x : LLVMBuildFPTrunc(e.builder, x, e.storage(d), "")
    }

    func reduceAdd(_ a: LLVMValueRef, _ b: LLVMValueRef, reassoc: Bool = false) -> LLVMValueRef {
        e.fastMath(LLVMBuildFAdd(e.builder, a, b, ""), reassoc: reassoc)
    }

    func reduceSub(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef {
        e.fastMath(LLVMBuildFSub(e.builder, a, b, ""))
    }

    func reduceMul(_ a: LLVMValueRef, _ b: LLVMValueRef) -> LLVMValueRef {
        e.fastMath(LLVMBuildFMul(e.builder, a, b, ""))
    }

    /// Calls `body(base, stride, n)` inside loops over every line of a `shape` tensor along
    /// `axis`: the line's elements are at base + k * stride, k in 0..<n (stride 1 for the
    /// last axis, which makes the line loops contiguous).
    private func reductionLines(_ shape: [Int], _ axis: Int, _ body: (LLVMValueRef, Int, Int) throws -> Void) rethrows {
        let outer = shape[..<axis].reduce(1, *), n = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        if outer * n * inner == 0 { return }
        try reductionNest([outer, inner], [[n * inner, 1]]) { offs in try body(offs[0], inner, n) }
    }

    mutating func lowerSoftmax(_ axis: Int, log: Bool, _ x: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        guard case .buffer(let xp, _, _) = x else { throw CodegenError.internalError("softmax of a literal") }
        let a = axis < 0 ? axis + shape.count : axis
        if a == shape.count - 1 {
            // Rows along the last axis: independent, so they are split across threads.
            let n = shape[a], rows = n == 0 ? 0 : shape.reduce(1, *) / n
            try parallelLoop(rows, workPerIteration: 8 * n, buffers: [xp, out]) { me, r, ptrs in
                let em = me.e
                me.softmaxLine(load: { em.load(ptrs[0], dtype, $0) }, scratch: ptrs[1], store: { em.store($1, ptrs[1], dtype, $0) },
                               base: me.e.mul(r, n), stride: 1, n: n, log: log, dtype)
            }
            return
        }
        let em = e
        reductionLines(shape, a) { base, stride, n in
            softmaxLine(load: { em.load(xp, dtype, $0) }, scratch: out, store: { em.store($1, out, dtype, $0) },
                        base: base, stride: stride, n: n, log: log, dtype)
        }
    }

    /// Softmax (or log_softmax) of the line base + k * stride, k in 0..<n: `load(index)`
    /// gives an input element (a fused prologue computes it there), `scratch` holds the
    /// exponentials (softmax), `store(index, value)` takes each result element (a fused
    /// epilogue runs there).
    func softmaxLine(load: (LLVMValueRef) -> LLVMValueRef, scratch: LLVMValueRef, store: (LLVMValueRef, LLVMValueRef) -> Void,
                     base: LLVMValueRef, stride: Int, n: Int, log: Bool, _ dtype: DType) {
        softmaxLine(load: load, scratch: scratch, store: store, base: base, stride: stride, length: e.i64(n), log: log, dtype)
    }

    /// `softmaxLine` with the line's length an i64 value (a run-time dim).
    func softmaxLine(load: (LLVMValueRef) -> LLVMValueRef, scratch: LLVMValueRef, store: (LLVMValueRef, LLVMValueRef) -> Void,
                     base: LLVMValueRef, stride: Int, length n: LLVMValueRef, log: Bool, _ dtype: DType) {
        let t = e.storage(dtype), w = computeWide(dtype)
        let em = e
        let at = { (k: LLVMValueRef) in em.add(base, em.mul(k, stride)) }
        let m = carriedLoop(n, e.constant(-.infinity, dtype), "max") { k, acc in
            e.intrinsic("llvm.maximum", t, [acc, load(at(k))])
        }
        // The shift is the max, or 0 when the max is infinite (or NaN).
        let finite = LLVMBuildFCmp(e.builder, LLVMRealONE, e.intrinsic("llvm.fabs", t, [m]), e.constant(.infinity, dtype), "")
        let shift32 = LLVMBuildSelect(e.builder, finite, m, e.constant(0, dtype), "")!
        let shift = toF64(shift32, dtype)
        let s = carriedLoop(n, e.constant(0, w), "sum") { k, acc in
            if dtype == .f32 {
                // The exponential in f32 (16 lanes, not 8), of the exact difference x - max:
                // only the sum is wide.
                let v32 = e.expDifferenceF32(load(at(k)), shift32)
                if !log { e.store(v32, scratch, dtype, at(k)) }
                return reduceAdd(acc, toF64(v32, dtype), reassoc: true)
            }
            let v = e.exp(reduceSub(toF64(load(at(k)), dtype), shift), w)
            if !log { e.store(fromF64(v, dtype), scratch, dtype, at(k)) }
            return reduceAdd(acc, v, reassoc: true)
        }
        if log {
            let ls = e.intrinsic("llvm.log", e.storage(w), [s])
            e.loop(n, "k") { k in
                let v = reduceSub(reduceSub(toF64(load(at(k)), dtype), shift), ls)
                store(at(k), fromF64(v, dtype))
            }
        } else {
            e.loop(n, "k") { k in
                let v = LLVMBuildFDiv(e.builder, toF64(e.load(scratch, dtype, at(k)), dtype), s, "")!
                store(at(k), fromF64(v, dtype))
            }
        }
    }

    mutating func lowerL2Normalize(_ axis: Int, _ eps: Double, _ x: Lowered, _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        guard case .buffer(let xp, _, _) = x else { throw CodegenError.internalError("l2_normalize of a literal") }
        let a = axis < 0 ? axis + shape.count : axis
        reductionLines(shape, a) { base, stride, n in
            l2NormalizeLine(xp, out, dtype, base: base, stride: stride, length: e.i64(n), eps: eps)
        }
    }

    /// l2_normalize of the line base + k * stride, k in 0..<length (an i64 value).
    func l2NormalizeLine(_ xp: LLVMValueRef, _ out: LLVMValueRef, _ dtype: DType, base: LLVMValueRef, stride: Int, length n: LLVMValueRef, eps: Double) {
        let w = computeWide(dtype)
        let em = e
        let at = { (k: LLVMValueRef) in em.add(base, em.mul(k, stride)) }
        let s = carriedLoop(n, e.constant(0, w), "sq") { k, acc in
            let v = toF64(e.load(xp, dtype, at(k)), dtype)
            return reduceAdd(acc, reduceMul(v, v), reassoc: true)
        }
        let norm = e.intrinsic("llvm.sqrt", e.storage(w), [s])
        let d = e.intrinsic("llvm.maximum", e.storage(w), [norm, e.constant(eps, w)])
        e.loop(n, "k") { k in
            let v = LLVMBuildFDiv(e.builder, toF64(e.load(xp, dtype, at(k)), dtype), d, "")!
            e.store(fromF64(v, dtype), out, dtype, at(k))
        }
    }

    mutating func lowerLayerNorm(_ eps: Double, _ ops: [Lowered], _ out: LLVMValueRef, _ dtype: DType, _ shape: [Int]) throws {
        guard ops.count == 3, case .buffer(let xp, _, _) = ops[0], case .buffer(let wp, _, _) = ops[1],
              case .buffer(let bp, _, _) = ops[2] else { throw CodegenError.internalError("layer_norm needs tensor x, weight, bias") }
        let d = shape.last ?? 1
        let rows = d == 0 ? 0 : shape.reduce(1, *) / d
        if rows == 0 { return }
        // Rows are independent, so they are split across threads.
        try parallelLoop(rows, workPerIteration: 4 * d, buffers: [xp, wp, bp, out]) { me, r, ptrs in
            let em = me.e
            me.layerNormRow(load: { em.load(ptrs[0], dtype, $0) }, ptrs[1], ptrs[2], store: { em.store($1, ptrs[3], dtype, $0) },
                            row: r, d: d, eps: eps, dtype)
        }
    }

    /// One row of layer_norm: mean, biased variance from the mean (two passes), normalise.
    /// `load(index)` gives an input element, `store(index, value)` takes a result element
    /// (where a fused prologue and epilogue run).
    func layerNormRow(load: (LLVMValueRef) -> LLVMValueRef, _ wp: LLVMValueRef, _ bp: LLVMValueRef, store: (LLVMValueRef, LLVMValueRef) -> Void,
                      row r: LLVMValueRef, d: Int, eps: Double, _ dtype: DType) {
        let w = computeWide(dtype)
        let count = e.constant(Double(d), w)
        let base = e.mul(r, d)
        let s = carriedLoop(e.i64(d), e.constant(0, w), "sum") { k, acc in
            reduceAdd(acc, toF64(load(e.add(base, k)), dtype), reassoc: true)
        }
        let mean = LLVMBuildFDiv(e.builder, s, count, "")!
        // The biased variance from the mean, in a second pass.
        let v = carriedLoop(e.i64(d), e.constant(0, w), "var") { k, acc in
            let c = reduceSub(toF64(load(e.add(base, k)), dtype), mean)
            return reduceAdd(acc, reduceMul(c, c), reassoc: true)
        }
        let variance = LLVMBuildFDiv(e.builder, v, count, "")!
        let den = e.intrinsic("llvm.sqrt", e.storage(w), [reduceAdd(variance, e.constant(eps, w))])
        let rstd = LLVMBuildFDiv(e.builder, e.constant(1, w), den, "")!
        e.loop(d, "k") { k in
            let i = e.add(base, k)
            let c = reduceMul(reduceSub(toF64(load(i), dtype), mean), rstd)
            let y = reduceAdd(reduceMul(c, toF64(e.load(wp, dtype, k), dtype)), toF64(e.load(bp, dtype, k), dtype))
            store(i, fromF64(y, dtype))
        }
    }

    // MARK: loop helpers

    /// Nested counted loops over `sizes` (outermost first; size-1 loops elided), calling
    /// `body` with one offset per stride vector: sum over loops of index * strides[v][loop].
    private func reductionNest(_ sizes: [Int], _ strides: [[Int]], _ body: ([LLVMValueRef]) throws -> Void) rethrows {
        try reductionNest(sizes, strides, 0, strides.map { _ in e.i64(0) }, body)
    }

    private func reductionNest(_ sizes: [Int], _ strides: [[Int]], _ level: Int, _ offsets: [LLVMValueRef], _ body: ([LLVMValueRef]) throws -> Void) rethrows {
        if level == sizes.count { return try body(offsets) }
        if sizes[level] == 1 { return try reductionNest(sizes, strides, level + 1, offsets, body) }
        try e.loop(sizes[level], "n\(level)") { i in
            let next = zip(offsets, strides).map { off, s in s[level] == 0 ? off : e.add(off, e.mul(i, s[level])) }
            try reductionNest(sizes, strides, level + 1, next, body)
        }
    }

    /// A counted loop carrying one value: acc = initial; for k in 0..<count { acc =
    /// body(k, acc) }; returns the final acc (a register reduction LLVM can vectorise).
    func carriedLoop(_ count: LLVMValueRef, _ initial: LLVMValueRef, _ name: String, _ body: (LLVMValueRef, LLVMValueRef) throws -> LLVMValueRef) rethrows -> LLVMValueRef {
        let b = e.builder
        let entry = LLVMGetInsertBlock(b)
        let header = e.block(name + ".header"), bodyBlock = e.block(name + ".body"), exit = e.block(name + ".exit")
        LLVMBuildBr(b, header)
        LLVMPositionBuilderAtEnd(b, header)
        let k = LLVMBuildPhi(b, e.i64, name)!
        let acc = LLVMBuildPhi(b, LLVMTypeOf(initial), name + ".acc")!
        LLVMBuildCondBr(b, LLVMBuildICmp(b, LLVMIntSGE, k, count, ""), exit, bodyBlock)
        LLVMPositionBuilderAtEnd(b, bodyBlock)
        let next = try body(k, acc)
        let kNext = LLVMBuildAdd(b, k, e.i64(1), name + ".next")
        let latch = LLVMGetInsertBlock(b)
        LLVMBuildBr(b, header)
        var blocks: [LLVMBasicBlockRef?] = [entry, latch]
        var ks: [LLVMValueRef?] = [e.i64(0), kNext]
        LLVMAddIncoming(k, &ks, &blocks, 2)
        var accs: [LLVMValueRef?] = [initial, next]
        LLVMAddIncoming(acc, &accs, &blocks, 2)
        LLVMPositionBuilderAtEnd(b, exit)
        return acc
    }
}

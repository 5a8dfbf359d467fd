import CLLVM
import VFCIR
import VFCPasses

/// Lowering of the loop, row, reduce and epilogue kernels (`FusionKind`): a `call` of a
/// function whose body is elementwise ops around at most one anchor (`FusionRole`; the
/// fuse-* passes write them as `@F.fused.K`) becomes one loop nest: no buffer for values
/// used only inside the kernel. `lowerFusedCall` dispatches on the kind.
///
/// - No anchor: one (parallel) loop over the elements; every op computed in registers, in
///   its dtype exactly as its own loop would (so results match the unfused code, up to
///   FMA contraction across ops).
/// - Row anchor (softmax, log_softmax, layer_norm over the last axis) and reduce anchor
///   (trailing axes): the prologue ops are evaluated where the anchor loads an element, the
///   epilogue ops where it stores one; softmax keeps its exponentials in the anchor's
///   buffer (a scratch buffer when the anchor's value is not a result of the kernel).
/// - Gemm anchor (matmul, linear): the product goes to the anchor's buffer, then one pass
///   applies linear's bias and the epilogue and stores the results.
struct FusedKernel {
    let function: Function
    let anchor: Int?
    /// `.loop`, or the kind its anchor makes (row, reduce, epilogue).
    let kind: FusionKind
    let prologue: [Instruction]
    let epilogue: [Instruction]

    /// The kernel form of `f`, or nil when its body is not one (the call then must be inlined).
    init?(_ f: Function) {
        var anchor: Int?
        var kind = FusionKind.loop
        for (i, inst) in f.body.enumerated() {
            var rank = 0
            if case .value(let v)? = inst.operands.first { rank = f[v].type?.rank ?? 0 }
            switch FusionRole.of(inst, inputRank: rank) {
            case .elementwise: continue
            case .opaque, .cropAnchor: return nil  // crop kernels: `CropSampleKernel`
            case .rowAnchor, .reduceAnchor, .gemmAnchor:
                guard anchor == nil, inst.results.count == 1 else { return nil }
                anchor = i
                let role = FusionRole.of(inst, inputRank: rank)
                kind = role == .rowAnchor ? .row : role == .reduceAnchor ? .reduce : .epilogue
            }
        }
        guard !f.body.isEmpty, f.returns.allSatisfy({ if case .value = $0 { return true } else { return false } }) else { return nil }
        self.function = f
        self.anchor = anchor
        self.kind = kind
        // The prologue: what the anchor's first operand depends on inside the kernel.
        var needed: Set<ValueID> = []
        if let a = anchor, case .value(let x)? = f.body[a].operands.first { needed.insert(x) }
        var pro: [Instruction] = [], epi: [Instruction] = []
        for (i, inst) in f.body.enumerated().reversed() where i != anchor {
            if inst.results.contains(where: needed.contains) {
                pro.insert(inst, at: 0)
                for case .value(let v) in inst.operands { needed.insert(v) }
            } else {
                epi.insert(inst, at: 0)
            }
        }
        if let a = anchor {
            var rank = 0
            if case .value(let v)? = f.body[a].operands.first { rank = f[v].type?.rank ?? 0 }
            // A product reads its operands from buffers: no prologue.
            if FusionRole.of(f.body[a], inputRank: rank) == .gemmAnchor && !pro.isEmpty { return nil }
            // Epilogue ops must come after the anchor; other operands of the anchor must
            // not be computed in the kernel (they are read from buffers).
            guard epi.allSatisfy({ e in f.body.firstIndex(of: e).map { $0 > a } ?? false }) else { return nil }
            for case .value(let v) in f.body[a].operands.dropFirst() where !f.arguments.contains(v) { return nil }
        }
        self.prologue = pro
        self.epilogue = epi
    }
}

/// Where a kernel's values live while its loops run: the pointer of each argument, param
/// and stored result, as an index into the captured pointers of a (possibly outlined) loop.
struct KernelBuffers {
    var pointers: [LLVMValueRef] = []
    var slot: [ValueID: Int] = [:]
    var paramSlot: [String: Int] = [:]
    var dtype: [ValueID: DType] = [:]
    var paramType: [String: DType] = [:]
    /// Elements of each captured buffer (1 for rank 0, read at index 0).
    var count: [Int] = []

    mutating func add(_ p: LLVMValueRef, _ elements: Int) -> Int {
        pointers.append(p)
        count.append(elements)
        return pointers.count - 1
    }
}

extension FunctionLowering {
    /// The buffers of kernel `f`'s arguments, bound to the call's operands `ops` (each
    /// checked against the argument's shape): the first slots of the kernel's table.
    func argumentBuffers(of f: Function, _ ops: [Lowered]) throws -> KernelBuffers {
        var bufs = KernelBuffers()
        for (a, o) in zip(f.arguments, ops) {
            guard case .buffer(let p, let d, let s) = o else { throw CodegenError.internalError("a literal argument of kernel @\(f.name)") }
            let expected = try shape(f[a].type)
            guard expected == s else { throw CodegenError.internalError("kernel @\(f.name) argument %\(f[a].name) is \(s), expected \(expected)") }
            bufs.slot[a] = bufs.add(p, s.reduce(1, *))
            bufs.dtype[a] = d
        }
        return bufs
    }

    /// Lowers the call of a loop, row, reduce or epilogue kernel `k` (the callee `f`) as
    /// one loop nest around its anchor (see `FusedKernel`).
    mutating func lowerFusedKernel(_ inst: Instruction, _ ops: [Lowered], _ f: Function, _ k: FusedKernel, at index: Int) throws {
        var bufs = try argumentBuffers(of: f, ops)
        for case .param(let name) in f.body.flatMap(\.operands) where bufs.paramSlot[name] == nil {
            guard case .buffer(let p, let d, let s)? = params[name] else { throw CodegenError.internalError("param @\(name) not passed") }
            bufs.paramSlot[name] = bufs.add(p, s.reduce(1, *))
            bufs.paramType[name] = d
        }
        for v in f.body.flatMap(\.results) { bufs.dtype[v] = f[v].type?.dtype }
        var anchorRole: FusionRole?
        if let a = k.anchor {
            var rank = 0
            if case .value(let v)? = f.body[a].operands.first { rank = f[v].type?.rank ?? 0 }
            anchorRole = FusionRole.of(f.body[a], inputRank: rank)
        }
        // In place: every element is read before the same element of a result is written
        // (rows of a row anchor likewise), so an input read here for the last time can hold
        // a result of its size. Not for products (BLAS reads its operands while writing)
        // nor reductions (a result element is not an input element).
        let resultSizes = Set(inst.results.compactMap { r in function[r].type.flatMap { t in (try? shape(t)).map { [$0.reduce(1, *), t.dtype.byteSize] } } })
        if resultSizes.count == 1, let size = resultSizes.first, anchorRole == nil || anchorRole == .rowAnchor {
            releaseDying(inst, at: index, inPlace: (Dim(size[0]), size[1]))
        }
        // Result buffers: the caller's output slots, else planned buffers.
        let inputSlots = bufs.pointers.count
        var stored: [ValueID: Int] = [:]
        for (r, ret) in zip(inst.results, f.returns) {
            guard case .value(let v) = ret, let t = function[r].type else { continue }
            let s = try shape(t)
            if stored[v] != nil {
                // The same kernel value returned twice: the second result shares the buffer.
                values[r] = .buffer(bufs.pointers[stored[v]!], t.dtype, s)
                continue
            }
            let out = resultBuffer(for: r, t.dtype, s)
            values[r] = .buffer(out, t.dtype, s)
            stored[v] = bufs.add(out, s.reduce(1, *))
        }
        // Only results compute in place of a dying input (not the anchor's scratch below).
        plan.handoff = []
        let paramBytes = bufs.paramSlot.map { name, slot in bufs.count[slot] * (bufs.paramType[name]?.byteSize ?? 0) }.reduce(0, +)
        let read = ops.map(bytes).reduce(0, +) + paramBytes
        let written = inst.results.compactMap { values[$0] }.map(bytes).reduce(0, +)
        // The loops go into a kernel function of their own (`outlined`), keyed by the
        // kernel's code and the layout of its buffers.
        let key = fusedKernelKey(f, bufs, stored)
        guard let a = k.anchor else {
            let n = try shape(f[f.body[f.body.count - 1].results[0]].type).reduce(1, *)
            kernel(read: read, written: written, flops: f.body.count * n)
            try outlined(key: key, pointers: bufs.pointers, site: (.fused, "elementwise", fusedDetail(f, n: n))) { me, inner in
                var b = bufs
                b.pointers = bufs.pointers.map(inner)
                try me.fusedElementwiseLoop(k, b, stored, count: .fixed(n))
            }
            return
        }
        let anchorInst = f.body[a]
        let av = anchorInst.results[0]
        guard let at = f[av].type else { throw CodegenError.internalError("untyped anchor in @\(f.name)") }
        let aShape = try shape(at)
        // The anchor's own buffer (a product's result, softmax's exponentials): its result
        // slot; else a result buffer of its size, which the epilogue then overwrites element
        // by element after reading it; else scratch (released after the call). Other
        // anchors need none (slot -1, never read).
        var bufsA = bufs
        var anchorSlot = -1
        var needsBuffer = anchorRole == .gemmAnchor
        if case .softmax = anchorInst.op { needsBuffer = true }
        if let s = stored[av] {
            anchorSlot = s
        } else if needsBuffer {
            let n = aShape.reduce(1, *)
            // Not a result computed in place of an input: the anchor's pass writes whole rows
            // before the epilogue reads that input.
            let inputs = Set(bufs.pointers.prefix(inputSlots))
            if let (_, s) = stored.sorted(by: { $0.value < $1.value }).first(where: {
                bufs.count[$0.value] == n && bufs.dtype[$0.key]?.byteSize == at.dtype.byteSize && !inputs.contains(bufs.pointers[$0.value])
            }) {
                anchorSlot = s
            } else {
                anchorSlot = bufsA.add(allocate(at.dtype, aShape, zeroed: false), n)
            }
        }
        var anchorOps: [Lowered] = []
        for o in anchorInst.operands {
            switch o {
            case .value(let v):
                if let s = bufs.slot[v], let d = bufs.dtype[v] {
                    anchorOps.append(.buffer(bufs.pointers[s], d, try shape(f[v].type)))
                } else {
                    // Computed by the prologue: only its shape is used (for the counts).
                    anchorOps.append(.buffer(LLVMConstNull(e.ptr), f[v].type?.dtype ?? at.dtype, try shape(f[v].type)))
                }
            case .param(let p): anchorOps.append(params[p] ?? .literal(0))
            case .literal(let x): anchorOps.append(.literal(x))
            }
        }
        let inShape = anchorOps.first?.shape ?? aShape
        let inCount = inShape.reduce(1, *), outCount = aShape.reduce(1, *)
        let elementwiseFlops = k.prologue.count * inCount + k.epilogue.count * outCount
        if let (calls, flops) = gemmWork(anchorInst.op, anchorOps, outCount) {
            // The product reads its operands and writes its result; the epilogue pass reads
            // that result and the kernel's other inputs, and writes the kernel's results.
            let gemmRead = bytes(anchorOps[0]) + bytes(anchorOps[1]), product = outCount * at.dtype.byteSize
            gemm(calls: calls, read: gemmRead, written: product, flops: flops)
            let bias = anchorInst.op == .linear ? outCount : 0
            kernel(read: read - gemmRead + product, written: written, flops: bias + elementwiseFlops)
        } else {
            // One kernel over the kernel's inputs and results; the anchor counts one flop
            // per input element, as unfused.
            kernel(read: read, written: written, flops: Swift.max(inCount, outCount) + elementwiseFlops)
        }
        var anchorPointers = bufsA.pointers
        for case .buffer(let p, _, _) in anchorOps where LLVMIsNull(p) == 0 { anchorPointers.append(p) }
        try outlined(key: key + " anchor \(anchorSlot) \(anchorOps.map(\.shape))", pointers: anchorPointers,
                     site: (.fused, anchorInst.op.name, fusedDetail(f, n: outCount))) { me, inner in
            var b = bufsA
            b.pointers = bufsA.pointers.map(inner)
            let ops = anchorOps.map { o -> Lowered in
                guard case .buffer(let p, let d, let s) = o else { return o }
                return .buffer(inner(p), d, s)
            }
            try me.lowerAnchor(k, f, anchorInst, ops, b, stored, anchor: av, anchorSlot: anchorSlot, dtype: at.dtype, shape: aShape)
        }
    }

    /// The anchor of a fused kernel and its prologue/epilogue passes (in the kernel function).
    private mutating func lowerAnchor(
        _ k: FusedKernel, _ f: Function, _ anchorInst: Instruction, _ anchorOps: [Lowered], _ bufsA: KernelBuffers,
        _ stored: [ValueID: Int], anchor av: ValueID, anchorSlot: Int, dtype: DType, shape aShape: [Int]
    ) throws {
        let outCount = aShape.reduce(1, *), inCount = (anchorOps.first?.shape ?? aShape).reduce(1, *)
        switch anchorInst.op {
        case .matmul(let ta, let tb):
            if let epilogue = try fusedGemmEpilogue(k, bufsA, stored, anchor: av, anchorSlot: anchorSlot, bias: nil, cols: aShape.last ?? 1) {
                try lowerMatmul(ta, tb, anchorOps[0], anchorOps[1], bufsA.pointers[anchorSlot], dtype, aShape, epilogue: epilogue)
                return
            }
            try lowerMatmul(ta, tb, anchorOps[0], anchorOps[1], bufsA.pointers[anchorSlot], dtype, aShape)
            try fusedEpiloguePass(k, bufsA, stored, anchor: av, anchorSlot: anchorSlot, bias: nil, rows: .fixed(1), cols: outCount)
        case .linear:
            guard case .buffer(let xp, _, let xs) = anchorOps[0], case .buffer(let wp, _, let ws) = anchorOps[1] else {
                throw CodegenError.internalError("linear of a literal in @\(f.name)")
            }
            let dout = ws[0], din = ws[1], rows = xs.dropLast().reduce(1, *)
            guard case .buffer(let bp, _, _) = anchorOps[2] else { throw CodegenError.internalError("linear bias is a literal") }
            var withBias = bufsA
            let biasSlot = withBias.add(bp, dout)
            if rows * dout > 0, din > 0,
               let epilogue = try fusedGemmEpilogue(k, withBias, stored, anchor: av, anchorSlot: anchorSlot, bias: biasSlot, cols: dout) {
                try gemm(dtype, false, true, rows, dout, din, xp, din, wp, din, bufsA.pointers[anchorSlot], dout, epilogue: epilogue)
                return
            }
            if rows * dout > 0 {
                if din > 0 {
                    try gemm(dtype, false, true, rows, dout, din, xp, din, wp, din, bufsA.pointers[anchorSlot], dout)
                } else {
                    zeroFill(bufsA.pointers[anchorSlot], dtype, rows * dout)
                }
            }
            try fusedEpiloguePass(k, withBias, stored, anchor: av, anchorSlot: anchorSlot, bias: biasSlot, rows: .fixed(rows), cols: dout)
        case .softmax, .logSoftmax, .layerNorm:
            let n = aShape.last ?? 1
            try fusedRows(k, anchorInst, anchorOps, bufsA, stored, anchor: av, anchorSlot: anchorSlot, dtype: dtype,
                          rows: .fixed(n == 0 ? 0 : aShape.reduce(1, *) / n), n: n)
        case .reduce(let kind, _, _):
            try fusedReduce(k, kind, bufsA, stored, anchor: av, anchorSlot: anchorSlot, dtype: dtype, rows: .fixed(outCount), n: outCount == 0 ? 0 : inCount / Swift.max(outCount, 1))
        default:
            throw CodegenError.internalError("\(anchorInst.op.name) is not an anchor")
        }
    }

    // MARK: elementwise code at one index

    /// The value of kernel operand `o` at element `i` (in its storage type), computing
    /// nothing: arguments and params are loaded (rank 0 at index 0), kernel values come
    /// from `env`, literals take `dtype`.
    func kernelOperand(_ o: Operand, _ bufs: KernelBuffers, _ ptrs: [LLVMValueRef], _ env: [ValueID: LLVMValueRef], _ i: LLVMValueRef, as dtype: DType) throws -> LLVMValueRef {
        switch o {
        case .literal(let x): return e.constant(x, dtype)
        case .param(let p):
            guard let s = bufs.paramSlot[p], let d = bufs.paramType[p] else { throw CodegenError.internalError("param @\(p) not captured") }
            return e.load(ptrs[s], d, bufs.count[s] == 1 ? e.i64(0) : i)
        case .value(let v):
            if let x = env[v] { return x }
            guard let s = bufs.slot[v], let d = bufs.dtype[v] else { throw CodegenError.internalError("kernel value used before it is computed") }
            return e.load(ptrs[s], d, bufs.count[s] == 1 ? e.i64(0) : i)
        }
    }

    /// The element type of a kernel operand (nil for literals).
    private func kernelType(_ o: Operand, _ bufs: KernelBuffers) -> DType? {
        switch o {
        case .literal: return nil
        case .param(let p): return bufs.paramType[p]
        case .value(let v): return bufs.dtype[v]
        }
    }

    /// Computes `insts` at element `i`, adding their results to `env`.
    func kernelCompute(_ insts: [Instruction], _ bufs: KernelBuffers, _ ptrs: [LLVMValueRef], _ env: inout [ValueID: LLVMValueRef], _ i: LLVMValueRef) throws {
        for inst in insts {
            let valueOps = inst.op == .select ? Array(inst.operands.dropFirst()) : inst.operands
            let ct = valueOps.lazy.compactMap { kernelType($0, bufs) }.first ?? .f32
            func x(_ k: Int) throws -> LLVMValueRef { try kernelOperand(inst.operands[k], bufs, ptrs, env, i, as: ct) }
            let v: LLVMValueRef
            switch inst.op {
            case .unary(let u): v = unary(u, try x(0), ct)
            case .binary(let b): v = binary(b, try x(0), try x(1), ct)
            case .compare(let c): v = LLVMBuildZExt(e.builder, compare(c, try x(0), try x(1), ct), e.i8, "")
            case .select:
                let cond = truth(try kernelOperand(inst.operands[0], bufs, ptrs, env, i, as: .u8))
                v = LLVMBuildSelect(e.builder, cond, try x(1), try x(2), "")
            case .convert(let to):
                guard let from = kernelType(inst.operands[0], bufs) else { throw CodegenError.internalError("convert of a literal") }
                v = convert(try kernelOperand(inst.operands[0], bufs, ptrs, env, i, as: from), from: from, to: to)
            default:
                throw CodegenError.internalError("\(inst.op.name) in a kernel's elementwise code")
            }
            env[inst.results[0]] = v
        }
    }

    /// Stores the kernel results computed in `env` at element `i`.
    func kernelStore(_ bufs: KernelBuffers, _ stored: [ValueID: Int], _ ptrs: [LLVMValueRef], _ env: [ValueID: LLVMValueRef], _ i: LLVMValueRef, skip: ValueID? = nil) {
        for (v, s) in stored.sorted(by: { $0.value < $1.value }) where v != skip {
            guard let x = env[v], let d = bufs.dtype[v] else { continue }
            e.store(x, ptrs[s], d, i)
        }
    }

    // MARK: kernel forms

    /// No anchor: one loop over the elements.
    mutating func fusedElementwiseLoop(_ k: FusedKernel, _ bufs: KernelBuffers, _ stored: [ValueID: Int], count n: OuterCount) throws {
        try outerLoop(n, buffers: bufs.pointers) { me, i, ptrs in
            var env: [ValueID: LLVMValueRef] = [:]
            try me.kernelCompute(k.epilogue, bufs, ptrs, &env, i)
            me.kernelStore(bufs, stored, ptrs, env, i)
        }
    }

    /// The pass after a product: anchor = buffer (+ bias), the epilogue, the stores.
    mutating func fusedEpiloguePass(_ k: FusedKernel, _ bufs: KernelBuffers, _ stored: [ValueID: Int], anchor av: ValueID,
                                    anchorSlot: Int, bias: Int?, rows: OuterCount, cols: Int) throws {
        guard rows.mayRun, cols > 0, let d = bufs.dtype[av] else { return }
        try outerLoop(rows, workPerIteration: cols, buffers: bufs.pointers) { me, r, ptrs in
            let base = me.e.mul(r, cols)
            try me.e.loop(cols, "epi") { j in
                try me.gemmEpilogueElement(k, bufs, stored, anchor: av, anchorSlot: anchorSlot, bias: bias, dtype: d, me.e.add(base, j), j, ptrs)
            }
        }
    }

    /// softmax, log_softmax, layer_norm over the last axis (rows of `n` elements), with
    /// prologue and epilogue.
    mutating func fusedRows(_ k: FusedKernel, _ inst: Instruction, _ ops: [Lowered], _ bufs: KernelBuffers, _ stored: [ValueID: Int],
                            anchor av: ValueID, anchorSlot: Int, dtype: DType, rows: OuterCount, n: Int) throws {
        guard rows.mayRun else { return }
        var all = bufs
        var normSlots: (Int, Int)?
        if case .layerNorm = inst.op {
            guard case .buffer(let wp, _, _) = ops[1], case .buffer(let bp, _, _) = ops[2] else { throw CodegenError.internalError("layer_norm weight or bias is a literal") }
            normSlots = (all.add(wp, n), all.add(bp, n))
        }
        let x = inst.operands[0]
        let keepAnchor = stored[av] != nil
        let allBufs = all
        try outerLoop(rows, workPerIteration: 8 * n, buffers: all.pointers) { me, r, ptrs in
            let em = me.e
            // Non-throwing functions for the row code: a failure (an internal error) is
            // kept and rethrown after the row is emitted.
            var failure: Error?
            func load(_ i: LLVMValueRef) -> LLVMValueRef {
                do {
                    var env: [ValueID: LLVMValueRef] = [:]
                    try me.kernelCompute(k.prologue, allBufs, ptrs, &env, i)
                    return try me.kernelOperand(x, allBufs, ptrs, env, i, as: dtype)
                } catch {
                    failure = error
                    return em.constant(0, dtype)
                }
            }
            func store(_ i: LLVMValueRef, _ v: LLVMValueRef) {
                do {
                    if keepAnchor { em.store(v, ptrs[anchorSlot], dtype, i) }
                    var env: [ValueID: LLVMValueRef] = [av: v]
                    try me.kernelCompute(k.epilogue, allBufs, ptrs, &env, i)
                    me.kernelStore(allBufs, stored, ptrs, env, i, skip: av)
                } catch {
                    failure = error
                }
            }
            switch inst.op {
            case .softmax, .logSoftmax:
                let log: Bool
                if case .logSoftmax = inst.op { log = true } else { log = false }
                // log_softmax keeps no exponentials (no anchor buffer).
                let scratch = anchorSlot >= 0 ? ptrs[anchorSlot] : LLVMConstNull(em.ptr)!
                me.softmaxLine(load: load, scratch: scratch, store: store, base: em.mul(r, n), stride: 1, n: n, log: log, dtype)
            case .layerNorm(let eps):
                guard let (w, b) = normSlots else { return }
                me.layerNormRow(load: load, ptrs[w], ptrs[b], store: store, row: r, d: n, eps: eps, dtype)
            default:
                failure = CodegenError.internalError("\(inst.op.name) is not a row anchor")
            }
            if let failure { throw failure }
        }
    }

    /// A reduction over trailing axes: rows of `n` elements, prologue on load, epilogue on
    /// each reduced value.
    mutating func fusedReduce(_ k: FusedKernel, _ kind: ReduceOp, _ bufs: KernelBuffers, _ stored: [ValueID: Int],
                              anchor av: ValueID, anchorSlot: Int, dtype: DType, rows: OuterCount, n: Int) throws {
        guard rows.mayRun else { return }
        guard let inDtype = k.function.body.first(where: { $0.results.contains(av) }).flatMap({ inst -> DType? in
            if case .value(let v)? = inst.operands.first { return bufs.dtype[v] ?? k.function[v].type?.dtype }
            return nil
        }) else { throw CodegenError.internalError("reduce of a literal") }
        let x = k.function.body.first { $0.results.contains(av) }!.operands[0]
        let acc = reduceAccumulatorType(kind, inDtype)
        let keepAnchor = stored[av] != nil
        try outerLoop(rows, workPerIteration: Swift.max(n, 1), buffers: bufs.pointers) { me, r, ptrs in
            let base = me.e.mul(r, n)
            let total = try me.carriedLoop(me.e.i64(n), me.reduceIdentity(kind, acc), "red") { j, a in
                let i = me.e.add(base, j)
                var env: [ValueID: LLVMValueRef] = [:]
                try me.kernelCompute(k.prologue, bufs, ptrs, &env, i)
                let v = try me.kernelOperand(x, bufs, ptrs, env, i, as: inDtype)
                return me.reduceCombine(kind, acc, a, me.reduceWiden(v, inDtype, to: acc))
            }
            let value = n == 0 ? me.reduceEmptyValue(kind, dtype) : me.reduceFinish(kind, total, acc, dtype, n)
            if keepAnchor { me.e.store(value, ptrs[anchorSlot], dtype, r) }
            var env: [ValueID: LLVMValueRef] = [av: value]
            try me.kernelCompute(k.epilogue, bufs, ptrs, &env, r)
            me.kernelStore(bufs, stored, ptrs, env, r, skip: av)
        }
    }
}

extension FunctionLowering {
    /// What a fused kernel does, for the profile: its ops and the element count.
    func fusedDetail(_ f: Function, n: Int) -> String {
        "\(f.body.count) ops over \(n): " + f.body.map(\.op.name).joined(separator: ",")
    }
}

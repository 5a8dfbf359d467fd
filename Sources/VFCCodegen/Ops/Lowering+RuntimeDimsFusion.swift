import CLLVM
import VFCIR
import VFCPasses

/// Fused loop, row, reduce and epilogue kernels with run-time extents: the buffers of the
/// call as `lowerFusedKernel` sets them up (run-time-sized ones from the runtime), then the
/// same loop code as the fixed-size kernels (`fusedElementwiseLoop`, `fusedRows`,
/// `fusedReduce`, `fusedEpiloguePass`) with the outer count (elements, rows, product rows)
/// read from the dim block. Row lengths, reduced extents and product columns stay fixed
/// (`RuntimeDims.hasRuntimeForm` says which kernels qualify); a product runs on
/// `runtimeGemm` / `runtimeMatmul` and its epilogue in the pass after it.
extension FunctionLowering {
    /// Lowers the call `inst` of kernel `f` (form `k`, `RuntimeDims.hasRuntimeForm`) whose
    /// operands or results have run-time extents.
    mutating func lowerRuntimeFusedKernel(_ inst: Instruction, _ f: Function, _ k: FusedKernel, _ block: LLVMValueRef, at index: Int) throws {
        var bufs = KernelBuffers()
        var argDims: [ValueID: [Dim]] = [:]
        for (a, o) in zip(f.arguments, inst.operands) {
            guard case .buffer(let p, let d, let s) = try operand(o) else { throw CodegenError.internalError("a literal argument of kernel @\(f.name)") }
            let ds = try dims(of: o) ?? []
            argDims[a] = ds
            // Run-time-sized buffers are read at the element index, like every one but
            // rank-0 ones (count 1, read at 0).
            bufs.slot[a] = bufs.add(p, isRuntime(ds) ? -1 : s.reduce(1, *))
            bufs.dtype[a] = d
        }
        for case .param(let name) in f.body.flatMap(\.operands) where bufs.paramSlot[name] == nil {
            guard case .buffer(let p, let d, let s)? = params[name] else { throw CodegenError.internalError("param @\(name) not passed") }
            bufs.paramSlot[name] = bufs.add(p, s.reduce(1, *))
            bufs.paramType[name] = d
        }
        for v in f.body.flatMap(\.results) { bufs.dtype[v] = f[v].type?.dtype }
        let inputs = Set(bufs.pointers)
        // In place, as `lowerFusedKernel` decides it: loop and row kernels whose results
        // all have one size.
        var rowAnchor = true
        if let a = k.anchor {
            var rank = 0
            if case .value(let v)? = f.body[a].operands.first { rank = f[v].type?.rank ?? 0 }
            rowAnchor = FusionRole.of(f.body[a], inputRank: rank) == .rowAnchor
        }
        let resultSizes = Set(inst.results.compactMap { r in function[r].type.flatMap { t in product(dims(t)).map { [$0, Dim(t.dtype.byteSize)] } } })
        if resultSizes.count == 1, let size = resultSizes.first, rowAnchor {
            releaseDying(inst, at: index, inPlace: (size[0], size[1].coefficient))
        }
        var stored: [ValueID: Int] = [:]
        var resultDims: [[Dim]] = []
        for (r, ret) in zip(inst.results, f.returns) {
            guard case .value(let v) = ret, let t = function[r].type else { continue }
            let shape = dims(t)
            resultDims.append(shape)
            let runtimeSized = isRuntime(shape)
            if runtimeSized { runtime?.shapes[r] = shape }
            let fixed = runtimeSized ? [] : try self.shape(t)
            if let s = stored[v] {
                values[r] = .buffer(bufs.pointers[s], t.dtype, fixed)
                continue
            }
            let out = runtimeSized ? runtimeResultBuffer(for: r, t.dtype, shape, block) : resultBuffer(for: r, t.dtype, fixed)
            values[r] = .buffer(out, t.dtype, fixed)
            stored[v] = bufs.add(out, runtimeSized ? -1 : fixed.reduce(1, *))
        }
        plan.handoff = []
        let key = fusedKernelKey(f, bufs, stored) + " runtime \(inst.operands.map { try? dims(of: $0) }) -> \(resultDims)"
        guard let a = k.anchor else {
            let shape = dims(f[f.body[f.body.count - 1].results[0]].type ?? TensorType(.f32, []))
            try outlined(key: key, pointers: bufs.pointers + [block], site: (.fused, "elementwise", "@\(f.name) \(shape)")) { me, inner in
                var b = bufs
                b.pointers = bufs.pointers.map(inner)
                try me.fusedElementwiseLoop(k, b, stored, count: .runtime(me.count(shape, inner(block))))
            }
            return
        }
        let anchorInst = f.body[a]
        let av = anchorInst.results[0]
        guard let at = f[av].type else { throw CodegenError.internalError("untyped anchor in @\(f.name)") }
        let aShape = dims(at)
        // The dims of each anchor operand: an argument's, a param's, or (computed by the
        // prologue) its type's.
        func operandDims(_ o: Operand) throws -> [Dim] {
            switch o {
            case .value(let v): return argDims[v] ?? dims(f[v].type ?? at)
            case .param(let p): return (params[p]?.shape ?? []).map { Dim($0) }
            case .literal: return []
            }
        }
        // The anchor's own buffer, as in `lowerFusedKernel`: its result slot, else a result
        // of its shape that is not an input, else scratch freed after the call.
        var bufsA = bufs
        var anchorSlot = -1
        let isProduct = anchorInst.op == .linear || { if case .matmul = anchorInst.op { return true } else { return false } }()
        var needsBuffer = isProduct
        if case .softmax = anchorInst.op { needsBuffer = true }
        if let s = stored[av] {
            anchorSlot = s
        } else if needsBuffer {
            if let (_, s) = stored.sorted(by: { $0.value < $1.value }).first(where: {
                f[$0.key].type.map(dims) == aShape && bufs.dtype[$0.key]?.byteSize == at.dtype.byteSize && !inputs.contains(bufs.pointers[$0.value])
            }) {
                anchorSlot = s
            } else {
                let p = isRuntime(aShape) ? allocateRuntime(at.dtype, aShape, block, zeroed: false) : allocate(at.dtype, try shape(at), zeroed: false)
                anchorSlot = bufsA.add(p, -1)
            }
        }
        var anchorOps: [Lowered] = []
        var anchorDims: [[Dim]] = []
        for o in anchorInst.operands {
            anchorDims.append(try operandDims(o))
            switch o {
            case .value(let v):
                if let s = bufs.slot[v], let d = bufs.dtype[v] {
                    anchorOps.append(.buffer(bufs.pointers[s], d, []))
                } else {
                    anchorOps.append(.buffer(LLVMConstNull(e.ptr), f[v].type?.dtype ?? at.dtype, []))
                }
            case .param(let p): anchorOps.append(params[p] ?? .literal(0))
            case .literal(let x): anchorOps.append(.literal(x))
            }
        }
        var pointers = bufsA.pointers
        for case .buffer(let p, _, _) in anchorOps where LLVMIsNull(p) == 0 { pointers.append(p) }
        pointers.append(block)
        try outlined(key: key + " anchor \(anchorSlot)", pointers: pointers,
                     site: (.fused, anchorInst.op.name, "@\(f.name) \(aShape)")) { me, inner in
            var b = bufsA
            b.pointers = bufsA.pointers.map(inner)
            let ops = anchorOps.map { o -> Lowered in
                guard case .buffer(let p, let d, let s) = o, LLVMIsNull(p) == 0 else { return o }
                return .buffer(inner(p), d, s)
            }
            try me.lowerRuntimeAnchor(k, f, anchorInst, ops, anchorDims, b, stored, anchor: av, anchorSlot: anchorSlot,
                                      dtype: at.dtype, shape: aShape, inner(block))
        }
    }

    /// The anchor of a kernel with run-time extents and its passes, in the kernel function:
    /// the fixed-size kernels' loops with a run-time outer count.
    private mutating func lowerRuntimeAnchor(
        _ k: FusedKernel, _ f: Function, _ anchorInst: Instruction, _ ops: [Lowered], _ opDims: [[Dim]], _ bufs: KernelBuffers,
        _ stored: [ValueID: Int], anchor av: ValueID, anchorSlot: Int, dtype: DType, shape: [Dim], _ block: LLVMValueRef
    ) throws {
        func leading(_ s: [Dim]) -> OuterCount { .runtime(count(Array(s.dropLast()), block)) }
        func fixedLast(_ s: [Dim]) throws -> Int {
            guard let n = s.last?.staticValue else { throw CodegenError.runtimeRestricted(op: anchorInst.op.name, .fixedLastAxis) }
            return n
        }
        switch anchorInst.op {
        case .matmul(let ta, let tb):
            guard case .buffer(let ap, _, _) = ops[0], case .buffer(let bp, _, _) = ops[1] else {
                throw CodegenError.internalError("matmul of a literal in @\(f.name)")
            }
            try runtimeMatmul(ta, tb, ap, opDims[0], bp, opDims[1], bufs.pointers[anchorSlot], dtype, block)
            try fusedEpiloguePass(k, bufs, stored, anchor: av, anchorSlot: anchorSlot, bias: nil, rows: leading(shape), cols: try fixedLast(shape))
        case .linear:
            guard case .buffer(let xp, _, _) = ops[0], case .buffer(let wp, _, _) = ops[1], case .buffer(let bp, _, _) = ops[2],
                  let dout = opDims[1].first?.staticValue, let din = opDims[1].last?.staticValue else {
                throw CodegenError.internalError("linear in @\(f.name) needs fixed weight and bias buffers")
            }
            var withBias = bufs
            let biasSlot = withBias.add(bp, dout)
            let rows = count(Array(opDims[0].dropLast()), block)
            if din > 0 {
                runtimeGemm(dtype, false, true, rows, e.i64(dout), e.i64(din), xp, e.i64(din), wp, e.i64(din), bufs.pointers[anchorSlot], e.i64(dout),
                            profiled: "\(product(Array(opDims[0].dropLast())) ?? Dim(0))x\(dout)x\(din)")
            } else {
                LLVMBuildMemSet(e.builder, bufs.pointers[anchorSlot], LLVMConstInt(e.i8, 0, 0), e.mul(rows, dout * dtype.byteSize), 1)
            }
            try fusedEpiloguePass(k, withBias, stored, anchor: av, anchorSlot: anchorSlot, bias: biasSlot, rows: .runtime(rows), cols: dout)
        case .softmax, .logSoftmax, .layerNorm:
            try fusedRows(k, anchorInst, ops, bufs, stored, anchor: av, anchorSlot: anchorSlot, dtype: dtype, rows: leading(shape), n: try fixedLast(shape))
        case .reduce(let kind, let axes, _):
            let xs = opDims[0]
            var n = 1
            for axis in axes {
                guard let m = xs[axis < 0 ? axis + xs.count : axis].staticValue else {
                    throw CodegenError.runtimeRestricted(op: "reduce", .fixedLastAxis)
                }
                n *= m
            }
            try fusedReduce(k, kind, bufs, stored, anchor: av, anchorSlot: anchorSlot, dtype: dtype, rows: .runtime(count(shape, block)), n: n)
        default:
            throw CodegenError.internalError("\(anchorInst.op.name) is not an anchor")
        }
    }
}

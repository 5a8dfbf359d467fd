import CLLVM
import VFCIR
import VFCPasses

/// The form of a crop-sample backward kernel (`fuse-crop-sample`, `FusionRole.cropAnchor`):
/// one `crop_sample_grad` of a gradient-shaped value [N, T, D], plus
/// - broadcasts of [N, T] token masks to [N, T, D] with dims [0, 1] (evaluated once per
///   token, never stored: they may not be results);
/// - elementwise ops of shape [N, T, D] (the masked selects), any of them a result;
/// - `reduce_sum` over axes [0, 1] of such a value (the mask tokens' gradients, [D]).
/// Everything the kernel reads from outside is an argument. Nil when `f` has another form.
struct CropSampleKernel {
    let function: Function
    /// The crop_sample_grad instruction.
    let anchor: Instruction
    let grid: Int, source: Int, side: Int
    /// Broadcast result -> the [N, T] argument it expands.
    let tokenMasks: [ValueID: ValueID]
    /// The elementwise ops, in body order.
    let elementwise: [Instruction]
    /// The token sums: result and summed operand.
    let sums: [(result: ValueID, operand: Operand)]

    init?(_ f: Function) {
        var anchor: Instruction?
        var masks: [ValueID: ValueID] = [:]
        var elementwise: [Instruction] = []
        var sums: [(ValueID, Operand)] = []
        let arguments = Set(f.arguments)
        guard let cropInst = f.body.first(where: { if case .cropSampleGrad = $0.op { return true } else { return false } }),
              case .value(let d)? = cropInst.operands.first, let g = f[d].type?.shape, g.count == 3 else { return nil }
        for inst in f.body {
            guard inst.results.count == 1, let t = f[inst.results[0]].type else { return nil }
            for case .param in inst.operands { return nil }
            switch inst.op {
            case .cropSampleGrad:
                guard anchor == nil else { return nil }
                for case .value(let v) in inst.operands.dropFirst() where !arguments.contains(v) { return nil }
                anchor = inst
            case .broadcast(let shape, let dims):
                guard shape == g, dims == [0, 1], case .value(let m) = inst.operands[0], arguments.contains(m),
                      f[m].type?.shape == Array(g.prefix(2)) else { return nil }
                masks[inst.results[0]] = m
            case .reduce(.sum, let axes, false):
                guard case .value(let x)? = inst.operands.first, f[x].type?.shape == g,
                      Set(axes.map { $0 < 0 ? $0 + 3 : $0 }) == [0, 1] else { return nil }
                sums.append((inst.results[0], inst.operands[0]))
            case .unary, .binary, .compare, .select, .convert:
                guard FusionRole.of(inst, inputRank: 3) == .elementwise, t.shape == g else { return nil }
                // Operands: gradient-shaped values, rank-0 arguments or literals.
                for case .value(let v) in inst.operands {
                    guard let s = f[v].type?.shape, s == g || (s.isEmpty && arguments.contains(v)) else { return nil }
                }
                elementwise.append(inst)
            default:
                return nil
            }
        }
        // The field gradient is written into its result buffer, so it must be one.
        guard let a = anchor, case .cropSampleGrad(let grid, let source, let side) = a.op,
              f.returns.contains(.value(a.results[0])) else { return nil }
        for r in f.returns {
            guard case .value(let v) = r, !arguments.contains(v), masks[v] == nil else { return nil }
        }
        self.function = f
        self.anchor = a
        (self.grid, self.source, self.side) = (grid, source, side)
        self.tokenMasks = masks
        self.elementwise = elementwise
        self.sums = sums
    }

    /// The analytic flops of the ops it holds, counted as `LoweringStats` counts them
    /// unfused (fusion must not change them): one per gradient element for each
    /// elementwise op and sum, eight for the scatter, none for the broadcasts.
    func flops(gradientElements n: Int) -> Int {
        (elementwise.count + sums.count + 8) * n
    }
}

extension FunctionLowering {
    /// Channels per parallel work item for width `depth`. The kernel is parallel over
    /// slices of the D axis, which no two samples' scatters share (a slice is written by
    /// one thread only), so every element of every result is summed in the same order as
    /// the interpreter's, by one thread, whatever the thread count: no atomics and no
    /// partial sums to merge. Each slice walks every token again (masks, table, loop
    /// set-up), and short rows of 32 channels made that walk cost more than the scatter,
    /// so a slice is half of D (two slices: one per core of the 2-core machines vfc is
    /// measured on), rounded up to whole vectors of 8, at least 32.
    static func cropChannelSlice(_ depth: Int) -> Int {
        Swift.min(depth, Swift.max(32, ((depth + 1) / 2 + 7) / 8 * 8))
    }

    /// Lowers `call` of a crop-sample backward kernel: every result in one pass over the
    /// gradient G [N, T, D], parallel over channel slices.
    ///
    /// Per slice: (1) zero the f64 accumulators of the field (see `sparse` below) and of
    /// the token sums; (2) for each token in (n, t) order, the masks once, then per
    /// channel the elementwise results (stored), the sums, and the scatter of the anchor's
    /// operand into its four cells; (3) round the field and the sums into the results.
    /// The sample points and weights (the same f64 computation as the unfused op) are
    /// computed once into a table before the parallel loop. When the samples touch fewer cells than the field has, only the touched
    /// cells of the f64 scratch are cleared and rounded (the unfused crop_sample_grad
    /// clears, scans and rounds an f64 copy of the whole field); else the whole field.
    mutating func lowerCropSampleCall(_ inst: Instruction, _ ops: [Lowered], _ k: CropSampleKernel) throws {
        let f = k.function
        var bufs = KernelBuffers()
        for (a, o) in zip(f.arguments, ops) {
            guard case .buffer(let p, let d, let s) = o else { throw CodegenError("internal: a literal argument of kernel @\(f.name)") }
            let expected = try shape(f[a].type)
            guard expected == s else { throw CodegenError("internal: kernel @\(f.name) argument %\(f[a].name) is \(s), expected \(expected)") }
            bufs.slot[a] = bufs.add(p, s.reduce(1, *))
            bufs.dtype[a] = d
        }
        for v in f.body.flatMap(\.results) { bufs.dtype[v] = f[v].type?.dtype }
        var stored: [ValueID: Int] = [:]
        for (r, ret) in zip(inst.results, f.returns) {
            guard case .value(let v) = ret, let t = function[r].type else { continue }
            let s = try shape(t)
            if let slot = stored[v] {
                values[r] = .buffer(bufs.pointers[slot], t.dtype, s)
                continue
            }
            let out: LLVMValueRef
            if let slot = outputSlots.removeValue(forKey: r) {
                out = slot
            } else {
                out = allocate(t.dtype, s, zeroed: false)
                claim(out, for: r)
            }
            values[r] = .buffer(out, t.dtype, s)
            stored[v] = bufs.add(out, s.reduce(1, *))
        }
        guard case .value(let dv)? = k.anchor.operands.first, let dType = f[dv].type else { throw CodegenError("internal: crop kernel operand") }
        let g = try shape(dType)
        let gradientElements = g.reduce(1, *)
        let read = ops.map(bytes).reduce(0, +)
        let written = inst.results.compactMap { values[$0] }.map(bytes).reduce(0, +)
        kernel(read: read, written: written, flops: k.flops(gradientElements: gradientElements))
        var canonical = f
        canonical.name = "kernel"
        for i in canonical.values.indices { canonical.values[i].name = "v\(i)" }
        let key = "crop " + Printer.print(canonical) + " \(bufs.count) \(stored.sorted { $0.value < $1.value }.map(\.value))"
        let detail = "\(f.body.count) ops over \(gradientElements): " + f.body.map(\.op.name).joined(separator: ",")
        try outlined(key: key, pointers: bufs.pointers, site: (.fused, "crop_sample_grad", detail)) { me, inner in
            var b = bufs
            b.pointers = bufs.pointers.map(inner)
            try me.cropSampleKernelBody(k, b, stored, gradient: g)
        }
    }

    /// The body of the kernel function (see `lowerCropSampleCall`).
    private mutating func cropSampleKernelBody(_ k: CropSampleKernel, _ bufs: KernelBuffers, _ stored: [ValueID: Int], gradient g: [Int]) throws {
        let f = k.function
        let (tokens, depth) = (g[0] * g[1], g[2])
        let anchorResult = k.anchor.results[0]
        guard let fieldSlot = stored[anchorResult], let fd = bufs.dtype[anchorResult] else {
            throw CodegenError("internal: the field gradient of @\(f.name) is not a result")
        }
        let fieldCount = k.side * k.side * depth
        guard tokens > 0, depth > 0 else {
            if fieldCount > 0 {
                LLVMBuildMemSet(e.builder, bufs.pointers[fieldSlot], LLVMConstInt(e.i8, 0, 0), e.i64(fieldCount * fd.byteSize), 1)
            }
            for (r, _) in k.sums { if let s = stored[r], let d = bufs.dtype[r] { zeroFill(bufs.pointers[s], d, depth) } }
            return
        }
        func argument(_ o: Operand) throws -> Lowered {
            guard case .value(let v) = o, let s = bufs.slot[v], let d = bufs.dtype[v] else { throw CodegenError("internal: crop kernel boxes/flips") }
            return .buffer(bufs.pointers[s], d, try shape(f[v].type))
        }
        // The sample table: four cell offsets (times D) and four f64 weights per token.
        var all = bufs
        let cellTable = all.add(allocate(.i64, [tokens * 4], zeroed: false), tokens * 4)
        let weightTable = all.add(allocate(.f64, [tokens * 4], zeroed: false), tokens * 4)
        let (cellPtr, weightPtr) = (all.pointers[cellTable], all.pointers[weightTable])
        try forEachSample(k.grid, k.source, side: k.side, depth: depth, boxes: try argument(k.anchor.operands[1]),
                          flips: try argument(k.anchor.operands[2]), "crop_sample_grad") { t, cells, weights in
            for c in 0..<4 {
                let at = e.add(e.mul(t, 4), c)
                e.store(cells[c], cellPtr, .i64, at)
                e.store(weights[c], weightPtr, .f64, at)
            }
        }
        // f64 accumulators: the field (the result itself when it is f64) and each sum.
        let accSlot = fd == .f64 ? fieldSlot : all.add(allocate(.f64, [fieldCount], zeroed: false), fieldCount)
        let sumSlots = k.sums.map { _ in all.add(allocate(.f64, [depth], zeroed: false), depth) }
        let slice = Self.cropChannelSlice(depth)
        // Clearing and rounding only the cells the samples touch beats doing the whole
        // field when the samples touch fewer cells than it has (the tiny sizes: 4 N T =
        // 12544 of 50176 cells); micro's 32 views of 64 samples visit each cell twice.
        let sparse = 4 * tokens < k.side * k.side
        let slices = (depth + slice - 1) / slice
        let allBufs = all
        let maskSlots = k.tokenMasks.map { (v, m) in (v, allBufs.slot[m]!, allBufs.dtype[m]!) }
        let gradientType = bufs.dtype[k.anchor.operands[0].value!] ?? fd
        try parallelLoop(slices, workPerIteration: tokens * slice * (8 + k.elementwise.count), buffers: all.pointers) { me, s, ptrs in
            let em = me.e
            let lo = em.mul(s, slice)
            let end = em.add(lo, slice)
            let hi = LLVMBuildSelect(em.builder, LLVMBuildICmp(em.builder, LLVMIntSLT, end, em.i64(depth), ""), end, em.i64(depth), "")!
            let zero = LLVMConstReal(em.f64, 0)!
            /// body(t, cells, weights) for every token, the table loaded.
            func eachToken(_ name: String, _ body: (LLVMValueRef, [LLVMValueRef], [LLVMValueRef]) throws -> Void) throws {
                try em.loop(tokens, name) { t in
                    let at = (0..<4).map { em.add(em.mul(t, 4), $0) }
                    try body(t, at.map { em.load(ptrs[cellTable], .i64, $0) }, at.map { em.load(ptrs[weightTable], .f64, $0) })
                }
            }
            for slot in sumSlots { em.loop(from: lo, to: hi, "csk.sum0") { c in em.store(zero, ptrs[slot], .f64, c) } }
            // The field result is zeroed slice by slice, in parallel (it is the largest
            // tensor the kernel writes: 38 MB at the tiny sizes), except where the dense
            // rounding below writes all of it anyway.
            if fd == .f64 || sparse {
                em.loop(k.side * k.side, "csk.zf") { cell in
                    let base = em.mul(cell, depth)
                    em.loop(from: lo, to: hi, "csk.z") { c in em.store(em.constant(0, fd), ptrs[fieldSlot], fd, em.add(base, c)) }
                }
            }
            if fd != .f64 && sparse {
                try eachToken("csk.clear") { _, cells, _ in
                    for cell in cells { em.loop(from: lo, to: hi, "csk.zero") { c in em.store(zero, ptrs[accSlot], .f64, em.add(cell, c)) } }
                }
            } else if fd != .f64 {
                em.loop(k.side * k.side, "csk.clear") { cell in
                    let base = em.mul(cell, depth)
                    em.loop(from: lo, to: hi, "csk.zero") { c in em.store(zero, ptrs[accSlot], .f64, em.add(base, c)) }
                }
            }
            try eachToken("csk.tok") { t, cells, weights in
                var tokenEnv: [ValueID: LLVMValueRef] = [:]
                for (v, slot, d) in maskSlots { tokenEnv[v] = em.load(ptrs[slot], d, t) }
                let base = em.mul(t, depth)
                try em.loop(from: lo, to: hi, "csk.c") { c in
                    let i = em.add(base, c)
                    var env = tokenEnv
                    try me.kernelCompute(k.elementwise, allBufs, ptrs, &env, i)
                    me.kernelStore(allBufs, stored, ptrs, env, i)
                    for ((_, x), slot) in zip(k.sums, sumSlots) {
                        let v = me.visionWiden(try me.kernelOperand(x, allBufs, ptrs, env, i, as: gradientType), gradientType)
                        em.store(LLVMBuildFAdd(em.builder, em.load(ptrs[slot], .f64, c), v, "")!, ptrs[slot], .f64, c)
                    }
                }
                // One loop per cell: a loop updating four cells that may coincide (clamped
                // at the border) needs run-time overlap checks and did not vectorise; one
                // cell per loop does, in the same order of additions per element. The
                // scattered value is recomputed from the row (LLVM drops the rest).
                for (cell, w) in zip(cells, weights) {
                    try em.loop(from: lo, to: hi, "csk.s") { c in
                        let i = em.add(base, c)
                        var env = tokenEnv
                        try me.kernelCompute(k.elementwise, allBufs, ptrs, &env, i)
                        let v = me.visionWiden(try me.kernelOperand(k.anchor.operands[0], allBufs, ptrs, env, i, as: gradientType), gradientType)
                        let at = em.add(cell, c)
                        let product = em.fastMath(LLVMBuildFMul(em.builder, w, v, ""))
                        em.store(em.fastMath(LLVMBuildFAdd(em.builder, em.load(ptrs[accSlot], .f64, at), product, "")), ptrs[accSlot], .f64, at)
                    }
                }
            }
            if fd != .f64 && !sparse {
                em.loop(k.side * k.side, "csk.round") { cell in
                    let base = em.mul(cell, depth)
                    em.loop(from: lo, to: hi, "csk.r") { c in
                        let at = em.add(base, c)
                        em.store(me.visionNarrow(em.load(ptrs[accSlot], .f64, at), fd), ptrs[fieldSlot], fd, at)
                    }
                }
            } else if fd != .f64 {
                try eachToken("csk.round") { _, cells, _ in
                    for cell in cells {
                        em.loop(from: lo, to: hi, "csk.r") { c in
                            let at = em.add(cell, c)
                            em.store(me.visionNarrow(em.load(ptrs[accSlot], .f64, at), fd), ptrs[fieldSlot], fd, at)
                        }
                    }
                }
            }
            for ((r, _), slot) in zip(k.sums, sumSlots) {
                guard let out = stored[r], let d = allBufs.dtype[r] else { continue }
                em.loop(from: lo, to: hi, "csk.sum") { c in em.store(me.visionNarrow(em.load(ptrs[slot], .f64, c), d), ptrs[out], d, c) }
            }
        }
    }
}

extension Operand {
    /// The value, when the operand is one.
    fileprivate var value: ValueID? {
        if case .value(let v) = self { return v }
        return nil
    }
}

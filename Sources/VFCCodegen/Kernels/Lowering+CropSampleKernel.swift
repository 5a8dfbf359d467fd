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
            default:
                guard FusionRole.of(inst, inputRank: 3) == .elementwise, t.shape == g else { return nil }
                // Operands: gradient-shaped values, rank-0 arguments or literals.
                for case .value(let v) in inst.operands {
                    guard let s = f[v].type?.shape, s == g || (s.isEmpty && arguments.contains(v)) else { return nil }
                }
                elementwise.append(inst)
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
    /// First, serially, a table of the samples: the four cells and f64 weights of each
    /// token (the same f64 computation as the unfused op) and, per entry, whether it is its
    /// cell's first and last contribution. Then per slice, for each token in (n, t) order:
    /// the masks once, per channel the elementwise results (stored) and the token sums
    /// (f64), and the scatter of the anchor's operand into its four cells: a cell's first
    /// contribution is stored into an f64 accumulator, later ones added, and the last one
    /// rounds the total into the result, so only cells reached twice or more touch the
    /// accumulator. The unfused crop_sample_grad instead clears, scans and rounds an f64 copy
    /// of the whole field (77 MB at the tiny sizes, where most cells get one sample or none).
    mutating func lowerCropSampleCall(_ inst: Instruction, _ ops: [Lowered], _ k: CropSampleKernel) throws {
        let f = k.function
        var bufs = try argumentBuffers(of: f, ops)
        for v in f.body.flatMap(\.results) { bufs.dtype[v] = f[v].type?.dtype }
        var stored: [ValueID: Int] = [:]
        for (r, ret) in zip(inst.results, f.returns) {
            guard case .value(let v) = ret, let t = function[r].type else { continue }
            let s = try shape(t)
            if let slot = stored[v] {
                values[r] = .buffer(bufs.pointers[slot], t.dtype, s)
                continue
            }
            let out = resultBuffer(for: r, t.dtype, s)
            values[r] = .buffer(out, t.dtype, s)
            stored[v] = bufs.add(out, s.reduce(1, *))
        }
        guard case .value(let dv)? = k.anchor.operands.first, let dType = f[dv].type else { throw CodegenError.internalError("crop kernel operand") }
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
            throw CodegenError.internalError("the field gradient of @\(f.name) is not a result")
        }
        let (cellCount, fieldCount) = (k.side * k.side, k.side * k.side * depth)
        // Cells no sample reaches stay zero.
        if fieldCount > 0 {
            LLVMBuildMemSet(e.builder, bufs.pointers[fieldSlot], LLVMConstInt(e.i8, 0, 0), e.i64(fieldCount * fd.byteSize), 1)
        }
        guard tokens > 0, depth > 0 else {
            for (r, _) in k.sums { if let s = stored[r], let d = bufs.dtype[r] { zeroFill(bufs.pointers[s], d, depth) } }
            return
        }
        func argument(_ o: Operand) throws -> Lowered {
            guard case .value(let v) = o, let s = bufs.slot[v], let d = bufs.dtype[v] else { throw CodegenError.internalError("crop kernel boxes/flips") }
            return .buffer(bufs.pointers[s], d, try shape(f[v].type))
        }
        // The sample table: per token, four cell offsets (times D), four f64 weights, and
        // four flags: bit 0 when the entry is its cell's first contribution in (token,
        // cell) order, bit 1 when it is the last.
        let entries = tokens * 4
        var all = bufs
        let cellTable = all.add(allocate(.i64, [entries], zeroed: false), entries)
        let weightTable = all.add(allocate(.f64, [entries], zeroed: false), entries)
        let flagTable = all.add(allocate(.u8, [entries], zeroed: false), entries)
        let (cellPtr, weightPtr, flagPtr) = (all.pointers[cellTable], all.pointers[weightTable], all.pointers[flagTable])
        try forEachSample(k.grid, k.source, side: k.side, depth: depth, boxes: try argument(k.anchor.operands[1]),
                          flips: try argument(k.anchor.operands[2]), "crop_sample_grad") { t, cells, weights in
            for c in 0..<4 {
                let at = e.add(e.mul(t, 4), c)
                e.store(cells[c], cellPtr, .i64, at)
                e.store(weights[c], weightPtr, .f64, at)
            }
        }
        // The flags, in one serial pass with the latest entry of each cell (-1: none yet):
        // an entry is first when its cell has none; it clears the last bit of the cell's
        // previous entry (its own, harmlessly, when there is none: it is written after).
        let latest = allocate(.i64, [cellCount], zeroed: false)
        LLVMBuildMemSet(e.builder, latest, LLVMConstInt(e.i8, 0xFF, 0), e.i64(cellCount * 8), 1)
        e.loop(entries, "csk.flag") { n in
            let cell = LLVMBuildSDiv(e.builder, e.load(cellPtr, .i64, n), e.i64(depth), "")!
            let previous = e.load(latest, .i64, cell)
            let first = LLVMBuildICmp(e.builder, LLVMIntEQ, previous, e.i64(-1), "")!
            let owner = LLVMBuildSelect(e.builder, first, n, previous, "")!
            let kept = LLVMBuildAnd(e.builder, e.load(flagPtr, .u8, owner), LLVMConstInt(e.i8, 1, 0), "")!
            e.store(kept, flagPtr, .u8, owner)
            e.store(LLVMBuildSelect(e.builder, first, LLVMConstInt(e.i8, 3, 0), LLVMConstInt(e.i8, 2, 0), "")!, flagPtr, .u8, n)
            e.store(n, latest, .i64, cell)
        }
        // An f64 accumulator for cells with two or more contributions (the result itself
        // when it is f64), and one per sum. A first contribution stores its product, a
        // last one rounds the total into the result, a lone one does both: the additions
        // are the interpreter's, in its order, and no pass clears or rounds the field.
        let accSlot = fd == .f64 ? fieldSlot : all.add(allocate(.f64, [fieldCount], zeroed: false), fieldCount)
        let sumSlots = k.sums.map { _ in all.add(allocate(.f64, [depth], zeroed: false), depth) }
        let slice = Self.cropChannelSlice(depth)
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
            /// then() if cond else otherwise(), as blocks.
            func branch(_ cond: LLVMValueRef, _ then: () throws -> Void, _ otherwise: () throws -> Void) rethrows {
                let yes = em.block("csk.then"), no = em.block("csk.else"), join = em.block("csk.join")
                LLVMBuildCondBr(em.builder, cond, yes, no)
                LLVMPositionBuilderAtEnd(em.builder, yes)
                try then()
                LLVMBuildBr(em.builder, join)
                LLVMPositionBuilderAtEnd(em.builder, no)
                try otherwise()
                LLVMBuildBr(em.builder, join)
                LLVMPositionBuilderAtEnd(em.builder, join)
            }
            for slot in sumSlots { em.loop(from: lo, to: hi, "csk.sum0") { c in em.store(zero, ptrs[slot], .f64, c) } }
            try em.loop(tokens, "csk.tok") { t in
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
                // One loop per cell (a loop updating four cells that may coincide needs
                // run-time overlap checks and did not vectorise), in the form its flags
                // pick; the scattered value is recomputed from the row (LLVM drops the rest).
                for n in 0..<4 {
                    let entry = em.add(em.mul(t, 4), n)
                    let cell = em.load(ptrs[cellTable], .i64, entry), w = em.load(ptrs[weightTable], .f64, entry)
                    let flag = em.load(ptrs[flagTable], .u8, entry)
                    func bit(_ b: UInt64) -> LLVMValueRef {
                        LLVMBuildICmp(em.builder, LLVMIntNE, LLVMBuildAnd(em.builder, flag, LLVMConstInt(em.i8, b, 0), ""), LLVMConstInt(em.i8, 0, 0), "")!
                    }
                    func scatter(first: Bool, last: Bool) throws {
                        try em.loop(from: lo, to: hi, "csk.s") { c in
                            let i = em.add(base, c)
                            var env = tokenEnv
                            try me.kernelCompute(k.elementwise, allBufs, ptrs, &env, i)
                            let v = me.visionWiden(try me.kernelOperand(k.anchor.operands[0], allBufs, ptrs, env, i, as: gradientType), gradientType)
                            let at = em.add(cell, c)
                            var total = em.fastMath(LLVMBuildFMul(em.builder, w, v, "")!)
                            if !first { total = em.fastMath(LLVMBuildFAdd(em.builder, em.load(ptrs[accSlot], .f64, at), total, "")!) }
                            if last {
                                em.store(me.visionNarrow(total, fd), ptrs[fieldSlot], fd, at)
                            } else {
                                em.store(total, ptrs[accSlot], .f64, at)
                            }
                        }
                    }
                    let (isFirst, isLast) = (bit(1), bit(2))
                    try branch(isFirst, {
                        try branch(isLast, { try scatter(first: true, last: true) }, { try scatter(first: true, last: false) })
                    }, {
                        try branch(isLast, { try scatter(first: false, last: true) }, { try scatter(first: false, last: false) })
                    })
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

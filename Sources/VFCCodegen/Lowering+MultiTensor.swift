import CLLVM
import VFCIR

/// Lowering of multi-tensor kernels (`MultiTensorKernel`, written by `fuse-horizontal`).
///
/// Parts with one signature and one pattern of shared buffers (an in-place update reads
/// and writes one buffer) form a class, lowered as one kernel: the caller fills a table with
/// each part's buffers, and one parallel loop runs over fixed chunks of the parts'
/// concatenated elements (`chunk` elements each, so threads get equal work whatever the
/// tensor sizes); a chunk is a list of segments (part, lo, hi), compile-time constants, and
/// each segment runs the class's code, emitted once, on that part's buffers. Small tensors
/// thus share a chunk instead of each paying a kernel call and a thread-pool wake-up. The
/// chunks depend only on the sizes, and every element is computed exactly as the part's
/// own fused loop would compute it, so results equal the per-part kernels' bit for bit.
extension FunctionLowering {
    /// Elements per work item of a multi-tensor loop.
    static let multiTensorChunk = 8192

    /// Lowers `inst`, a call of multi-tensor kernel `mt`, with lowered operands `ops`.
    mutating func lowerMultiTensorCall(_ inst: Instruction, _ mt: MultiTensorKernel, _ ops: [Lowered]) throws {
        let f = mt.function
        var argument: [ValueID: Lowered] = [:]
        for (a, o) in zip(f.arguments, ops) { argument[a] = o }
        // Result buffers: the caller's output slots (donated params included), else planned
        // buffers. No result reuses a dying input: another part, run by another thread,
        // might still read it.
        var bufferOf: [ValueID: LLVMValueRef] = [:]
        for (r, ret) in zip(inst.results, f.returns) {
            guard case .value(let v) = ret, let t = function[r].type else { continue }
            let s = try shape(t)
            if let p = bufferOf[v] {
                values[r] = .buffer(p, t.dtype, s)
                continue
            }
            let out = resultBuffer(for: r, t.dtype, s)
            values[r] = .buffer(out, t.dtype, s)
            bufferOf[v] = out
        }
        // Each part's buffers (slots, then results) and element count.
        struct Member {
            var part: Int
            var pointers: [LLVMValueRef]
            var count: Int
            var pattern: [Int]
            var read: Int
            var written: Int
        }
        var classes: [[Member]] = []
        var classKey: [String: Int] = [:]
        for (k, part) in mt.parts.enumerated() {
            let n = try shape(f[part.insts[0].results[0]].type).reduce(1, *)
            var pointers: [LLVMValueRef] = []
            var read = 0
            for (s, o) in part.slots.enumerated() {
                let lowered: Lowered?
                switch o {
                case .value(let a): lowered = argument[a]
                case .param(let p): lowered = params[p]
                case .literal: lowered = nil
                }
                guard case .buffer(let p, let d, let shape)? = lowered else { throw CodegenError("internal: multi-tensor kernel @\(f.name) slot \(s) is not a buffer") }
                let c = shape.reduce(1, *)
                guard part.scalar[s] ? c == 1 : c == n else {
                    throw CodegenError("internal: multi-tensor kernel @\(f.name) slot \(s) has \(c) elements, part has \(n)")
                }
                pointers.append(p)
                read += c * d.byteSize
            }
            var written = 0
            for v in part.results {
                guard let p = bufferOf[v] else { throw CodegenError("internal: multi-tensor kernel @\(f.name) result not stored") }
                pointers.append(p)
                written += n * (f[v].type?.dtype.byteSize ?? 0)
            }
            let pattern = pointers.map { p in pointers.firstIndex { $0 == p }! }
            let key = part.signature + " \(pattern)"
            let member = Member(part: k, pointers: pointers, count: n, pattern: pattern, read: read, written: written)
            if let c = classKey[key] {
                classes[c].append(member)
            } else {
                classKey[key] = classes.count
                classes.append([member])
            }
        }
        for members in classes {
            let template = mt.parts[members[0].part]
            let flops = members.map { template.insts.count * $0.count }.reduce(0, +)
            kernel(read: members.map(\.read).reduce(0, +), written: members.map(\.written).reduce(0, +), flops: flops)
            try multiTensorLoop(mt, template, members.map { ($0.pointers, $0.count) }, pattern: members[0].pattern)
        }
    }

    /// One class of parts as one kernel: the table of buffers, the segments, the loop.
    private mutating func multiTensorLoop(_ mt: MultiTensorKernel, _ template: MultiTensorKernel.Part,
                                          _ members: [(pointers: [LLVMValueRef], count: Int)], pattern: [Int]) throws {
        let f = mt.function
        // The template's buffers: slot k of the table row is pointer k of the part.
        var bufs = KernelBuffers()
        let distinct = pattern.enumerated().filter { $0.offset == $0.element }.map(\.offset)
        let dummy = LLVMConstNull(e.ptr)!
        for (s, o) in template.slots.enumerated() {
            let slot = bufs.add(dummy, template.scalar[s] ? 1 : 2)
            switch o {
            case .value(let a):
                bufs.slot[a] = slot
                bufs.dtype[a] = f[a].type?.dtype
            case .param(let p):
                bufs.paramSlot[p] = slot
                bufs.paramType[p] = module.param(named: p)?.type.dtype
            case .literal:
                break
            }
        }
        for inst in template.insts { bufs.dtype[inst.results[0]] = f[inst.results[0]].type?.dtype }
        var stored: [ValueID: Int] = [:]
        for v in template.results { stored[v] = bufs.add(dummy, 2) }
        // Segments of fixed chunks of the concatenated elements.
        let chunk = Self.multiTensorChunk
        var segPart: [Int] = [], segLo: [Int] = [], segHi: [Int] = [], itemFirst: [Int] = [0]
        var filled = 0
        for (k, m) in members.enumerated() {
            var lo = 0
            while lo < m.count {
                let hi = Swift.min(m.count, lo + (chunk - filled))
                segPart.append(k)
                segLo.append(lo)
                segHi.append(hi)
                filled += hi - lo
                lo = hi
                if filled == chunk {
                    itemFirst.append(segPart.count)
                    filled = 0
                }
            }
        }
        if filled > 0 { itemFirst.append(segPart.count) }
        let items = itemFirst.count - 1
        guard items > 0 else { return }
        // The table, in the caller: row k holds part k's distinct buffers.
        let width = distinct.count
        let table = LLVMBuildArrayAlloca(e.builder, e.ptr, e.i64(members.count * width), "multi_tensor")!
        for (k, m) in members.enumerated() {
            for (j, s) in distinct.enumerated() {
                var idx: [LLVMValueRef?] = [e.i64(k * width + j)]
                LLVMBuildStore(e.builder, m.pointers[s], LLVMBuildInBoundsGEP2(e.builder, e.ptr, table, &idx, 1, ""))
            }
        }
        let total = members.map(\.count).reduce(0, +)
        let detail = "\(members.count) tensors, \(template.insts.count) ops over \(total): " + template.insts.map(\.op.name).joined(separator: ",")
        let key = "multi_tensor " + template.signature + " \(members.map(\.count)) \(pattern)"
        try outlined(key: key, pointers: [table], site: (.fused, "multi_tensor", detail)) { me, inner in
            let tab = inner(table)
            let body = try me.multiTensorSegmentBody(template, bufs, stored, pattern: pattern, width: width)
            let name = LLVMSupport.valueName(me.e.function!)
            let parts = me.constantTable(name + ".seg.part", segPart), los = me.constantTable(name + ".seg.lo", segLo)
            let his = me.constantTable(name + ".seg.hi", segHi), firsts = me.constantTable(name + ".item", itemFirst)
            try me.parallelLoop(items, workPerIteration: chunk, buffers: [tab]) { me, w, ptrs in
                let em = me.e
                let first = em.load(firsts, .i64, w), end = em.load(firsts, .i64, em.add(w, 1))
                em.loop(from: first, to: end, "seg") { s in
                    let k = em.load(parts, .i64, s)
                    var args: [LLVMValueRef?] = (0..<width).map { j in
                        var idx: [LLVMValueRef?] = [em.add(em.mul(k, width), j)]
                        return LLVMBuildLoad2(em.builder, em.ptr, LLVMBuildInBoundsGEP2(em.builder, em.ptr, ptrs[0], &idx, 1, ""), "")
                    }
                    args += [em.load(los, .i64, s), em.load(his, .i64, s)]
                    LLVMBuildCall2(em.builder, body.type, body.fn, &args, UInt32(args.count), "")
                }
            }
        }
    }

    /// `void body(ptr noalias..., i64 lo, i64 hi)`: the template's code for elements lo..<hi
    /// of one part, its distinct buffers as `noalias` parameters (always inlined, where they
    /// become alias scopes, so the loop vectorises without overlap checks).
    private mutating func multiTensorSegmentBody(_ template: MultiTensorKernel.Part, _ bufs: KernelBuffers, _ stored: [ValueID: Int],
                                                 pattern: [Int], width: Int) throws -> (fn: LLVMValueRef, type: LLVMTypeRef) {
        let caller = e.function
        let callerBlock = LLVMGetInsertBlock(e.builder)
        var types: [LLVMTypeRef?] = Array(repeating: e.ptr, count: width) + [e.i64, e.i64]
        let type = LLVMFunctionType(e.void, &types, UInt32(types.count), 0)!
        let fn = LLVMAddFunction(e.module, "\(LLVMSupport.valueName(caller!)).segment", type)!
        LLVMSetLinkage(fn, LLVMInternalLinkage)
        attributes?.apply(to: fn, context: e.context)
        let noalias = LLVMGetEnumAttributeKindForName("noalias", 7)
        let alwaysInline = LLVMGetEnumAttributeKindForName("alwaysinline", 12)
        for k in 0..<width { LLVMAddAttributeAtIndex(fn, UInt32(k + 1), LLVMCreateEnumAttribute(e.context, noalias, 0)) }
        LLVMAddAttributeAtIndex(fn, UInt32(bitPattern: Int32(LLVMAttributeFunctionIndex)), LLVMCreateEnumAttribute(e.context, alwaysInline, 0))
        e.function = fn
        LLVMPositionBuilderAtEnd(e.builder, e.block("entry"))
        // Slot s of the part is distinct buffer number `rank[pattern[s]]`.
        var rank: [Int: Int] = [:]
        for (s, p) in pattern.enumerated() where s == p { rank[s] = rank.count }
        let ptrs = pattern.map { LLVMGetParam(fn, UInt32(rank[$0]!))! }
        try e.loop(from: LLVMGetParam(fn, UInt32(width))!, to: LLVMGetParam(fn, UInt32(width + 1))!) { i in
            var env: [ValueID: LLVMValueRef] = [:]
            try self.kernelCompute(template.insts, bufs, ptrs, &env, i)
            self.kernelStore(bufs, stored, ptrs, env, i)
        }
        LLVMBuildRetVoid(e.builder)
        e.function = caller
        LLVMPositionBuilderAtEnd(e.builder, callerBlock)
        return (fn, type)
    }

    /// A private constant global array of i64 (a multi-tensor loop's segments).
    func constantTable(_ name: String, _ values: [Int]) -> LLVMValueRef {
        var elements: [LLVMValueRef?] = values.map { e.i64($0) }
        let array = LLVMConstArray2(e.i64, &elements, UInt64(values.count))
        let global = LLVMAddGlobal(e.module, LLVMArrayType2(e.i64, UInt64(values.count)), name)!
        LLVMSetInitializer(global, array)
        LLVMSetGlobalConstant(global, 1)
        LLVMSetLinkage(global, LLVMPrivateLinkage)
        return global
    }
}

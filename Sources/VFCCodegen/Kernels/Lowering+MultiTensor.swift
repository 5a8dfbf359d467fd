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
                guard case .buffer(let p, let d, let shape)? = lowered else { throw CodegenError.internalError("multi-tensor kernel @\(f.name) slot \(s) is not a buffer") }
                let c = shape.reduce(1, *)
                guard part.scalar[s] ? c == 1 : c == n else {
                    throw CodegenError.internalError("multi-tensor kernel @\(f.name) slot \(s) has \(c) elements, part has \(n)")
                }
                pointers.append(p)
                read += c * d.byteSize
            }
            var written = 0
            for v in part.results {
                guard let p = bufferOf[v] else { throw CodegenError.internalError("multi-tensor kernel @\(f.name) result not stored") }
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
        var bufs = templateBuffers(f, slots: template.slots, scalar: template.scalar, insts: template.insts)
        let distinct = pattern.enumerated().filter { $0.offset == $0.element }.map(\.offset)
        var stored: [ValueID: Int] = [:]
        for v in template.results { stored[v] = bufs.add(LLVMConstNull(e.ptr)!, 2) }
        let segments = Segments(counts: members.map(\.count), chunk: Self.multiTensorChunk)
        guard segments.items > 0 else { return }
        // The table, in the caller: row k holds part k's distinct buffers.
        let width = distinct.count
        let table = pointerTable(members.map { m in distinct.map { m.pointers[$0] } }, width: width, name: "multi_tensor")
        let total = members.map(\.count).reduce(0, +)
        let detail = "\(members.count) tensors, \(template.insts.count) ops over \(total): " + template.insts.map(\.op.name).joined(separator: ",")
        let key = "multi_tensor " + template.signature + " \(members.map(\.count)) \(pattern)"
        try outlined(key: key, pointers: [table], site: (.fused, "multi_tensor", detail)) { me, inner in
            // Slot s of the part is distinct buffer number `rank[pattern[s]]`.
            var rank: [Int: Int] = [:]
            for (s, p) in pattern.enumerated() where s == p { rank[s] = rank.count }
            let body = try me.segmentFunction(width: width, returns: me.e.void) { me, params, lo, hi in
                let ptrs = pattern.map { params[rank[$0]!] }
                try me.e.loop(from: lo, to: hi) { i in
                    var env: [ValueID: LLVMValueRef] = [:]
                    try me.kernelCompute(template.insts, bufs, ptrs, &env, i)
                    me.kernelStore(bufs, stored, ptrs, env, i)
                }
                LLVMBuildRetVoid(me.e.builder)
            }
            try me.segmentLoop(segments, table: inner(table), width: width, body: body)
        }
    }
}

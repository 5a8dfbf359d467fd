import VFCIR
import VFCPasses

/// A fused kernel that sums several tensors, each to a scalar, with the same code, and
/// combines the sums with scalar ops (what `fuse-horizontal-reductions` writes: the global
/// gradient norm, the sum of squares of every gradient, the chain of adds, the square root
/// and the clipping coefficient). The lowering (`Lowering+MultiReduction.swift`) computes
/// all the sums in one parallel loop over a table of buffers, then the scalar tail.
///
/// A part is one full sum: `reduce_sum` over all axes of a float tensor (rank >= 1) to a
/// rank-0 value, with the elementwise ops of the tensor's shape computing its input (its
/// prologue), which nothing else reads. Every part has the same `signature` (ops, dtypes,
/// literals, wiring, outside operands as scalars or tensors of the part's shape). The tail
/// is every other op: rank-0 elementwise ops reading sums, other tail values, scalar
/// arguments and params, literals.
struct MultiReductionKernel {
    struct Part {
        /// The prologue and, last, the anchor.
        var insts: [Instruction]
        /// The outside operands the prologue and anchor read, first use first.
        var slots: [Operand]
        /// Whether each slot is a rank-0 scalar (read at index 0).
        var scalar: [Bool]
        /// The code up to shape, buffers and names.
        var signature: String

        var anchor: Instruction { insts[insts.count - 1] }
    }

    let function: Function
    let parts: [Part]
    /// The scalar ops after the sums, in body order.
    let tail: [Instruction]

    /// The parts and tail of `f`, or nil when `f` is not of that form (fewer than two sums,
    /// parts with different code, an op that is neither a part's nor a scalar tail op).
    init?(_ f: Function, module: Module) {
        guard f.body.count >= 2, f.returns.allSatisfy({ if case .value = $0 { return true } else { return false } }) else { return nil }
        var producer: [ValueID: Int] = [:]
        for (i, inst) in f.body.enumerated() { for r in inst.results { producer[r] = i } }
        let anchors = f.body.indices.filter { Self.isFullSum(f, f.body[$0]) }
        guard anchors.count >= 2 else { return nil }
        var partOf: [Int: Int] = [:]  // body index -> part
        for (k, a) in anchors.enumerated() {
            partOf[a] = k
            var work = f.body[a].operands.compactMap { o -> ValueID? in if case .value(let v) = o { return v } else { return nil } }
            let shape = work.first.flatMap { f[$0].type?.shape }
            while let v = work.popLast() {
                guard let p = producer[v] else { continue }
                if let q = partOf[p] {
                    guard q == k else { return nil }
                    continue
                }
                let inst = f.body[p]
                guard Self.isElementwise(f, inst), f[inst.results[0]].type?.shape == shape else { return nil }
                partOf[p] = k
                for case .value(let u) in inst.operands { work.append(u) }
            }
        }
        // Prologue values are read only inside their part and not returned.
        for (i, inst) in f.body.enumerated() {
            for case .value(let v) in inst.operands {
                guard let p = producer[v], let k = partOf[p], !anchors.contains(p) else { continue }
                guard partOf[i] == k else { return nil }
            }
        }
        for case .value(let v) in f.returns {
            if let p = producer[v], partOf[p] != nil, !anchors.contains(p) { return nil }
        }
        var members: [[Instruction]] = Array(repeating: [], count: anchors.count)
        var tail: [Instruction] = []
        for (i, inst) in f.body.enumerated() {
            if let k = partOf[i] {
                members[k].append(inst)
                continue
            }
            guard Self.isElementwise(f, inst), f[inst.results[0]].type?.rank == 0 else { return nil }
            for case .value(let v) in inst.operands where f[v].type?.rank != 0 { return nil }
            tail.append(inst)
        }
        var parts: [Part] = []
        for m in members {
            guard let part = Self.part(f, m, module), part.signature == parts.first?.signature ?? part.signature else { return nil }
            parts.append(part)
        }
        self.function = f
        self.parts = parts
        self.tail = tail
    }

    /// `reduce_sum` of a float tensor over all its axes to a rank-0 value.
    static func isFullSum(_ f: Function, _ inst: Instruction) -> Bool {
        guard case .reduce(.sum, let axes, _) = inst.op, inst.results.count == 1,
              case .value(let x)? = inst.operands.first, let t = f[x].type, t.rank >= 1, t.dtype.isFloat,
              f[inst.results[0]].type?.rank == 0 else { return false }
        return Set(axes.map { $0 < 0 ? $0 + t.rank : $0 }) == Set(0..<t.rank)
    }

    private static func isElementwise(_ f: Function, _ inst: Instruction) -> Bool {
        var rank = 0
        if case .value(let v)? = inst.operands.first { rank = f[v].type?.rank ?? 0 }
        return FusionRole.of(inst, inputRank: rank) == .elementwise && inst.results.count == 1
    }

    private static func part(_ f: Function, _ insts: [Instruction], _ module: Module) -> Part? {
        guard case .value(let x)? = insts.last?.operands.first, let shape = f[x].type?.shape,
              // The anchor sums all axes whatever the rank: its axes are not part of the code.
              let code = PartCode(f, insts, module: module, shape: shape, opName: { isFullSum(f, $0) ? "reduce_sum_all" : "\($0.op)" })
        else { return nil }
        return Part(insts: insts, slots: code.slots, scalar: code.scalar, signature: code.signature)
    }
}

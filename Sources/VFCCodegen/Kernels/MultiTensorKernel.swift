import VFCIR
import VFCPasses

/// A fused kernel whose body is several independent elementwise chains, one per tensor
/// (what `fuse-horizontal` writes, e.g. the optimizer update of every parameter): the
/// lowering (`Lowering+MultiTensor.swift`) runs parts with the same code as one loop over a
/// table of their buffers, instead of one kernel per part.
///
/// A part is a connected component of the body: its ops read one another's values, the
/// kernel's arguments and params, and literals; nothing connects two parts. Parts with the
/// same `signature` compute the same code at every index: their ops, dtypes, literals and
/// wiring agree, and so do their outside operands (`slots`, in first-use order: each a
/// scalar of rank 0, read at index 0, or a tensor of the part's shape) and the values
/// they return.
struct MultiTensorKernel {
    struct Part {
        /// The part's ops, in body order.
        var insts: [Instruction]
        /// The outside operands it reads (kernel arguments as `.value`, params), first use first.
        var slots: [Operand]
        /// Whether each slot is a rank-0 scalar (read at index 0).
        var scalar: [Bool]
        /// The values of the part the kernel returns, in the order of their first return.
        var results: [ValueID]
        /// The part's code up to shape, buffers and names (see the type's comment).
        var signature: String
    }

    let function: Function
    let parts: [Part]
    /// The part defining each value of the body.
    let partOf: [ValueID: Int]

    /// The connected components of a kernel's body (see `partition`).
    typealias Partition = (members: [[Int]], partOf: [ValueID: Int])

    /// The parts of `f`, or nil when `f` is not elementwise ops only, returns something other
    /// than a value it computes, or has fewer than two parts (an ordinary fused kernel).
    init?(_ f: Function, module: Module) {
        guard let (members, partOf) = Self.partition(f) else { return nil }
        var returned: [[ValueID]] = Array(repeating: [], count: members.count)
        for case .value(let v) in f.returns where !returned[partOf[v]!].contains(v) { returned[partOf[v]!].append(v) }
        var parts: [Part] = []
        for (k, m) in members.enumerated() {
            guard let part = Self.part(f, m.map { f.body[$0] }, returned[k], module) else { return nil }
            parts.append(part)
        }
        self.function = f
        self.parts = parts
        self.partOf = partOf
    }

    /// The body indices of each part (parts ordered by their first op) and the part of
    /// each value, or nil when `f` is not a multi-tensor kernel (see `init`). Linear in the
    /// body, builds no signatures: cheap enough to ask once per donated result.
    static func partition(_ f: Function) -> Partition? {
        guard f.body.count >= 2 else { return nil }
        var producer: [ValueID: Int] = [:]
        for (i, inst) in f.body.enumerated() {
            var rank = 0
            if case .value(let v)? = inst.operands.first { rank = f[v].type?.rank ?? 0 }
            guard FusionRole.of(inst, inputRank: rank) == .elementwise, inst.results.count == 1 else { return nil }
            producer[inst.results[0]] = i
        }
        // Connected components by union-find over body indices.
        var parent = Array(f.body.indices)
        func find(_ i: Int) -> Int {
            var r = i
            while parent[r] != r { r = parent[r] }
            return r
        }
        for (i, inst) in f.body.enumerated() {
            for case .value(let v) in inst.operands {
                if let p = producer[v] { parent[find(p)] = find(i) }
            }
        }
        var index: [Int: Int] = [:]
        var members: [[Int]] = []
        for i in f.body.indices {
            let r = find(i)
            if index[r] == nil {
                index[r] = members.count
                members.append([])
            }
            members[index[r]!].append(i)
        }
        guard members.count >= 2 else { return nil }
        var partOf: [ValueID: Int] = [:]
        for (k, m) in members.enumerated() { for i in m { partOf[f.body[i].results[0]] = k } }
        for r in f.returns {
            guard case .value(let v) = r, partOf[v] != nil else { return nil }
        }
        return (members, partOf)
    }

    private static func part(_ f: Function, _ insts: [Instruction], _ results: [ValueID], _ module: Module) -> Part? {
        guard let code = PartCode(f, insts, module: module) else { return nil }
        let signature = code.signature + " -> " + results.map { "r\(code.local[$0] ?? -1)" }.joined(separator: ",")
        return Part(insts: insts, slots: code.slots, scalar: code.scalar, results: results, signature: signature)
    }

    /// Whether the kernel may write `result` (a result of `call`) straight into its donated
    /// input: no other part reads the donor (another part's elements are computed at other
    /// times, by other threads, so it could read an element already overwritten). The
    /// owner part reads each element before writing it, like any elementwise kernel.
    /// `partition` is `partition(f)`, passed in since the caller asks once per donated
    /// result and a step's update kernel has hundreds (see `PartitionMemo`).
    static func writesInPlaceSafely(_ f: Function, partition: Partition?, call: Instruction, result: ValueID, isDonor: (Operand) -> Bool) -> Bool {
        guard let (members, partOf) = partition else { return true }
        guard let k = call.results.firstIndex(of: result), case .value(let v) = f.returns[k], let owner = partOf[v] else { return false }
        var argument: [ValueID: Int] = [:]
        for (i, a) in f.arguments.enumerated() { argument[a] = i }
        for (p, m) in members.enumerated() where p != owner {
            for i in m {
                for o in f.body[i].operands {
                    switch o {
                    case .param:
                        if isDonor(o) { return false }
                    case .value(let a):
                        if let i = argument[a], isDonor(call.operands[i]) { return false }
                    case .literal:
                        break
                    }
                }
            }
        }
        return true
    }
}

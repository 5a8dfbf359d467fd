import VFCIR

/// The code of one part of a multi-tensor or multi-sum kernel (`MultiTensorKernel`,
/// `MultiReductionKernel`) up to shape, buffers and names: two parts whose `signature`s
/// agree compute the same thing at every index, so one loop serves both.
struct PartCode {
    /// The outside operands the part reads (kernel arguments as `.value`, params), first use first.
    var slots: [Operand] = []
    /// Whether each slot is a rank-0 scalar (read at index 0).
    var scalar: [Bool] = []
    /// Ops, result dtypes, literals by bit pattern, wiring (`rK`: the part's K-th value;
    /// `aK`: slot K, scalar or full, with its dtype).
    var signature = ""
    /// The number of each value the part defines, in body order.
    var local: [ValueID: Int] = [:]

    /// The code of `insts` (in body order), or nil when an outside operand is untyped or,
    /// given `shape`, neither a scalar nor of that shape. `opName` names an op in the
    /// signature (e.g. to leave out what does not change the code).
    init?(_ f: Function, _ insts: [Instruction], module: Module, shape: [Dim]? = nil,
          opName: (Instruction) -> String = { "\($0.op)" }) {
        var slotIndex: [Operand: Int] = [:]
        for inst in insts {
            var operands: [String] = []
            for o in inst.operands {
                let type: TensorType?
                switch o {
                case .literal(let x):
                    operands.append("#\(x.bitPattern)")
                    continue
                case .value(let v):
                    if let k = local[v] {
                        operands.append("r\(k)")
                        continue
                    }
                    type = f[v].type
                case .param(let p):
                    type = module.param(named: p)?.type
                }
                guard let t = type, shape == nil || t.rank == 0 || t.shape == shape else { return nil }
                let k: Int
                if let s = slotIndex[o] {
                    k = s
                } else {
                    k = slots.count
                    slotIndex[o] = k
                    slots.append(o)
                    scalar.append(t.rank == 0)
                }
                operands.append("a\(k)\(scalar[k] ? "s" : "f")\(t.dtype)")
            }
            local[inst.results[0]] = local.count
            signature += "\(opName(inst)) \(f[inst.results[0]].type?.dtype.description ?? "?")(\(operands.joined(separator: ",")));"
        }
    }
}

import VFCIR

/// `cse`: an instruction with the same op (attributes included), the same operands and
/// the same result types as an earlier one is replaced by it, and removed.
///
/// Every op of the IR is pure and deterministic (randomness enters only as inputs), and a
/// call is pure because its callee is, so any two such instructions compute the same
/// values. One forward walk suffices: uses are rewritten as the walk goes, so duplicates
/// of duplicates (`exp (neg x)` twice) are found in the same walk.
public struct CSEPass: Pass {
    public static let name = "cse"
    public static let summary = "reuse the first of identical instructions (all ops are pure)"

    public init() {}

    public func run(_ module: inout Module) throws(DiagnosticError) {
        for i in module.functions.indices {
            Self.eliminateCommonSubexpressions(&module.functions[i])
        }
    }

    /// What makes two instructions interchangeable.
    struct Key: Hashable {
        var op: Op
        var operands: [Operand]
        var types: [TensorType?]
        /// The bit patterns of constant values and literals: `Double`'s `==` says
        /// `-0.0 == 0.0`, but those constants differ (`1 / x` tells them apart).
        var bits: [UInt64]
    }

    static func key(_ inst: Instruction, _ f: Function) -> Key {
        var bits: [UInt64] = []
        switch inst.op {
        case .constant(.splat(let v)): bits.append(v.bitPattern)
        case .constant(.dense(let vs)): bits += vs.map(\.bitPattern)
        default: break
        }
        for case .literal(let x) in inst.operands { bits.append(x.bitPattern) }
        return Key(op: inst.op, operands: inst.operands, types: inst.results.map { f[$0].type }, bits: bits)
    }

    static func eliminateCommonSubexpressions(_ f: inout Function) {
        var seen: [Key: [ValueID]] = [:]
        var replaced: [ValueID: Operand] = [:]
        var body: [Instruction] = []
        body.reserveCapacity(f.body.count)
        for var inst in f.body {
            inst.operands = inst.operands.map { Function.resolve($0, replaced) }
            let k = key(inst, f)
            if let first = seen[k], first.count == inst.results.count {
                for (r, s) in zip(inst.results, first) { replaced[r] = .value(s) }
                continue
            }
            seen[k] = inst.results
            body.append(inst)
        }
        f.body = body
        f.returns = f.returns.map { Function.resolve($0, replaced) }
    }
}

import VFCIR

/// `fuse-horizontal`: horizontal fusion. Independent elementwise kernels with the same
/// body up to shape and params (the optimizer update of every parameter: AdamW, decay,
/// teacher EMA) become one kernel whose body holds each of them side by side, one
/// connected part per tensor, so the code generator runs them as one loop over a table of
/// buffers (`Lowering+MultiTensor.swift`) instead of one kernel launch per parameter.
///
/// Runs after `fuse-elementwise` on its kernels (and on single elementwise ops). Two groups
/// are merged only when
/// - both are elementwise only (no anchor), of one shape each, not rank 0 (scalar chains
///   gain nothing), and what they compute is only returned by the function (the new
///   state), not read by other ops;
/// - their `signature`s agree: the same ops in the same order with the same dtypes,
///   literals and internal wiring; each outside operand (argument or param) read in the
///   same order, either a scalar (rank 0) or of the group's shape in both; the same values
///   leaving the kernel;
/// - neither reads the other's results, and merging makes no cycle between kernels
///   (`FusionGraph.cycle`).
/// The merged kernel prints, parses and runs on the interpreter like any other (a function
/// `@F.fused.K`), and `inline` undoes it.
public struct FuseHorizontalPass: Pass {
    public static let name = "fuse-horizontal"
    public static let summary = "merge independent elementwise kernels with the same body (up to shape) into one multi-tensor kernel"
    public var explain: (@Sendable (String) -> Void)?

    public init(explain: (@Sendable (String) -> Void)? = nil) { self.explain = explain }

    /// How many open merged kernels per signature a candidate is tried against: bounds the
    /// cycle checks when many same-bodied kernels depend on each other (encoder blocks).
    static let openLimit = 4

    public func run(_ module: inout Module) throws(DiagnosticError) {
        var paramTypes: [String: TensorType] = [:]
        for p in module.params { paramTypes[p.name] = p.type }
        FusionDriver(pass: Self.name, explain: explain).run(&module, rule: { Self.fuse(&$0, paramTypes) }, fallback: { _, _, _ in nil })
    }

    static func fuse(_ g: inout FusionGraph, _ paramTypes: [String: TensorType]) {
        // Groups by their first member, in body order.
        var groups: [Int: [Int]] = [:]
        for i in g.function.body.indices { groups[g.root(i), default: []].append(i) }
        let ordered = groups.values.sorted { $0[0] < $1[0] }
        var open: [String: [Int]] = [:]  // signature -> roots of merged kernels, newest last
        for members in ordered {
            guard let sig = signature(g, members, paramTypes) else { continue }
            let root = g.root(members[0])
            var merged = false
            for other in (open[sig] ?? []).suffix(openLimit).reversed() where !reads(g, root, other) && !reads(g, other, root) {
                if g.cycle(merging: [other, root]) == nil {
                    let (a, b) = (g.find(other), g.find(root))
                    g.union(a, b)
                    merged = true
                    break
                }
            }
            if !merged { open[sig, default: []].append(root) }
        }
    }

    /// Whether a member of group `a` reads a result of group `b` directly.
    static func reads(_ g: FusionGraph, _ a: Int, _ b: Int) -> Bool {
        let rb = g.root(b)
        for m in g.members(of: a) {
            for case .value(let v) in g.function.body[m].operands {
                if let p = g.producer[v], g.root(p) == rb { return true }
            }
        }
        return false
    }

    /// The body of a group up to shape and to which arguments and params it reads (nil when
    /// the group cannot join a multi-tensor kernel). Equal signatures mean the groups'
    /// ops correspond one to one, and so do their outside operands and results.
    static func signature(_ g: FusionGraph, _ members: [Int], _ paramTypes: [String: TensorType]) -> String? {
        let f = g.function
        let memberSet = Set(members)
        var local: [ValueID: Int] = [:]
        var slots: [String: Int] = [:]
        var shape: [Dim]?
        var out = ""
        func slot(_ key: String, _ t: TensorType?) -> String? {
            guard let t, let shape else { return nil }
            let kind: String
            if t.rank == 0 { kind = "s" } else if t.shape == shape { kind = "f" } else { return nil }
            let k = slots[key] ?? slots.count
            slots[key] = k
            return "a\(k)\(kind)\(t.dtype)"
        }
        for m in members {
            let inst = f.body[m]
            guard g.role(m) == .elementwise, inst.results.count == 1, let t = g.type(inst.results[0]) else { return nil }
            if shape == nil {
                guard t.rank > 0 else { return nil }
                shape = t.shape
            } else if shape != t.shape {
                return nil
            }
            var operands: [String] = []
            for o in inst.operands {
                switch o {
                case .literal(let x):
                    operands.append("#\(x.bitPattern)")
                case .value(let v):
                    if let k = local[v] {
                        operands.append("r\(k)")
                    } else {
                        guard let s = slot("%\(v.index)", g.type(v)) else { return nil }
                        operands.append(s)
                    }
                case .param(let p):
                    guard let s = slot("@" + p, paramTypes[p]) else { return nil }
                    operands.append(s)
                }
            }
            let r = inst.results[0]
            // Only groups whose values leave the function (a new state) and nothing else
            // reads: merging them cannot delay a consumer, so the schedule and the memory
            // peak of the rest stay as they were (merging every same-bodied pair of the
            // backward pass raised the micro step's peak from 45 to 54 MB).
            guard (g.users[r] ?? []).allSatisfy(memberSet.contains) else { return nil }
            let leaves = g.returned.contains(r)
            local[r] = local.count
            out += "\(inst.op) \(t.dtype)(\(operands.joined(separator: ",")))\(leaves ? " out" : "");"
        }
        return out
    }
}

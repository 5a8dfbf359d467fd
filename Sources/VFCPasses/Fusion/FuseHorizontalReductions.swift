import VFCIR

/// `fuse-horizontal-reductions`: horizontal fusion of full sums. Independent kernels that
/// each reduce one tensor to a scalar with the same body up to shape (the global gradient
/// norm's sum of squares of every parameter's gradient) become one kernel, together with
/// the scalar ops that combine their results (the chain of adds, the square root, the
/// clipping coefficient), so the code generator computes all the sums in one parallel loop
/// over a table of buffers (`Lowering+MultiReduction.swift`) instead of one serial kernel
/// per tensor.
///
/// Runs after `fuse-horizontal`. A group (a kernel, or a lone op) is a candidate when
/// - its one anchor is `reduce_sum` of a float tensor (rank >= 1) over all its axes to a
///   rank-0 result; the ops computing the anchor's input inside the group (its prologue)
///   are elementwise, of the input's shape, and read nothing outside but scalars and
///   tensors of that shape; their values are used only by the prologue and the anchor;
/// - every other member is a rank-0 elementwise op (a scalar epilogue such as the add chain);
/// - each tensor it reads is an argument, a param, a value the function returns, or a value
///   that an op depending on the sum also reads (the optimizer update reads each gradient
///   and the clipping coefficient made from the norm), so the tensor lives until after the
///   merged kernel anyway and merging keeps nothing alive longer.
/// Candidates whose prologue and anchor agree (`signature`: ops, dtypes, literals, wiring,
/// outside operands in order) are merged, first with first, unless that makes a cycle
/// between kernels; then groups of rank-0 elementwise ops reading the merged kernel's
/// values (a scalar tail left outside) join it. The merged kernel prints, parses and runs
/// on the interpreter like any other (a function `@F.fused.K`), and `inline` undoes it.
public struct FuseHorizontalReductionsPass: Pass {
    public static let name = "fuse-horizontal-reductions"
    public static let summary = "merge independent same-bodied full sums (each gradient's sum of squares) and the scalar ops combining them into one kernel"
    public var explain: (@Sendable (String) -> Void)?

    public init(explain: (@Sendable (String) -> Void)? = nil) { self.explain = explain }

    public func run(_ module: inout Module) throws(DiagnosticError) {
        var paramTypes: [String: TensorType] = [:]
        for p in module.params { paramTypes[p.name] = p.type }
        let explain = self.explain
        FusionDriver(pass: Self.name, explain: explain).run(&module, rule: { Self.fuse(&$0, paramTypes, explain) }, fallback: { _, _, _ in nil })
    }

    static func fuse(_ g: inout FusionGraph, _ paramTypes: [String: TensorType], _ explain: (@Sendable (String) -> Void)?) {
        let function = g.function.name
        func say(_ line: String) { explain?("\(name): @\(function): " + line) }
        var groups: [Int: [Int]] = [:]
        for i in g.function.body.indices { groups[g.root(i), default: []].append(i) }
        let ordered = groups.values.sorted { $0[0] < $1[0] }
        // Candidates by signature, signatures in order of their first candidate.
        var bySignature: [String: [Int]] = [:]
        var signatures: [String] = []
        for members in ordered {
            guard let anchor = members.first(where: { isFullSum(g, $0) }) else { continue }
            switch candidate(g, members, anchor: anchor, paramTypes) {
            case .failure(let why):
                say("\(g.describe(anchor)) stays alone: \(why)")
            case .success(let sig):
                if bySignature[sig] == nil { signatures.append(sig) }
                bySignature[sig, default: []].append(members[0])
            }
        }
        for sig in signatures {
            let roots = bySignature[sig]!
            guard roots.count >= 2 else {
                say("\(g.describe(anchorOf(g, roots[0]))) stays alone: no other full sum has its body")
                continue
            }
            let sums = roots.map { g.describe(anchorOf(g, $0)) }
            var merged = [roots[0]]
            for r in roots.dropFirst() {
                if g.merge([merged[0], r], producer: r, consumer: merged[0]) {
                    merged.append(r)
                } else {
                    say("\(g.describe(anchorOf(g, r))) stays alone: merging would make a cycle between kernels")
                }
            }
            guard merged.count >= 2 else { continue }
            let tail = absorbTail(&g, into: merged[0])
            say("merged \(merged.count) full sums (\(sums[0]) ... \(sums[roots.firstIndex(of: merged.last!)!])) and \(tail) scalar ops into one kernel")
        }
    }

    /// Why a group cannot join a multi-sum kernel (a type, so that `Result` can carry it).
    /// Instructions are named as `FusionGraph.describe` prints them, values and params
    /// as spelled (`%x`, `@w`).
    enum Refusal: Error, CustomStringConvertible {
        case inputNotValue
        case notElementwise(instruction: String)
        case otherShapeThanSum(instruction: String)
        case usedOutsideSum(value: String)
        case notScalarAfterSum(instruction: String)
        case untyped(String)
        /// An input nothing after the sum reads: merging could keep it alive longer.
        case extendsLifetime(String)
        case inputOfOtherShape(String)

        var description: String {
            switch self {
            case .inputNotValue: return "its input is not a value"
            case .notElementwise(let i): return "\(i) in its kernel is not elementwise"
            case .otherShapeThanSum(let i): return "\(i) is not of the summed tensor's shape"
            case .usedOutsideSum(let v): return "\(v) is used outside the sum"
            case .notScalarAfterSum(let i): return "\(i) after the sum is not a scalar op"
            case .untyped(let key): return "\(key) has no type"
            case .extendsLifetime(let key): return "it reads \(key), which nothing after the sum reads: merging could keep it alive longer"
            case .inputOfOtherShape(let key): return "it reads \(key) of another shape"
            }
        }
    }

    /// Whether body index `i` is `reduce_sum` of a float tensor over all axes to a scalar.
    static func isFullSum(_ g: FusionGraph, _ i: Int) -> Bool {
        let inst = g.function.body[i]
        guard case .reduce(.sum, let axes, _) = inst.op, inst.results.count == 1,
              case .value(let x)? = inst.operands.first, let t = g.type(x), t.rank >= 1, t.dtype.isFloat,
              g.type(inst.results[0])?.rank == 0 else { return false }
        return Set(axes.map { $0 < 0 ? $0 + t.rank : $0 }) == Set(0..<t.rank)
    }

    /// The full sum of the group of `i`.
    private static func anchorOf(_ g: FusionGraph, _ i: Int) -> Int {
        g.members(of: i).first { isFullSum(g, $0) } ?? i
    }

    /// The signature of the prologue and anchor of candidate group `members`, or why it is
    /// not a candidate.
    static func candidate(_ g: FusionGraph, _ members: [Int], anchor: Int, _ paramTypes: [String: TensorType]) -> Result<String, Refusal> {
        let f = g.function
        guard case .value(let input) = f.body[anchor].operands[0], let inputType = g.type(input) else {
            return .failure(Refusal.inputNotValue)
        }
        // The prologue: the members the anchor's input depends on.
        var prologue: Set<Int> = []
        var work = [input]
        let memberSet = Set(members)
        while let v = work.popLast() {
            guard let p = g.producer[v], memberSet.contains(p), prologue.insert(p).inserted else { continue }
            for case .value(let u) in f.body[p].operands { work.append(u) }
        }
        for m in members where m != anchor {
            guard g.role(m) == .elementwise, f.body[m].results.count == 1, let t = g.type(f.body[m].results[0]) else {
                return .failure(Refusal.notElementwise(instruction: g.describe(m)))
            }
            if prologue.contains(m) {
                guard t.shape == inputType.shape else { return .failure(Refusal.otherShapeThanSum(instruction: g.describe(m))) }
                let r = f.body[m].results[0]
                guard !g.returned.contains(r), (g.users[r] ?? []).allSatisfy({ prologue.contains($0) || $0 == anchor }) else {
                    return .failure(Refusal.usedOutsideSum(value: g.name(r)))
                }
            } else if t.rank != 0 {
                return .failure(Refusal.notScalarAfterSum(instruction: g.describe(m)))
            }
        }
        // The signature, as `FuseHorizontalPass.signature` writes it: ops in body order,
        // outside operands numbered in order of first use.
        var local: [ValueID: Int] = [:]
        var slots: [String: Int] = [:]
        var out = ""
        func slot(_ key: String, _ t: TensorType?, _ lives: Bool) -> Result<String, Refusal> {
            guard let t else { return .failure(Refusal.untyped(key)) }
            let kind: String
            if t.rank == 0 {
                kind = "s"
            } else if t.shape == inputType.shape {
                guard lives else {
                    return .failure(Refusal.extendsLifetime(key))
                }
                kind = "f"
            } else {
                return .failure(Refusal.inputOfOtherShape(key))
            }
            let k = slots[key] ?? slots.count
            slots[key] = k
            return .success("a\(k)\(kind)\(t.dtype)")
        }
        for m in members where prologue.contains(m) || m == anchor {
            let inst = f.body[m]
            var operands: [String] = []
            for o in inst.operands {
                let s: Result<String, Refusal>
                switch o {
                case .literal(let x):
                    s = .success("#\(x.bitPattern)")
                case .value(let v):
                    if let k = local[v] {
                        s = .success("r\(k)")
                    } else {
                        s = slot(g.name(v), g.type(v), outlives(g, v, anchor: anchor, group: memberSet))
                    }
                case .param(let p):
                    s = slot("@" + p, paramTypes[p], true)
                }
                switch s {
                case .success(let text): operands.append(text)
                case .failure(let why): return .failure(why)
                }
            }
            local[inst.results[0]] = local.count
            // The anchor over all axes, whatever the rank: its axes are not part of the code.
            let op = m == anchor ? "reduce_sum_all" : "\(inst.op)"
            out += "\(op) \(g.type(inst.results[0])?.dtype.description ?? "?")(\(operands.joined(separator: ",")));"
        }
        return .success(out)
    }

    /// Whether tensor `v`, read by the group `group` summing at `anchor`, lives until after
    /// the sum whatever kernel computes it: an argument or param, a returned value, or a
    /// value also read by an op outside the group that depends on the sum (it runs after
    /// any kernel computing the sum). A search from the anchor along users, stopping at the
    /// first such reader.
    static func outlives(_ g: FusionGraph, _ v: ValueID, anchor: Int, group: Set<Int>) -> Bool {
        guard g.producer[v] != nil, !g.returned.contains(v) else { return true }
        let readers = Set((g.users[v] ?? []).filter { !group.contains($0) })
        guard !readers.isEmpty else { return false }
        var seen: Set<Int> = [anchor]
        var work = [anchor]
        while let i = work.popLast() {
            for s in g.successors[i] where seen.insert(s).inserted {
                if readers.contains(s) { return true }
                work.append(s)
            }
        }
        return false
    }

    /// Joins to the group of `root` every later group of rank-0 elementwise ops that reads
    /// one of its values and otherwise only scalars (the rest of a combining chain that
    /// another pass left outside), in body order, unless that makes a cycle. Returns how
    /// many scalar ops the group holds besides its sums' prologues and anchors.
    static func absorbTail(_ g: inout FusionGraph, into root: Int) -> Int {
        let f = g.function
        var seen: Set<Int> = []
        for i in f.body.indices {
            let r = g.root(i)
            guard r != g.root(root), seen.insert(r).inserted else { continue }
            let members = g.members(of: r)
            let scalarOnly = members.allSatisfy { m in
                g.role(m) == .elementwise && f.body[m].results.count == 1 && g.type(f.body[m].results[0])?.rank == 0
                    && f.body[m].operands.allSatisfy { o in
                        if case .value(let v) = o { return g.type(v)?.rank == 0 }
                        return true
                    }
            }
            guard scalarOnly, FuseHorizontalPass.reads(g, r, root) else { continue }
            _ = g.merge([root, r], producer: root, consumer: r)
        }
        return g.members(of: root).filter { m in
            !isFullSum(g, m) && g.type(f.body[m].results[0])?.rank == 0
        }.count
    }
}

import VFCIR

/// One function's body during a fusion pass: its instructions, partitioned into groups
/// that become fused kernels.
///
/// The representation of a fused kernel in the IR is an ordinary function, named
/// `@F.fused.K` after the function `@F` it came from, holding the fused ops, and called from
/// `@F` with `call`: it prints, parses, verifies, runs on the interpreter and differentiates
/// like any function (inlining undoes fusion). Outlining stamps each kernel's kind
/// (`FusionKind`, printed `fused(KIND)`, see `kind(of:)`), and the code generator lowers a
/// call of a kernel by that kind (one loop nest around at most one anchor, see `FusionRole`). A later fuse pass first expands `@F`'s kernel calls
/// again (their ops stay grouped), so passes compose; every pass renumbers the kernels.
/// Kernels of other kinds are new anchors with their own lowering: the backward of
/// crop_sample_add (`FuseCropSamplePass`) is one; `fuse-horizontal` merges independent
/// same-bodied groups into one kernel of several unconnected parts (the optimizer update).
struct FusionGraph {
    /// The most ops `fuse-elementwise` puts in one loop body. Merging costs time in the
    /// kernel's size, and LLVM's O3 and code generation grow faster than linearly in the
    /// size of one loop body, so an unbounded chain of elementwise ops (thousands, in a
    /// generated module) would take minutes to compile as one kernel; bounded, it becomes
    /// several kernels and compile time grows linearly. The repository's models stay far
    /// below it. Horizontal kernels (many independent loops in one kernel) are not bounded.
    static let maxKernelOps = 256

    var function: Function {
        // A rule that rewrites the body gets roles that match it.
        didSet { roles = Self.roles(of: function) }
    }
    /// The group of each body index: instructions in one set form one kernel. Every member
    /// points at its group's root directly (`union` re-points the absorbed group), so
    /// `root` is one lookup, not a walk.
    var parent: [Int]
    /// The members of each group by its root, in body order (kept with `parent`).
    var groupMembers: [Int: [Int]] = [:]
    /// The position of each group (read at its root) in a topological order of the groups:
    /// a group's inputs come from groups at smaller positions. Merges keep it valid
    /// (`FusionGraph+Order`), so a cycle check only searches between the merged groups.
    var position: [Int]
    /// `FusionRole` of each body index, computed once: rules ask for roles in inner loops.
    private(set) var roles: [FusionRole]
    /// The body index defining each value (arguments have none).
    var producer: [ValueID: Int] = [:]
    /// The body indices reading each value, in order.
    var users: [ValueID: [Int]] = [:]
    /// Values the function returns.
    var returned: Set<ValueID> = []
    /// The body indices reading any result of each body index, and those producing any of
    /// its operands (each ascending, without repeats): the cycle check walks these instead
    /// of looking values up.
    var successors: [[Int]] = []
    var predecessors: [[Int]] = []
    /// Why a producer/consumer pair (body indices) was not fused, when a rule said so.
    var reasons: [Pair: String] = [:]

    struct Pair: Hashable {
        var producer: Int
        var consumer: Int
    }

    /// The prefix of the kernels made from `function`.
    static func kernelPrefix(_ function: String) -> String { function + ".fused." }

    /// The graph of `f`, with the calls of its kernels in `module` expanded back into their
    /// ops (each call's ops in one group).
    init(_ f: Function, in module: Module) {
        var g = f
        var body: [Instruction] = []
        var groups: [[Int]] = []
        for inst in f.body {
            guard case .call(let callee) = inst.op, callee.hasPrefix(Self.kernelPrefix(f.name)),
                  let kernel = module.function(named: callee),
                  let expanded = Self.expand(kernel, call: inst, into: &g) else {
                body.append(inst)
                continue
            }
            groups.append(Array(body.count..<(body.count + expanded.count)))
            body += expanded
        }
        g.body = body
        Self.makeNamesUnique(&g)
        function = g
        roles = Self.roles(of: g)
        parent = Array(body.indices)
        // Body order is a topological order of the instructions, and the expanded kernels
        // are contiguous runs of it, so the first member's index orders the groups.
        position = Array(body.indices)
        for i in body.indices { groupMembers[i] = [i] }
        for members in groups { for m in members.dropFirst() { union(find(members[0]), find(m)) } }
        for (i, inst) in body.enumerated() {
            for r in inst.results { producer[r] = i }
            for case .value(let v) in inst.operands where users[v]?.last != i { users[v, default: []].append(i) }
        }
        for case .value(let v) in f.returns { returned.insert(v) }
        successors = Array(repeating: [], count: body.count)
        predecessors = Array(repeating: [], count: body.count)
        for (i, inst) in body.enumerated() {
            var ps: Set<Int> = []
            for case .value(let v) in inst.operands { if let p = producer[v] { ps.insert(p) } }
            predecessors[i] = ps.sorted()
            for p in predecessors[i] { successors[p].append(i) }
        }
    }

    /// The kernel's ops as instructions of the caller: arguments replaced by the call's
    /// operands, returned values by the call's results, other values added to the caller.
    /// Nil (the call stays as it is) when the kernel does not have the form fusion writes.
    private static func expand(_ kernel: Function, call: Instruction, into f: inout Function) -> [Instruction]? {
        guard kernel.arguments.count == call.operands.count, kernel.returns.count == call.results.count else { return nil }
        var map: [ValueID: Operand] = [:]
        for (a, o) in zip(kernel.arguments, call.operands) { map[a] = o }
        var resultOf: [ValueID: ValueID] = [:]
        for (r, c) in zip(kernel.returns, call.results) {
            guard case .value(let v) = r, !kernel.arguments.contains(v), resultOf[v] == nil else { return nil }
            resultOf[v] = c
        }
        var out: [Instruction] = []
        for var inst in kernel.body {
            if case .call = inst.op { return nil }
            inst.operands = inst.operands.map { o in
                if case .value(let v) = o, let m = map[v] { return m }
                return o
            }
            inst.results = inst.results.map { r in
                let id = resultOf[r] ?? f.addValue(name: kernel[r].name, type: kernel[r].type, loc: kernel[r].loc)
                map[r] = .value(id)
                return id
            }
            out.append(inst)
        }
        return out
    }

    /// Gives every value the name the printer would print (a `.N` suffix on duplicates,
    /// as `Printer` does), so a kernel's arguments and results carry the names its caller
    /// prints for them.
    static func makeNamesUnique(_ f: inout Function) {
        for (i, name) in Printer.uniqueNames(f).enumerated() { f.values[i].name = name }
    }

    // MARK: groups

    /// The root of `i`'s group (the union-find name of `root`).
    func find(_ i: Int) -> Int { root(i) }

    func root(_ i: Int) -> Int {
        var r = i
        while parent[r] != r { r = parent[r] }
        return r
    }

    /// The members of `i`'s group, in body order.
    func members(of i: Int) -> [Int] { groupMembers[root(i)] ?? [i] }

    /// Joins the groups with roots `r` and `other` under `r`. The caller keeps `position`
    /// valid (`merge` does).
    mutating func union(_ r: Int, _ other: Int) {
        guard r != other else { return }
        let absorbed = groupMembers.removeValue(forKey: other) ?? [other]
        for m in absorbed { parent[m] = r }
        groupMembers[r] = Self.mergeSorted(groupMembers[r] ?? [r], absorbed)
    }

    /// The union of two ascending arrays of distinct indices, ascending.
    private static func mergeSorted(_ a: [Int], _ b: [Int]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] < b[j] { out.append(a[i]); i += 1 } else { out.append(b[j]); j += 1 }
        }
        out += a[i...]
        out += b[j...]
        return out
    }

    /// The roles of `f`'s body, in order.
    private static func roles(of f: Function) -> [FusionRole] {
        f.body.map { inst in
            var rank = 0
            if case .value(let v)? = inst.operands.first { rank = f[v].type?.rank ?? 0 }
            return FusionRole.of(inst, inputRank: rank)
        }
    }

    func type(_ v: ValueID) -> TensorType? { function[v].type }

    /// The fusion role of instruction `i`.
    func role(_ i: Int) -> FusionRole { roles[i] }

    /// The anchor of `i`'s group, if it has one.
    func anchor(of i: Int) -> Int? { members(of: i).first { role($0).isAnchor } }

    /// The printed name of a value (`%x`) and of an instruction's first result.
    func name(_ v: ValueID) -> String { "%" + function[v].name }
    func describe(_ i: Int) -> String {
        let inst = function.body[i]
        return (inst.results.first.map(name) ?? "?") + " (" + inst.op.name + ")"
    }

    mutating func note(_ p: Int, _ c: Int, _ reason: String) {
        if reasons[Pair(producer: p, consumer: c)] == nil { reasons[Pair(producer: p, consumer: c)] = reason }
    }

    /// Every producer/consumer pair in different groups with its reason (from `reasons`,
    /// else `fallback`), one line each, for `--debug-fusion`.
    func unfusedPairs(pass: String, _ fallback: (Int, Int) -> String?) -> [String] {
        var lines: [String] = []
        for (c, inst) in function.body.enumerated() {
            var seen: Set<Int> = []
            for case .value(let v) in inst.operands {
                guard let p = producer[v], root(p) != root(c), seen.insert(p).inserted else { continue }
                guard let why = reasons[Pair(producer: p, consumer: c)] ?? fallback(p, c) else { continue }
                lines.append("\(pass): @\(function.name): \(describe(p)) -> \(describe(c)): \(why)")
            }
        }
        return lines
    }
}

import VFCIR

/// One function's body during a fusion pass: its instructions, partitioned into groups
/// that become fused kernels.
///
/// The representation of a fused kernel in the IR is an ordinary function, named
/// `@F.fused.K` after the function `@F` it came from, holding the fused ops, and called from
/// `@F` with `call`: it prints, parses, verifies, runs on the interpreter and differentiates
/// like any function (inlining undoes fusion), and the code generator lowers a call whose
/// callee has the form of a kernel (elementwise ops around at most one anchor, see
/// `FusionRole`) as one loop nest. A later fuse pass first expands `@F`'s kernel calls
/// again (their ops stay grouped), so passes compose; every pass renumbers the kernels.
/// Kernels of other kinds are new anchors with their own lowering: the backward of
/// crop_sample_add (`FuseCropSamplePass`) is one; the optimizer update could be another.
struct FusionGraph {
    var function: Function
    /// Union-find parents over body indices: instructions in one set form one kernel.
    var parent: [Int]
    /// The members of each group by its root, in body order (kept with `parent`).
    var groupMembers: [Int: [Int]] = [:]
    /// The body index defining each value (arguments have none).
    var producer: [ValueID: Int] = [:]
    /// The body indices reading each value, in order.
    var users: [ValueID: [Int]] = [:]
    /// Values the function returns.
    var returned: Set<ValueID> = []
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
        parent = Array(body.indices)
        for i in body.indices { groupMembers[i] = [i] }
        for members in groups { for m in members.dropFirst() { union(find(members[0]), find(m)) } }
        for (i, inst) in body.enumerated() {
            for r in inst.results { producer[r] = i }
            for case .value(let v) in inst.operands where users[v]?.last != i { users[v, default: []].append(i) }
        }
        for case .value(let v) in f.returns { returned.insert(v) }
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

    mutating func find(_ i: Int) -> Int {
        var r = i
        while parent[r] != r { r = parent[r] }
        var k = i
        while parent[k] != r { (parent[k], k) = (r, parent[k]) }
        return r
    }

    func root(_ i: Int) -> Int {
        var r = i
        while parent[r] != r { r = parent[r] }
        return r
    }

    /// The members of `i`'s group, in body order.
    func members(of i: Int) -> [Int] { groupMembers[root(i)] ?? [i] }

    /// Joins the groups with roots `r` and `other` under `r`.
    mutating func union(_ r: Int, _ other: Int) {
        guard r != other else { return }
        parent[other] = r
        groupMembers[r] = ((groupMembers[r] ?? [r]) + (groupMembers.removeValue(forKey: other) ?? [other])).sorted()
    }

    func type(_ v: ValueID) -> TensorType? { function[v].type }

    /// The fusion role of instruction `i`.
    func role(_ i: Int) -> FusionRole {
        let inst = function.body[i]
        var rank = 0
        if case .value(let v)? = inst.operands.first { rank = type(v)?.rank ?? 0 }
        return FusionRole.of(inst, inputRank: rank)
    }

    /// The anchor of `i`'s group, if it has one.
    func anchor(of i: Int) -> Int? { members(of: i).first { role($0).isAnchor } }

    /// The printed name of a value (`%x`) and of an instruction's first result.
    func name(_ v: ValueID) -> String { "%" + function[v].name }
    func describe(_ i: Int) -> String {
        let inst = function.body[i]
        return (inst.results.first.map(name) ?? "?") + " (" + inst.op.name + ")"
    }

    /// Whether merging the groups of `indices` would create a cycle between kernels: some
    /// value computed outside them depends on one of them and feeds one of them. Returns
    /// such a value's name (for the explanation), or nil when the merge is legal.
    ///
    /// A search from the merged groups' results along their users: a group reached runs as
    /// a unit, so all its members' results count as reached. Each group is entered once,
    /// so a check costs the part of the function downstream of the merge, not a rescan of
    /// the whole function per step (which made fusing the tiny training step take minutes).
    func cycle(merging indices: [Int]) -> String? {
        let roots = Set(indices.map(root))
        let merged = roots.sorted().flatMap { groupMembers[$0] ?? [$0] }
        var reachedGroups: Set<Int> = []
        var work = merged.flatMap { function.body[$0].results }
        var seen = Set(work)
        while let v = work.popLast() {
            for u in users[v] ?? [] {
                let g = root(u)
                guard !roots.contains(g), reachedGroups.insert(g).inserted else { continue }
                for m in groupMembers[g] ?? [g] {
                    for r in function.body[m].results where seen.insert(r).inserted { work.append(r) }
                }
            }
        }
        for m in merged {
            for case .value(let v) in function.body[m].operands {
                if let p = producer[v], reachedGroups.contains(root(p)) { return name(v) }
            }
        }
        return nil
    }

    /// Merges the groups of `indices` unless that creates a cycle (then records why for
    /// the pair `producer` -> `consumer` and returns false).
    mutating func merge(_ indices: [Int], producer p: Int, consumer c: Int) -> Bool {
        if let through = cycle(merging: indices) {
            reasons[Pair(producer: p, consumer: c)] = "fusing would make a cycle: \(through) depends on the kernel and feeds it"
            return false
        }
        let r = find(indices[0])
        for i in indices.dropFirst() { union(r, find(i)) }
        return true
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

import VFCIR

extension FusionGraph {
    /// The function with every group of two or more instructions replaced by a call of a new
    /// kernel function `@F.fused.K` (K in the order the calls run), and those kernels.
    ///
    /// Groups are scheduled in dependence order (a kernel runs after all of its inputs and
    /// before any user of its results), earliest first member first, so unfused code keeps
    /// its order. A kernel's arguments are the values its ops read from outside (in order of
    /// first use; params and literals stay in the kernel); its results are the values used
    /// outside it or returned, which keep their ids in the caller.
    mutating func outline() -> (Function, [Function]) {
        let n = function.body.count
        let roots = (0..<n).map { root($0) }
        var groupMembers: [Int: [Int]] = [:]
        for i in 0..<n { groupMembers[roots[i], default: []].append(i) }
        // Dependences between groups.
        var preds: [Int: Set<Int>] = [:]
        for i in 0..<n {
            for case .value(let v) in function.body[i].operands {
                if let p = producer[v], roots[p] != roots[i] { preds[roots[i], default: []].insert(roots[p]) }
            }
        }
        // Kahn's algorithm, the ready group with the earliest first member next (a heap of
        // first members), instead of rescanning the pending groups for each pick.
        var succs: [Int: [Int]] = [:]
        var waiting: [Int: Int] = [:]
        for (g, ps) in preds {
            waiting[g] = ps.count
            for p in ps { succs[p, default: []].append(g) }
        }
        var ready = IndexHeap()
        for (g, members) in groupMembers where waiting[g] == nil { ready.push(members[0]) }
        var order: [Int] = []
        order.reserveCapacity(groupMembers.count)
        while let first = ready.pop() {
            let g = roots[first]
            order.append(g)
            for s in succs[g] ?? [] {
                waiting[s]! -= 1
                if waiting[s] == 0 { ready.push(groupMembers[s]![0]) }
            }
        }
        if order.count < groupMembers.count {
            // Unreachable (merges keep the group graph acyclic); the rest in body order.
            let placed = Set(order)
            order += groupMembers.keys.filter { !placed.contains($0) }.sorted { groupMembers[$0]![0] < groupMembers[$1]![0] }
        }
        var out = function
        out.body = []
        var kernels: [Function] = []
        for g in order {
            let members = groupMembers[g]!
            if members.count == 1 {
                out.body.append(function.body[members[0]])
                continue
            }
            let name = Self.kernelPrefix(function.name) + String(kernels.count)
            let (kernel, call) = makeKernel(name, members)
            kernels.append(kernel)
            out.body.append(call)
        }
        return (out, kernels)
    }

    /// The kernel function of `members` and the call that replaces them.
    private func makeKernel(_ name: String, _ members: [Int]) -> (Function, Instruction) {
        let inside = Set(members.flatMap { function.body[$0].results })
        let memberSet = Set(members)
        var k = Function(name: name, loc: function.body[members[0]].loc)
        k.fusionKind = kind(of: members)
        var map: [ValueID: ValueID] = [:]
        var inputs: [Operand] = []
        for m in members {
            for case .value(let v) in function.body[m].operands where !inside.contains(v) && map[v] == nil {
                map[v] = k.addArgument(name: function[v].name, type: function[v].type ?? TensorType(.f32, []), loc: function[v].loc)
                inputs.append(.value(v))
            }
        }
        var outputs: [ValueID] = []
        for m in members {
            var inst = function.body[m]
            inst.operands = inst.operands.map { o in
                if case .value(let v) = o, let mapped = map[v] { return .value(mapped) }
                return o
            }
            inst.results = inst.results.map { r in
                let id = k.addValue(name: function[r].name, type: function[r].type, loc: function[r].loc)
                map[r] = id
                let usedOutside = (users[r] ?? []).contains { !memberSet.contains($0) }
                if usedOutside || returned.contains(r) { outputs.append(r) }
                return id
            }
            k.body.append(inst)
        }
        k.returns = outputs.map { .value(map[$0]!) }
        k.returnLoc = k.loc
        k.resultTypes = outputs.compactMap { function[$0].type }
        let call = Instruction(op: .call(callee: name), operands: inputs, results: outputs, loc: k.loc)
        return (k, call)
    }
}

/// The part every fuse pass shares: for each function (kernels excepted), build the graph,
/// apply the pass's rule, outline, replace the function's old kernels by the new ones
/// (placed before it), and print the unfused pairs when asked.
struct FusionDriver {
    let pass: String
    let explain: (@Sendable (String) -> Void)?

    func run(_ module: inout Module, rule: (inout FusionGraph) -> Void, fallback: (FusionGraph, Int, Int) -> String?) {
        // A function is a kernel when its name extends another's by `.fused.`; one set of
        // names instead of comparing every pair of functions (hundreds of kernels).
        let names = module.functions.map(\.name)
        let all = Set(names)
        let callers = names.filter { name in
            var rest = name[...]
            while let r = rest.range(of: ".fused.") {
                if all.contains(String(name[..<r.lowerBound])) { return false }
                rest = name[r.upperBound...]
            }
            return true
        }
        for name in callers {
            guard let f = module.function(named: name) else { continue }
            var graph = FusionGraph(f, in: module)
            rule(&graph)
            if let explain {
                let g = graph
                for line in graph.unfusedPairs(pass: pass, { fallback(g, $0, $1) }) { explain(line) }
            }
            let (rewritten, kernels) = graph.outline()
            let prefix = FusionGraph.kernelPrefix(name)
            module.functions.removeAll { $0.name.hasPrefix(prefix) }
            guard let at = module.functionIndex(named: name) else { continue }
            module.functions[at] = rewritten
            module.functions.insert(contentsOf: kernels, at: at)
        }
    }
}

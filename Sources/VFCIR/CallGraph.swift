/// The call graph of a module, walked without recursion (a call chain thousands deep must
/// not overflow the compiler's stack), with the limit on how deeply calls may nest.
public struct CallGraph {
    /// The deepest nesting of calls a module may have: a function may call one that calls
    /// one ... 64 levels down. The verifier refuses deeper chains at the call that crosses
    /// the limit, so no command (the interpreter, inlining, codegen) meets one.
    public static let maxDepth = 64

    /// A call (or `value_and_grad`) of `callee` by instruction `instruction` of `caller`.
    public struct Edge: Sendable {
        public var caller: Int
        public var instruction: Int
        public var callee: Int
    }

    /// Function indices, every callee before its callers (cycle edges left out).
    public private(set) var postOrder: [Int] = []
    /// The calls that close a cycle (the callee was still being walked).
    public private(set) var recursiveCalls: [Edge] = []
    /// For each function, the longest chain of calls below it (0 for a function that
    /// calls nothing); cycle edges do not count.
    public private(set) var height: [Int]
    /// For each function, its calls of defined functions in body order.
    public private(set) var calls: [[Edge]]

    public init(_ module: Module) {
        var index: [String: Int] = [:]
        for (i, f) in module.functions.enumerated() where index[f.name] == nil { index[f.name] = i }
        func callee(_ inst: Instruction) -> Int? {
            switch inst.op {
            case .call(let name), .valueAndGrad(let name, _): return index[name]
            default: return nil
            }
        }
        enum State { case inProgress, done }
        var state = [State?](repeating: nil, count: module.functions.count)
        height = [Int](repeating: 0, count: module.functions.count)
        calls = module.functions.enumerated().map { f, fn in
            fn.body.enumerated().compactMap { k, inst in callee(inst).map { Edge(caller: f, instruction: k, callee: $0) } }
        }
        // The explicit stack of the depth-first walk: a function and its next instruction.
        var stack: [(function: Int, next: Int)] = []
        for root in module.functions.indices where state[root] == nil {
            state[root] = .inProgress
            stack.append((root, 0))
            while let top = stack.last {
                let edges = calls[top.function]
                if top.next == edges.count {
                    // Every callee not on the stack is done by now; cycle edges add nothing.
                    for e in edges where state[e.callee] == .done {
                        height[top.function] = max(height[top.function], height[e.callee] + 1)
                    }
                    stack.removeLast()
                    state[top.function] = .done
                    postOrder.append(top.function)
                    continue
                }
                let e = edges[top.next]
                stack[stack.count - 1].next += 1
                switch state[e.callee] {
                case nil:
                    state[e.callee] = .inProgress
                    stack.append((e.callee, 0))
                case .inProgress:
                    recursiveCalls.append(e)
                case .done:
                    break
                }
            }
        }
    }

    /// The calls where the nesting first goes over `maxDepth`: in each function `maxDepth`
    /// + 1 levels high, its first call of a function `maxDepth` high.
    public func tooDeepCalls() -> [Edge] {
        postOrder.filter { height[$0] == Self.maxDepth + 1 }.compactMap { f in
            calls[f].first { height[$0.callee] == Self.maxDepth }
        }
    }
}

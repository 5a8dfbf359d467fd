extension Module {
    /// The module's entry points, in declaration order: the functions that no function of
    /// the module calls (by `call` or `value_and_grad`). What `vfc compile` compiles when no
    /// `--func` is given; the functions they call (the generic update helpers, a model's
    /// blocks) are inlined into them, so their symbolic dims never reach a caller of the
    /// object.
    public var entryPoints: [String] {
        let graph = CallGraph(self)
        var called = Set<Int>()
        for edges in graph.calls {
            for e in edges where e.caller != e.callee { called.insert(e.callee) }
        }
        return functions.indices.filter { !called.contains($0) }.map { functions[$0].name }
    }
}

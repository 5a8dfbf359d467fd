import VFCIR

/// `MultiTensorKernel.partition` of each kernel function, computed once per name.
///
/// Why: lowering asks, for every donated result of a step, whether the kernel computing
/// it may write into the donated buffer, and that needs the kernel's partition. The
/// optimizer update of every param is one multi-tensor kernel, so asking afresh each time
/// was quadratic (hundreds of results times a body of hundreds of ops) and took most of
/// the lowering of the tiny step. The functions of a module do not change during
/// lowering, so a name identifies the body.
struct PartitionMemo {
    private var table: [String: MultiTensorKernel.Partition?] = [:]
    /// How many partitions were computed (not answered from the table), for tests.
    private(set) var computed = 0

    /// The partition of `f` (nil when it is not a multi-tensor kernel), from the table
    /// when `f.name` was asked before.
    mutating func partition(of f: Function) -> MultiTensorKernel.Partition? {
        if let known = table[f.name] { return known }
        let p = MultiTensorKernel.partition(f)
        table[f.name] = .some(p)
        computed += 1
        return p
    }
}

import VFCIR

extension FunctionLowering {
    /// What determines the code of fused kernel `f` with the buffer table `bufs` and the
    /// results `stored`: the key `outlined` deduplicates its kernel function by.
    func fusedKernelKey(_ f: Function, _ bufs: KernelBuffers, _ stored: [ValueID: Int]) -> String {
        // The kernel's code under canonical names, so that the same kernel in every encoder
        // block (inlined with different value names) is emitted once; symbolic dims are
        // resolved, as the counts of the buffers record.
        // Params likewise: the code reads each through its captured pointer (slots in order
        // of first use, as numbered here), so the optimizer's update of every same-shaped
        // param, or a product with each block's weight, is one function.
        var canonical = f
        canonical.name = "kernel"
        for i in canonical.values.indices { canonical.values[i].name = "v\(i)" }
        var paramNames: [String: String] = [:]
        for i in canonical.body.indices {
            canonical.body[i].operands = canonical.body[i].operands.map { o in
                guard case .param(let p) = o else { return o }
                if paramNames[p] == nil { paramNames[p] = "p\(paramNames.count)" }
                return .param(paramNames[p]!)
            }
        }
        let paramTypes = bufs.paramSlot.sorted { $0.value < $1.value }.map { bufs.paramType[$0.key].map { "\($0)" } ?? "?" }
        return "fused " + Printer.print(canonical) + " \(bufs.count) \(stored.sorted { $0.value < $1.value }.map(\.value)) params \(paramTypes)"
    }
}

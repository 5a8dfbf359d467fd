import CLLVM
import VFCIR

/// Fused elementwise kernels (`fuse-elementwise`, fused(loop) without an anchor) with
/// run-time extents: one loop over the elements, the kernel's code at each element as
/// `fusedElementwiseLoop` emits it, the count read from the dim block.
extension FunctionLowering {
    /// Lowers the call `inst` of the anchorless loop kernel `f` (form `k`) whose operands or
    /// results have run-time extents.
    mutating func lowerRuntimeFusedLoop(_ inst: Instruction, _ f: Function, _ k: FusedKernel, _ block: LLVMValueRef, at index: Int) throws {
        // Slots of run-time size are marked -1: read at the element index, like every
        // captured buffer but rank-0 ones (count 1, read at 0).
        var bufs = KernelBuffers()
        for (a, o) in zip(f.arguments, inst.operands) {
            guard case .buffer(let p, let d, let s) = try operand(o) else { throw CodegenError.internalError("a literal argument of kernel @\(f.name)") }
            let runtimeSized = (try dims(of: o)).map(isRuntime) ?? false
            bufs.slot[a] = bufs.add(p, runtimeSized ? -1 : s.reduce(1, *))
            bufs.dtype[a] = d
        }
        for case .param(let name) in f.body.flatMap(\.operands) where bufs.paramSlot[name] == nil {
            guard case .buffer(let p, let d, let s)? = params[name] else { throw CodegenError.internalError("param @\(name) not passed") }
            bufs.paramSlot[name] = bufs.add(p, s.reduce(1, *))
            bufs.paramType[name] = d
        }
        for v in f.body.flatMap(\.results) { bufs.dtype[v] = f[v].type?.dtype }
        var stored: [ValueID: Int] = [:]
        var shape: [Dim] = []
        for (r, ret) in zip(inst.results, f.returns) {
            guard case .value(let v) = ret, let t = function[r].type else { continue }
            shape = dims(t)
            guard isRuntime(shape) else { throw CodegenError.internalError("kernel @\(f.name) mixes run-time and fixed result sizes") }
            runtime?.shapes[r] = shape
            if let s = stored[v] {
                values[r] = .buffer(bufs.pointers[s], t.dtype, [])
                continue
            }
            let out: LLVMValueRef
            if let slot = outputSlots.removeValue(forKey: r) {
                out = slot
            } else {
                out = runtimeAllocate(t.dtype, count(shape, block), zeroed: false)
                runtime?.owned[plan.rootOf(r)] = out
            }
            values[r] = .buffer(out, t.dtype, [])
            stored[v] = bufs.add(out, -1)
        }
        var canonical = f
        canonical.name = "kernel"
        for i in canonical.values.indices { canonical.values[i].name = "v\(i)" }
        let key = "fused runtime " + Printer.print(canonical) + " \(bufs.count) \(stored.sorted { $0.value < $1.value }.map(\.value)) \(shape)"
        let counted = shape
        try outlined(key: key, pointers: bufs.pointers + [block], site: (.fused, "elementwise", "@\(f.name) \(shape)")) { me, inner in
            var b = bufs
            b.pointers = bufs.pointers.map(inner)
            try me.runtimeParallelLoop(me.count(counted, inner(block)), buffers: b.pointers) { me, i, ptrs in
                var env: [ValueID: LLVMValueRef] = [:]
                try me.kernelCompute(k.epilogue, b, ptrs, &env, i)
                me.kernelStore(b, stored, ptrs, env, i)
            }
        }
    }
}

import VFCIR
import VFCPasses

/// Which fused kernels run with run-time dims, and the fallback for the others.
///
/// With run-time dims the whole default pipeline runs, every fusion pass included. A
/// kernel call whose operands and results all have fixed sizes (the optimizer's
/// multi-tensor update of the parameters, which have no batch dim) takes the fixed-size
/// lowering as it is. A call with a run-time extent takes its kernel's run-time form
/// (`hasRuntimeForm`, `lowerRuntimeFusedKernel`); a kernel without one is inlined back into the entry before
/// lowering (`unfusingRuntimeKernels`), so that its ops take their own run-time lowerings,
/// its elementwise ops fused again by `fuse-elementwise`.
extension RuntimeDims {
    /// Whether the lowering has a run-time form for calls of kernel `f` with run-time
    /// extents (`lowerRuntimeFusedKernel`): loop kernels, and row, reduce and epilogue
    /// kernels whose row length, reduced extent or product columns `bindings` fix.
    static func hasRuntimeForm(_ f: Function, bindings: [String: Int]) -> Bool {
        guard let kind = f.fusionKind, let k = FusedKernel(f), k.kind == kind else { return false }
        guard let a = k.anchor else { return true }
        func fixed(_ d: Dim?) -> Bool { d.map { $0.symbols.allSatisfy { bindings[$0] != nil } } ?? false }
        func shape(_ o: Operand) -> [Dim]? {
            if case .value(let v) = o { return f[v].type?.shape }
            return nil
        }
        let anchor = f.body[a]
        let out = f[anchor.results[0]].type?.shape ?? []
        switch anchor.op {
        case .matmul, .softmax, .logSoftmax, .layerNorm: return fixed(out.last)
        // A param weight has a fixed shape.
        case .linear: return shape(anchor.operands[1]).map { $0.allSatisfy(fixed) } ?? true
        case .reduce(_, let axes, _):
            guard let xs = shape(anchor.operands[0]) else { return false }
            return axes.allSatisfy { a in fixed(xs[a < 0 ? a + xs.count : a]) }
        default: return false
        }
    }

    /// Whether an operand or result of `call` (in `caller`) has an extent that `bindings`
    /// leaves to run time.
    static func hasRuntimeExtent(_ call: Instruction, in caller: Function, _ module: Module, bindings: [String: Int]) -> Bool {
        func runtime(_ t: TensorType?) -> Bool {
            t?.shape.contains { $0.symbols.contains { bindings[$0] == nil } } ?? false
        }
        return call.operands.contains { runtime(caller.type(of: $0, in: module)) } || call.results.contains { runtime(caller[$0].type) }
    }

    /// Inlines into entry `name` every call of a fused kernel that has a run-time extent
    /// and no run-time form (see the type's comment); returns how many calls it inlined.
    @discardableResult
    static func unfusingRuntimeKernels(in name: String, of module: inout Module, bindings: [String: Int]) throws -> Int {
        let snapshot = module
        do {
            let inlined = try InlinePass.inlineCalls(in: name, of: &module) { call, caller, callee in
                callee.fusionKind != nil && !hasRuntimeForm(callee, bindings: bindings) && hasRuntimeExtent(call, in: caller, snapshot, bindings: bindings)
            }
            // The elementwise ops those kernels held fuse again into loop kernels (which
            // have a run-time form): one op per kernel and buffer costs more than the rest.
            if inlined > 0 { try FuseElementwisePass().run(&module) }
            return inlined
        } catch {
            throw CodegenError.diagnostics(error)
        }
    }
}

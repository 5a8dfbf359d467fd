import VFCIR
import VFCTensor

extension Executor {
    /// The one exhaustive switch from ops to kernels: an op added to `Op` does not compile
    /// until it has a kernel here. Ops that compute new values round them to the element
    /// type; pure data movement copies values that are already rounded.
    func dispatch(_ op: Op, _ args: [Arg], _ specs: [ResultSpec], _ b: [String: Int], _ depth: Int) throws -> [Tensor] {
        if case .call(let callee) = op { return try callFunction(callee, args, b, depth) }
        if case .valueAndGrad = op { throw KernelError.notExpanded }
        guard specs.count == 1, let spec = specs.first else {
            throw KernelError.resultCount(specs.count)
        }
        let r = Kernels.rounded
        switch op {
        case .unary(let u): return [r(try Kernels.unary(u, args, spec))]
        case .binary(let o): return [r(try Kernels.binary(o, args, spec))]
        case .compare(let c): return [try Kernels.compare(c, args, spec)]
        case .select: return [try Kernels.select(args, spec)]
        case .constant(let v): return [r(try Kernels.constant(v, spec))]
        case .convert: return [try Kernels.convert(args, spec)]
        case .stopGradient: return [try Kernels.tensor(args, 0)]
        case .broadcast(_, let dims): return [try Kernels.broadcast(dims, args, spec)]
        case .reshape: return [try Kernels.reshape(args, spec)]
        case .transpose(let perm): return [try Kernels.transpose(perm, args, spec)]
        case .slice(let axis, let start, _, let step): return [try Kernels.slice(axis, start, step, args, spec)]
        case .concat(let axis): return [try Kernels.concat(axis, args, spec)]
        case .take(let axis): return [try Kernels.take(axis, args, spec)]
        case .reduce(let kind, let axes, _): return [r(try Kernels.reduce(kind, axes, args, spec))]
        case .softmax(let axis): return [r(try Kernels.softmax(axis, log: false, args, spec))]
        case .logSoftmax(let axis): return [r(try Kernels.softmax(axis, log: true, args, spec))]
        case .l2Normalize(let axis, let eps): return [r(try Kernels.l2Normalize(axis, eps, args, spec))]
        case .layerNorm(let eps): return [r(try Kernels.layerNorm(eps, args, spec))]
        case .matmul(let ta, let tb): return [r(try Kernels.matmul(ta, tb, args, spec))]
        case .linear: return [r(try Kernels.linear(args, spec))]
        case .patchify(let p): return [try Kernels.patchify(p, args, spec)]
        case .cropSample(let g, let s): return [r(try Kernels.cropSample(g, s, args, spec))]
        case .cropSampleAdd(let g, let s): return [r(try Kernels.cropSampleAdd(g, s, args, spec))]
        case .pad(let axis, let low, _, let interior): return [try Kernels.pad(axis, low, interior, args, spec)]
        case .scatterAdd(let axis, _): return [r(try Kernels.scatterAdd(axis, args, spec))]
        case .nonzero(_, let fill): return [try Kernels.nonzero(fill, args, spec)]
        case .cropSampleGrad(let g, let s, let f): return [r(try Kernels.cropSampleGrad(g, s, f, args, spec))]
        case .call: throw KernelError.internalError("call reached the kernel switch")
        case .valueAndGrad: throw KernelError.notExpanded
        }
    }

    /// Runs a callee on the operand tensors. Its symbols are bound from the operand shapes
    /// (the callee's `N` is its own); the caller's bindings only fill symbols the callee's
    /// arguments leave open, as the verifier's substitution of callee result types does.
    private func callFunction(_ callee: String, _ args: [Arg], _ b: [String: Int], _ depth: Int) throws -> [Tensor] {
        guard let g = module.function(named: callee) else { throw KernelError.undefinedCallee(callee) }
        guard depth < Executor.maxCallDepth else {
            throw KernelError.callDepth(Executor.maxCallDepth)
        }
        do {
            return try call(g, inputs: try Kernels.tensors(args), given: [:], fallback: b, depth: depth + 1)
        } catch let e as InterpreterError where e.loc == nil {
            // Binding errors of the callee's arguments belong to the call site.
            throw KernelError.callee(callee, e)
        }
    }
}

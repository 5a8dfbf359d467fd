import VFCIR
import VFCTensor

/// A compiled function called again and again on params that stay in machine form between
/// calls: a training loop. Results that alias a param (`-> T aliases @p`) are written into
/// that param's buffer, so the state is updated in place and never converted or copied
/// between steps; only the inputs of each call and the results asked for are converted.
/// `JITModule.run` is a session of one call.
public final class JITSession {
    public let jit: JITModule
    public let entry: EntryPoint
    private var paramBuffers: [NativeBuffer]
    private var outputBuffers: [Int: NativeBuffer]
    /// The last call's inputs in machine form: a result donated into an input is read back
    /// from there.
    private var inputBuffers: [NativeBuffer] = []

    /// `params` must hold every param of the entry with its compiled shape (floats in any
    /// float dtype: they are converted once, here).
    public init(jit: JITModule, function: String, params: [String: Tensor]) throws {
        guard let entry = jit.entries.first(where: { $0.function == function }) else {
            throw CodegenError.notCompiled(function: function)
        }
        self.jit = jit
        self.entry = entry
        paramBuffers = try entry.params.map { b in
            guard let t = params[b.name] else { throw CodegenError.missingParam(b.name) }
            guard t.shape == b.shape else { throw CodegenError.paramShape(b.name, expected: BufferType(b.dtype, b.shape), got: t.shape) }
            return try NativeBuffer(t, as: b.dtype)
        }
        var outputs: [Int: NativeBuffer] = [:]
        // Outputs with run-time dims are allocated by each call, for its sizes.
        for (i, b) in entry.outputs.enumerated() where b.aliasIndex == nil && b.runtimeShape == nil {
            outputs[i] = try NativeBuffer(dtype: b.dtype, shape: b.shape)
        }
        outputBuffers = outputs
    }

    /// Runs the function once on `inputs` (converted to the compiled dtypes). Donated
    /// results update the params; the other results stay in buffers until `result(_:)`.
    public func call(inputs: [Tensor]) throws {
        guard inputs.count == entry.inputs.count else {
            throw CodegenError.inputCount(function: entry.function, expected: entry.inputs.count, got: inputs.count)
        }
        let dims = try entry.dimValues(inputShapes: inputs.map(\.shape))
        inputBuffers = try zip(inputs, entry.inputs).map { t, b in
            guard t.shape == b.extents(dims) else { throw CodegenError.inputShape(b.name, expected: BufferType(b.dtype, b.extents(dims)), got: BufferType(t.dtype, t.shape)) }
            return try NativeBuffer(t, as: b.dtype)
        }
        for (i, b) in entry.outputs.enumerated() where b.aliasIndex == nil && b.runtimeShape != nil {
            outputBuffers[i] = try NativeBuffer(dtype: b.dtype, shape: b.extents(dims))
        }
        var pointers = inputBuffers.map(\.pointer) + paramBuffers.map(\.pointer)
        for (i, b) in entry.outputs.enumerated() where b.aliasIndex == nil { pointers.append(outputBuffers[i]!.pointer) }
        try jit.call(function: entry.function, buffers: pointers, dims: entry.dims.map { dims[$0]! })
    }

    /// Result `i` of the last call. A donated result is the current value of the param or
    /// input it was written into.
    public func result(_ i: Int) -> Tensor {
        if let buffer = outputBuffers[i] { return buffer.tensor() }
        let b = entry.outputs[i]
        guard let d = b.aliasIndex else { return Tensor(dtype: b.dtype, shape: b.shape) }
        let n = entry.inputs.count
        if d >= n { return paramBuffers[d - n].tensor() }
        return d < inputBuffers.count ? inputBuffers[d].tensor() : Tensor(dtype: b.dtype, shape: b.shape)
    }

    /// Every result of the last call, in order.
    public var results: [Tensor] { entry.outputs.indices.map(result) }

    /// The current value of a param, nil if the function does not read it.
    public func param(_ name: String) -> Tensor? {
        entry.params.firstIndex { $0.name == name }.map { paramBuffers[$0].tensor() }
    }

    /// Every param the function reads, by name.
    public var params: [String: Tensor] {
        Dictionary(uniqueKeysWithValues: zip(entry.params.map(\.name), paramBuffers.map { $0.tensor() }))
    }
}

import VFCIR
import VFCTensor

/// Several compiled functions of one module called in turn on one set of params that stays
/// in machine form between calls: a training step split in two around a collective (data
/// parallelism). Each param has one buffer whichever function reads or updates it; an
/// input of one function can be bound to an output of another, passed by pointer and never
/// copied; and the outputs of a function that have buffers of their own lie in one
/// contiguous, zero-padded block, so that a collective can reduce all of them in place in a
/// few large calls.
public final class JITLinkedSession {
    /// Where an input of a call comes from.
    public enum Input {
        /// A host tensor, converted to the compiled dtype.
        case tensor(Tensor)
        /// Output `index` of the last call of `function` (one with a buffer of its own).
        case output(function: String, index: Int)
    }

    public let jit: JITModule
    private let entries: [String: EntryPoint]
    private var paramBuffers: [String: NativeBuffer] = [:]
    private var outputBuffers: [String: [Int: NativeBuffer]] = [:]
    private var blocks: [String: UnsafeMutableRawBufferPointer] = [:]

    /// `params` must hold every param that one of `functions` reads, with its compiled shape
    /// (floats in any float dtype: they are converted once, here).
    public init(jit: JITModule, functions: [String], params: [String: Tensor]) throws {
        self.jit = jit
        var entries: [String: EntryPoint] = [:]
        for f in functions {
            guard let entry = jit.entries.first(where: { $0.function == f }) else { throw CodegenError.notCompiled(function: f) }
            entries[f] = entry
            for b in entry.params {
                if let have = paramBuffers[b.name] {
                    guard have.dtype == b.dtype, have.shape == b.shape else {
                        throw CodegenError.paramConflict(b.name, first: BufferType(have.dtype, have.shape), function: f, other: BufferType(b.dtype, b.shape))
                    }
                    continue
                }
                guard let t = params[b.name] else { throw CodegenError.missingParam(b.name) }
                guard t.shape == b.shape else { throw CodegenError.paramShape(b.name, expected: BufferType(b.dtype, b.shape), got: t.shape) }
                paramBuffers[b.name] = try NativeBuffer(t, as: b.dtype)
            }
            let own = entry.outputs.enumerated().filter { $0.element.aliasOf == nil }
            var offsets: [Int: Int] = [:]
            var bytes = 0
            for (i, b) in own {
                guard let n = Tensor.checkedElementCount(b.shape) else { throw CodegenError.outputTooLarge(function: f, index: i) }
                offsets[i] = bytes
                bytes += (Swift.max(n * b.dtype.byteSize, 1) + 63) & ~63
            }
            let block = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(bytes, 64), alignment: 64)
            block.initializeMemory(as: UInt8.self, repeating: 0)
            blocks[f] = block
            var buffers: [Int: NativeBuffer] = [:]
            for (i, b) in own { buffers[i] = NativeBuffer(view: block.baseAddress! + offsets[i]!, dtype: b.dtype, shape: b.shape) }
            outputBuffers[f] = buffers
        }
        self.entries = entries
    }

    deinit { for b in blocks.values { b.deallocate() } }

    /// The compiled entry of `function`.
    public func entry(_ function: String) throws -> EntryPoint {
        guard let e = entries[function] else { throw CodegenError.notInSession(function: function) }
        return e
    }

    /// Runs `function` once. Donated results update the shared params; the others stay in
    /// the function's output block until its next call.
    public func call(_ function: String, inputs: [Input]) throws {
        let entry = try self.entry(function)
        guard inputs.count == entry.inputs.count else {
            throw CodegenError.inputCount(function: function, expected: entry.inputs.count, got: inputs.count)
        }
        var keep: [NativeBuffer] = []
        var pointers: [UnsafeMutableRawPointer] = []
        for (input, b) in zip(inputs, entry.inputs) {
            switch input {
            case .tensor(let t):
                guard t.shape == b.shape else { throw CodegenError.inputShape(b.name, expected: BufferType(b.dtype, b.shape), got: BufferType(t.dtype, t.shape)) }
                let buffer = try NativeBuffer(t, as: b.dtype)
                keep.append(buffer)
                pointers.append(buffer.pointer)
            case .output(let f, let i):
                guard let buffer = outputBuffers[f]?[i] else { throw CodegenError.noOwnOutput(function: f, index: i) }
                guard buffer.dtype == b.dtype, buffer.shape == b.shape else {
                    throw CodegenError.linkedInput(b.name, function: function, expected: BufferType(b.dtype, b.shape), output: i, of: f, got: BufferType(buffer.dtype, buffer.shape))
                }
                pointers.append(buffer.pointer)
            }
        }
        pointers += entry.params.map { paramBuffers[$0.name]!.pointer }
        for (i, b) in entry.outputs.enumerated() where b.aliasOf == nil { pointers.append(outputBuffers[function]![i]!.pointer) }
        try jit.call(function: function, buffers: pointers)
        withExtendedLifetime(keep) {}
    }

    /// The outputs of `function` that have buffers of their own, as one block of bytes
    /// (zero padding between them): reduce it in place between calls. Nil when the function
    /// is not part of the session.
    public func outputBlock(_ function: String) -> UnsafeMutableRawBufferPointer? { blocks[function] }

    /// Output `i` of the last call of `function` (a donated one is its param's value).
    public func result(_ function: String, _ i: Int) throws -> Tensor {
        let entry = try self.entry(function)
        if let buffer = outputBuffers[function]?[i] { return buffer.tensor() }
        guard i < entry.outputs.count, let name = entry.outputs[i].aliasOf, let p = paramBuffers[name] else {
            throw CodegenError.noOutput(function: function, index: i)
        }
        return p.tensor()
    }

    /// Every param of the session, by name.
    public var params: [String: Tensor] { paramBuffers.mapValues { $0.tensor() } }

    /// A 64-bit digest of every param's bytes (in name order): equal states, equal digests;
    /// a state that differs in one bit almost surely gives another.
    public func paramDigest() -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for name in paramBuffers.keys.sorted() {
            let b = paramBuffers[name]!
            let bytes = b.count * b.dtype.byteSize
            let words = bytes / 8
            let p = b.pointer
            var i = 0
            while i < words {
                h = (h ^ p.load(fromByteOffset: i * 8, as: UInt64.self)) &* 0x0000_0100_0000_01B3
                h ^= h >> 29
                i += 1
            }
            for j in words * 8..<bytes {
                h = (h ^ UInt64(p.load(fromByteOffset: j, as: UInt8.self))) &* 0x0000_0100_0000_01B3
            }
            for byte in name.utf8 { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        }
        return h
    }
}

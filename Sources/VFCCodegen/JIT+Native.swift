/// Calling compiled code on caller-owned buffers, without the conversions of `run`.
extension JITModule {
    /// Calls `function` with one pointer per buffer of its entry point (inputs, params,
    /// outputs, in `EntryPoint` order), each holding the dtype and shape it was compiled
    /// for. For benchmarks and hosts that keep tensors in machine form.
    public func call(function: String, buffers: [UnsafeMutableRawPointer]) throws {
        guard let entry = entries.first(where: { $0.function == function }), let address = addresses[function] else {
            throw CodegenError("'@\(function)' was not compiled")
        }
        let expected = entry.inputs.count + entry.params.count + entry.outputs.count
        guard buffers.count == expected else {
            throw CodegenError("'@\(function)' takes \(expected) buffers, got \(buffers.count)")
        }
        var pointers: [UnsafeMutableRawPointer?] = buffers
        let fn = unsafeBitCast(UInt(address), to: (@convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> Void).self)
        pointers.withUnsafeMutableBufferPointer { fn($0.baseAddress!) }
    }
}

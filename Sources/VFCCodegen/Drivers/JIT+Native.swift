/// Calling compiled code on caller-owned buffers, without the conversions of `run`.
extension JITModule {
    /// Calls `function` with one pointer per buffer of its entry point (`EntryPoint.buffers`:
    /// inputs, params, then the outputs that are not donated), each holding the dtype and
    /// shape it was compiled for. A donated result is left in the input or param buffer it
    /// aliases. For benchmarks and hosts that keep tensors in machine form. `dims` gives
    /// the run-time dims (`EntryPoint.dims`), in order.
    public func call(function: String, buffers: [UnsafeMutableRawPointer], dims: [Int] = []) throws {
        guard let entry = entries.first(where: { $0.function == function }), let address = addresses[function] else {
            throw CodegenError.notCompiled(function: function)
        }
        let expected = entry.buffers.count
        guard buffers.count == expected else {
            throw CodegenError.bufferCount(function: function, expected: expected, got: buffers.count)
        }
        guard dims.count == entry.dims.count else {
            throw CodegenError.dimCount(function: function, expected: entry.dims.count, got: dims.count)
        }
        let fn = unsafeBitCast(UInt(address), to: (@convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> Void).self)
        // The packed wrapper reads each dim through a pointer after the buffers.
        var values = dims.map { Int64($0) }
        values.withUnsafeMutableBufferPointer { d in
            var pointers: [UnsafeMutableRawPointer?] = buffers
            for j in d.indices { pointers.append(UnsafeMutableRawPointer(d.baseAddress! + j)) }
            pointers.withUnsafeMutableBufferPointer { fn($0.baseAddress!) }
        }
    }
}

import VFCIR

/// The buffer ABI of one compiled function, as written in the C header of `vfc compile`:
/// `void NAME(const T *input..., const T *param..., T *output...)`, every buffer dense,
/// row-major and (for the best speed) 64-byte aligned, with shapes fixed at compile time.
/// Buffers must not overlap (the generated code assumes so: they are `noalias`).
///
/// A donated result (`-> f32[4] aliases %w` in the IR) has no output buffer: it is written
/// into the buffer of the input or param it aliases, so the call takes inputs, params, then
/// the other outputs (`buffers`), and that input buffer holds the result after the call.
public struct EntryPoint: Sendable, Hashable {
    public struct Buffer: Sendable, Hashable {
        /// The argument name (without `%`), the param name, or `result<i>`.
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        /// For a donated output: the name of the input or param buffer it is written into
        /// (`w`, `blocks.0.w`); nil for an output with a buffer of its own.
        public var aliasOf: String? = nil
        /// For a donated output: the position of that buffer in `buffers` (the call's
        /// pointer list).
        public var aliasIndex: Int? = nil
        /// The shape with its run-time dims by name (`[B, 3, 32, 32]`), for a buffer whose
        /// extents are given at each call (`EntryPoint.dims`); nil when `shape` is fixed.
        /// `shape` then holds the extents with every run-time dim 0 (see `extents(_:)`).
        public var runtimeShape: [Dim]? = nil
        public var count: Int { shape.reduce(1, *) }
    }

    /// The IR function's name.
    public var function: String
    /// The C symbol (`vfc_` + the name with `.` replaced by `_`).
    public var symbol: String
    public var inputs: [Buffer]
    public var params: [Buffer]
    /// One per result, donated ones included (with `aliasOf` set).
    public var outputs: [Buffer]
    /// The run-time dims (`CodegenOptions.runtimeDims`), in call order: the function takes
    /// one `int64_t` per dim after its buffers, and `SYMBOL_packed` one `int64_t *` per dim
    /// after the buffer pointers. Empty when every extent is fixed at compile time.
    public var dims: [String] = []

    /// The buffers the function takes, in order: inputs, params, then the outputs that are
    /// not donated.
    public var buffers: [Buffer] { inputs + params + outputs.filter { $0.aliasOf == nil } }

    /// The symbol of the wrapper the JIT calls: `void SYMBOL_packed(void **buffers)`.
    public var packedSymbol: String { symbol + "_packed" }

    static func symbol(for function: String) -> String {
        "vfc_" + String(function.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
    }
}

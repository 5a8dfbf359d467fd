import VFCIR

/// The buffer ABI of one compiled function, as written in the C header of `vfc compile`:
/// `void NAME(const T *input..., const T *param..., T *output...)`, every buffer dense,
/// row-major and (for the best speed) 64-byte aligned, with shapes fixed at compile time.
/// Buffers must not overlap (the generated code assumes so: they are `noalias`).
public struct EntryPoint: Sendable, Hashable {
    public struct Buffer: Sendable, Hashable {
        /// The argument name (without `%`), the param name, or `result<i>`.
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        public var count: Int { shape.reduce(1, *) }
    }

    /// The IR function's name.
    public var function: String
    /// The C symbol (`vfc_` + the name with `.` replaced by `_`).
    public var symbol: String
    public var inputs: [Buffer]
    public var params: [Buffer]
    public var outputs: [Buffer]

    /// The symbol of the wrapper the JIT calls: `void SYMBOL_packed(void **buffers)`.
    public var packedSymbol: String { symbol + "_packed" }

    static func symbol(for function: String) -> String {
        "vfc_" + String(function.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
    }
}

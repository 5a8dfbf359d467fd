import VFCIR
import VFCPasses

/// How an entry point looks in its source IR, for the named-buffer part of the C header:
/// each buffer's shape as written (symbolic dims by name) and the name each result is known
/// by (the returned value's name: `loss`, `grad.blocks.0.norm1.weight`), so that a C program
/// can fill the call's buffers from checkpoint and batch files by tensor name.
public struct EntrySignature: Sendable, Hashable {
    public var inputShapes: [[Dim]]
    /// By param name.
    public var paramShapes: [String: [Dim]]
    public var outputShapes: [[Dim]]
    /// One per result: the returned value's name, the param returned, or `result<i>`.
    public var outputNames: [String]

    /// The signature of `function` in `module` as parsed (before any pass); nil when a
    /// result's type is unknown.
    public init?(_ function: Function, in module: Module) {
        inputShapes = function.arguments.map { function.values[$0.index].type?.shape ?? [] }
        paramShapes = Dictionary(module.params.map { ($0.name, $0.type.shape) }, uniquingKeysWith: { a, _ in a })
        var shapes: [[Dim]] = []
        var names: [String] = []
        for (i, r) in function.returns.enumerated() {
            guard let t = function.resultTypes?[i] ?? function.type(of: r, in: module) else { return nil }
            shapes.append(t.shape)
            switch r {
            case .value(let v): names.append(function.values[v.index].name)
            case .param(let p): names.append(p)
            case .literal: names.append("result\(i)")
            }
        }
        outputShapes = shapes
        outputNames = names
    }
}

extension CHeader {
    /// The named-buffer declarations of one entry point: `SYMBOL_args` (its dims, then one
    /// pointer per buffer of the call, in call order), the `vfc_layout` that `vfc_state_load`
    /// and `vfc_state_save` fill and write it by (vfc_state.h), and `SYMBOL_call`, which
    /// checks the struct and calls the entry point with its pointers.
    func argsDeclarations(_ entry: EntryPoint, _ signature: EntrySignature) -> String {
        typealias Field = (buffer: EntryPoint.Buffer, tensor: String, cName: String, role: String, const: Bool, shape: [Dim], note: String)
        var used = UniqueNames()
        var receives: [Int: Int] = [:]
        for (i, b) in entry.outputs.enumerated() { if let d = b.aliasIndex { receives[d] = i } }
        func donated(_ k: Int) -> String {
            receives[k].map { " (donated: holds \(signature.outputNames.indices.contains($0) ? signature.outputNames[$0] : "result\($0)") after the call)" } ?? ""
        }
        var fields: [Field] = []
        for (i, b) in entry.inputs.enumerated() {
            let shape = signature.inputShapes.indices.contains(i) ? signature.inputShapes[i] : b.shape.map { Dim($0) }
            fields.append((b, b.name, Self.identifier(b.name), "VFC_ROLE_INPUT", receives[i] == nil, shape, "input %\(b.name)" + donated(i)))
        }
        for (j, b) in entry.params.enumerated() {
            let shape = signature.paramShapes[b.name] ?? b.shape.map { Dim($0) }
            fields.append((b, b.name, Self.identifier(b.name), "VFC_ROLE_PARAM", receives[entry.inputs.count + j] == nil, shape,
                           "param @\(b.name)" + donated(entry.inputs.count + j)))
        }
        for (i, b) in entry.outputs.enumerated() where b.aliasIndex == nil {
            let name = signature.outputNames.indices.contains(i) ? signature.outputNames[i] : b.name
            let shape = signature.outputShapes.indices.contains(i) ? signature.outputShapes[i] : b.shape.map { Dim($0) }
            fields.append((b, name, Self.identifier(name), "VFC_ROLE_OUTPUT", false, shape, "result \(i)"))
        }
        // The dims: every symbol that is a whole extent of some buffer, in order of first use.
        var dims: [String] = []
        for f in fields { for d in f.shape { if let s = d.singleSymbol, !dims.contains(s) { dims.append(s) } } }
        // The run-time dims the call passes, even one that is no buffer's whole extent.
        for d in entry.dims where !dims.contains(d) { dims.append(d) }
        var dimNames: [String: String] = [:]
        for d in dims { dimNames[d] = used.claim(Self.identifier(d)) }
        for k in fields.indices { fields[k].cName = used.claim(fields[k].cName) }

        // C has no empty structs or arrays: a function without buffers keeps only its
        // positional declaration.
        guard !fields.isEmpty else { return "" }
        let typeName = entry.symbol + "_args"
        func shapeText(_ f: Field) -> String { "\(f.buffer.dtype)[\(f.shape.map(\.description).joined(separator: ", "))]" }
        var out = "\n/* @\(entry.function) by name: fill a \(typeName) (vfc_state_load from a state or batch\n"
        out += " * file, vfc_state_alloc for the rest), then \(entry.symbol)_call. */\n"
        out += "typedef struct \(typeName) {\n"
        for d in dims {
            let compiled = options.bindings[d].map { "compiled for \(d)=\($0)" } ?? "any value"
            out += "    int64_t \(dimNames[d]!); /* dim \(d): \(compiled) */\n"
        }
        for f in fields {
            out += "    \(f.const ? "const " : "")\(Self.cType(f.buffer.dtype)) *\(f.cName); /* \(shapeText(f)) \(f.note) */\n"
        }
        out += "} \(typeName);\n"
        out += "static const vfc_field \(entry.symbol)_fields[] = {\n"
        for f in fields {
            let extents = f.shape.enumerated().map { k, d -> String in
                if let s = d.singleSymbol, let i = dims.firstIndex(of: s) { return "-\(i + 1)" }
                return "\(f.buffer.shape[k])"
            }
            let rank = extents.isEmpty ? "{0}" : "{" + extents.joined(separator: ", ") + "}"
            out += "    {\"\(Self.cString(f.tensor))\", offsetof(\(typeName), \(f.cName)), \(f.role), \(Self.dtypeConstant(f.buffer.dtype)), \(f.shape.count), \(rank)},\n"
        }
        out += "};\n"
        if !dims.isEmpty {
            out += "static const vfc_dim \(entry.symbol)_dims[] = {\n"
            for d in dims {
                out += "    {\"\(Self.cString(d))\", offsetof(\(typeName), \(dimNames[d]!)), \(options.bindings[d] ?? -1)},\n"
            }
            out += "};\n"
        }
        out += "static const vfc_layout \(entry.symbol)_layout = {\"\(Self.cString(entry.function))\", \(entry.symbol)_fields, \(fields.count), "
            + (dims.isEmpty ? "NULL, 0};\n" : "\(entry.symbol)_dims, \(dims.count)};\n")
        out += "/* Checks `args` (vfc_state_check: every buffer set, dims as compiled) and calls\n"
        out += " * \(entry.symbol); 0, or -1 with a message in error. */\n"
        out += "static inline int \(entry.symbol)_call(\(typeName) *args, char *error, size_t error_size) {\n"
        out += "    if (vfc_state_check(&\(entry.symbol)_layout, args, error, error_size) != 0) return -1;\n"
        let pointers = fields.map { "args->\($0.cName)" } + entry.dims.map { "args->\(dimNames[$0]!)" }
        out += "    \(entry.symbol)(\(pointers.joined(separator: ", ")));\n"
        out += "    return 0;\n}\n"
        return out
    }

    /// The header comment's lines on linking the named buffers.
    static let namedBuffersNote = """

         * The named buffers (SYMBOL_args, filled by tensor name with vfc_state_load, called
         * through SYMBOL_call; include/vfc_state.h) also need state.c and safetensors_read.c.
        """

    /// The names the header declares for each function besides its symbol and `_packed`.
    static let declaredSuffixes = ["_args", "_fields", "_dims", "_layout", "_call"]

    /// Refuses two functions whose header names collide (`@f` declares `vfc_f_call`, which
    /// `@f_call` would define), naming both.
    public static func checkNames(_ functions: [String]) throws {
        var owner: [String: String] = [:]
        for f in functions {
            let symbol = EntryPoint.symbol(for: f)
            for s in [symbol, symbol + "_packed"] + declaredSuffixes.map({ symbol + $0 }) {
                if let other = owner[s], other != f {
                    throw CodegenError.headerClash(other, f, name: s)
                }
                owner[s] = f
            }
        }
    }

    /// `VFC_DTYPE_F32`, ... (i1 and u8 are one byte each).
    static func dtypeConstant(_ dtype: DType) -> String {
        switch dtype {
        case .f32: return "VFC_DTYPE_F32"
        case .f64: return "VFC_DTYPE_F64"
        case .i32: return "VFC_DTYPE_I32"
        case .i64: return "VFC_DTYPE_I64"
        case .u8, .i1: return "VFC_DTYPE_U8"
        }
    }

    /// `s` inside a C string literal.
    static func cString(_ s: String) -> String {
        var out = ""
        for u in s.utf8 {
            switch u {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x20..<0x7f: out += String(UnicodeScalar(u))
            default: out += "\\" + String(u, radix: 8).leftPadded(to: 3)
            }
        }
        return out
    }
}

private extension String {
    func leftPadded(to n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}

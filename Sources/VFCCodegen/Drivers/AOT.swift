import CLLVM
import Foundation
import VFCIR

/// What `vfc compile` writes: an object file (with a C header), assembly, or LLVM IR text.
public enum EmitKind: String, CaseIterable, Sendable {
    case obj, asm, llvm

    /// The file extension of the output (`o`, `s`, `ll`).
    public var fileExtension: String {
        switch self {
        case .obj: return "o"
        case .asm: return "s"
        case .llvm: return "ll"
        }
    }
}

// MARK: - Ahead-of-time emission

extension LoweredModule {
    /// The optimised module as an object file, assembly, or LLVM IR text, for the target
    /// machine of the options (the host CPU unless `targetCPU` names another). The same IR
    /// and options give the same bytes.
    public func emit(_ kind: EmitKind) throws -> [UInt8] {
        switch kind {
        case .llvm: return Array(llvmIR.utf8)
        case .obj: return try phases.time("codegen") { try emitMachineCode(LLVMObjectFile) }
        case .asm: return try phases.time("codegen") { try emitMachineCode(LLVMAssemblyFile) }
        }
    }

    private func emitMachineCode(_ type: LLVMCodeGenFileType) throws -> [UInt8] {
        guard let module else { throw CodegenError.internalError("the module was handed to the JIT") }
        let tm = try targetMachine()
        defer { LLVMDisposeTargetMachine(tm) }
        // Code generation rewrites the IR it runs on (CodeGenPrepare and friends): emit from
        // a copy so that the module, and `llvmIR`, stay as optimised.
        guard let copy = LLVMCloneModule(module) else { throw CodegenError.internalError("cannot copy the LLVM module") }
        defer { LLVMDisposeModule(copy) }
        let layout = LLVMCreateTargetDataLayout(tm)
        LLVMSetModuleDataLayout(copy, layout)
        LLVMDisposeTargetData(layout)
        var error: UnsafeMutablePointer<CChar>?
        var buffer: LLVMMemoryBufferRef?
        if LLVMTargetMachineEmitToMemoryBuffer(tm, copy, type, &error, &buffer) != 0 || buffer == nil {
            throw CodegenError.llvm("LLVM code generation failed: \(LLVMSupport.takeString(error))")
        }
        defer { LLVMDisposeMemoryBuffer(buffer) }
        let size = LLVMGetBufferSize(buffer)
        guard size > 0, let start = LLVMGetBufferStart(buffer) else { return [] }
        return Array(UnsafeRawBufferPointer(start: start, count: size))
    }

    /// Whether LLVM knows `cpu` as an x86-64 processor (`znver4`, `skylake-avx512`, ...).
    /// LLVM itself only warns about an unknown CPU (on standard error) and then generates
    /// code for a generic one; the driver turns that into an error instead.
    public static func isKnownCPU(_ cpu: String) -> Bool {
        _ = LLVMSupport.initialized
        var target: LLVMTargetRef?
        var error: UnsafeMutablePointer<CChar>?
        let triple = LLVMSupport.defaultTriple
        guard LLVMGetTargetFromTriple(triple, &target, &error) == 0, let target else {
            LLVMDisposeMessage(error)
            return false
        }
        // The warning is written to file descriptor 2 while the subtarget is created:
        // capture it in a temporary file for the duration of the call.
        fflush(nil)
        let saved = dup(2)
        guard saved >= 0, let capture = tmpfile() else { return true }
        defer { fclose(capture) }
        dup2(fileno(capture), 2)
        let tm = LLVMCreateTargetMachine(target, triple, cpu, "", LLVMCodeGenLevelNone, LLVMRelocPIC, LLVMCodeModelDefault)
        fflush(nil)
        dup2(saved, 2)
        close(saved)
        guard let tm else { return false }
        LLVMDisposeTargetMachine(tm)
        rewind(capture)
        var text: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&chunk, 1, chunk.count, capture)
            if n <= 0 { break }
            text += chunk[0..<n]
        }
        return !String(decoding: text, as: UTF8.self).contains("not a recognized processor")
    }

    /// The C symbols `functions` would get (`vfc_NAME`, `vfc_NAME_packed`), or an error
    /// naming two functions whose symbols collide (`@a.b` and `@a_b`, `@f_packed` and `@f`).
    public static func checkSymbols(_ functions: [String]) throws {
        var owner: [String: String] = [:]
        for f in functions {
            let symbol = EntryPoint.symbol(for: f)
            for s in [symbol, symbol + "_packed"] {
                if let other = owner[s], other != f {
                    throw CodegenError.symbolClash(other, f, symbol: s)
                }
                owner[s] = f
            }
        }
    }
}

// MARK: - C header

/// The C header `vfc compile` writes next to an object file: one declaration per entry
/// point with the buffer ABI of `EntryPoint`, element-count macros, and how to link.
public struct CHeader: Sendable {
    public var entries: [EntryPoint]
    /// The options the object was compiled with (CPU, bindings).
    public var options: CodegenOptions
    /// The file name of the object (`model.o`), for the comments.
    public var objectName: String
    /// The name of the header file (`model.h`): its include guard.
    public var headerName: String
    /// The .ir file the object was compiled from, for the comments.
    public var sourceName: String
    /// The source signature of each entry point, by function name: those listed also get
    /// the named-buffer struct, layout and call wrapper of `argsDeclarations`.
    public var signatures: [String: EntrySignature]

    public init(entries: [EntryPoint], options: CodegenOptions, objectName: String, headerName: String, sourceName: String,
                signatures: [String: EntrySignature] = [:]) {
        self.entries = entries
        self.options = options
        self.objectName = objectName
        self.headerName = headerName
        self.sourceName = sourceName
        self.signatures = signatures
    }

    /// The C type of one element of a buffer of `dtype`.
    public static func cType(_ dtype: DType) -> String {
        switch dtype {
        case .f32: return "float"
        case .f64: return "double"
        case .i32: return "int32_t"
        case .i64: return "int64_t"
        case .u8, .i1: return "uint8_t"
        }
    }

    private static let keywords: Set<String> = [
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
        "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return",
        "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void",
        "volatile", "while", "bool", "true", "false", "alignas", "alignof", "nullptr", "static_assert",
        "thread_local", "typeof", "constexpr", "class", "new", "delete", "this", "template", "namespace",
        "operator", "private", "public", "protected", "virtual", "friend", "throw", "try", "catch",
    ]

    /// A C identifier for an IR name: `blocks.0.norm1.weight` -> `blocks_0_norm1_weight`.
    public static func identifier(_ name: String) -> String {
        var s = String(name.unicodeScalars.map { c -> Character in
            c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_") ? Character(c) : "_"
        })
        if s.isEmpty { s = "buffer" }
        if let f = s.unicodeScalars.first, ("0"..."9").contains(f) { s = "v" + s }
        if s.hasPrefix("__") || (s.hasPrefix("_") && s.dropFirst().first?.isUppercase == true) { s = "v" + s }
        if keywords.contains(s) { s += "_" }
        return s
    }

    private static func shapeText(_ b: EntryPoint.Buffer) -> String {
        "\(b.dtype)[\((b.runtimeShape ?? b.shape.map { Dim($0) }).map(\.description).joined(separator: ", "))]"
    }

    /// The element count of a buffer as a C expression: a number, or for a buffer with
    /// run-time dims a macro argument list and product (`(B)`, `(2 * (int64_t)(B) * 64)`).
    private static func countText(_ b: EntryPoint.Buffer) -> (parameters: String, value: String) {
        guard let shape = b.runtimeShape else { return ("", "\(b.count)") }
        let n = product(shape) ?? Dim(0)
        var symbols: [String] = []
        for s in n.symbols where !symbols.contains(s) { symbols.append(s) }
        let factors = (n.coefficient == 1 ? [] : ["\(n.coefficient)"]) + n.symbols.map { "(int64_t)(\($0))" }
        return ("(" + symbols.joined(separator: ", ") + ")", "(" + factors.joined(separator: " * ") + ")")
    }

    /// The header text. Deterministic: no dates or paths beyond the names given.
    public func render() -> String {
        let guardName = "VFC_GENERATED_" + Self.identifier(headerName).uppercased()
        let cpu = options.targetCPU ?? LLVMSupport.hostCPU
        let binding = options.bindings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        var out = """
            /* \(headerName): generated by `vfc compile` from \(sourceName); do not edit.
             *
             * The entry points of \(objectName), compiled for the CPU \(cpu)\(binding.isEmpty ? "" : " with \(binding)").
             *
             * ABI: each function takes one pointer per buffer, in this order: the function's
             * inputs (its arguments, in order), then the params it reads (in their declaration
             * order in the module), then its outputs (result0, result1, ...). Every buffer is
             * dense and row-major with the dtype and shape given below, fixed at compile time
             * (symbolic dims bound by --bind), except the run-time dims: a function whose
             * arguments have dims that --bind left free takes them as int64_t values after
             * its buffers (one object serves every batch size; SYMBOL_packed takes a pointer
             * to each after the buffer pointers). Inputs and params are only read; outputs are
             * overwritten entirely and must not overlap the other buffers. i1 and u8 buffers
             * hold one byte per element (masks: 0 or 1).
             * Donation: a result marked `aliases` in the IR has no output buffer; it is
             * written into the input or param it aliases (not const), which holds the
             * result after the call.
             * Alignment: every buffer must be aligned to its element size; align them to 64
             * bytes (aligned_alloc(64, ...), posix_memalign) for the best speed.
             * SYMBOL_packed(void **buffers) takes the same pointers as one array.
             *
             * Linking: \(objectName) calls the vfc runtime (vfc_alloc, vfc_free,
             * vfc_parallel_for, vfc_sgemm: Sources/VFCRuntime/runtime_*.c with
             * include/vfc_runtime.h), which calls OpenBLAS, and libm:
             *   cc -O2 main.c \(objectName) runtime_*.c -I<vfc>/Sources/VFCRuntime/include -lopenblas -lpthread -lm
             * Parallel loops use VFC_THREADS threads (default: every core).\(signatures.isEmpty ? "" : Self.namedBuffersNote)
             */
            #ifndef \(guardName)
            #define \(guardName)

            #include <stdint.h>\(signatures.isEmpty ? "" : "\n#include <stddef.h>\n#include \"vfc_state.h\"")

            #ifdef __cplusplus
            extern "C" {
            #endif

            """
        var macros = UniqueNames()
        for entry in entries {
            // Parameter names: unique within the declaration.
            var used = UniqueNames()
            typealias Row = (buffer: EntryPoint.Buffer, cName: String, role: String, const: Bool)
            // Which result each donated input or param receives (by its position in `buffers`).
            var receives: [Int: Int] = [:]
            for (i, b) in entry.outputs.enumerated() { if let d = b.aliasIndex { receives[d] = i } }
            func donatedNote(_ k: Int) -> String { receives[k].map { " (donated: holds result\($0) after the call)" } ?? "" }
            var rows: [Row] = []
            for (i, b) in entry.inputs.enumerated() {
                rows.append((b, used.claim(Self.identifier(b.name)), "input \(i) %\(b.name)" + donatedNote(i), receives[i] == nil))
            }
            for (j, b) in entry.params.enumerated() {
                let k = entry.inputs.count + j
                rows.append((b, used.claim(Self.identifier(b.name)), "param @\(b.name)" + donatedNote(k), receives[k] == nil))
            }
            var own = 0
            for (i, b) in entry.outputs.enumerated() where b.aliasIndex == nil {
                rows.append((b, used.claim(Self.identifier(b.name)), "output \(i)", false))
                own += 1
            }
            let nameWidth = rows.map(\.cName.count).max() ?? 0
            let typeWidth = rows.map { Self.shapeText($0.buffer).count }.max() ?? 0
            let donatedCount = entry.outputs.count - own
            out += "\n/* @\(entry.function): \(entry.inputs.count) input(s), \(entry.params.count) param(s), \(own) output(s)"
                + (donatedCount > 0 ? ", \(donatedCount) donated result(s)" : "") + ".\n"
            for r in rows {
                let name = r.cName.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
                let type = Self.shapeText(r.buffer).padding(toLength: typeWidth, withPad: " ", startingAt: 0)
                out += " *   \(name)  \(type)  \(r.role)\n"
            }
            for b in entry.outputs {
                guard let d = b.aliasIndex, d < rows.count else { continue }
                out += " *   \(b.name) is written into \(rows[d].cName) (donated: the input buffer holds the result after the call)\n"
            }
            out += " */\n"
            let prefix = entry.symbol.uppercased()
            for r in rows {
                // `int_` (a keyword made an identifier) is plain INT in a macro name.
                let base = r.cName.hasSuffix("_") && Self.keywords.contains(String(r.cName.dropLast())) ? String(r.cName.dropLast()) : r.cName
                let macro = macros.claim(prefix + "_" + base.uppercased() + "_COUNT")
                let (parameters, value) = Self.countText(r.buffer)
                out += "#define \(macro)\(parameters) \(value) /* \(Self.shapeText(r.buffer)) */\n"
            }
            out += "#define \(macros.claim(prefix + "_NUM_BUFFERS")) \(rows.count)\n"
            let params = rows.map { "\($0.const ? "const " : "")\(Self.cType($0.buffer.dtype)) *\($0.cName)" }
                + entry.dims.map { "int64_t \(used.claim(Self.identifier($0)))" }
            out += "void \(entry.symbol)(\(params.isEmpty ? "void" : params.joined(separator: ", ")));\n"
            out += "void \(entry.packedSymbol)(void **buffers);\n"
            if let signature = signatures[entry.function] { out += argsDeclarations(entry, signature) }
        }
        out += """

            #ifdef __cplusplus
            }
            #endif

            #endif /* \(guardName) */

            """
        return out
    }
}

/// C identifiers made unique by a `_2`, `_3`, ... suffix on repeats.
struct UniqueNames {
    private var taken: Set<String> = []

    mutating func claim(_ base: String) -> String {
        var name = base, k = 2
        while taken.contains(name) {
            name = base + "_\(k)"
            k += 1
        }
        taken.insert(name)
        return name
    }
}

/// Prints a module in the canonical text format: every attribute spelled out, every known
/// type printed, two-space indentation. `Parser.parse(print(m))` gives back `m` up to
/// source locations, and printing is idempotent.
public enum Printer {
    public static func print(_ module: Module) -> String {
        var out = ""
        if let name = module.name { out += "module @\(name)\n" }
        if !module.params.isEmpty {
            if !out.isEmpty { out += "\n" }
            for p in module.params {
                out += "param @\(p.name) : \(p.type) = \(p.initializer)\n"
            }
        }
        for f in module.functions {
            if !out.isEmpty { out += "\n" }
            out += print(f)
        }
        return out
    }

    /// Names for printing: the stored name, made unique within the function by a `.N`
    /// suffix when passes (inline, autodiff) produced duplicates.
    public static func uniqueNames(_ f: Function) -> [String] {
        var taken = Set<String>()
        // The next suffix to try for each base name: suffixes below it were taken when
        // tried, and names are never released, so resuming there gives the same names as
        // counting from 1 each time, without the scan that made a base name shared by
        // thousands of values (an inlined step) quadratic.
        var nextSuffix: [String: Int] = [:]
        var names = [String](repeating: "", count: f.values.count)
        func claim(_ id: ValueID) {
            let base = f.values[id.index].name.isEmpty ? String(id.index) : f.values[id.index].name
            var n = base
            var k = nextSuffix[base] ?? 1
            if taken.contains(n) {
                repeat {
                    n = "\(base).\(k)"
                    k += 1
                } while taken.contains(n)
                nextSuffix[base] = k
            }
            taken.insert(n)
            names[id.index] = n
        }
        for a in f.arguments { claim(a) }
        for inst in f.body { for r in inst.results { claim(r) } }
        return names
    }

    public static func print(_ f: Function) -> String {
        let names = uniqueNames(f)
        func operand(_ o: Operand) -> String {
            switch o {
            case .value(let v): return v.index < names.count ? "%" + names[v.index] : "%<invalid \(v.index)>"
            case .param(let p): return "@" + p
            case .literal(let x): return formatNumber(x)
            }
        }
        func typeList(_ ts: [TensorType]) -> String {
            ts.count == 1 ? ts[0].description : "(" + ts.map(\.description).joined(separator: ", ") + ")"
        }
        let args = f.arguments.map { "%\(names[$0.index]): \(f.values[$0.index].type.map(\.description) ?? "?")" }
        var out = (f.fusionKind.map { "fused(\($0.rawValue)) " } ?? "") + "func @\(f.name)(\(args.joined(separator: ", ")))"
        if let rt = f.resultTypes {
            let results = rt.enumerated().map { i, t -> String in
                switch f.resultAliases[i] {
                case .argument(let a)?:
                    return "\(t) aliases " + (a >= 0 && a < f.arguments.count ? "%" + names[f.arguments[a].index] : "%<invalid \(a)>")
                case .param(let p)?: return "\(t) aliases @\(p)"
                case nil: return t.description
                }
            }
            out += " -> " + (results.count == 1 ? results[0] : "(" + results.joined(separator: ", ") + ")")
        }
        out += " {\n"
        for inst in f.body {
            var line = "  " + inst.results.map { "%" + names[$0.index] }.joined(separator: ", ") + " = "
            line += inst.op.name
            switch inst.op {
            case .call(let callee), .valueAndGrad(let callee, _):
                line += " @\(callee)(" + inst.operands.map(operand).joined(separator: ", ") + ")"
            default:
                if !inst.operands.isEmpty { line += " " + inst.operands.map(operand).joined(separator: ", ") }
            }
            let attrs = OpSyntax.attributes(of: inst.op)
            if !attrs.isEmpty { line += " {" + attrs.joined(separator: ", ") + "}" }
            let types = inst.results.compactMap { f.values[$0.index].type }
            if types.count == inst.results.count, !types.isEmpty { line += " : " + typeList(types) }
            out += line + "\n"
        }
        out += "  return" + (f.returns.isEmpty ? "" : " " + f.returns.map(operand).joined(separator: ", ")) + "\n}\n"
        return out
    }
}

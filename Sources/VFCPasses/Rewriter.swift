import VFCIR

/// Use rewriting shared by the passes. Replacements map a value to the operand that now
/// stands for it; they always point at something defined earlier, so chains resolve.
extension Function {
    /// Rewrites every use of `value` (instruction operands and returns) to `replacement`.
    /// The producer stays in `body` (dce removes it once nothing reads it).
    public mutating func replaceAllUses(of value: ValueID, with replacement: Operand) {
        replaceUses([value: replacement])
    }

    /// Rewrites every use of each key of `map` to its replacement, following chains
    /// (`a -> %b`, `b -> %c` rewrites uses of `a` to `%c`). One walk over the function.
    public mutating func replaceUses(_ map: [ValueID: Operand]) {
        guard !map.isEmpty else { return }
        for i in body.indices {
            for k in body[i].operands.indices {
                body[i].operands[k] = Self.resolve(body[i].operands[k], map)
            }
        }
        for k in returns.indices { returns[k] = Self.resolve(returns[k], map) }
    }

    /// `operand` after following `map` to its end.
    public static func resolve(_ operand: Operand, _ map: [ValueID: Operand]) -> Operand {
        var o = operand
        // Bounded so that a (buggy) cyclic map cannot hang a pass.
        for _ in 0...map.count {
            guard case .value(let v) = o, let next = map[v] else { return o }
            o = next
        }
        return o
    }

    /// The index in `body` of the instruction defining each instruction result.
    public func producers() -> [ValueID: Int] {
        var out: [ValueID: Int] = [:]
        for (i, inst) in body.enumerated() {
            for r in inst.results { out[r] = i }
        }
        return out
    }

    /// The type of an operand: the value's, the parameter's, or nil for a literal (or an
    /// untyped value).
    public func type(of operand: Operand, in module: Module) -> TensorType? {
        switch operand {
        case .value(let v): return v.index >= 0 && v.index < values.count ? values[v.index].type : nil
        case .param(let p): return module.param(named: p)?.type
        case .literal: return nil
        }
    }
}

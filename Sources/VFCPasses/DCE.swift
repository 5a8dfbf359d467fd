import VFCIR

/// `dce`: removes instructions none of whose results the return reads, directly or
/// through other live instructions. Every op is pure, so nothing else keeps one alive.
///
/// Only `body` shrinks: dead values stay in the arena so that value ids (held by
/// diagnostics and by later passes' maps) stay valid; the printer prints from `body`.
public struct DCEPass: Pass {
    public static let name = "dce"
    public static let summary = "remove instructions whose results are not used by the return"

    public init() {}

    public func run(_ module: inout Module) throws(DiagnosticError) {
        for i in module.functions.indices {
            Self.eliminateDeadCode(&module.functions[i])
        }
    }

    /// One backward walk: SSA order means every use of a result comes after it.
    static func eliminateDeadCode(_ f: inout Function) {
        var live = Set<ValueID>()
        for case .value(let v) in f.returns { live.insert(v) }
        var keep = [Bool](repeating: false, count: f.body.count)
        for i in f.body.indices.reversed() {
            let inst = f.body[i]
            guard inst.results.contains(where: live.contains) else { continue }
            keep[i] = true
            for case .value(let v) in inst.operands { live.insert(v) }
        }
        var k = 0
        f.body.removeAll { _ in
            defer { k += 1 }
            return !keep[k]
        }
    }
}

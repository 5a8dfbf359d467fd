import VFCIR

/// View folding with run-time dims (`RuntimeDims`): the operand views of `ViewFolding` that
/// stay valid for every value of the dims, read in place by the products as with fixed
/// shapes.
///
/// A dense buffer's strides never involve its first extent, so a transpose or slice of a
/// value whose run-time dim is its leading axis (attention's q, k, v of [N, T, 3, heads,
/// dh]) has the same strides and offset whatever N is; only one extent moves. The folding
/// is computed with the dims bound to 2 and to 3 and a view kept only where both agree on
/// its base, offset and strides, every product reading it has the same sizes and sides
/// at both (only its first batch axis grows with the dims) and a BLAS form (each item one
/// sgemm call). A view failing that, or read by a view failing it, is materialized as
/// before. Products written into the buffer of the transpose reading them, and the parts
/// of a pad-sum written into their ranges of the sum's buffer (`results`, `absorbed`), are
/// kept the same way: where both bindings fold the same values into the same buffer and
/// every product writing it passes the test above with its result's layout there; one
/// product failing it materializes its whole destination.
extension ViewFolding {
    static func runtime(_ f: Function, module: Module, bindings: [String: Int], dims: [String]) -> ViewFolding {
        func bound(_ value: Int) -> (ViewFolding, (ValueID) -> [Int]?) {
            var b = bindings
            for d in dims { b[d] = value }
            let shape: (ValueID) -> [Int]? = { f.values[$0.index].type?.evaluate(b) }
            return (ViewFolding(f, module: module, shape: shape), shape)
        }
        let (two, shape2) = bound(2), (three, shape3) = bound(3)
        var kept = two.views.filter { v, x in
            guard let y = three.views[v] else { return false }
            return x.base == y.base && x.layout.offset == y.layout.offset && x.layout.strides == y.layout.strides
        }
        // Destinations written by products (transposes, pad-sums) folded alike at both.
        var dests = Set(two.absorbed.values).filter { d in
            let at2 = Set(two.absorbed.filter { $0.value == d }.keys), at3 = Set(three.absorbed.filter { $0.value == d }.keys)
            let w2 = two.results.filter { $0.value.value == d }, w3 = three.results.filter { $0.value.value == d }
            return at2 == at3 && Set(w2.keys) == Set(w3.keys) && w2.allSatisfy { r, i in
                guard let j = w3[r] else { return false }
                return i.layout.offset == j.layout.offset && i.layout.strides == j.layout.strides
            }
        }
        var readers: [ValueID: [Int]] = [:]
        for (k, inst) in f.body.enumerated() {
            for case .value(let v) in inst.operands { readers[v, default: []].append(k) }
        }
        func product(_ inst: Instruction, _ shape: (ValueID) -> [Int]?, _ views: [ValueID: View], into: [ValueID: Into]) -> StridedProduct? {
            guard case .matmul(let ta, let tb) = inst.op, case .value(let a) = inst.operands[0], case .value(let b) = inst.operands[1],
                  let r = inst.results.first, let rs = shape(r) else { return nil }
            func layout(_ v: ValueID) -> StridedLayout? { views[v]?.layout ?? shape(v).map { .dense($0) } }
            guard let la = layout(a), let lb = layout(b) else { return nil }
            return StridedProduct(ta: ta, tb: tb, a: la, b: lb, c: into[r].map { $0.layout } ?? .dense(rs))
        }
        var products: [ValueID: StridedProduct] = [:]
        var changed = true
        while changed {
            changed = false
            products = [:]
            let into2 = two.results.filter { dests.contains($0.value.value) }, into3 = three.results.filter { dests.contains($0.value.value) }
            for inst in f.body {
                guard case .matmul = inst.op, let r = inst.results.first,
                      into2[r] != nil || inst.operands.prefix(2).contains(where: { if case .value(let v) = $0 { kept[v] != nil } else { false } })
                else { continue }
                let p2 = product(inst, shape2, kept, into: into2), p3 = product(inst, shape3, three.views.filter { kept[$0.key] != nil }, into: into3)
                // Same sizes and sides at both bindings: only the first batch axis grows.
                if let p2, let p3, p2.blasForm != nil, !p2.batchShape.isEmpty, p2.m == p3.m, p2.n == p3.n, p2.k == p3.k,
                   p2.k > 0, p2.a == p3.a, p2.b == p3.b, p2.c == p3.c, p2.batchShape.dropFirst() == p3.batchShape.dropFirst() {
                    products[r] = p2
                    continue
                }
                for case .value(let v) in inst.operands.prefix(2) where kept.removeValue(forKey: v) != nil { changed = true }
                if let i = into2[r], dests.remove(i.value) != nil { changed = true }
            }
            // A view whose reader is a view no longer kept would be read as if materialized.
            for v in Array(kept.keys) {
                let ok = (readers[v] ?? []).allSatisfy { u in
                    let reader = f.body[u]
                    if case .matmul = reader.op { return true }
                    return reader.results.first.map { kept[$0] != nil } ?? false
                }
                if !ok {
                    kept[v] = nil
                    changed = true
                }
            }
        }
        var folding = ViewFolding()
        folding.views = kept
        folding.products = products
        folding.results = two.results.filter { dests.contains($0.value.value) }
        folding.absorbed = two.absorbed.filter { dests.contains($0.value) }
        return folding
    }
}

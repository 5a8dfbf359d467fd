import VFCIR

/// Which data movement around matrix products the lowering leaves out, decided once per
/// function before it is lowered (`FunctionLowering.folding`).
///
/// Operands: a `transpose` or `slice` (and the `reshape`s after it) whose every reader is a
/// `matmul` operand, or another such view, is not materialized: each product reads it in
/// place as a strided view of the buffer it was taken from (`views`). Attention's
/// `reshape -> transpose [2, 0, 3, 1, 4] -> slice q/k/v -> reshape` becomes three views of
/// the qkv rows (head h of q at column 32 h, row stride 3 * heads * dh), and the backward
/// pass's transposed output gradient a view of [N, T, heads, dh].
///
/// Results: a product whose only reader is a `transpose` that keeps the last axis writes
/// its result straight into the transpose's buffer (`results`), so attention's
/// `transpose [0, 2, 1, 3]` of the heads' outputs is not a copy either.
///
/// A view is folded only where every product reading it can address it (a unit stride in
/// one of its matrix axes, or vfc's loop nest, which reads any stride), and only views of
/// values the function computes (never of an argument, which a donated result may
/// overwrite). The memory plan counts a folded view as sharing its base's buffer, so the
/// base lives until the view's last reader.
struct ViewFolding {
    struct View {
        /// The value whose (dense) buffer the view reads.
        var base: ValueID
        var layout: StridedLayout
    }

    struct Into {
        /// The transpose whose buffer receives the product.
        var value: ValueID
        var shape: [Int]
        /// The product's result within that buffer.
        var layout: StridedLayout
    }

    /// Folded view results: lowered to no code.
    var views: [ValueID: View] = [:]
    /// Products written into the buffer of the transpose reading them.
    var results: [ValueID: Into] = [:]
    /// Values those products already wrote (the transposes after them, the pads and sums
    /// of `foldPadSums`), by the value whose buffer holds them: lowered to no code.
    var absorbed: [ValueID: ValueID] = [:]
    /// With run-time dims, the product each matmul reading a folded view computes, its
    /// first batch axis the run-time one (`ViewFolding.runtime`); empty otherwise.
    var products: [ValueID: StridedProduct] = [:]

    init() {}

    /// `shape` gives a value's static shape (nil: unknown, nothing about it is folded).
    /// `foldResults` false folds only operand views (no product into a transpose's buffer,
    /// no pad-sums), as the run-time form needs.
    init(_ f: Function, module: Module, foldResults: Bool = true, shape: @escaping (ValueID) -> [Int]?) {
        var readers: [ValueID: [Int]] = [:]
        var producer: [ValueID: Int] = [:]
        for (k, inst) in f.body.enumerated() {
            for case .value(let v) in inst.operands { readers[v, default: []].append(k) }
            for r in inst.results { producer[r] = k }
        }
        var returned = Set<ValueID>()
        for case .value(let v) in f.returns { returned.insert(v) }
        // Values sharing an argument's buffer (reshape, stop_gradient of an argument).
        var argumentShared = Set(f.arguments)
        // 1. Every candidate view's layout, in body order.
        var candidates: [ValueID: View] = [:]
        for inst in f.body {
            guard case .value(let v)? = inst.operands.first, let r = inst.results.first else { continue }
            if inst.op.has(.view), argumentShared.contains(v) { argumentShared.insert(r) }
            guard !argumentShared.contains(v), let rs = shape(r), rs.reduce(1, *) > 0 else { continue }
            let from = candidates[v] ?? shape(v).map { View(base: v, layout: .dense($0)) }
            guard let from else { continue }
            let layout: StridedLayout?
            switch inst.op {
            case .transpose(let perm): layout = from.layout.transposed(perm)
            case .slice(let axis, let start, _, let step): layout = from.layout.sliced(axis: axis, start: start, step: step, count: rs[axis])
            case .reshape where candidates[v] != nil: layout = from.layout.reshaped(rs)
            default: layout = nil
            }
            if let layout { candidates[r] = View(base: from.base, layout: layout) }
        }
        // 2. Products whose result a transpose keeping the last axis is the only reader of.
        var into: [ValueID: Into] = [:]
        for (k, inst) in f.body.enumerated() where foldResults {
            guard case .matmul = inst.op, let r = inst.results.first, !returned.contains(r),
                  let users = readers[r], users.count == 1, case .transpose(let perm) = f.body[users[0]].op,
                  perm.last == perm.count - 1, users[0] > k, let t = f.body[users[0]].results.first,
                  let ts = shape(t) else { continue }
            var inverse = perm
            for (i, p) in perm.enumerated() { inverse[p] = i }
            guard let layout = StridedLayout.dense(ts).transposed(inverse) else { continue }
            into[r] = Into(value: t, shape: ts, layout: layout)
        }
        // 3. Which candidates stay folded: every reader a product that can read it (with or
        // without the other operand folded) or a folded view, decided last reader first.
        func dtype(_ v: ValueID) -> DType? { f.values[v.index].type?.dtype }
        func product(_ inst: Instruction, _ folded: [ValueID: View], into c: StridedLayout? = nil) -> Bool {
            guard case .matmul(let ta, let tb) = inst.op, case .value(let a) = inst.operands[0], case .value(let b) = inst.operands[1],
                  let r = inst.results.first, let d = dtype(r), let rsh = shape(r), let ash = shape(a), let bsh = shape(b) else { return false }
            let c = c ?? into[r]?.layout ?? .dense(rsh)
            for la in [folded[a]?.layout, .dense(ash)].compactMap({ $0 }) {
                for lb in [folded[b]?.layout, .dense(bsh)].compactMap({ $0 }) {
                    guard let p = StridedProduct(ta: ta, tb: tb, a: la, b: lb, c: c), p.k > 0, p.batches * p.m * p.n > 0,
                          FunctionLowering.canCompute(d, p) else { return false }
                }
            }
            return true
        }
        var folded = candidates
        for (k, inst) in f.body.enumerated().reversed() {
            guard let r = inst.results.first, folded[r] != nil else { continue }
            let ok = !returned.contains(r) && !(readers[r] ?? []).isEmpty && (readers[r] ?? []).allSatisfy { u in
                let reader = f.body[u]
                if case .matmul = reader.op { return reader.operands.prefix(2).contains(.value(r)) && product(reader, folded) }
                return reader.operands.first == .value(r) && folded[reader.results[0]] != nil && u > k
            }
            if !ok { folded[r] = nil }
        }
        views = folded
        guard foldResults else { return }
        // A product folded into a transpose whose operands are fine dense but not as folded
        // views would have been rejected above; re-check each with the final operands.
        for (r, i) in into {
            guard let k = f.body.firstIndex(where: { $0.results.first == r }), product(f.body[k], views) else { continue }
            results[r] = i
            absorbed[i.value] = i.value
        }
        let graph = Graph(f: f, module: module, readers: readers, producer: producer, returned: returned, shape: shape)
        let views = views
        foldPadSums(graph) { k, c in product(f.body[k], views, into: c) }
    }
}

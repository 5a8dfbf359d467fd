import VFCIR

/// The backward pass of slicing one tensor into parts (attention's q, k, v) is a sum of
/// zero-padded gradients: `pad d_q {low 0, high 2} + pad d_k {low 1, high 1} + pad d_v
/// {low 2, high 0}` along the sliced axis, then the transposes undoing the forward ones.
/// When the pads' ranges are disjoint and cover the axis, the sum is the concatenation of
/// the parts, so each part's product writes its result straight into its range of the
/// sum's buffer, or of the buffer of the one transpose reading the sum (keeping the last
/// axis): no padded copies, no sum, no transpose.
extension ViewFolding {
    /// Context of the analysis: the function, its readers and producers, shapes.
    struct Graph {
        let f: Function
        let module: Module
        let readers: [ValueID: [Int]]
        let producer: [ValueID: Int]
        let returned: Set<ValueID>
        let shape: (ValueID) -> [Int]?

        /// Whether `v` has exactly one reader (reading it once) and is not returned.
        func readOnce(_ v: ValueID) -> Bool {
            !returned.contains(v) && readers[v]?.count == 1
        }

        /// The body indices of the pads whose sum `v` is (adds and fused add-only loop
        /// kernels, every intermediate read once), with the instructions forming the sum;
        /// nil when `v` is not such a sum.
        func padLeaves(of v: ValueID) -> (pads: [Int], sum: [Int])? {
            guard let k = producer[v] else { return nil }
            let inst = f.body[k]
            switch inst.op {
            case .pad(_, let low, let high, 0) where low >= 0 && high >= 0:
                return ([k], [])
            case .binary(.add):
                return terms(inst.operands, at: k)
            case .call(let callee):
                guard let g = module.function(named: callee), g.fusionKind == .loop, Self.sumsItsArguments(g) else { return nil }
                return terms(inst.operands, at: k)
            default:
                return nil
            }
        }

        private func terms(_ operands: [Operand], at k: Int) -> (pads: [Int], sum: [Int])? {
            var pads: [Int] = [], sum = [k]
            for o in operands {
                guard case .value(let x) = o, readOnce(x), let t = padLeaves(of: x) else { return nil }
                pads += t.pads
                sum += t.sum
            }
            return (pads, sum)
        }

        /// Whether kernel `g` returns the sum of its arguments, each read once, by adds alone.
        static func sumsItsArguments(_ g: Function) -> Bool {
            guard g.returns.count == 1, !g.body.isEmpty else { return false }
            var uses: [ValueID: Int] = [:]
            for inst in g.body {
                guard case .binary(.add) = inst.op, inst.results.count == 1 else { return false }
                for o in inst.operands {
                    guard case .value(let v) = o else { return false }
                    uses[v, default: 0] += 1
                }
            }
            if case .value(let r) = g.returns[0] { uses[r, default: 0] += 1 } else { return false }
            let values = g.arguments + g.body.map { $0.results[0] }
            return values.allSatisfy { uses[$0] == 1 }
        }
    }

    /// Folds every sum of pads whose parts are products (through reshapes) into direct
    /// writes, where every product can write its part's layout.
    mutating func foldPadSums(_ g: Graph, canWrite: (Int, StridedLayout) -> Bool) {
        for inst in g.f.body {
            guard let s = inst.results.first, !absorbedBy(s), let ss = g.shape(s),
                  let (pads, sum) = g.padLeaves(of: s), pads.count >= 2 else { continue }
            // Not an inner add of a larger sum.
            if g.readOnce(s), let u = g.readers[s]?.first, g.padLeaves(of: g.f.body[u].results[0]) != nil { continue }
            // The destination: the transpose reading the sum (keeping the last axis), or the sum.
            var dest = s, destShape = ss, layout = StridedLayout.dense(ss)
            var absorbedHere: [ValueID] = sum.map { g.f.body[$0].results[0] } + pads.map { g.f.body[$0].results[0] }
            if g.readOnce(s), let u = g.readers[s]?.first, case .transpose(let perm) = g.f.body[u].op, perm.last == perm.count - 1,
               let t = g.f.body[u].results.first, let ts = g.shape(t) {
                var inverse = perm
                for (i, p) in perm.enumerated() { inverse[p] = i }
                if let l = StridedLayout.dense(ts).transposed(inverse) {
                    (dest, destShape, layout) = (t, ts, l)
                    absorbedHere.append(t)
                }
            }
            guard let parts = partLayouts(g, pads: pads, in: layout, extent: ss) else { continue }
            var writes: [(ValueID, StridedLayout)] = []
            var ok = true
            for (pad, part) in parts {
                // Back from the pad's operand through reshapes read once to a product.
                guard case .value(var x) = g.f.body[pad].operands[0] else { ok = false; break }
                var l = part
                while ok {
                    guard g.readOnce(x), let p = g.producer[x], let xs = g.shape(x), let lx = l.reshaped(xs) else { ok = false; break }
                    l = lx
                    if case .matmul = g.f.body[p].op {
                        ok = results[x] == nil && canWrite(p, l)
                        writes.append((x, l))
                        break
                    }
                    guard case .reshape = g.f.body[p].op, case .value(let y) = g.f.body[p].operands[0] else { ok = false; break }
                    absorbedHere.append(x)
                    x = y
                }
                if !ok { break }
            }
            guard ok else { continue }
            for (r, l) in writes { results[r] = Into(value: dest, shape: destShape, layout: l) }
            for v in absorbedHere { absorbed[v] = dest }
        }
    }

    private func absorbedBy(_ v: ValueID) -> Bool { absorbed[v] != nil }

    /// The layout of each pad's operand inside `layout` (the sum's), when the pads share an
    /// axis and their ranges are disjoint and cover it.
    private func partLayouts(_ g: Graph, pads: [Int], in layout: StridedLayout, extent: [Int]) -> [(Int, StridedLayout)]? {
        var ranges: [(pad: Int, low: Int, count: Int)] = []
        var axis: Int?
        for p in pads {
            guard case .pad(let a, let low, _, 0) = g.f.body[p].op, axis == nil || axis == a,
                  case .value(let x) = g.f.body[p].operands[0], let xs = g.shape(x), xs.indices.contains(a),
                  g.shape(g.f.body[p].results[0]) == extent else { return nil }
            axis = a
            ranges.append((p, low, xs[a]))
        }
        guard let axis else { return nil }
        ranges.sort { $0.low < $1.low }
        var next = 0
        for r in ranges {
            guard r.low == next else { return nil }
            next += r.count
        }
        guard next == extent[axis] else { return nil }
        var parts: [(Int, StridedLayout)] = []
        for r in ranges {
            guard let l = layout.sliced(axis: axis, start: r.low, step: 1, count: r.count) else { return nil }
            parts.append((r.pad, l))
        }
        return parts
    }
}

import VFCIR

/// The cycle check of a merge and the topological order of the groups that bounds it.
///
/// Merging groups creates a cycle between kernels exactly when a group outside them lies on
/// a path from one merged group to another. With the groups numbered in a topological order
/// (`position`), every group on such a path lies strictly between the lowest and the highest
/// merged position, so the search stops at the highest one instead of visiting everything
/// downstream of the merge (which cost seconds per pass on the ~15K instructions of the
/// inlined tiny training step). After a merge the order is repaired as in Pearce and Kelly's
/// dynamic topological sort: only groups between the merged positions move.
extension FusionGraph {
    /// Whether merging the groups of `indices` would create a cycle between kernels: some
    /// value computed outside them depends on one of them and feeds one of them. Returns
    /// such a value's name (for the explanation), or nil when the merge is legal.
    func cycle(merging indices: [Int]) -> String? {
        let roots = mergedRoots(indices)
        return cycleValue(roots, downstream: downstream(of: roots))
    }

    /// Merges the groups of `indices` unless that creates a cycle (then records why for
    /// the pair `producer` -> `consumer` and returns false).
    mutating func merge(_ indices: [Int], producer p: Int, consumer c: Int) -> Bool {
        let roots = mergedRoots(indices)
        let reached = downstream(of: roots)
        if let through = cycleValue(roots, downstream: reached) {
            reasons[Pair(producer: p, consumer: c)] = "fusing would make a cycle: \(through) depends on the kernel and feeds it"
            return false
        }
        let r = root(indices[0])
        let slot = newPosition(roots, downstream: reached)
        for i in indices.dropFirst() { union(r, root(i)) }
        position[r] = slot
        return true
    }

    /// The distinct roots of `indices`, ascending.
    private func mergedRoots(_ indices: [Int]) -> [Int] {
        var roots: [Int] = []
        for i in indices {
            let r = root(i)
            if !roots.contains(r) { roots.append(r) }
        }
        return roots.sorted()
    }

    /// The groups reached from `roots` along users, not counting `roots` and not going past
    /// the highest of their positions (nothing there can lead back into them).
    private func downstream(of roots: [Int]) -> Set<Int> {
        let hi = roots.map { position[$0] }.max() ?? 0
        var reached: Set<Int> = []
        var work = roots
        // The merged groups start the search; every other group is entered once.
        while let g = work.popLast() {
            for m in groupMembers[g] ?? [g] {
                for u in successors[m] {
                    let h = root(u)
                    guard position[h] < hi, !roots.contains(h), reached.insert(h).inserted else { continue }
                    work.append(h)
                }
            }
        }
        return reached
    }

    /// The first operand of the merged groups (in root order, then body order) produced by
    /// a group in `downstream`: it depends on the merge and feeds it.
    private func cycleValue(_ roots: [Int], downstream: Set<Int>) -> String? {
        guard !downstream.isEmpty else { return nil }
        for g in roots {
            for m in groupMembers[g] ?? [g] {
                for case .value(let v) in function.body[m].operands {
                    if let p = producer[v], downstream.contains(root(p)) { return name(v) }
                }
            }
        }
        return nil
    }

    /// The position of the merged group of `roots` (no cycle), after moving the groups
    /// between them that must now come before or after it.
    ///
    /// Between the lowest and highest merged positions, the groups `downstream` (reached
    /// from the merge) must follow the merged group and the groups upstream (reaching it)
    /// must precede it; the two sets are disjoint, else there would be a cycle. Their
    /// positions and the merged ones are handed out again: upstream groups first, then the
    /// merged group, then downstream groups, each set in its old order. Every moved group
    /// keeps its order relative to the groups that do not move, so the order stays valid.
    private mutating func newPosition(_ roots: [Int], downstream: Set<Int>) -> Int {
        let lo = roots.map { position[$0] }.min() ?? 0
        let hi = roots.map { position[$0] }.max() ?? 0
        // Nothing between depends on the merge: the merged group can run last of them.
        if downstream.isEmpty { return hi }
        let upstream = self.upstream(of: roots, above: lo)
        // Nothing between feeds the merge: it can run first of them.
        if upstream.isEmpty { return lo }
        let before = upstream.sorted { position[$0] < position[$1] }
        let after = downstream.sorted { position[$0] < position[$1] }
        let slots = (before + roots + after).map { position[$0] }.sorted()
        for (k, g) in before.enumerated() { position[g] = slots[k] }
        for (k, g) in after.enumerated() { position[g] = slots[slots.count - after.count + k] }
        return slots[before.count]
    }

    /// The groups that reach `roots` along operands, not counting `roots` and not going
    /// below position `lo`.
    private func upstream(of roots: [Int], above lo: Int) -> Set<Int> {
        var reached: Set<Int> = []
        var work = roots
        while let g = work.popLast() {
            for m in groupMembers[g] ?? [g] {
                for p in predecessors[m] {
                    let h = root(p)
                    guard position[h] > lo, !roots.contains(h), reached.insert(h).inserted else { continue }
                    work.append(h)
                }
            }
        }
        return reached
    }
}

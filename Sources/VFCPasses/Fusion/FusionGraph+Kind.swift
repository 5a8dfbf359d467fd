import VFCIR

extension FusionGraph {
    /// The kind stamped on the kernel of a group (body indices `members`), from the roles
    /// of its ops: what each fuse pass makes of a group.
    /// - a crop anchor: `fuse-crop-sample`'s backward kernel;
    /// - several anchors (the full sums `fuse-horizontal-reductions` merges): a multi-sum;
    /// - one row, reduce or gemm anchor: row, reduce or epilogue (`fuse-reductions`,
    ///   `fuse-epilogues`, extended by `fuse-elementwise`);
    /// - no anchor: one loop, or several unconnected parts (`fuse-horizontal`): multi-tensor.
    func kind(of members: [Int]) -> FusionKind {
        let anchors = members.filter { role($0).isAnchor }
        if anchors.contains(where: { role($0) == .cropAnchor }) { return .cropSample }
        if anchors.count > 1 { return .multiSum }
        if let a = anchors.first {
            switch role(a) {
            case .rowAnchor: return .row
            case .reduceAnchor: return .reduce
            case .gemmAnchor: return .epilogue
            case .cropAnchor, .elementwise, .opaque: break
            }
        }
        return connectedParts(members) > 1 ? .multiTensor : .loop
    }

    /// How many parts of `members` are connected by values one reads from another.
    private func connectedParts(_ members: [Int]) -> Int {
        let inGroup = Set(members)
        var parent: [Int: Int] = [:]
        for m in members { parent[m] = m }
        func find(_ i: Int) -> Int {
            var r = i
            while parent[r]! != r { r = parent[r]! }
            return r
        }
        for m in members {
            for case .value(let v) in function.body[m].operands {
                if let p = producer[v], inGroup.contains(p) { parent[find(p)] = find(m) }
            }
        }
        return Set(members.map(find)).count
    }
}

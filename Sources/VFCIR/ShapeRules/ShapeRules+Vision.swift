/// Shape rules of the vision ops of method.md section 2: patchify, crop_sample, crop_sample_add.
extension ShapeRules {
    static func patchify(_ p: Int, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        let x = try unaryTensor(operands)
        try requireRank(x, 4, "views [N, C, H, W]")
        guard p >= 1 else { throw .attributeBelow(name: "patch", minimum: 1, got: p) }
        guard let h = x.shape[2].staticValue, let w = x.shape[3].staticValue else {
            throw .imageDynamic(x)
        }
        guard h % p == 0, w % p == 0 else {
            throw .patchDivisor(height: h, width: w, type: x, patch: p)
        }
        let (pp, overflow) = p.multipliedReportingOverflow(by: p)
        guard !overflow, let cols = x.shape[1].multiplied(by: Dim(pp)) else { throw .patchOverflow(p) }
        return TensorType(x.dtype, [x.shape[0], Dim((h / p) * (w / p)), cols])
    }

    /// Checks the field, boxes and flips shared by both crop ops; returns (N, D, dtype).
    private static func cropInputs(_ grid: Int, _ source: Int, field: TensorType, boxes: TensorType, flips: TensorType) throws(ShapeError) -> (Dim, Dim) {
        guard grid >= 1, grid <= 4096 else { throw .attributeOutOfRange(name: "grid", range: 1...4096, got: grid) }
        guard source >= 1 else { throw .attributeBelow(name: "source", minimum: 1, got: source) }
        try requireFloat(field, "field")
        guard field.rank == 3, field.shape[0] == field.shape[1], field.shape[0].staticValue != nil else {
            throw .cropField(field)
        }
        guard boxes.dtype == field.dtype, boxes.rank == 2, boxes.shape[1] == Dim(4) else {
            throw .cropBoxes(dtype: field.dtype, got: boxes)
        }
        guard flips.rank == 1, flips.shape[0] == boxes.shape[0], flips.dtype.isInteger else {
            throw .cropFlips(boxes: boxes, got: flips)
        }
        return (boxes.shape[0], field.shape[2])
    }

    static func cropSample(_ grid: Int, _ source: Int, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        try arity(operands, 3, "field, boxes, flips")
        let field = try tensor(operands, 0, "field")
        let (n, d) = try cropInputs(grid, source, field: field, boxes: try tensor(operands, 1, "boxes"), flips: try tensor(operands, 2, "flips"))
        return TensorType(field.dtype, [n, Dim(grid * grid), d])
    }

    static func cropSampleGrad(_ grid: Int, _ source: Int, _ side: Int, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        try arity(operands, 3, "d_samples, boxes, flips")
        let d = try tensor(operands, 0, "d_samples")
        try requireFloat(d, "d_samples")
        guard side >= 1, side <= 65536 else { throw .attributeOutOfRange(name: "field", range: 1...65536, got: side) }
        let fieldType = TensorType(d.dtype, [Dim(side), Dim(side), d.rank == 3 ? d.shape[2] : Dim(1)])
        let (n, _) = try cropInputs(grid, source, field: fieldType, boxes: try tensor(operands, 1, "boxes"), flips: try tensor(operands, 2, "flips"))
        let expected = TensorType(d.dtype, [n, Dim(grid * grid), fieldType.shape[2]])
        guard d == expected else { throw .cropGradient(count: n, cells: grid * grid, expected: expected, got: d) }
        return try checkCount(fieldType)
    }

    static func cropSampleAdd(_ grid: Int, _ source: Int, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        try arity(operands, 8, "x, field, boxes, flips, content_mask, mask_token, position_mask, pos_mask_token")
        let x = try tensor(operands, 0, "x")
        let field = try tensor(operands, 1, "field")
        let (n, d) = try cropInputs(grid, source, field: field, boxes: try tensor(operands, 2, "boxes"), flips: try tensor(operands, 3, "flips"))
        let expected = TensorType(field.dtype, [n, Dim(grid * grid), d])
        guard x == expected else { throw .cropSum(expected: expected, field: field, grid: grid, got: x) }
        for (i, role) in [(4, "content_mask"), (6, "position_mask")] {
            let m = try tensor(operands, i, role)
            guard m.dtype.isBoolLike, m.shape == [n, Dim(grid * grid)] else {
                throw .cropMask(role: role, count: n, cells: grid * grid, got: m)
            }
        }
        for (i, role) in [(5, "mask_token"), (7, "pos_mask_token")] {
            let t = try tensor(operands, i, role)
            guard t == TensorType(field.dtype, [d]) else {
                throw .operandType(role: role, expected: TensorType(field.dtype, [d]), matching: nil, got: t)
            }
        }
        return x
    }
}

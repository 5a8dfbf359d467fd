/// Shape rules of the elementwise family: unary, binary, compare, select, convert, constant.
extension ShapeRules {
    static func unary(_ u: UnaryOp, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        let x = try unaryTensor(operands)
        switch u {
        case .neg, .abs:
            guard x.dtype != .i1, x.dtype != .u8 else { throw .notNumber(role: "operand", got: x) }
        case .exp, .log, .sqrt, .rsqrt, .tanh, .erf, .gelu:
            try requireFloat(x, "operand")
        case .not:
            guard x.dtype.isBoolLike else { throw .notBoolLike(role: "operand", got: x) }
        }
        return x
    }

    /// The common type of two operands, either of which may be a literal or rank 0.
    static func elementwisePair(_ operands: [TensorType?], _ names: (String, String)) throws(ShapeError) -> TensorType {
        let a = operands[0], b = operands[1]
        switch (a, b) {
        case (nil, nil):
            throw .twoLiterals
        case (let t?, nil), (nil, let t?):
            return t
        case (let a?, let b?):
            guard a.dtype == b.dtype else {
                throw .dtypeMismatch(lhsRole: names.0, lhs: a, rhsRole: names.1, rhs: b)
            }
            if a.shape == b.shape || b.rank == 0 { return a }
            if a.rank == 0 { return b }
            throw .shapeMismatch(lhsRole: names.0, lhs: a, rhsRole: names.1, rhs: b)
        }
    }

    static func binary(_ op: BinaryOp, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        try arity(operands, 2, "lhs, rhs")
        let t = try elementwisePair(operands, ("lhs", "rhs"))
        switch op {
        case .add, .sub, .mul, .div, .max, .min:
            guard t.dtype != .i1 else { throw .boolArithmetic(t) }
        case .pow:
            try requireFloat(t, "operands")
        case .and, .or:
            guard t.dtype.isBoolLike else { throw .notBoolLike(role: "operands", got: t) }
        }
        return t
    }

    static func compare(_ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        try arity(operands, 2, "lhs, rhs")
        return try elementwisePair(operands, ("lhs", "rhs")).with(dtype: .i1)
    }

    static func select(_ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        try arity(operands, 3, "condition, on_true, on_false")
        let c = try tensor(operands, 0, "condition")
        guard c.dtype.isBoolLike else { throw .notBoolLike(role: "condition", got: c) }
        let v = try elementwisePair([operands[1], operands[2]], ("on_true", "on_false"))
        guard v.shape == c.shape || v.rank == 0 else {
            throw .selectShapes(condition: c, values: v)
        }
        return TensorType(v.dtype, c.shape)
    }

    static func convert(_ to: DType, _ operands: [TensorType?]) throws(ShapeError) -> TensorType {
        try unaryTensor(operands).with(dtype: to)
    }

    static func constant(_ v: ConstantValue, _ operands: [TensorType?], _ declared: [TensorType?]) throws(ShapeError) -> TensorType {
        try arity(operands, 0, "none")
        guard declared.count == 1, let t = declared[0] else {
            throw .constantUntyped
        }
        if case .dense(let values) = v {
            guard let n = t.staticShape.flatMap({ s in product(s.map { Dim($0) })?.staticValue }) else {
                throw .constantDynamic(t)
            }
            guard n == values.count else {
                throw .constantCount(values: values.count, type: t, elements: n)
            }
        }
        return t
    }
}

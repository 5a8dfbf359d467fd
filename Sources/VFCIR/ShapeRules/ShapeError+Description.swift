/// The text of each shape error, as the verifier prints it after `OP: `.
extension ShapeError {
    public var description: String {
        switch self {
        case let .arity(n, roles, got): return "expected \(n) operand\(n == 1 ? "" : "s") (\(roles)), got \(got)"
        case .literalOperand(let role): return "\(role) must be a tensor, not a literal"
        case .twoLiterals: return "at least one operand must be a tensor, got two literals"
        case let .axisOutOfRange(a, t): return "axis \(a) is out of range for \(t) (rank \(t.rank))"
        case let .notFloat(role, t): return "\(role) must be f32 or f64, got \(t)"
        case let .notNumber(role, t): return "\(role) must be a number type, got \(t)"
        case let .notBoolLike(role, t): return "\(role) must be i1 or u8, got \(t)"
        case .indicesType(let t): return "indices must be i32 or i64, got \(t)"
        case let .rank(role, n, t): return "\(role) must have rank \(n), got \(t)"
        case let .rankBelow(role, n, t): return "\(role) must have rank at least \(n), got \(t)"
        case let .dtypeMismatch(r0, a, r1, b): return "element types differ: \(r0) \(a), \(r1) \(b)"
        case let .shapeMismatch(r0, a, r1, b):
            return "operand shapes differ: \(r0) \(a), \(r1) \(b) (broadcasting is explicit: use 'broadcast')"
        case let .operandType(role, expected, matching, got):
            return "\(role) must be \(expected)\(matching.map { " to match \($0)" } ?? ""), got \(got)"
        case .resultRank(let n): return "result rank \(n) exceeds \(Limits.maxRank)"
        case .uncountable(let t): return "result \(t) has more elements than can be counted"
        case let .tooManyElements(t, n): return "result \(t) has \(n) elements, over the limit of \(Limits.maxElements)"
        case .resultOverflow: return "result shape overflows"
        case let .attributeBelow(name, minimum, got): return "'\(name)' must be at least \(minimum), got \(got)"
        case let .attributeOutOfRange(name, range, got):
            return "'\(name)' must be in \(range.lowerBound)...\(range.upperBound), got \(got)"
        case let .epsilon(eps, allowZero):
            return "'eps' must be finite and \(allowZero ? "non-negative" : "positive"), got \(formatNumber(eps))"
        case let .dynamicAxis(verb, axis, t):
            return "\(verb) axis \(axis) of \(t) must be static, got \(t.shape[axis < 0 ? axis + t.rank : axis])"
        case .boolArithmetic(let t): return "arithmetic on i1 is not defined, got \(t); use 'and'/'or'"
        case let .selectShapes(c, v): return "condition \(c) and values \(v) have different shapes"
        case .constantUntyped: return "the result type must be written, e.g. 'constant {value = 0} : f32[4]'"
        case .constantDynamic(let t): return "a constant with a list of values needs a static shape, got \(t)"
        case let .constantCount(values, t, n): return "\(values) values given for \(t), which has \(n) elements"
        case let .dimMismatch(kind, lhs, rhs):
            let what = switch kind {
            case .contracting: "contracting dimensions"
            case .batch: "batch dimensions"
            case .inputWidth: "input widths"
            }
            return "\(what) differ: \(lhs), \(rhs)"
        case let .matmulRhsRank(a, b): return "rhs must have rank 2 or the rank of lhs, got lhs \(a), rhs \(b)"
        case let .matmulRank(a, b): return "operands must have rank at least 2, got lhs \(a), rhs \(b)"
        case let .weightMatrix(dtype, w): return "weight must be \(dtype)[out, in], got \(w)"
        case let .broadcastDimsCount(dims, x): return "'dims' has \(dims.count) entries but operand \(x) has rank \(x.rank)"
        case let .broadcastDimsOrder(dims, rank): return "'dims' must be increasing result axes below \(rank), got \(dims)"
        case let .broadcastDim(x, k, shape, d):
            return "operand \(x) dim \(k) is \(x.shape[k]), cannot broadcast to \(shape[d]) (result axis \(d) of \(ShapeRules.shapeString(shape)))"
        case let .reshapeCount(x, shape): return "cannot reshape \(x) to \(ShapeRules.shapeString(shape)): element counts differ"
        case let .notPermutation(perm, x): return "'perm' \(perm) is not a permutation of the \(x.rank) axes of \(x)"
        case let .sliceBounds(start, end, axis, x, n):
            return "slice [\(start), \(end)) is out of bounds for axis \(axis) of \(x) (size \(n))"
        case let .padAmounts(low, high, interior):
            return "'low', 'high' and 'interior' must be in 0...\(Limits.maxElements), got \(low), \(high), \(interior)"
        case .concatEmpty: return "expected at least one operand"
        case let .concatOperand(i, t, first): return "operand \(i) \(t) does not match operand 0 \(first)"
        case let .concatDim(i, t, first, d):
            return "operand \(i) \(t) differs from operand 0 \(first) in dim \(d), which is not the concat axis"
        case let .concatSum(a, b): return "cannot add dims \(a) and \(b) along the concat axis (sums must stay a single term)"
        case let .scatterAxis(u, idx, axis): return "updates \(u) must have indices \(idx) at axis \(axis)"
        case let .scatterShape(u, idx, axis):
            return "updates \(u) dims \(axis)..<\(axis + idx.rank) must equal the indices' shape \(idx)"
        case let .boolReduce(kind, x): return "reduce_\(kind.rawValue) of i1 is not defined, got \(x)"
        case let .duplicateAxis(a, axes): return "axis \(a) appears twice in 'axes' \(axes)"
        case .imageDynamic(let x): return "image height and width of \(x) must be static"
        case let .patchDivisor(h, w, x, p): return "image \(h) x \(w) of \(x) is not divisible by patch \(p)"
        case .patchOverflow(let p): return "patch \(p) is too large: P*P overflows"
        case .cropField(let t): return "field must be [Fs, Fs, D] with a static side, got \(t)"
        case let .cropBoxes(dtype, t): return "boxes must be \(dtype)[N, 4] (x0, y0, w, h), got \(t)"
        case let .cropFlips(boxes, t): return "flips must be u8[\(boxes.shape[0])] (or i1) to match boxes \(boxes), got \(t)"
        case let .cropGradient(n, cells, expected, got): return "d_samples must be \(n)-by-\(cells)-by-D like \(expected), got \(got)"
        case let .cropSum(expected, field, grid, got):
            return "x must be \(expected) to match field \(field) and grid \(grid), got \(got)"
        case let .cropMask(role, n, cells, got): return "\(role) must be u8[\(n), \(cells)] (or i1), got \(got)"
        case .functionOp: return "ops on functions are typed by the verifier"
        case .undefinedFunction(let f): return "call to undefined function '@\(f)'"
        case let .callArity(f, n, got): return "'@\(f)' takes \(n) argument(s), got \(got)"
        case .untypedCallee(let f): return "'@\(f)' could not be typed"
        case .literalArgument(let k): return "argument \(k) must be a tensor, not a literal"
        case let .argumentType(k, f, formal, actual): return "argument \(k) of '@\(f)' is \(formal), got \(actual)"
        case let .symbolConflict(s, f, first, second, k, actual):
            return "symbol \(s) of '@\(f)' is bound to \(first) and to \(second) (argument \(k) \(actual))"
        case let .lossNotScalar(f, got):
            return "the first result of '@\(f)' must be a float scalar (the loss), got \(got.map(\.description) ?? "no result")"
        case let .wrtArgument(i, f, given): return "'wrt' names argument \(i), but '@\(f)' is given \(given) argument(s)"
        case .wrtUndefinedParam(let p): return "'wrt' names undefined parameter '@\(p)'"
        case let .notDifferentiable(target, t):
            let what = switch target {
            case .argument(let i): "argument \(i)"
            case .param(let p): "'@\(p)'"
            case .allParams: "every parameter"
            }
            return "cannot differentiate with respect to \(what) of type \(t): not a float type"
        }
    }
}

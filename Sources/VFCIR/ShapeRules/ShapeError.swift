/// What a shape rule (or the verifier's typing of `call` and `value_and_grad`) reports.
///
/// One case per failure, carrying the types, dims, axes and attribute values it is about;
/// the op name and source location are added by the caller (`Diagnostic.Message.shapeRule`).
/// `role` strings name an operand the way the op's syntax does (`lhs`, `weight`, ...).
public enum ShapeError: Error, Hashable, Sendable, CustomStringConvertible {
    // Operands in general.
    /// The op takes `expected` operands (`roles` lists them), `got` were given.
    case arity(expected: Int, roles: String, got: Int)
    /// A literal where the op needs a tensor.
    case literalOperand(role: String)
    /// Both operands of a binary op are literals.
    case twoLiterals
    /// An axis outside `-rank..<rank` of `type`.
    case axisOutOfRange(axis: Int, type: TensorType)
    /// An operand that must be a float tensor.
    case notFloat(role: String, got: TensorType)
    /// An operand that must be a number (not i1 or u8).
    case notNumber(role: String, got: TensorType)
    /// An operand that must be i1 or u8.
    case notBoolLike(role: String, got: TensorType)
    /// Index operands must be i32 or i64.
    case indicesType(TensorType)
    /// An operand that must have exactly `rank` axes.
    case rank(role: String, expected: Int, got: TensorType)
    /// An operand that must have at least `minimum` axes.
    case rankBelow(role: String, minimum: Int, got: TensorType)
    /// Two operands whose element types differ.
    case dtypeMismatch(lhsRole: String, lhs: TensorType, rhsRole: String, rhs: TensorType)
    /// Two elementwise operands whose shapes differ (and neither is rank 0).
    case shapeMismatch(lhsRole: String, lhs: TensorType, rhsRole: String, rhs: TensorType)
    /// An operand whose type must be `expected`; `matching` names the operand it follows from.
    case operandType(role: String, expected: TensorType, matching: Named?, got: TensorType)

    // Results.
    /// A result rank over `Limits.maxRank`.
    case resultRank(Int)
    /// A result whose element count does not fit in one `Dim`.
    case uncountable(TensorType)
    /// A result with more than `Limits.maxElements` elements.
    case tooManyElements(TensorType, count: Int)
    /// A result type whose dims overflow once the callee's symbols are substituted.
    case resultOverflow

    // Attributes.
    /// An integer attribute below its minimum.
    case attributeBelow(name: String, minimum: Int, got: Int)
    /// An integer attribute outside its range.
    case attributeOutOfRange(name: String, range: ClosedRange<Int>, got: Int)
    /// An `eps` that is not finite, or negative (zero allowed only when `allowZero`).
    case epsilon(Double, allowZero: Bool)
    /// A sliced or padded axis (`verb`) that is symbolic.
    case dynamicAxis(verb: String, axis: Int, type: TensorType)

    // Elementwise.
    /// Arithmetic on i1.
    case boolArithmetic(TensorType)
    /// `select` whose condition and values differ in shape.
    case selectShapes(condition: TensorType, values: TensorType)
    /// A `constant` without a written result type.
    case constantUntyped
    /// A dense `constant` of a symbolic shape.
    case constantDynamic(TensorType)
    /// A dense `constant` with another number of values than its type has elements.
    case constantCount(values: Int, type: TensorType, elements: Int)

    // Matrix products.
    /// Dims of two operands that must agree (`kind` says which).
    case dimMismatch(DimKind, lhs: AxisOf, rhs: AxisOf)
    /// matmul's rhs rank is neither 2 nor lhs's.
    case matmulRhsRank(lhs: TensorType, rhs: TensorType)
    /// matmul operands of rank below 2.
    case matmulRank(lhs: TensorType, rhs: TensorType)
    /// linear's weight is not a `[out, in]` matrix of x's element type.
    case weightMatrix(dtype: DType, got: TensorType)

    // Data movement.
    /// broadcast's `dims` has another length than the operand's rank.
    case broadcastDimsCount(dims: [Int], operand: TensorType)
    /// broadcast's `dims` is not increasing, or names an axis past the result's rank.
    case broadcastDimsOrder(dims: [Int], resultRank: Int)
    /// An operand dim that is neither the result's nor 1.
    case broadcastDim(operand: TensorType, axis: Int, shape: [Dim], resultAxis: Int)
    /// reshape to another element count.
    case reshapeCount(TensorType, to: [Dim])
    /// transpose's `perm` is not a permutation of the axes.
    case notPermutation([Int], TensorType)
    /// A slice range outside the axis.
    case sliceBounds(start: Int, end: Int, axis: Int, type: TensorType, size: Int)
    /// pad amounts outside `0...Limits.maxElements`.
    case padAmounts(low: Int, high: Int, interior: Int)
    /// concat of no operands.
    case concatEmpty
    /// A concat operand whose element type or rank differs from operand 0's.
    case concatOperand(index: Int, type: TensorType, first: TensorType)
    /// A concat operand whose non-concat dim differs from operand 0's.
    case concatDim(index: Int, type: TensorType, first: TensorType, dim: Int)
    /// Concat sizes whose sum is not a single term.
    case concatSum(Dim, Dim)
    /// scatter_add's indices do not fit in the updates at `axis`.
    case scatterAxis(updates: TensorType, indices: TensorType, axis: Int)
    /// scatter_add's updates dims at `axis` differ from the indices' shape.
    case scatterShape(updates: TensorType, indices: TensorType, axis: Int)

    // Reductions.
    /// A sum, product or mean of i1.
    case boolReduce(ReduceOp, TensorType)
    /// An axis listed twice in `axes`.
    case duplicateAxis(Int, axes: [Int])

    // Vision.
    /// patchify of an image with a symbolic height or width.
    case imageDynamic(TensorType)
    /// An image side not divisible by the patch.
    case patchDivisor(height: Int, width: Int, type: TensorType, patch: Int)
    /// A patch whose square overflows.
    case patchOverflow(Int)
    /// A crop field that is not `[Fs, Fs, D]` with a static side.
    case cropField(TensorType)
    /// Crop boxes that are not `dtype[N, 4]`.
    case cropBoxes(dtype: DType, got: TensorType)
    /// Crop flips that are not `u8[N]` matching the boxes.
    case cropFlips(boxes: TensorType, got: TensorType)
    /// crop_sample_grad's incoming gradient of another shape than the samples.
    case cropGradient(count: Dim, cells: Int, expected: TensorType, got: TensorType)
    /// crop_sample_add's x of another type than the samples.
    case cropSum(expected: TensorType, field: TensorType, grid: Int, got: TensorType)
    /// A crop mask that is not `u8[N, grid*grid]`.
    case cropMask(role: String, count: Dim, cells: Int, got: TensorType)

    // Ops on functions (typed by the verifier).
    /// `call` or `value_and_grad` handed to the per-op rules.
    case functionOp
    /// A call to a function the module does not define.
    case undefinedFunction(String)
    /// A call with another number of arguments than the callee takes.
    case callArity(callee: String, expected: Int, got: Int)
    /// A callee whose own types are unknown (it failed to verify).
    case untypedCallee(String)
    /// A literal argument to a call.
    case literalArgument(Int)
    /// An argument whose type differs from the callee's formal type.
    case argumentType(index: Int, callee: String, formal: TensorType, actual: TensorType)
    /// A callee symbol bound to two different dims.
    case symbolConflict(symbol: String, callee: String, first: Dim, second: Dim, argument: Int, actual: TensorType)
    /// value_and_grad of a callee whose first result is not a float scalar.
    case lossNotScalar(callee: String, got: TensorType?)
    /// value_and_grad's `wrt` names an argument the call is not given.
    case wrtArgument(Int, callee: String, given: Int)
    /// value_and_grad's `wrt` names an undefined param.
    case wrtUndefinedParam(String)
    /// A gradient taken with respect to a non-float argument or param.
    case notDifferentiable(GradTarget, TensorType)

    /// Which dims of `dimMismatch` disagree.
    public enum DimKind: Hashable, Sendable {
        case contracting, batch, inputWidth
    }

    /// One axis of one operand: its role, its type and the axis.
    public struct AxisOf: Hashable, Sendable, CustomStringConvertible {
        public var role: String
        public var type: TensorType
        public var axis: Int
        public init(_ role: String, _ type: TensorType, _ axis: Int) {
            self.role = role
            self.type = type
            self.axis = axis
        }
        public var description: String { "\(role) \(type) dim \(axis) is \(type.shape[axis])" }
    }

    /// An operand by role and type, printed `role type`.
    public struct Named: Hashable, Sendable, CustomStringConvertible {
        public var role: String
        public var type: TensorType
        public init(_ role: String, _ type: TensorType) {
            self.role = role
            self.type = type
        }
        public var description: String { "\(role) \(type)" }
    }
}

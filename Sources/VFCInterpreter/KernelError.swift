import VFCIR
import VFCTensor

/// What an instruction's run throws; the executor wraps it with the op name and location
/// (`InterpreterError.instruction`), so kernels need not know which instruction they run
/// for. Each case carries the shapes, indices and names it is about.
public enum KernelError: Error, Sendable, CustomStringConvertible {
    // The instruction's operands and results.
    /// An operand used before it is defined (an unverified module).
    case undefinedOperand(Int)
    /// A param that is not declared (an unverified module).
    case unknownParam(String)
    /// Symbols of a result type that the inputs do not bind.
    case unboundSymbols([String], type: TensorType)
    /// A result type whose element count overflows under the bindings.
    case shapeOverflow(TensorType, bindings: [String: Int])
    /// A symbolic dim of the op's attributes that is not bound.
    case unboundAttributeDim(Dim)
    /// A result over the interpreter's element budget (`count`: nil when it overflows).
    case resultOverBudget(TensorType, bindings: [String: Int], count: Int?)
    /// The op's shape rule rejected the concrete operand shapes under `bindings`.
    case shapeRule(ShapeError, bindings: [String: Int])
    /// The operands' shapes give another result type than the declared one evaluates to.
    case resultMismatch(inferred: TensorType, dtype: DType, shape: [Int], bindings: [String: Int])
    /// An op with one result bound to several names.
    case resultCount(Int)
    /// `value_and_grad`, which the autodiff pass expands before anything runs.
    case notExpanded

    // Calls.
    /// A call to a function that does not exist.
    case undefinedCallee(String)
    /// Calls nested deeper than the executor allows.
    case callDepth(Int)
    /// The function called failed with an error about the call as a whole (its inputs):
    /// it belongs to the call site.
    indirect case callee(String, InterpreterError)

    // The kernels.
    /// An elementwise op on literals only.
    case literalsOnly
    /// A literal where the kernel needs a tensor.
    case literalOperand(Int)
    /// A constant with another number of values than elements.
    case constantCount(values: Int, elements: Int)
    /// A result over the interpreter's element budget, seen by a kernel.
    case kernelResultOverBudget(DType, [Int])
    /// A reshape between different element counts.
    case reshape(from: [Int], to: [Int])
    /// An axis out of range for the rank.
    case axisOutOfRange(Int, rank: Int)
    /// A gather or scatter index out of range (or NaN).
    case indexOutOfRange(Double, position: Int, axis: Int, size: Int)
    /// A `nonzero` mask with more nonzero elements than the result's size.
    case nonzeroOverflow(count: Int, size: Int)
    /// Crop sampling from a field of side 0.
    case emptyField
    /// A box whose sample points are NaN (its four coordinates).
    case nanSamplePoint(box: Int, coordinates: [Double])
    /// A broken invariant of the interpreter itself.
    case internalError(String)

    public var description: String {
        func under(_ b: [String: Int]) -> String {
            let bound = b.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            return bound.isEmpty ? "" : " (under \(bound))"
        }
        switch self {
        case .undefinedOperand(let i): return "operand #\(i) is not defined before its use"
        case .unknownParam(let p): return "unknown param @\(p)"
        case let .unboundSymbols(symbols, t):
            let one = symbols.count == 1
            return "symbol\(one ? "" : "s") \(symbols.joined(separator: ", ")) of \(t) \(one ? "is" : "are") not bound by the inputs; pass a binding (e.g. --bind \(symbols.first ?? "N")=...)"
        case let .shapeOverflow(t, b): return "shape of \(Binding.describe(t, b)) overflows"
        case .unboundAttributeDim(let d): return "dim \(d) of the op's shape is not bound"
        case let .resultOverBudget(t, b, count):
            let size = count.map { "\($0) elements" } ?? "an element count that overflows"
            return "result \(Binding.describe(t, b)) has \(size), over the interpreter's budget of \(Tensor.maxElements)"
        case let .shapeRule(e, b): return "\(e)" + under(b)
        case let .resultMismatch(t, dtype, shape, b):
            return "the operands give \(t) but the result type evaluates to \(dtype)\(Binding.shapeString(shape))\(under(b))"
        case .resultCount(let n): return "expected one result, \(n) are bound"
        case .notExpanded: return "run the autodiff pass first (vfc run does this)"
        case .undefinedCallee(let f): return "call to undefined function @\(f)"
        case .callDepth(let n): return "calls nest deeper than \(n) (recursion is not supported)"
        case let .callee(f, e): return "@\(f): \(e.message)"
        case .literalsOnly: return "at least one operand must be a tensor"
        case .literalOperand(let i): return "operand \(i) must be a tensor"
        case let .constantCount(values, elements): return "\(values) values for \(elements) elements"
        case let .kernelResultOverBudget(dtype, shape):
            return "result \(dtype)\(Binding.shapeString(shape)) is over the interpreter's budget of \(Tensor.maxElements) elements"
        case let .reshape(from, to): return "cannot reshape \(Binding.shapeString(from)) to \(Binding.shapeString(to))"
        case let .axisOutOfRange(axis, rank): return "axis \(axis) is out of range for rank \(rank)"
        case let .indexOutOfRange(v, position, axis, size):
            return "index \(formatNumber(v)) at position \(position) of the indices is out of range for axis \(axis) of size \(size)"
        case let .nonzeroOverflow(count, size): return "the mask has \(count) nonzero elements, more than size \(size)"
        case .emptyField: return "cannot sample an empty field (side 0)"
        case let .nanSamplePoint(n, box): return "box \(n) (\(box.map(formatNumber).joined(separator: ", "))) gives a NaN sample point"
        case .internalError(let m): return "internal: \(m)"
        }
    }
}

/// Every op of the IR, without its attributes: one case per name in the text format.
///
/// `info` is the op table: each op declared once, with its syntax, attributes, arity,
/// family, traits and doc line. Adding an op: docs/adding-an-op.md.
public enum OpCode: String, CaseIterable, Hashable, Sendable {
    case neg, exp, log, sqrt, rsqrt, tanh, erf, abs, gelu, not
    case add, sub, mul, div, max, min, pow, and, or
    case eq, ne, lt, le, gt, ge
    case select, convert
    case constant, broadcast, reshape, transpose, slice, concat, take, pad
    case scatterAdd = "scatter_add", stopGradient = "stop_gradient", nonzero
    case reduceSum = "reduce_sum", reduceMax = "reduce_max", reduceMin = "reduce_min", reduceMean = "reduce_mean"
    case softmax, logSoftmax = "log_softmax", layerNorm = "layer_norm", l2Normalize = "l2_normalize"
    case matmul, linear
    case patchify, cropSample = "crop_sample", cropSampleAdd = "crop_sample_add", cropSampleGrad = "crop_sample_grad"
    case call, valueAndGrad = "value_and_grad"

    /// The op named `name` in the text format.
    public init?(name: String) { self.init(rawValue: name) }

    /// The op's declaration (computed once per op).
    public var info: OpInfo { Self.table[self]! }

    /// The op's traits (`info.traits`, without copying the declaration: passes ask often).
    public var traits: OpTraits { Self.traitTable[self]! }

    private static let table: [OpCode: OpInfo] = Dictionary(uniqueKeysWithValues: allCases.map { ($0, $0.declaration) })
    private static let traitTable: [OpCode: OpTraits] = table.mapValues(\.traits)

    /// The op table. One entry per op; the compiler checks that none is missing.
    private var declaration: OpInfo {
        let x = Arity.exactly(1), ab = Arity.exactly(2)
        let ew: OpTraits = [.elementwise, .foldable]
        func unary(_ doc: String, traits: OpTraits = [], differentiable: DifferentiableOperands = .operands([0])) -> OpInfo {
            OpInfo(self, .elementwise, "\(rawValue) %x", operands: x, traits: ew.union(traits), differentiable: differentiable, doc: doc)
        }
        func binary(_ doc: String, traits: OpTraits = [], differentiable: DifferentiableOperands = .operands([0, 1])) -> OpInfo {
            OpInfo(self, .elementwise, "\(rawValue) %a, %b", operands: ab, traits: ew.union(traits), differentiable: differentiable, doc: doc)
        }
        func compare(_ doc: String) -> OpInfo {
            OpInfo(self, .elementwise, "\(rawValue) %a, %b", operands: ab, traits: ew, differentiable: .none, doc: "`i1`: " + doc)
        }
        func reduce(_ doc: String) -> OpInfo {
            OpInfo(self, .reduction, "\(rawValue) %x {axes = [1]}", attributes: ["axes", "keep_dims = false"], operands: x,
                   differentiable: .operands([0]), doc: doc)
        }
        switch self {
        case .neg: return unary("-x (integers wrap)")
        case .exp: return unary("e^x")
        case .log: return unary("natural logarithm", traits: .callsLibm)
        case .sqrt: return unary("square root")
        case .rsqrt: return unary("1 / sqrt(x)")
        case .tanh: return unary("hyperbolic tangent")
        case .erf: return unary("error function")
        case .abs: return unary("absolute value (integers wrap: abs of the minimum is the minimum)")
        case .gelu: return unary("x * 0.5 * (1 + erf(x / sqrt(2))), the erf form")
        case .not: return unary("logical negation of a mask (i1/u8)", differentiable: .none)
        case .add: return binary("a + b: same shapes, or one operand rank 0; integers wrap")
        case .sub: return binary("a - b; integers wrap")
        case .mul: return binary("a * b; integers wrap")
        case .div: return binary("a / b; integers truncate toward zero and give 0 for a zero divisor")
        case .max: return binary("the larger of a and b; float max propagates NaN")
        case .min: return binary("the smaller of a and b; float min propagates NaN")
        case .pow: return binary("a^b", traits: .callsLibm)
        case .and: return binary("logical and of masks (i1/u8)", differentiable: .none)
        case .or: return binary("logical or of masks (i1/u8)", differentiable: .none)
        case .eq: return compare("a == b")
        case .ne: return compare("a != b")
        case .lt: return compare("a < b")
        case .le: return compare("a <= b")
        case .gt: return compare("a > b")
        case .ge: return compare("a >= b")
        case .select:
            return OpInfo(self, .elementwise, "select %cond, %a, %b", operands: .exactly(3), traits: ew, differentiable: .operands([1, 2]),
                          doc: "cond (i1/u8, the result's shape) ? a : b, with a's dtype")
        case .convert:
            return OpInfo(self, .elementwise, "convert %x {dtype = f32}", attributes: ["dtype"], operands: x, traits: ew,
                          differentiable: .operands([0]), doc: "element type conversion; float to int truncates toward zero and saturates")
        case .constant:
            return OpInfo(self, .movement, "constant {value = 0.5}", attributes: ["value"], operands: .exactly(0), differentiable: .none,
                          doc: "`value = 0.5` splatted over, or `value = [1, 2, 3]` listing, the written result type (required)")
        case .broadcast:
            return OpInfo(self, .movement, "broadcast %x {shape = [2, 4], dims = [1]}", attributes: ["shape", "dims"], operands: x,
                          traits: .foldable, differentiable: .operands([0]),
                          doc: "operand axis k becomes result axis dims[k]; operand dims equal those result dims or 1")
        case .reshape:
            return OpInfo(self, .movement, "reshape %x {shape = [4, 2]}", attributes: ["shape"], operands: x, traits: [.view, .foldable],
                          differentiable: .operands([0]), doc: "same element count, row-major order kept")
        case .transpose:
            return OpInfo(self, .movement, "transpose %x {perm = [1, 0]}", attributes: ["perm"], operands: x, traits: .foldable,
                          differentiable: .operands([0]), doc: "result axis i is operand axis perm[i]")
        case .slice:
            return OpInfo(self, .movement, "slice %x {axis = 1, start = 0, end = 2, step = 1}", attributes: ["axis", "start", "end", "step = 1"],
                          operands: x, differentiable: .operands([0]), doc: "one static axis, end exclusive")
        case .concat:
            return OpInfo(self, .movement, "concat %a, %b {axis = 1}", attributes: ["axis"], operands: .atLeast(1), differentiable: .all,
                          doc: "the operands joined along one axis")
        case .take:
            return OpInfo(self, .movement, "take %x, %indices {axis = 0}", attributes: ["axis"], operands: ab,
                          traits: [.partialWriter, .checksIndices], differentiable: .operands([0]),
                          doc: "numpy take with i32/i64 indices: x[:axis] + indices + x[axis+1:]; an out-of-range index is an error")
        case .pad:
            return OpInfo(self, .movement, "pad %x {axis = 1, low = 2, high = 1, interior = 0}",
                          attributes: ["axis", "low = 0", "high = 0", "interior = 0"], operands: x, traits: .partialWriter,
                          differentiable: .operands([0]), doc: "zeros before, after and between the elements of one static axis (the transpose of `slice`)")
        case .scatterAdd:
            return OpInfo(self, .movement, "scatter_add %updates, %indices {axis = 0, size = 10}", attributes: ["axis", "size"], operands: ab,
                          traits: [.partialWriter, .checksIndices], differentiable: .operands([0]),
                          doc: "zeros of updates[:axis] + [size] + updates[axis+rank(indices):], each update added at its index (the transpose of `take`)")
        case .nonzero:
            return OpInfo(self, .movement, "nonzero %mask {size = 4, fill = -1}", attributes: ["size", "fill = -1"], operands: x,
                          traits: .checksIndices, differentiable: .none,
                          doc: "`i64[size]`: the flat row-major indices of the mask's nonzero elements, increasing, then `fill` up to `size` (JAX's `nonzero(size, fill_value)`); more nonzeros than `size` is an error")
        case .stopGradient:
            return OpInfo(self, .movement, "stop_gradient %x", operands: x, traits: .view, differentiable: .none,
                          doc: "the identity, not differentiated through")
        case .reduceSum: return reduce("the sum over `axes`")
        case .reduceMax: return reduce("the maximum over `axes`")
        case .reduceMin: return reduce("the minimum over `axes`")
        case .reduceMean: return reduce("the sum over `axes` divided by the reduced element count")
        case .softmax:
            return OpInfo(self, .reduction, "softmax %x {axis = -1}", attributes: ["axis = -1"], operands: x, differentiable: .operands([0]),
                          doc: "exp(x) / sum(exp(x)) along one axis")
        case .logSoftmax:
            return OpInfo(self, .reduction, "log_softmax %x {axis = -1}", attributes: ["axis = -1"], operands: x, differentiable: .operands([0]),
                          doc: "x - log(sum(exp(x))) along one axis")
        case .layerNorm:
            return OpInfo(self, .reduction, "layer_norm %x, %weight, %bias {eps = 1e-06}", attributes: ["eps = 1e-6"], operands: .exactly(3),
                          differentiable: .operands([0, 1, 2]), doc: "normalised over the last axis (biased variance), times weight [D] plus bias [D]")
        case .l2Normalize:
            return OpInfo(self, .reduction, "l2_normalize %x {axis = -1, eps = 1e-12}", attributes: ["axis = -1", "eps = 1e-12"], operands: x,
                          differentiable: .operands([0]), doc: "x / max(‖x‖, eps) along one axis")
        case .matmul:
            return OpInfo(self, .linalg, "matmul %a, %b {transpose_b = true}", attributes: ["transpose_a = false", "transpose_b = false"],
                          operands: ab, differentiable: .operands([0, 1]),
                          doc: "[..., m, k] x [..., k, n] with equal batch dims, or any-rank a with rank-2 b: [..., m, n]")
        case .linear:
            return OpInfo(self, .linalg, "linear %x, %w, %b", operands: .exactly(3), differentiable: .operands([0, 1, 2]),
                          doc: "x [..., in], w [out, in], b [out] to x w^T + b, [..., out]")
        case .patchify:
            return OpInfo(self, .vision, "patchify %views {patch = 8}", attributes: ["patch"], operands: x, differentiable: .operands([0]),
                          doc: "views [N, C, H, W] to [N, (H/P)(W/P), C P P], rows row-major, columns in (channel, py, px) order")
        case .cropSample:
            return OpInfo(self, .vision, "crop_sample %field, %boxes, %flips {grid = 8, source = 64}", attributes: ["grid", "source"],
                          operands: .exactly(3), differentiable: .operands([0]),
                          doc: "bilinear samples of field [Fs, Fs, D] at the grid x grid patch centres of each box [N, 4] (x0, y0, w, h), flipped per flips [N]: [N, grid^2, D]")
        case .cropSampleAdd:
            return OpInfo(self, .vision, "crop_sample_add %x, %field, %boxes, %flips, %mc, %mask_token, %mp, %pos_mask_token {grid = 8, source = 64}",
                          attributes: ["grid", "source"], operands: .exactly(8), differentiable: .operands([0, 1, 5, 7]),
                          doc: "(mc ? mask_token : x) + (mp ? pos_mask_token : crop_sample), masks [N, grid^2], tokens [D]")
        case .cropSampleGrad:
            return OpInfo(self, .vision, "crop_sample_grad %d, %boxes, %flips {grid = 8, source = 64, field = 64}",
                          attributes: ["grid", "source", "field"], operands: .exactly(3), traits: .partialWriter, differentiable: .operands([0]),
                          doc: "[field, field, D]: each sample's row of d [N, grid^2, D] scatter-added into its four bilinear cells (the transpose of `crop_sample`)")
        case .call:
            return OpInfo(self, .function, "call @f(%x)", operands: .atLeast(0), results: .atLeast(0), differentiable: .none,
                          doc: "the callee's results (inlined before differentiation and code generation)")
        case .valueAndGrad:
            return OpInfo(self, .function, "value_and_grad @f(%x) {wrt = [0]}", attributes: ["wrt"], operands: .atLeast(0), results: .atLeast(1),
                          differentiable: .none,
                          doc: "the callee's results, then the gradients of its first result (a float scalar) with respect to `wrt`: argument indices, `@param`s, or `params` (every float param it reads)")
        }
    }
}

extension Op {
    // The table entries of the op kinds that share a case of `Op` (a test checks that
    // every one has an entry).
    private static let unaryCodes = Dictionary(uniqueKeysWithValues: UnaryOp.allCases.map { ($0, OpCode(rawValue: $0.rawValue)!) })
    private static let binaryCodes = Dictionary(uniqueKeysWithValues: BinaryOp.allCases.map { ($0, OpCode(rawValue: $0.rawValue)!) })
    private static let compareCodes = Dictionary(uniqueKeysWithValues: CompareOp.allCases.map { ($0, OpCode(rawValue: $0.rawValue)!) })
    private static let reduceCodes = Dictionary(uniqueKeysWithValues: ReduceOp.allCases.map { ($0, OpCode(rawValue: "reduce_" + $0.rawValue)!) })

    /// The op's entry in the op table.
    public var code: OpCode {
        switch self {
        case .unary(let u): return Self.unaryCodes[u]!
        case .binary(let b): return Self.binaryCodes[b]!
        case .compare(let c): return Self.compareCodes[c]!
        case .reduce(let k, _, _): return Self.reduceCodes[k]!
        case .select: return .select
        case .constant: return .constant
        case .convert: return .convert
        case .broadcast: return .broadcast
        case .reshape: return .reshape
        case .transpose: return .transpose
        case .slice: return .slice
        case .concat: return .concat
        case .take: return .take
        case .matmul: return .matmul
        case .linear: return .linear
        case .softmax: return .softmax
        case .logSoftmax: return .logSoftmax
        case .layerNorm: return .layerNorm
        case .l2Normalize: return .l2Normalize
        case .patchify: return .patchify
        case .cropSample: return .cropSample
        case .cropSampleAdd: return .cropSampleAdd
        case .pad: return .pad
        case .scatterAdd: return .scatterAdd
        case .nonzero: return .nonzero
        case .cropSampleGrad: return .cropSampleGrad
        case .stopGradient: return .stopGradient
        case .valueAndGrad: return .valueAndGrad
        case .call: return .call
        }
    }
}

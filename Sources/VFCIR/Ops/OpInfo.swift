/// The declaration of one op in the op table (`OpCode.info`): what the parser, printer,
/// docs and trait queries of every layer read, so that an op's name, syntax and traits are
/// written once. The per-layer rules (shape, gradient, interpreter, lowering) stay
/// exhaustive switches over `Op`, so a new op cannot miss one of them either.
public struct OpInfo: Sendable {
    /// Which op (its text name is `code.rawValue`).
    public var code: OpCode
    /// The op's family: the file of each layer that holds its rules.
    public var family: OpFamily
    /// The canonical text of one use, without results and types, exactly as the printer
    /// writes it (`slice %x {axis = 1, start = 0, end = 2, step = 1}`).
    public var syntax: String
    /// The attributes, with their defaults where they may be omitted (`step = 1`).
    public var attributes: [String]
    /// How many operands and results it takes.
    public var operands: Arity
    public var results: Arity
    public var traits: OpTraits
    /// The operands gradients flow through (when they and the results are floats).
    public var differentiable: DifferentiableOperands
    /// One line for docs/IR.md: what the op computes.
    public var doc: String

    /// The op's name in the text format.
    public var name: String { code.rawValue }

    init(_ code: OpCode, _ family: OpFamily, _ syntax: String, attributes: [String] = [], operands: Arity, results: Arity = .exactly(1),
         traits: OpTraits = [], differentiable: DifferentiableOperands, doc: String) {
        self.code = code
        self.family = family
        self.syntax = syntax
        self.attributes = attributes
        self.operands = operands
        self.results = results
        self.traits = traits
        self.differentiable = differentiable
        self.doc = doc
    }
}

/// The groups of ops that each layer keeps in one file (`ShapeRules+Movement.swift`,
/// `GradRules+Movement.swift`, `Kernels+Movement.swift`, `Lowering+Movement.swift`, ...).
public enum OpFamily: String, CaseIterable, Sendable {
    /// One element of the result from the elements at the same index.
    case elementwise
    /// Constants and ops that move, copy or scatter data without arithmetic on it.
    case movement
    /// Reductions and the row ops built on them (softmax, normalisations).
    case reduction
    /// Matrix products.
    case linalg
    /// The image ops of method.md section 2 (patchify, crop sampling).
    case vision
    /// Ops on functions (`call`, `value_and_grad`).
    case function
}

/// How many operands or results an op has.
public enum Arity: Hashable, Sendable, CustomStringConvertible {
    case exactly(Int)
    case atLeast(Int)

    public func admits(_ n: Int) -> Bool {
        switch self {
        case .exactly(let k): return n == k
        case .atLeast(let k): return n >= k
        }
    }

    public var description: String {
        switch self {
        case .exactly(let k): return String(k)
        case .atLeast(let k): return "\(k)+"
        }
    }
}

/// Properties of an op that passes and the code generator ask about, instead of each
/// keeping its own list of ops.
public struct OpTraits: OptionSet, Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Element `i` of the result depends only on element `i` of each operand (rank-0
    /// operands broadcast): fusable into loops, computable in place of a dying operand.
    public static let elementwise = OpTraits(rawValue: 1 << 0)
    /// The result is operand 0's buffer reinterpreted (same elements in the same order):
    /// compiled code shares the buffer instead of copying.
    public static let view = OpTraits(rawValue: 1 << 1)
    /// Writes only some elements of its result (the rest are zeros): its buffer is zeroed first.
    public static let partialWriter = OpTraits(rawValue: 1 << 2)
    /// Its float code calls a scalar libm function, which keeps a fused loop from vectorising.
    public static let callsLibm = OpTraits(rawValue: 1 << 3)
    /// Checks index operands at run time and reports the op's source location when one is
    /// out of range: its compiled kernel is specific to that location.
    public static let checksIndices = OpTraits(rawValue: 1 << 4)
    /// The constant folder evaluates it when its operands are constants.
    public static let foldable = OpTraits(rawValue: 1 << 5)

    /// The traits' names, in declaration order (for docs/IR.md).
    public var names: [String] {
        let all: [(OpTraits, String)] = [(.elementwise, "elementwise"), (.view, "view"), (.partialWriter, "partial writer"),
                                         (.callsLibm, "calls libm"), (.checksIndices, "checks indices"), (.foldable, "foldable")]
        return all.filter { contains($0.0) }.map(\.1)
    }
}

/// Which operands of an op gradients flow through.
public enum DifferentiableOperands: Hashable, Sendable, CustomStringConvertible {
    /// These operand positions.
    case operands([Int])
    /// Every operand (`concat`).
    case all

    /// Whether operand `k` of `count` is differentiable.
    public func contains(_ k: Int, of count: Int) -> Bool {
        switch self {
        case .operands(let ks): return ks.contains(k) && k < count
        case .all: return k < count
        }
    }

    public var description: String {
        switch self {
        case .operands(let ks): return ks.isEmpty ? "none" : ks.map(String.init).joined(separator: ", ")
        case .all: return "all"
        }
    }

    public static let none = DifferentiableOperands.operands([])
}

extension Op {
    /// The op's declaration in the op table.
    public var info: OpInfo { code.info }
    /// The op's traits (`OpTraits`).
    public var traits: OpTraits { code.traits }
    /// Whether the op has `trait`.
    public func has(_ trait: OpTraits) -> Bool { code.traits.contains(trait) }
}

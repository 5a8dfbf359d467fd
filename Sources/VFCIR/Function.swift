/// Index of an SSA value in its function's value arena.
public struct ValueID: Hashable, Comparable, Sendable {
    public var index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: ValueID, b: ValueID) -> Bool { a.index < b.index }
}

/// What an instruction reads: an SSA value, a module parameter, or a scalar literal.
public enum Operand: Hashable, Sendable {
    case value(ValueID)
    /// `@name`: a `param` declaration of the module.
    case param(String)
    /// A scalar literal (`0.5`, `-1`); it takes the element type of the op's other operands
    /// and broadcasts like a rank-0 value.
    case literal(Double)
}

/// An input of a function that a result may be written into (`-> f32[4] aliases %w`):
/// one of its arguments, by position, or a module parameter.
public enum InputRef: Hashable, Sendable, CustomStringConvertible {
    case argument(Int)
    case param(String)

    /// `@name` for a param; `%<index>` for an argument (`Function.spelling(of:)` gives its name).
    public var description: String {
        switch self {
        case .argument(let i): return "%\(i)"
        case .param(let p): return "@" + p
        }
    }
}

/// An SSA value: its name as written (without `%`), its type once known, where it was defined.
public struct Value: Hashable, Sendable {
    public var name: String
    public var type: TensorType?
    public var loc: SourceLoc

    public init(name: String, type: TensorType?, loc: SourceLoc) {
        self.name = name
        self.type = type
        self.loc = loc
    }
}

/// One operation: `%r0, %r1 = op operands {attributes} : types`.
public struct Instruction: Hashable, Sendable {
    public var op: Op
    public var operands: [Operand]
    public var results: [ValueID]
    public var loc: SourceLoc

    public init(op: Op, operands: [Operand], results: [ValueID], loc: SourceLoc) {
        self.op = op
        self.operands = operands
        self.results = results
        self.loc = loc
    }
}

/// A function: arguments and instruction results live in one arena (`values`), addressed
/// by `ValueID`, so passes rewrite it without reference cycles.
public struct Function: Hashable, Sendable {
    public var name: String
    public var loc: SourceLoc
    public var arguments: [ValueID]
    public var values: [Value]
    public var body: [Instruction]
    public var returns: [Operand]
    public var returnLoc: SourceLoc
    /// Declared (`-> ...`) or inferred result types; nil when neither is known yet.
    public var resultTypes: [TensorType]?
    /// Donated results, by result index: `-> (f32[4] aliases %w, f32[])` says result 0 is
    /// written into the buffer of argument `%w` by compiled code (the caller gives up that
    /// input). Semantics stay pure: results are values; only the buffer ABI changes.
    public var resultAliases: [Int: InputRef]
    /// The kind of fused kernel this function is (set by the fuse-* passes), nil for an
    /// ordinary function.
    public var fusionKind: FusionKind?

    public init(name: String, loc: SourceLoc = .unknown) {
        self.name = name
        self.loc = loc
        arguments = []
        values = []
        body = []
        returns = []
        returnLoc = loc
        resultTypes = nil
        resultAliases = [:]
        fusionKind = nil
    }

    /// `%name` of an argument, `@name` of a param.
    public func spelling(of ref: InputRef) -> String {
        switch ref {
        case .argument(let i):
            guard i >= 0, i < arguments.count else { return ref.description }
            return "%" + values[arguments[i].index].name
        case .param(let p): return "@" + p
        }
    }

    /// Adds a value to the arena and returns its id.
    @discardableResult
    public mutating func addValue(name: String, type: TensorType?, loc: SourceLoc) -> ValueID {
        values.append(Value(name: name, type: type, loc: loc))
        return ValueID(values.count - 1)
    }

    /// Adds a function argument.
    @discardableResult
    public mutating func addArgument(name: String, type: TensorType, loc: SourceLoc = .unknown) -> ValueID {
        let id = addValue(name: name, type: type, loc: loc)
        arguments.append(id)
        return id
    }

    /// Appends an instruction with fresh result values and returns their ids.
    @discardableResult
    public mutating func append(
        _ op: Op, _ operands: [Operand], resultNames: [String], types: [TensorType?]? = nil,
        loc: SourceLoc = .unknown
    ) -> [ValueID] {
        var ids: [ValueID] = []
        for (i, n) in resultNames.enumerated() {
            ids.append(addValue(name: n, type: types?[i], loc: loc))
        }
        body.append(Instruction(op: op, operands: operands, results: ids, loc: loc))
        return ids
    }

    public subscript(id: ValueID) -> Value {
        get { values[id.index] }
        set { values[id.index] = newValue }
    }

    /// Every value that some instruction or the return reads.
    public func usedValues() -> Set<ValueID> {
        var used = Set<ValueID>()
        for inst in body {
            for case .value(let v) in inst.operands { used.insert(v) }
        }
        for case .value(let v) in returns { used.insert(v) }
        return used
    }
}

/// A trainable parameter: its name is its checkpoint key.
public struct ParamDecl: Hashable, Sendable {
    public var name: String
    public var type: TensorType
    public var initializer: Initializer
    public var loc: SourceLoc

    public init(name: String, type: TensorType, initializer: Initializer, loc: SourceLoc = .unknown) {
        self.name = name
        self.type = type
        self.initializer = initializer
        self.loc = loc
    }
}

/// A module: parameter declarations and functions, in the order written.
public struct Module: Hashable, Sendable {
    public var name: String?
    public var params: [ParamDecl] { didSet { paramsByName.update(params, \.name) } }
    public var functions: [Function] { didSet { functionsByName.update(functions, \.name) } }
    /// The file the module was parsed from (for diagnostics of later stages).
    public var file: String
    // Lookups by name: dictionaries kept with the arrays (`NameIndex`).
    private var paramsByName = NameIndex()
    private var functionsByName = NameIndex()

    public init(name: String? = nil, params: [ParamDecl] = [], functions: [Function] = [], file: String = "<module>") {
        self.name = name
        self.params = params
        self.functions = functions
        self.file = file
        paramsByName.update(params, \.name)
        functionsByName.update(functions, \.name)
    }

    /// The first param named `name`.
    public func param(named name: String) -> ParamDecl? { paramsByName.find(name, in: params, \.name).map { params[$0] } }

    /// The first function named `name`.
    public func function(named name: String) -> Function? { functionsByName.find(name, in: functions, \.name).map { functions[$0] } }

    public func functionIndex(named name: String) -> Int? { functionsByName.find(name, in: functions, \.name) }

    public static func == (a: Module, b: Module) -> Bool {
        a.name == b.name && a.params == b.params && a.functions == b.functions && a.file == b.file
    }

    public func hash(into h: inout Hasher) {
        h.combine(name)
        h.combine(params)
        h.combine(functions)
        h.combine(file)
    }

    /// The params `function` reads, directly or through the functions it calls (or
    /// differentiates), in declaration order.
    public func paramsRead(by function: String) -> [String] {
        var names = Set<String>()
        for name in functionsReachable(from: [function]) {
            guard let g = self.function(named: name) else { continue }
            for case .param(let p) in g.body.flatMap(\.operands) + g.returns { names.insert(p) }
        }
        return params.map(\.name).filter { names.contains($0) }
    }

    /// `functions` and every function they call or differentiate, directly or not.
    public func functionsReachable(from functions: [String]) -> Set<String> {
        var seen = Set(functions)
        var work = functions
        while let name = work.popLast() {
            guard let g = self.function(named: name) else { continue }
            for inst in g.body {
                switch inst.op {
                case .call(let callee), .valueAndGrad(let callee, _):
                    if seen.insert(callee).inserted { work.append(callee) }
                default: break
                }
            }
        }
        return seen
    }

    /// The params and arguments a `value_and_grad` of `callee` differentiates, with
    /// `params` expanded to every float param the callee reads.
    public func expand(_ wrt: [GradTarget], callee: String) -> [GradTarget] {
        wrt.flatMap { t -> [GradTarget] in
            guard case .allParams = t else { return [t] }
            return paramsRead(by: callee).filter { param(named: $0)?.type.dtype.isFloat == true }.map { .param($0) }
        }
    }
}

/// The position of the first element with each name, rebuilt when the array's length
/// changes (appends, inserts, removals: what passes do to a module's functions). An
/// in-place edit of the same length (a rename, a swap) can leave it stale, so `find`
/// checks the name at the position it answers and falls back to a scan when it differs.
struct NameIndex: Sendable {
    private var position: [String: Int] = [:]
    private var count = 0

    mutating func update<T>(_ items: [T], _ name: (T) -> String) {
        guard items.count != count else { return }
        position.removeAll(keepingCapacity: true)
        for (i, x) in items.enumerated() where position[name(x)] == nil { position[name(x)] = i }
        count = items.count
    }

    func find<T>(_ key: String, in items: [T], _ name: (T) -> String) -> Int? {
        if let i = position[key], i < items.count, name(items[i]) == key { return i }
        return items.firstIndex { name($0) == key }
    }
}
